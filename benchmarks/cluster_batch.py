"""A batch here (``--jobs N``) against the same batch on a Dask cluster of N workers on this machine.

Starts a Dask scheduler and N workers (one thread each) as separate processes on 127.0.0.1, then
times ``formcheck analyze FOLDER -o OUT`` over the same clips with ``--jobs N`` and with
``--cluster``, each as a whole process (interpreter, imports, work), and checks that both wrote the
same landmarks. On one machine the two should take about as long: the cluster adds sending each clip
and its output folder over a local socket. Usage, from the repository root::

    .venv/bin/python benchmarks/cluster_batch.py [--workers 2] [CLIP ...]   # default: six sample clips

Clips are paths or the start of a sample clip's name in ../shared/sample_videos; they are copied
into a temporary folder, which is removed at the end, with the output folders.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A sibling script: a clip path or the start of a sample clip's name.
from speed_options import resolve

DEFAULT_CLIPS = ("run01", "run04", "run06", "run12", "pc01", "pc03")
DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(command: list[str]) -> float:
    """Run ``command``; its wall time in seconds (exits on failure)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="local --jobs and cluster workers [2]")
    parser.add_argument("clips", nargs="*", default=list(DEFAULT_CLIPS))
    args = parser.parse_args()
    clips = [resolve(name) for name in args.clips]
    from distributed import Client

    with tempfile.TemporaryDirectory(prefix="formcheck-cluster-") as tmp:
        folder = Path(tmp) / "clips"
        folder.mkdir()
        for clip in clips:
            shutil.copy(clip, folder / clip.name)
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], **quiet)]
        processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet)
                      for _ in range(args.workers)]
        try:
            with Client(address, timeout=60) as client:
                client.wait_for_workers(args.workers, timeout=60)
            analyze = [sys.executable, "-m", "formcheck", "analyze", str(folder)]
            local = timed([*analyze, "-o", f"{tmp}/local", "--jobs", str(args.workers)])
            remote = timed([*analyze, "-o", f"{tmp}/remote", "--cluster", address])
        finally:
            for process in processes[::-1]:
                process.terminate()
                process.wait(timeout=30)
        same = all((Path(tmp) / "local" / f"{clip.stem}.formcheck" / "track_raw.csv").read_bytes()
                   == (Path(tmp) / "remote" / f"{clip.stem}.formcheck" / "track_raw.csv").read_bytes()
                   for clip in clips)
    print(f"{len(clips)} clips ({', '.join(c.name for c in clips)}), overlay and report, {args.workers} at a time:")
    print(f"- here, --jobs {args.workers}: {local:.1f} s")
    print(f"- Dask cluster of {args.workers} workers on this machine: {remote:.1f} s ({remote / local:.2f}x)")
    print(f"- the same landmarks (track_raw.csv byte for byte): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
