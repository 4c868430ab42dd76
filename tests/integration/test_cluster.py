"""A batch on a real Dask cluster: a scheduler and two workers started as separate processes on
127.0.0.1, the same landmarks as a local batch, a worker killed mid-batch, and the bad addresses."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from formcheck.errors import FormcheckError
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, run_cli, sample

pytestmark = pytest.mark.slow  # the pose model on real clips, on a cluster
distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")
FAST = ("--model", "pose", "--max-height", "480", "--no-video")
RUN06 = "run06_treadmill_side_home_portrait.mp4"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A Dask scheduler and ``workers`` workers (one thread each), each its own process."""

    def __init__(self, workers: int) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", port,
                                           "--no-dashboard"], **quiet)
        self.workers = [subprocess.Popen([DASK, "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                          "--no-dashboard", "--name", f"w{i}", "--no-nanny"], **quiet)
                        for i in range(workers)]
        try:
            with distributed.Client(self.address, timeout=60) as client:
                client.wait_for_workers(workers, timeout=60)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """The workers first, then the scheduler (a worker told to stop says goodbye to it); what has
        not stopped after a few seconds is killed."""
        for group in (self.workers, [self.scheduler]):
            for process in group:
                if process.poll() is None:
                    process.terminate()
            for process in group:
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def cluster():
    started = Cluster(workers=2)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def two_clips(tmp_path_factory) -> Path:
    """A folder of two short clips: 2.5 s of run01 and of run06, 480 pixels high."""
    folder = tmp_path_factory.mktemp("club")
    for name, source, frames in (("anna.mp4", RUN01, 150), ("ben.mp4", RUN06, 75)):
        pictures, times = sample_frames(sample(source), max_frames=frames, max_height=480)
        write_clip(folder / name, pictures, times)
    return folder


def test_a_batch_on_a_cluster_writes_what_a_local_batch_writes(cluster, two_clips, tmp_path):
    remote, local = tmp_path / "remote", tmp_path / "local"
    result = run_cli("analyze", two_clips, "-o", remote, *FAST, "--cluster", cluster.address)
    assert result.returncode == 0, result.stderr
    assert run_cli("analyze", two_clips, "-o", local, *FAST, "--jobs", "2").returncode == 0
    for name in ("anna", "ben"):
        for data in ("track_raw.csv", "track_smooth.csv", "stride_metrics.csv", "segments.csv"):
            assert (remote / f"{name}.formcheck" / data).read_bytes() == (local / f"{name}.formcheck" / data).read_bytes()
        summary = json.loads((remote / f"{name}.formcheck" / "summary.json").read_text())
        assert summary["clip"]["path"] == str(two_clips / f"{name}.mp4")  # the clip here, not the worker's copy
    squads = [(folder / "squad.csv").read_text() for folder in (remote, local)]
    assert squads[0] == squads[1] and squads[0].count("\n") == 3


def test_progress_comes_from_the_workers_and_a_clip_that_fails_there_is_reported_like_here(cluster, two_clips,
                                                                                            tmp_path):
    from formcheck.cluster import analyze_on_cluster
    from formcheck.config import Config, PoseConfig

    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    calls = []
    results = analyze_on_cluster(cluster.address, [two_clips / "anna.mp4", broken],
                                 Config(pose=PoseConfig(model="pose", max_height=480)), tmp_path / "out",
                                 video=False, report=False, progress=lambda done, total: calls.append((done, total)))
    assert results[0].error is None and results[0].out_dir == tmp_path / "out" / "anna.formcheck"
    assert results[1].out_dir is None and "not a readable video" in results[1].error
    done = [d for d, _ in calls]
    assert len(calls) >= 2 and done == sorted(done) and calls[-1][0] >= 75  # anna: 150 frames seen at 30 of 60/s


def test_a_worker_killed_mid_batch_still_gets_every_clip_analysed(cluster, two_clips, tmp_path):
    out = tmp_path / "out"
    batch = subprocess.Popen([sys.executable, "-m", "formcheck", "analyze", str(two_clips), "-o", str(out), *FAST,
                              "--cluster", cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    with distributed.Client(cluster.address, timeout=30) as client:
        deadline = time.monotonic() + 60
        busy = []
        while not busy and time.monotonic() < deadline:
            busy = [worker for worker, tasks in client.processing().items() if tasks]
            time.sleep(0.05)
        assert busy, "no worker took a clip"
        victim = str(client.scheduler_info()["workers"][busy[0]]["name"])  # "w0" or "w1"
    cluster.workers[int(victim[1:])].send_signal(signal.SIGKILL)  # mid-clip: no goodbye to the scheduler
    stdout, stderr = batch.communicate(timeout=300)
    assert batch.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["anna.formcheck", "ben.formcheck"]


def test_ctrl_c_cancels_the_batchs_tasks_on_the_cluster_and_writes_nothing(cluster, two_clips, tmp_path):
    out = tmp_path / "out"
    batch = subprocess.Popen([sys.executable, "-m", "formcheck", "analyze", str(two_clips), "-o", str(out), *FAST,
                              "--cluster", cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    with distributed.Client(cluster.address, timeout=30) as client:
        deadline = time.monotonic() + 60
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(client.processing().values()), "no worker took a clip"
        batch.send_signal(signal.SIGINT)  # Ctrl-C
        _, stderr = batch.communicate(timeout=60)
        assert batch.returncode == 130 and "Traceback" not in stderr, stderr

        def tasks_left(dask_scheduler) -> list[str]:
            return [key for key in dask_scheduler.tasks if str(key).startswith("formcheck-")]

        deadline = time.monotonic() + 20
        while client.run_on_scheduler(tasks_left) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(tasks_left) == []  # the scheduler holds none of the batch's tasks
    assert not out.exists() or not any(p.is_dir() for p in out.iterdir())


def test_an_unreachable_cluster_is_one_line_and_writes_nothing(two_clips, tmp_path):
    out = tmp_path / "out"
    result = run_cli("analyze", two_clips, "-o", out, *FAST, env={**os.environ,
                                                                  "FORMCHECK_CLUSTER": f"tcp://127.0.0.1:{free_port()}"})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask cluster at tcp://127.0.0.1:" in lines[0], result.stderr
    assert not out.exists()


class StandInClient:
    """Answers ``run`` as a cluster whose workers have these formcheck versions (None: none installed)."""

    def __init__(self, versions: dict[str, str | None]) -> None:
        self.versions = versions

    def run(self, function, on_error="raise"):
        return dict(self.versions)


def test_a_worker_without_this_formcheck_is_named_before_any_work():
    from importlib.metadata import version

    from formcheck.cluster import check_workers

    here = version("formcheck")
    check_workers(StandInClient({"tcp://10.0.0.2:4000": here}), "tcp://10.0.0.1:8786")
    with pytest.raises(FormcheckError, match=rf"worker tcp://10.0.0.3:4000 .* has formcheck 0.0.9, this machine "
                                             rf"formcheck {here} \(1 of 2 workers differ\)"):
        check_workers(StandInClient({"tcp://10.0.0.2:4000": here, "tcp://10.0.0.3:4000": "0.0.9"}), "tcp://x:1")
    with pytest.raises(FormcheckError, match="has no formcheck"):
        check_workers(StandInClient({"tcp://10.0.0.2:4000": None}), "tcp://x:1")
    with pytest.raises(FormcheckError, match="has no worker"):
        check_workers(StandInClient({}), "tcp://x:1")
