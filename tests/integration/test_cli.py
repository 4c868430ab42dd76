"""The command line as a user meets it: real clips, and bad input answered in one line."""

import gc
import hashlib
import json
import shutil
import sys
import threading

import av
import numpy as np
import pandas as pd
import pytest

from formcheck.cli import _progress_bar, main
from tests.clips import BAD_INPUTS, container_times, sample_frames, write_clip
from tests.conftest import (
    REPO,
    RUN01,
    SAMPLES,
    VIDEO_HEIGHT,
    assert_one_line_error,
    run_cli,
    sample,
)

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips

ALL_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.mp4")) or [RUN01]


def _empty_folder(path):
    path.mkdir()
    return path


#: As for the video reader, except a folder: the command line takes one as a batch of clips.
CLI_BAD_INPUTS = [p for p in BAD_INPUTS if p.id != "folder"] + [
    pytest.param(_empty_folder, "holds no video", id="empty-folder")]


@pytest.mark.parametrize("make, phrase", CLI_BAD_INPUTS)
def test_bad_input_gets_one_line_an_exit_code_and_no_output(tmp_path, make, phrase):
    clip = make(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    result = run_cli("analyze", clip, "-o", out)
    assert_one_line_error(result, phrase)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging leftovers


def test_a_clip_with_nobody_in_it_says_how_many_frames_were_searched(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(90, 110, (240, 320, 3), dtype=np.uint8) for _ in range(20)]
    clip = write_clip(tmp_path / "empty_room.mp4", frames, np.arange(20) / 30)
    result = run_cli("analyze", clip, "-o", tmp_path / "out")
    assert_one_line_error(result, "nobody was found", "20 frames")
    assert not (tmp_path / "out").exists()


def test_default_output_folder_sits_next_to_the_clip_and_the_clip_is_untouched(tmp_path):
    frames, times = sample_frames(sample(RUN01), max_frames=30, max_height=480)
    clip = write_clip(tmp_path / "my run.mp4", frames, times)
    before = hashlib.sha256(clip.read_bytes()).hexdigest(), clip.stat().st_mtime_ns
    result = run_cli("analyze", clip, "--model", "pose")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "my run.formcheck"
    assert str(out) in result.stdout
    assert {"summary.json", "track_raw.csv", "track_raw.json", "track_smooth.csv"} <= {p.name for p in out.iterdir()}
    assert (hashlib.sha256(clip.read_bytes()).hexdigest(), clip.stat().st_mtime_ns) == before


def test_info_prints_the_probe(tmp_path):
    result = run_cli("info", sample(RUN01))
    assert result.returncode == 0
    assert "1920" in result.stdout and "h264" in result.stdout and "rotation" in result.stdout


def test_bad_option_value_is_one_line(tmp_path):
    result = run_cli("analyze", sample(RUN01), "--model", "huge", "-o", tmp_path / "out")
    assert_one_line_error(result, "--model")


def test_the_console_script_leaves_the_heap_frozen_for_a_quick_exit(monkeypatch):
    """main() freezes what is alive, so the interpreter's exit does not walk it (about 0.5 s)."""
    monkeypatch.setattr(sys, "argv", ["formcheck", "--help"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()



def test_the_progress_bars_run_no_thread_of_their_own_so_the_report_can_fork():
    running = threading.active_count()
    with _progress_bar("clip.mp4") as progress:
        progress("pose", 5, 10)
        progress("pose", 10, 10)
        assert threading.active_count() == running


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_every_sample_clip_runs_through_analyze(analysed, name):
    summary = json.loads((analysed(name) / "summary.json").read_text())
    frames = len(container_times(sample(name)))
    assert summary["frames_analysed"] == -(-frames // summary["pose_every"])  # every frame below 60 fps
    assert summary["pose_every"] == (2 if name.startswith("run01") else 1)  # run01 is the one 60 fps clip
    assert 0 < summary["coverage"]["person"] <= 1
    print(f"{name}: person found in {summary['coverage']['person']:.1%} of {summary['frames_analysed']} frames")


#: Steps counted by eye on every running sample clip (``benchmarks/step_counts.md``).
STEP_COUNTS = json.loads((REPO / "benchmarks" / "step_counts.json").read_text())
#: Running clips whose cadence is not within 5% of the count by eye, and why.
CADENCE_NOT_MET = {
    "run04_treadmill_side_sprint_harness.mp4": "3 landings in the whole clip: fewer than 1.5 strides, no cadence",
    "run10_track_sprint_small_in_frame.mp4": "the sprinter is small and lost for stretches: steps go missing",
}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=CADENCE_NOT_MET[name])) if name in CADENCE_NOT_MET
    else name for name in STEP_COUNTS if name.startswith("run")])
def test_the_cadence_of_every_running_clip_is_within_5_percent_of_the_steps_counted_by_eye(analysed, name):
    cadence = json.loads((analysed(name) / "summary.json").read_text())["strides"]["cadence_spm"]
    by_eye = STEP_COUNTS[name]["cadence_spm"]
    print(f"{name}: cadence {cadence} steps/min, {by_eye} by eye")
    assert cadence is not None and cadence == pytest.approx(by_eye, rel=0.05)


#: Runners who run steadily and relaxed through the whole clip (as ``benchmarks/validate.py``).
STEADY = {"run01_treadmill_side_gym_60fps_portrait.mp4": None, "run02_treadmill_side_lab_31s.mp4": None,
          "run06_treadmill_side_home_portrait.mp4": "shoulder offset drifts by 0.04 of the trunk for 3 s with the "
                                                    "camera slightly behind: a false alarm (seeds/README.md)",
          "run12_treadmill_side_handheld_24fps.mp4": None, "run14_side_backlit_silhouette.mp4": None}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=why)) if why else name
                                  for name, why in STEADY.items()])
def test_a_steady_relaxed_runner_gets_no_tight_segment(analysed, name):
    summary = json.loads((analysed(name) / "summary.json").read_text())
    assert summary["segments"] == [], summary["segments"]


@pytest.mark.parametrize("name, phrase", [
    ("neg01_walk_side_indoor.mp4", "below a running pace"),          # walking, not running
    ("run02_treadmill_side_lab_31s.mp4", "slow motion suspected"),    # about 10x slow motion
    ("run10_track_sprint_small_in_frame.mp4", "small in the frame"),  # sprinters far from the camera
    ("run10_track_sprint_small_in_frame.mp4", "the camera pans"),     # ... and the camera follows them
    ("run08_outdoor_side_passby_female_1080p50.mp4", "found in only"),  # runs through the frame
])
def test_capture_problems_of_real_clips_are_warned_about(analysed, name, phrase):
    summary = json.loads((analysed(name) / "summary.json").read_text())
    assert any(phrase in warning for warning in summary["warnings"]), summary["warnings"]


def test_a_well_filmed_clip_gets_no_capture_warning(analysed):
    assert json.loads((analysed(RUN01) / "summary.json").read_text())["warnings"] == []


def test_a_clip_compared_with_itself_shows_no_change(analysed, tmp_path):
    clip = tmp_path / RUN01
    shutil.copy(sample(RUN01), clip)
    shutil.copytree(analysed(RUN01), tmp_path / f"{clip.stem}.formcheck")  # re-used, not re-run
    out = tmp_path / "same"
    result = run_cli("compare", clip, clip, "-o", out, "--video-height", str(VIDEO_HEIGHT))
    assert result.returncode == 0, result.stderr
    assert "No measure changed beyond stride-to-stride variation" in result.stdout.replace("\n", " ")
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["significant_metrics"] == [] and comparison["tighter_metrics"] == []
    measured = [m for m in comparison["metrics"] if m["change"] is not None]
    assert len(measured) >= 8 and all(m["change"] == 0 and m["ci_low"] <= 0 <= m["ci_high"] for m in measured)
    assert len(pd.read_csv(out / "comparison.csv")) == len(comparison["metrics"])
    assert {"compare.html", "side_by_side.mp4", "plots"} <= {p.name for p in out.iterdir()}
    with av.open(str(out / "side_by_side.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.height == VIDEO_HEIGHT
        first_stride = pd.read_csv(analysed(RUN01) / "stride_metrics.csv")["start_s"].iat[0]
        duration = float(stream.duration * stream.time_base)
        assert duration == pytest.approx(container_times(clip)[-1] - first_stride, abs=0.05)


@pytest.mark.parametrize("verdict, segments, pace, expected", [
    ("relaxed", [], "", ["No sustained sign of running tight against the baseline."]),
    ("not enough data", [], "", ["Not enough measurable strides to judge (see coverage above)."]),
    ("relaxed", [], "in 3 of 9 strides your cadence differed", ["No sustained sign of running tight against the "
                                                               "baseline.", "Pace: in 3 of 9 strides your cadence differed."]),
    ("tight", [{"start_s": 4.0, "end_s": 9.0, "strides": 7, "severity": 1.2, "severity_label": "mild",
                "reasons": "shoulders 12% closer to the ears", "metrics": "shoulder_elevation_ratio",
                "pace": "cadence 190 steps/min, 15% higher"}], "",
     ["Running tight in 1 segment(s):", "4.0-9.0 s (mild): shoulders 12% closer to the ears",
      "pace: cadence 190 steps/min, 15% higher"]),
])
def test_the_terminal_gives_one_verdict_then_the_pace(capsys, verdict, segments, pace, expected):
    from formcheck.cli import _print_verdict
    from formcheck.summary import Summary

    summary = {"clip": {"path": "run.mp4"}, "view": {"main": "side"}, "strides": {"count": 9, "cadence_spm": 170.0},
               "baseline": {"label": "your first 20 s"}, "metrics": {}, "verdict": verdict, "segments": segments,
               "pace": {"note": pace}}
    _print_verdict(Summary.from_dict(summary))
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[-len(expected):] == expected
    assert sum(line.startswith(("Running tight", "No sustained", "Not enough")) for line in lines) == 1
