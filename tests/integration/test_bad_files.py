"""Bad files and interrupted runs, through the real command line.

Every file is made here, into tmp_path, from the real sample clips: cut off, damaged, reduced to its
sound or to one picture, renamed, upscaled to 4K, re-timed to 120/240 fps, re-encoded as 10-bit HEVC.
Each run must end either in a complete analysis that warns about what it could not read, or in one
line on stderr with the exit code of the problem: never a traceback, never a half-written output
folder, never a touched input.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from formcheck.config import Config
from formcheck.errors import VideoError
from formcheck.io.destination import ANALYSIS, COMPARISON, write_marker
from formcheck.io.output import atomic_output_dir
from tests.clips import (
    audio_only,
    can_encode,
    corrupt_middle,
    first_half,
    sample_frames,
    still_image,
    upscaled_clip,
    write_clip,
)
from tests.conftest import RUN01, assert_one_line_error, run_cli, sample

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips

#: Stores its index (moov) at the end, as most phones do: cut in half, it cannot be opened at all.
#: (run01 stores it first, so its first half still plays.)
RUN06 = "run06_treadmill_side_home_portrait.mp4"
FAST = ("--model", "pose", "--no-video", "--no-report")
HEAVY_MEMORY_BYTES = 1.5 * 2**30  # a 4K clip must analyse in less than this (peak resident memory)


@pytest.fixture(scope="module")
def run01_2s():
    """The first 2 s of run01 (120 frames at 60 fps), 480 pixels high, and their times (s)."""
    return sample_frames(sample(RUN01), max_frames=120, max_height=480)


def fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 and modification time (ns) of a file: both must survive an analysis."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def staging_leftovers(out: Path) -> list[Path]:
    """Hidden temporary folders of ``out`` (``.OUT.*.partial``) left beside it."""
    return sorted(out.parent.glob(f".{out.name}.*"))


def analyse(clip: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    """``formcheck analyze CLIP -o OUT OPTIONS``; checks what every run must leave true whatever
    happens: the clip unchanged, no traceback, no temporary folder left behind."""
    before = fingerprint(clip) if clip.is_file() else None
    result = run_cli("analyze", clip, "-o", out, *options)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert staging_leftovers(out) == []
    if before is not None:
        assert fingerprint(clip) == before
    return result


def assert_complete(out: Path) -> dict:
    """``out`` holds every file its summary.json lists; returns the summary."""
    summary = json.loads((out / "summary.json").read_text())
    assert all((out / name).is_file() for name in summary["files"]), summary["files"]
    return summary


def assert_analysed_with_warning(result: subprocess.CompletedProcess, out: Path, phrase: str) -> dict:
    """Exit 0, a complete folder, and a warning holding ``phrase`` both in summary.json and as one
    ``warning:`` line on stderr; returns the summary."""
    assert result.returncode == 0, result.stderr
    summary = assert_complete(out)
    assert any(phrase in w for w in summary["warnings"]), summary["warnings"]
    assert any(line.startswith("warning: ") and phrase in line for line in result.stderr.splitlines()), result.stderr
    return summary


# Files that cannot be analysed at all: each is made from a real clip into ``folder`` by ``make``.

def _cut_before_its_index(folder: Path) -> Path:
    return first_half(sample(RUN06), folder / "cut.mp4")


def _sound_only(folder: Path) -> Path:
    return audio_only(sample(RUN01), folder / "sound.m4a")


def _png(folder: Path) -> Path:
    return still_image(sample(RUN01), folder / "frame.png", "PNG")


def _jpeg(folder: Path) -> Path:
    return still_image(sample(RUN01), folder / "frame.jpg", "JPEG")


def _png_named_mp4(folder: Path) -> Path:
    return still_image(sample(RUN01), folder / "frame.mp4", "PNG")


def _zero_bytes(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def _text_named_mov(folder: Path) -> Path:
    path = folder / "notes.mov"
    path.write_text("splits: 4:05, 4:02, 3:58\n" * 50)
    return path


def _one_frame(folder: Path) -> Path:
    frames, times = sample_frames(sample(RUN01), max_frames=1, max_height=480)
    return write_clip(folder / "one_frame.mp4", frames, times)


UNUSABLE = [
    pytest.param(_cut_before_its_index, "probably incomplete", id="truncated-index-at-end"),
    pytest.param(_sound_only, "holds no video stream", id="audio-only"),
    pytest.param(_png, "is a still image (png)", id="png"),
    pytest.param(_jpeg, "is a still image (jpeg)", id="jpeg"),
    pytest.param(_png_named_mp4, "is a still image (png)", id="png-named-mp4"),
    pytest.param(_zero_bytes, "empty (0 bytes)", id="zero-bytes"),
    pytest.param(_text_named_mov, "not a readable video", id="text-named-mov"),
    pytest.param(_one_frame, "holds a single frame", id="one-frame"),
]


@pytest.mark.parametrize("make, phrase", UNUSABLE)
def test_a_file_that_cannot_be_analysed_gets_one_line_and_the_video_exit_code(tmp_path, make, phrase):
    clip = make(tmp_path)
    result = analyse(clip, tmp_path / "out", *FAST)
    assert_one_line_error(result, clip.name, phrase)
    assert result.returncode == VideoError.exit_code
    assert not (tmp_path / "out").exists()


# Files that can be partly read, or are unusual but fine: analysed, with a warning where data was lost.

def test_a_clip_cut_off_mid_stream_is_analysed_up_to_the_cut(tmp_path):
    clip = first_half(sample(RUN01), tmp_path / "cut.mp4")
    result = analyse(clip, tmp_path / "out", *FAST, "--every", "4", "--max-height", "480")
    summary = assert_analysed_with_warning(result, tmp_path / "out", "probably incomplete")
    assert summary["analysed_time_s"][1] < summary["clip"]["duration_s"] - 1  # the lost second half


def test_damaged_bytes_in_the_middle_cost_only_the_frames_they_hit(tmp_path):
    clip = corrupt_middle(sample(RUN01), tmp_path / "damaged.mp4")
    every = 6
    result = analyse(clip, tmp_path / "out", *FAST, "--every", str(every), "--max-height", "480")
    summary = assert_analysed_with_warning(result, tmp_path / "out", "damaged frame")
    damaged = re.search(r"between ([\d.]+) and ([\d.]+) s", " ".join(summary["warnings"]))
    times = pd.read_csv(tmp_path / "out" / "track_raw.csv")["time_s"]
    assert damaged and times.iloc[0] < float(damaged[1]) and times.iloc[-1] > float(damaged[2]) + 1
    assert summary["frames_analysed"] < -(-summary["clip"]["frame_count"] // every)  # the damaged ones are not


def test_a_real_clip_with_an_unknown_extension_is_judged_by_its_content(tmp_path, run01_2s):
    frames, times = run01_2s
    clip = write_clip(tmp_path / "run.mp4", frames[:30], times[:30]).rename(tmp_path / "run.xyz")
    result = analyse(clip, tmp_path / "out", *FAST)
    assert result.returncode == 0, result.stderr
    assert assert_complete(tmp_path / "out")["frames_analysed"] == 15  # 30 frames at 60 fps, seen at 30 a second


@pytest.mark.parametrize("fps", [120, 240])
def test_high_frame_rate_clips_keep_their_real_timestamps(tmp_path, run01_2s, fps):
    frames = run01_2s[0][:60]  # 1 s of running, shown in 0.5 s or 0.25 s: the runner looks 2x or 4x faster
    clip = write_clip(tmp_path / f"run_{fps}fps.mp4", frames, np.arange(len(frames)) / fps)
    result = analyse(clip, tmp_path / "out", *FAST)
    assert result.returncode == 0, result.stderr
    summary = assert_complete(tmp_path / "out")
    assert summary["decode_warnings"] == []
    raw = pd.read_csv(tmp_path / "out" / "track_raw.csv")
    assert summary["pose_every"] == fps // 30  # the model sees 30 frames a second
    np.testing.assert_allclose(np.diff(raw["time_s"]), summary["pose_every"] / fps, rtol=1e-3)
    smooth = pd.read_csv(tmp_path / "out" / "track_smooth.csv")
    found = raw["left_shoulder_x_px"].notna()  # not in the clip's first moments: the runner is being chosen
    assert found.any() and smooth.loc[found, "left_shoulder_x_px"].notna().mean() > 0.9
    print(f"{fps} fps: cadence {summary['strides']['cadence_spm']}, warnings {summary['warnings']}")


def test_ten_bit_hevc_is_decoded_and_analysed(tmp_path, run01_2s):
    if not can_encode("libx265", "yuv420p10le"):
        pytest.skip("PyAV's FFmpeg has no 10-bit libx265 encoder to make the clip with")
    frames, times = run01_2s
    clip = write_clip(tmp_path / "hevc10.mp4", frames[:30], times[:30], codec="libx265", pix_fmt="yuv420p10le")
    result = analyse(clip, tmp_path / "out", *FAST)
    assert result.returncode == 0, result.stderr
    summary = assert_complete(tmp_path / "out")
    assert (summary["clip"]["codec"], summary["clip"]["pixel_format"]) == ("hevc", "yuv420p10le")
    assert summary["frames_analysed"] == 15 and summary["coverage"]["person"] > 0.5  # 30 frames at 60 fps


def run_cli_measuring_memory(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """``python -m formcheck ARGS`` and the peak resident memory (bytes) of that process alone."""
    with open(folder / "stdout", "w+") as out, open(folder / "stderr", "w+") as err:
        process = subprocess.Popen([sys.executable, "-m", "formcheck", *map(str, args)], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    return result, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # macOS: bytes; Linux: KiB


def test_a_4k_clip_is_analysed_in_bounded_memory_and_its_overlay_is_capped(tmp_path):
    clip = upscaled_clip(sample(RUN01), tmp_path / "run_4k.mp4", factor=2, max_frames=60)  # 1 s, 2160x3840
    before = fingerprint(clip)
    out = tmp_path / "out"
    result, peak = run_cli_measuring_memory(tmp_path, "analyze", clip, "-o", out, "--model", "pose", "--no-report")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert fingerprint(clip) == before and staging_leftovers(out) == []
    summary = assert_complete(out)
    assert (summary["clip"]["width"], summary["clip"]["height"]) == (2160, 3840)
    cap = Config().overlay.max_height
    with av.open(str(out / "overlay.mp4")) as overlay:
        stream = overlay.streams.video[0]
        assert stream.codec_context.height == cap and stream.codec_context.width == pytest.approx(cap * 9 / 16, abs=2)
    assert peak < HEAVY_MEMORY_BYTES
    print(f"4K: peak memory {peak / 2**20:.0f} MiB")


# Interrupted runs: Ctrl-C in a terminal, and a crash (SIGKILL).

@pytest.fixture
def start_in_terminal():
    """start(*ARGS) -> (process, fd): ``python -m formcheck ARGS`` with stderr on a pseudo-terminal, as
    in a user's shell (so the progress bars are drawn), and Ctrl-C (SIGINT) handled as Python does by
    default; fd is the terminal's reading end. Each starts a process group of its own (a terminal's
    job: ``os.killpg`` reaches it and its workers). Processes still running at the end are killed."""
    started = []

    def start(*args: str) -> tuple[subprocess.Popen, int]:
        reader, writer = pty.openpty()
        # A shell running the tests in the background may have set SIGINT to be ignored, which
        # children inherit and Python then keeps: give the child the disposition of a foreground command.
        process = subprocess.Popen([sys.executable, "-m", "formcheck", *map(str, args)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=writer, text=True, start_new_session=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        os.close(writer)
        started.append((process, reader))
        return process, reader

    yield start
    for process, reader in started:
        process.kill()
        process.wait()
        process.stdout.close()
        os.close(reader)


def read_terminal(reader: int, until: str | None = None, timeout_s: float = 120) -> str:
    """Text written to the terminal, without escape codes, read until the regular expression
    ``until`` matches it (None: until the process closes it), for at most ``timeout_s``."""
    data = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if select.select([reader], [], [], 0.1)[0]:
            try:
                chunk = os.read(reader, 4096)
            except OSError:  # the process has exited and closed the terminal
                break
            if not chunk:
                break
            data += chunk
        if until is not None and re.search(until, data.decode(errors="replace")):
            break
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", data.decode(errors="replace"))


def message_lines(terminal_text: str) -> list[str]:
    """The lines of terminal output that are not progress bars (drawn with ━) or blank."""
    lines = (line.strip() for line in re.split(r"[\r\n]+", terminal_text))
    return [line for line in lines if line and "━" not in line]


#: Progress bars drawn during the two long phases (each once its first frame is done), the options
#: that make the run reach them (the overlay draws every frame, even with --every 2), and how many
#: times the clip plays run01's first 2 s (twice: long enough to be searched in two parts at once).
#: With the report, the plots are being drawn in a forked child while the overlay is written.
PHASES = [pytest.param("finding the runner in", FAST, 1, id="mid-pose"),
          pytest.param("finding the runner in", FAST, 2, id="mid-pose-two-parts"),
          pytest.param("drawing overlay.mp4", ("--model", "pose", "--no-report", "--every", "2"), 1, id="mid-writing"),
          pytest.param("drawing overlay.mp4", ("--model", "pose", "--every", "2"), 1, id="mid-writing-plots-child")]


@pytest.mark.parametrize("phase, options, plays", PHASES)
def test_ctrl_c_leaves_nothing_and_a_rerun_works(tmp_path, run01_2s, start_in_terminal, phase, options, plays):
    frames, times = run01_2s
    span = times[-1] - times[0] + (times[1] - times[0])
    clip = write_clip(tmp_path / "run.mp4", frames * plays, [t + k * span for k in range(plays) for t in times])
    before = fingerprint(clip)
    out = tmp_path / "out"
    process, terminal = start_in_terminal("analyze", clip, "-o", out, *options)
    seen = read_terminal(terminal, until=phase)
    assert phase in seen
    process.send_signal(signal.SIGINT)
    seen += read_terminal(terminal)
    assert process.wait(timeout=60) == 130
    assert process.stdout.read() == "" and "Traceback" not in seen
    assert message_lines(seen) == ["formcheck: interrupted; no output folder was left half-written"]
    assert not out.exists() and staging_leftovers(out) == []
    rerun = analyse(clip, out, *FAST, "--every", "4")
    assert rerun.returncode == 0, rerun.stderr
    assert assert_complete(out)["frames_analysed"] == plays * len(frames) // 4
    assert fingerprint(clip) == before


def test_ctrl_c_in_a_batch_stops_every_worker_and_leaves_no_partial_folder(tmp_path, run01_2s, start_in_terminal):
    folder = tmp_path / "clips"
    folder.mkdir()
    clips = [write_clip(folder / f"run{i}.mp4", *run01_2s) for i in range(3)]
    before = [fingerprint(clip) for clip in clips]
    out = tmp_path / "out"
    process, terminal = start_in_terminal("analyze", folder, "-o", out, "--jobs", "2", *FAST)
    seen = read_terminal(terminal, until=r"analysing 3 clips.* [1-9][0-9]*/[0-9]+")  # frames are being searched
    assert "analysing 3 clips" in seen
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches every process of the job
    seen += read_terminal(terminal, timeout_s=60)
    assert process.wait(timeout=60) == 130
    assert "Traceback" not in seen
    assert message_lines(seen)[-1] == "formcheck: interrupted; no output folder was left half-written"
    assert not out.exists() or sorted(out.iterdir()) == []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers exit too, none is left analysing
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("worker processes still running after the interrupt")
    assert [fingerprint(clip) for clip in clips] == before


def test_a_crash_while_writing_leaves_only_a_hidden_partial_folder_that_the_rerun_removes(tmp_path, run01_2s,
                                                                                          start_in_terminal):
    clip = write_clip(tmp_path / "run.mp4", *run01_2s)
    out = tmp_path / "out"
    phase, options, _ = PHASES[-1].values  # killed while the output folder is being written
    process, terminal = start_in_terminal("analyze", clip, "-o", out, *options)
    seen = read_terminal(terminal, until=phase)
    process.kill()
    process.wait(timeout=60)
    assert phase in seen
    assert not out.exists()
    [leftover] = staging_leftovers(out)
    assert leftover.name.startswith(f".{out.name}.") and leftover.name.endswith(".partial")
    rerun = analyse(clip, out, *FAST, "--every", "4")  # also checks that the leftover is gone
    assert rerun.returncode == 0, rerun.stderr
    assert_complete(out)


def test_only_stale_partial_folders_of_the_same_output_are_removed(tmp_path):
    out = tmp_path / "out"
    names = [".out.deadrun1.partial", ".out.liverun1.partial", ".out.newerrun.partial",
             ".out.formcheck.deadrun2.partial", ".other.deadrun3.partial", ".out.usersdir.partial",
             ".out.comparis.partial"]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "track_raw.csv").write_text("time_s\n")
        if name != ".out.usersdir.partial":  # named like formcheck's, but not marked as its own: kept
            write_marker(tmp_path / name, COMPARISON if "comparis" in name else ANALYSIS)
    for name in names[:2] + names[3:]:  # made by runs started an hour ago
        os.utime(tmp_path / name, (time.time() - 3600,) * 2)
    os.utime(tmp_path / names[2], (time.time() + 3600,) * 2)  # changed after this run began
    live = os.open(tmp_path / names[1], os.O_RDONLY)
    fcntl.flock(live, fcntl.LOCK_EX)  # a run still writing holds its folder's lock
    try:
        with atomic_output_dir(out, ANALYSIS) as staging:
            (staging / "summary.json").write_text("{}")
    finally:
        os.close(live)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", *names[1:]])
