"""The command line as a user meets it: real clips, and bad input answered in one line."""

import hashlib
import json

import numpy as np
import pytest

from tests.clips import BAD_INPUTS, container_times, sample_frames, write_clip
from tests.conftest import RUN01, SAMPLES, run_cli, sample

ALL_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.mp4")) or [RUN01]


def assert_one_line_error(result, *phrases):
    assert result.returncode not in (0, 1), result.stderr  # 1 would be an internal error
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("formcheck: error: ") and "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0]


@pytest.mark.parametrize("make, phrase", BAD_INPUTS)
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


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_every_sample_clip_runs_through_analyze(analysed, name):
    summary = json.loads((analysed(name) / "summary.json").read_text())
    assert summary["frames_analysed"] == len(container_times(sample(name)))
    assert 0 < summary["coverage"]["person"] <= 1
    print(f"{name}: person found in {summary['coverage']['person']:.1%} of {summary['frames_analysed']} frames")


@pytest.mark.slow
@pytest.mark.parametrize("name, phrase", [
    ("neg01_walk_side_indoor.mp4", "below a running pace"),          # walking, not running
    ("run02_treadmill_side_lab_31s.mp4", "slow motion suspected"),    # about 2x slow motion
    ("run10_track_sprint_small_in_frame.mp4", "small in the frame"),  # sprinters far from the camera
    ("run08_outdoor_side_passby_female_1080p50.mp4", "found in only"),  # runs through the frame
])
def test_capture_problems_of_real_clips_are_warned_about(analysed, name, phrase):
    summary = json.loads((analysed(name) / "summary.json").read_text())
    assert any(phrase in warning for warning in summary["warnings"]), summary["warnings"]


@pytest.mark.slow
def test_a_well_filmed_clip_gets_no_capture_warning(analysed):
    assert json.loads((analysed(RUN01) / "summary.json").read_text())["warnings"] == []
