"""The Python API: analyze() writes the output folder and re-uses saved landmarks when it may."""

import dataclasses

import numpy as np
import pytest

import formcheck
from formcheck.config import Config
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, sample


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    """One second of run01 at 480 pixels high, written by the test."""
    frames, times = sample_frames(sample(RUN01), max_frames=60, max_height=480)
    return write_clip(tmp_path_factory.mktemp("api") / "short.mp4", frames, times)


#: The faster pose model: what is tested here does not depend on the model.
FAST = dataclasses.replace(Config(), pose=dataclasses.replace(Config().pose, model="pose"))


def with_segments(config: Config, **changes) -> Config:
    return dataclasses.replace(config, segments=dataclasses.replace(config.segments, **changes))


def test_saved_landmarks_are_reused_only_for_the_same_clip_and_pose_settings(short_clip, tmp_path):
    out = tmp_path / "out"
    first = formcheck.analyze(short_clip, FAST, out=out, video=False, report=False)
    assert not first.summary["pose_reused"] and (out / "track_raw.csv").is_file()

    stricter = formcheck.analyze(short_clip, with_segments(FAST, noise_factor=0.5), out=out,
                                 video=False, report=False)
    assert stricter.summary["pose_reused"]
    np.testing.assert_array_equal(stricter.raw_track.xy, first.raw_track.xy)
    assert stricter.summary["config"]["segments"]["noise_factor"] == 0.5

    assert not formcheck.analyze(short_clip, Config(), out=out, video=False, report=False).summary["pose_reused"]
    assert not formcheck.analyze(short_clip, FAST, out=out, video=False, report=False, reuse=False).summary["pose_reused"]


def test_a_different_clip_under_the_same_name_is_analysed_afresh(short_clip, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(short_clip.read_bytes())
    formcheck.analyze(clip, FAST, out=tmp_path / "out", video=False, report=False)
    frames, times = sample_frames(short_clip, max_frames=45)
    write_clip(clip, frames, times)  # same path, other content
    again = formcheck.analyze(clip, FAST, out=tmp_path / "out", video=False, report=False)
    assert not again.summary["pose_reused"] and len(again.raw_track) == 45


def test_a_folder_written_with_the_same_settings_is_left_alone(short_clip, tmp_path):
    out = tmp_path / "out"
    formcheck.analyze(short_clip, FAST, out=out, video=False)
    stamp = (out / "summary.json").stat().st_mtime_ns
    again = formcheck.analyze(short_clip, FAST, out=out, video=False)
    assert again.summary["pose_reused"] and (out / "summary.json").stat().st_mtime_ns == stamp
    formcheck.analyze(short_clip, FAST, out=out, video=False, report=True)  # same files asked for
    assert (out / "summary.json").stat().st_mtime_ns == stamp


def test_an_analysis_shows_a_summary_card_in_jupyter(short_clip, tmp_path):
    analysis = formcheck.analyze(short_clip, FAST, out=tmp_path / "out", video=False, report=False)
    card = analysis._repr_html_()
    assert analysis.summary["clip"]["path"].endswith("short.mp4")
    assert "short.mp4" in card and str(analysis.out_dir) in card
    assert ("Running tight" in card) or ("No sustained sign" in card) or ("Not enough" in card)
