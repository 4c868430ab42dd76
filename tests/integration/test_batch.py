"""Several clips at once: a worker pool whose results equal one-by-one analysis, and failures that
do not stop the others."""

import json

import pandas as pd
import pytest

from formcheck.io.destination import MARKER_NAME
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, run_cli, sample

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips


def test_a_folder_of_clips_is_analysed_like_each_clip_alone(tmp_path):
    folder = tmp_path / "squad"
    folder.mkdir()
    frames, times = sample_frames(sample(RUN01), max_frames=240, max_height=360)
    write_clip(folder / "anna.mp4", frames[:90], times[:90])
    write_clip(folder / "ben.mp4", frames[30:], times[30:])  # 3.5 s: searched in two parts, one after the other here
    (folder / "broken.mp4").write_text("not a video")
    (folder / "notes.txt").write_text("ignored: not a video file name")

    batch = tmp_path / "batch"
    result = run_cli("analyze", folder, "-o", batch, "--no-video", "--model", "pose", "--jobs", "2")
    assert result.returncode == 2, result.stderr  # one clip failed: the batch says so in its exit code
    assert "broken.mp4" in result.stdout and "not a readable video" in result.stdout
    assert "1 of 3 clips could not be analysed" in result.stderr
    assert sorted(p.name for p in batch.iterdir()) == [MARKER_NAME, "anna.formcheck", "ben.formcheck", "squad.csv",
                                                       "squad.html"]
    squad = pd.read_csv(batch / "squad.csv")
    assert list(squad["clip"]) == ["anna.mp4", "ben.mp4", "broken.mp4"]
    assert squad["verdict"].iat[2] == "failed" and "not a readable video" in squad["error"].iat[2]

    alone = tmp_path / "alone"
    assert run_cli("analyze", folder / "ben.mp4", "-o", alone, "--no-video", "--model", "pose").returncode == 0
    in_batch = batch / "ben.formcheck"
    assert (in_batch / "track_raw.csv").read_bytes() == (alone / "track_raw.csv").read_bytes()
    assert (in_batch / "stride_metrics.csv").read_bytes() == (alone / "stride_metrics.csv").read_bytes()
    a, b = (json.loads((d / "summary.json").read_text()) for d in (in_batch, alone))
    assert a["metrics"] == b["metrics"] and a["verdict"] == b["verdict"] and a["warnings"] == b["warnings"]



def _run_worker_task(tmp_path, monkeypatch, ctrl_c_before: bool, analysis):
    """Run one batch task in this process as a worker would, ``analysis`` standing in for
    :func:`formcheck.api.analyze`; return how the task ended and whether the batch was told it is
    interrupted. ``ctrl_c_before``: Ctrl-C reached the worker before the task began."""
    import queue
    import threading

    from formcheck import api, batch
    from formcheck.config import Config

    monkeypatch.setattr(batch, "_ctrl_c_seen", ctrl_c_before)
    monkeypatch.setattr(api, "analyze", analysis)
    interrupted = threading.Event()
    try:
        ended = batch._analyze_one(0, tmp_path / "run.mp4", Config(), None, None, False, False, True, False,
                                   queue.Queue(), interrupted)
    except KeyboardInterrupt as exc:
        ended = exc
    return ended, interrupted.is_set()


def test_a_worker_that_saw_ctrl_c_starts_no_further_clip(tmp_path, monkeypatch):
    def analysis(*args, **kwargs):
        raise AssertionError("a clip was started after Ctrl-C")

    ended, told = _run_worker_task(tmp_path, monkeypatch, True, analysis)
    assert ended.error == "not analysed: interrupted" and ended.out_dir is None
    assert told  # the other workers start nothing either


def test_ctrl_c_that_surfaces_as_another_error_still_interrupts_the_batch(tmp_path, monkeypatch):
    from formcheck import batch

    def analysis(*args, **kwargs):  # Ctrl-C while MediaPipe was being imported, seen as a NameError
        monkeypatch.setattr(batch, "_ctrl_c_seen", True)
        raise NameError("name 'framework' is not defined")

    ended, told = _run_worker_task(tmp_path, monkeypatch, False, analysis)
    assert isinstance(ended, KeyboardInterrupt) and told


def test_a_clip_that_finished_before_ctrl_c_keeps_its_result_and_the_batch_still_stops(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from formcheck import batch
    from formcheck.summary import Summary

    def analysis(*args, **kwargs):  # the clip's folder is complete; Ctrl-C comes just after
        monkeypatch.setattr(batch, "_ctrl_c_seen", True)
        return SimpleNamespace(out_dir=tmp_path / "run.formcheck", summary=Summary(verdict="relaxed"))

    ended, told = _run_worker_task(tmp_path, monkeypatch, False, analysis)
    assert ended.error is None and ended.out_dir == tmp_path / "run.formcheck" and told
