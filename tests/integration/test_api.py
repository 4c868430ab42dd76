"""The Python API: analyze() writes the output folder and re-uses saved landmarks when it may."""

import dataclasses
import json
import os
import re

import numpy as np
import pandas as pd
import pytest

import formcheck
from formcheck.api import OTHER_WAY, load_saved_run
from formcheck.config import Config
from formcheck.io.video import probe
from formcheck.pipeline import analysis_from_run
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, sample

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    """One second of run01 at 480 pixels high, written by the test."""
    frames, times = sample_frames(sample(RUN01), max_frames=60, max_height=480)
    return write_clip(tmp_path_factory.mktemp("api") / "short.mp4", frames, times)


@pytest.fixture(scope="module")
def strided_clip(tmp_path_factory):
    """Four seconds of run01 at 480 pixels high: long enough for strides from the ankles."""
    frames, times = sample_frames(sample(RUN01), max_frames=240, max_height=480)
    return write_clip(tmp_path_factory.mktemp("api") / "strided.mp4", frames, times)


#: The faster pose model: what is tested here does not depend on the model.
FAST = dataclasses.replace(Config(), pose=dataclasses.replace(Config().pose, model="pose"))


def with_segments(config: Config, **changes) -> Config:
    return dataclasses.replace(config, segments=dataclasses.replace(config.segments, **changes))


def test_saved_landmarks_are_reused_only_for_the_same_clip_and_pose_settings(short_clip, tmp_path):
    out = tmp_path / "out"
    first = formcheck.analyze(short_clip, FAST, out=out, video=False, report=False)
    assert not first.summary.pose_reused and (out / "track_raw.csv").is_file()

    stricter = formcheck.analyze(short_clip, with_segments(FAST, noise_factor=0.5), out=out,
                                 video=False, report=False)
    assert stricter.summary.pose_reused
    np.testing.assert_array_equal(stricter.raw_track.xy, first.raw_track.xy)
    assert stricter.summary.config["segments"]["noise_factor"] == 0.5

    assert not formcheck.analyze(short_clip, Config(), out=out, video=False, report=False).summary.pose_reused
    assert not formcheck.analyze(short_clip, FAST, out=out, video=False, report=False, reuse=False).summary.pose_reused



def test_a_reanalysis_reads_the_clip_facts_back_and_probes_the_clip_only_when_they_are_incomplete(
        short_clip, tmp_path, monkeypatch):
    out = tmp_path / "out"
    formcheck.analyze(short_clip, FAST, out=out, video=False, report=False)
    facts = probe(short_clip)

    def no_probe(clip):
        raise AssertionError("probed the clip")

    monkeypatch.setattr("formcheck.io.video.probe", no_probe)
    assert load_saved_run(out, short_clip, FAST).info == facts
    summary = json.loads((out / "summary.json").read_text())
    del summary["clip"]["codec"]  # as an older formcheck might have written it
    (out / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(AssertionError, match="probed the clip"):
        load_saved_run(out, short_clip, FAST)
    monkeypatch.undo()
    assert load_saved_run(out, short_clip, FAST).info == facts


def test_a_new_threshold_reuses_the_saved_clean_track_and_strides_and_gets_the_same_numbers(strided_clip, tmp_path):
    out = tmp_path / "out"
    formcheck.analyze(strided_clip, FAST, out=out, video=False, report=False)
    stricter = with_segments(FAST, noise_factor=0.5)
    again = formcheck.analyze(strided_clip, stricter, out=out, video=False, report=False)
    assert again.summary.cleaning_reused and again.summary.strides_reused
    assert again.measurements.strides.source == "ankles" and len(again.measurements.strides.starts) >= 4

    run = load_saved_run(out, strided_clip, stricter)
    afresh = analysis_from_run(dataclasses.replace(run, cleaned=None), stricter)
    assert not afresh.summary.cleaning_reused
    for name in ("times", "xy", "visibility", "world", "hands"):
        np.testing.assert_array_equal(getattr(again.track, name), getattr(afresh.track, name))
    for name in ("step_times", "starts", "ends"):
        np.testing.assert_array_equal(getattr(again.measurements.strides, name), getattr(afresh.measurements.strides, name))
    for name in ("frame_metrics", "raw_frame_metrics", "stride_metrics"):
        pd.testing.assert_frame_equal(getattr(again.measurements, name), getattr(afresh.measurements, name))
    assert again.measurements.segments == afresh.measurements.segments
    assert again.summary.left_right_swaps == afresh.summary.left_right_swaps


def damaged_on_disk(path):
    """Overwrite ``path`` with unreadable bytes of the same size and modification time: damage done by
    the disk, not an edit of the user's (which would make formcheck refuse to replace the folder)."""
    info = path.stat()
    path.write_bytes(b"\x00" * info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_saved_stages_are_made_again_when_their_settings_change_or_their_files_are_gone(strided_clip, tmp_path):
    out = tmp_path / "out"
    formcheck.analyze(strided_clip, FAST, out=out, video=False, report=False)
    stride_change = dataclasses.replace(FAST, strides=dataclasses.replace(FAST.strides, hysteresis=0.35))
    summary = formcheck.analyze(strided_clip, stride_change, out=out, video=False, report=False).summary
    assert summary.pose_reused and summary.cleaning_reused and not summary.strides_reused

    (out / "strides.json").unlink()
    summary = formcheck.analyze(strided_clip, FAST, out=out, video=False, report=False).summary
    assert summary.cleaning_reused and not summary.strides_reused

    smoother = dataclasses.replace(FAST, smoothing=dataclasses.replace(FAST.smoothing, cutoff_hz=4.0))
    summary = formcheck.analyze(strided_clip, smoother, out=out, video=False, report=False).summary
    assert summary.pose_reused and not summary.cleaning_reused and not summary.strides_reused

    damaged_on_disk(out / "track_smooth.csv")
    summary = formcheck.analyze(strided_clip, with_segments(smoother, noise_factor=0.5), out=out, video=False,
                                report=False).summary
    assert summary.pose_reused and not summary.cleaning_reused


def test_a_different_clip_under_the_same_name_is_analysed_afresh(short_clip, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(short_clip.read_bytes())
    formcheck.analyze(clip, FAST, out=tmp_path / "out", video=False, report=False)
    frames, times = sample_frames(short_clip, max_frames=45)
    write_clip(clip, frames, times)  # same path, other content
    again = formcheck.analyze(clip, FAST, out=tmp_path / "out", video=False, report=False)
    assert not again.summary.pose_reused and len(again.raw_track) == -(-45 // again.summary.pose_every)  # 60 fps: 23


def test_a_folder_written_with_the_same_settings_is_left_alone(short_clip, tmp_path):
    out = tmp_path / "out"
    formcheck.analyze(short_clip, FAST, out=out, video=False)
    stamp = (out / "summary.json").stat().st_mtime_ns
    again = formcheck.analyze(short_clip, FAST, out=out, video=False)
    assert again.summary.pose_reused and (out / "summary.json").stat().st_mtime_ns == stamp
    formcheck.analyze(short_clip, FAST, out=out, video=False, report=True)  # same files asked for
    assert (out / "summary.json").stat().st_mtime_ns == stamp


def test_an_analysis_shows_a_summary_card_in_jupyter(short_clip, tmp_path):
    analysis = formcheck.analyze(short_clip, FAST, out=tmp_path / "out", video=False, report=False)
    card = analysis._repr_html_()
    assert analysis.summary.clip["path"].endswith("short.mp4")
    assert "short.mp4" in card and str(analysis.out_dir) in card
    assert ("Running tight" in card) or ("No sustained sign" in card) or ("Not enough" in card)


def test_the_plots_drawn_in_a_child_beside_the_overlay_are_those_drawn_after_it(strided_clip, tmp_path, monkeypatch):
    import formcheck.runtime.beside

    fork, children = formcheck.runtime.beside._fork, []
    monkeypatch.setattr(formcheck.runtime.beside, "_fork", lambda work: children.append(fork(work)) or children[-1])
    forked = formcheck.analyze(strided_clip, FAST, out=tmp_path / "forked")
    assert len(children) == 1 and children[0] is not None and children[0].exitcode == 0
    monkeypatch.setattr(formcheck.runtime.beside, "_fork", lambda work: None)  # as in Jupyter: no child
    after = formcheck.analyze(strided_clip, FAST, out=tmp_path / "after")
    names = sorted(path.name for path in (forked.out_dir / "plots").iterdir())
    assert names == sorted(path.name for path in (after.out_dir / "plots").iterdir())
    assert {"metrics.png", "metrics.svg", "metric_elbow_angle_deg.png"} <= set(names)
    for name in names:
        assert (forked.out_dir / "plots" / name).read_bytes() == (after.out_dir / "plots" / name).read_bytes(), name
    images = [re.findall(r"data:image/png;base64,[^\"']+", (out / "report.html").read_text())
              for out in (forked.out_dir, after.out_dir)]
    assert images[0] == images[1] and len(images[0]) == len(names) - 1  # each plot once, the SVG's PNG twin
    files = [json.loads((out / "summary.json").read_text())["files"] for out in (forked.out_dir, after.out_dir)]
    assert files[0] == files[1]


def test_a_runner_facing_the_other_way_in_the_late_clip_is_compared_mirror_averaged(tmp_path):
    frames, times = sample_frames(sample(RUN01), max_frames=150, max_height=360)
    early = write_clip(tmp_path / "out_leg.mp4", frames, times)  # running right...
    late = write_clip(tmp_path / "back_leg.mp4", [np.ascontiguousarray(f[:, ::-1]) for f in frames], times)  # ...left
    comparison = formcheck.compare(early, late, FAST, video=False)
    assert comparison.notes and comparison.notes[0].startswith(OTHER_WAY)
    facings = [a.measurements.view.main_facing() for a in (comparison.early, comparison.late)]
    assert facings == [1, -1] or facings == [-1, 1]
    for analysis in (comparison.early, comparison.late):
        assert analysis.summary.config["pose"]["mirror"] is True
    saved = json.loads((comparison.out_dir / "comparison.json").read_text())
    assert saved["notes"] == list(comparison.notes)
    again = formcheck.compare(early, late, FAST, video=False)  # the mirror-averaged landmarks are re-used
    assert again.early.summary.pose_reused and again.late.summary.pose_reused
