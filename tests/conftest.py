"""Shared fixtures: where the real sample clips are, and one cached analysis per clip per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "sample_videos"
RUN01 = "run01_treadmill_side_gym_60fps_portrait.mp4"
VIDEO_HEIGHT = 480  # overlay height in the shared analyses, drawn small to save time
#: Clips whose shared analysis also writes the overlay and the report (the overlay, report, compare
#: and notebook tests use them); the others get the data only, to keep the suite's time in check.
WITH_VIDEO = {RUN01, "run06_treadmill_side_home_portrait.mp4"}


@pytest.fixture(autouse=True)
def _pose_inference_only_in_slow_tests(request, monkeypatch):
    """A test that runs the pose model must carry the ``slow`` mark, so that ``pytest -m "not slow"``
    stays a fast unit run: in any other test, building a MediaPipe estimator or asking for a shared
    analysis of a real clip fails with a message saying so. (A test running ``formcheck analyze`` in a
    subprocess is outside this check: those carry the mark by hand.)"""
    if request.node.get_closest_marker("slow") is not None:
        return
    if "analysed" in request.fixturenames:
        pytest.fail("this test uses a shared analysis of a real clip (pose inference): mark it @pytest.mark.slow")

    def refuse(*args, **kwargs):
        raise AssertionError("this test runs pose inference: mark it @pytest.mark.slow")

    monkeypatch.setattr("formcheck.pose.mediapipe_backend.MediaPipeEstimator.__init__", refuse)


def sample(name: str) -> Path:
    """Path of a real sample clip in ../shared/sample_videos. Missing clips fail in CI, skip elsewhere."""
    path = SAMPLES / name
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared/sample_videos beside the clone")
        pytest.skip(f"{path} not present (tests read the sample clips from ../shared/sample_videos)")
    return path


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m formcheck ARGS`` as a user would (in environment ``env``: None, this one),
    capturing its output."""
    return subprocess.run([sys.executable, "-m", "formcheck", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=900)


@pytest.fixture(scope="session")
def analysed(tmp_path_factory):
    """analysed(name) -> output folder of `formcheck analyze` on that sample clip, run once per session
    with default settings; overlay (:data:`VIDEO_HEIGHT` high) and report only for :data:`WITH_VIDEO`."""
    cache: dict[str, Path] = {}
    root = tmp_path_factory.mktemp("analysed")

    def get(name: str) -> Path:
        if name not in cache:
            out = root / Path(name).stem
            extra = ["--video-height", str(VIDEO_HEIGHT)] if name in WITH_VIDEO else ["--no-video", "--no-report"]
            result = run_cli("analyze", sample(name), "-o", out, *extra)
            assert result.returncode == 0, result.stderr
            cache[name] = out
        return cache[name]

    return get


def assert_one_line_error(result: subprocess.CompletedProcess, *phrases: str) -> None:
    """The command failed as a user error should: a non-zero exit code other than 1 (an internal
    error), exactly one line on stderr, ``formcheck: error: ...`` with each phrase, no traceback."""
    assert result.returncode not in (0, 1), result.stderr  # 1 would be an internal error
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("formcheck: error: ") and "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0]
