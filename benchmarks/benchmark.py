"""Speed and memory of formcheck against the model's floor and a naive script, on one clip.

Every variant runs in its own child process, so its wall time includes what a user waits for, and its
peak RSS and CPU time (user + system; ``os.wait4``'s rusage of that one child and the children it
waited for) are its own. CPU time over the machine's cores is the shortest wall time the same work
could take here, with every core busy from start to end:

- ``bare``: the MediaPipe graph formcheck runs, alone (Holistic without its face mesh,
  ``formcheck.pose.mediapipe_backend.holistic_without_face``; MediaPipe's own Holistic for a
  formcheck that predates it), with the options of formcheck's backend and the frame's real
  timestamp fed as formcheck does, on RGB frames decoded beforehand with formcheck's ``VideoReader``
  and held in memory (decoding is not timed). Its time is model loading plus the ``process()``
  calls: the floor set by one graph (formcheck runs two at once on a clip of 3 s or more, so it
  can come in under it). Its RSS includes the decoded frames.
- ``bare-holistic``: the same with MediaPipe's own Holistic (face mesh included), the graph most
  scripts run; shown for information (what dropping the face mesh saves).
- ``naive``: the loop most running-form scripts use: ``cv2.VideoCapture`` read, BGR->RGB, Holistic
  (default options), ``drawing_utils.draw_landmarks`` (pose and hands), ``cv2.VideoWriter`` ``mp4v``.
  Timed as a whole process (interpreter start, imports, loop), like the formcheck variants.
- ``analyze``, ``analyze-novideo``, ``analyze-novideo-noreport``: ``python -m formcheck analyze CLIP
  -o TMP --fresh`` with overlay+report / ``--no-video`` / ``--no-video --no-report``.
- ``reanalyze-novideo-noreport``, ``reanalyze-novideo``, ``reanalyze-video``: ``formcheck analyze``
  on a copy of an output folder already holding the clip's landmarks, without ``--fresh`` and with a
  changed threshold (``--config`` with ``[segments] noise_factor = 1.5``): the saved track is re-used
  (checked in summary.json) and only cleaning, measuring and writing run.
- ``reanalyze-session``: the same re-analysis (``--no-video``, report kept) as a notebook user runs it
  while tuning thresholds: in one Python process, ``formcheck.analyze`` once with ``noise_factor =
  1.5`` (untimed: the session's imports, matplotlib included), then timed with ``noise_factor = 1.7``.
- ``max-height-720``, ``every-1``: ``analyze --no-video --no-report --fresh`` with ``--max-height 720``
  / ``--every 1`` (the model on every frame, where the default sees 30 frames a second: the
  targets compare ``analyze``'s clip medians and verdict with it), and ``video-height-960``: ``analyze --fresh`` (overlay + report) with a smaller
  overlay, ``--video-height 960``; each when ``formcheck analyze --help`` lists the option (skipped
  otherwise).
- ``long-novideo``, ``long-video`` (``--long``): ``analyze --fresh [--no-video --no-report]`` on the
  clip, on the clip re-encoded once (same encoder as the long one) and on a 5-minute clip made by
  looping it (H.264 via PyAV, same size and frame rate, timestamps continuing; cached in the temp
  folder). Peak RSS of the long clip should stay within 10% of the original's. Run once each
  (``--long-repeats``).

Repeats run round-robin (variant A, B, C, then again), so a background load (a CI job on this
2-core machine) spreads over all variants; the table shows medians. A formcheck run that fails (the
code may be mid-edit) is retried after a minute, up to three times.

Usage::

    .venv/bin/python benchmarks/benchmark.py [--clip run01] [--repeats 3] [--long] \\
        [--only bare,naive,analyze,...] [--out table.md] [--tmp DIR]

``--clip`` takes a path or the start of a sample clip's name in ../shared/sample_videos.
Generated clips and output folders go to DIR (default: the system temp folder), never the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: The first line of the report; ``--out`` overwrites only a file that starts with it.
REPORT_TITLE = "# formcheck benchmark"
REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "sample_videos"
DEFAULT_CLIP = "run01"
LONG_SECONDS = 300.0
RETRIES, RETRY_WAIT_S = 3, 60.0
RESULT_TAG = "BENCHMARK_RESULT "
REANALYSIS_TOML = "[segments]\nnoise_factor = 1.5\n"
SESSION_NOISE_FACTORS = (1.5, 1.7)  # reanalyze-session: the untimed call, then the timed one
FRAME_BUDGET_BYTES = 4 << 30  # bare: decode at most this much ahead of inference (all of a short clip)

# The options of formcheck's MediaPipe backend (formcheck/pose/mediapipe_backend.py).
HOLISTIC_OPTIONS = dict(static_image_mode=False, model_complexity=1, smooth_landmarks=False,
                        enable_segmentation=False, min_detection_confidence=0.5, min_tracking_confidence=0.5)


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    kind: str  # "child" (bare, naive), "fresh" (formcheck --fresh), "reuse" / "session" (re-analysis), "long"
    args: tuple[str, ...] = ()
    needs: str | None = None  # a formcheck analyze option that must exist


NOVIDEO = ("--no-video", "--no-report")
VARIANTS = [
    Variant("bare", "formcheck's graph: process() on frames in memory (floor)", "child"),
    Variant("bare-holistic", "the same with MediaPipe's own Holistic (face mesh too)", "child"),
    Variant("naive", "cv2 read -> Holistic -> draw_landmarks -> VideoWriter mp4v", "child"),
    Variant("analyze", "formcheck analyze --fresh (overlay + report)", "fresh", ()),
    Variant("analyze-novideo", "formcheck analyze --fresh --no-video", "fresh", ("--no-video",)),
    Variant("analyze-novideo-noreport", "formcheck analyze --fresh --no-video --no-report", "fresh", NOVIDEO),
    Variant("reanalyze-novideo-noreport", "re-analysis, saved track, --no-video --no-report", "reuse", NOVIDEO),
    Variant("reanalyze-novideo", "re-analysis, saved track, --no-video (report kept)", "reuse", ("--no-video",)),
    Variant("reanalyze-video", "re-analysis, saved track, overlay + report", "reuse", ()),
    Variant("reanalyze-session", "re-analysis in a running Python session (Jupyter), --no-video", "session"),
    Variant("max-height-720", "analyze --fresh --no-video --no-report --max-height 720", "fresh",
            NOVIDEO + ("--max-height", "720"), needs="--max-height"),
    Variant("every-1", "analyze --fresh --no-video --no-report --every 1 (the model on every frame)", "fresh",
            NOVIDEO + ("--every", "1"), needs="--every"),
    Variant("video-height-960", "analyze --fresh --video-height 960 (overlay + report)", "fresh",
            ("--video-height", "960"), needs="--video-height"),
    Variant("long-novideo", "analyze --fresh --no-video --no-report, clip vs 5-minute loop", "long", NOVIDEO),
    Variant("long-video", "analyze --fresh (overlay + report), clip vs 5-minute loop", "long", ()),
]
BY_NAME = {v.name: v for v in VARIANTS}
REUSE_BASE = "analyze-novideo-noreport"  # its output folder is the saved track the re-analyses start from


@dataclass
class Run:
    """One child process: wall time (s), peak RSS (MiB), CPU time (s: user + system, its waited-for
    children included) and what the child or summary.json reported."""

    wall_s: float
    rss_mib: float
    cpu_s: float
    info: dict = field(default_factory=dict)


@dataclass
class Row:
    variant: Variant
    clip_label: str
    frames: int
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    def median(self, key: str) -> float:
        values = [getattr(r, key) if key in ("wall_s", "rss_mib", "cpu_s") else r.info.get(key) for r in self.runs]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else math.nan

    @property
    def timed_apart(self) -> bool:
        """The child timed its own work (bare: model load + process(); reanalyze-session: the call)."""
        return any("timed_s" in r.info for r in self.runs)

    @property
    def wall(self) -> float:
        """The time the child timed apart, else the child process's wall."""
        return self.median("timed_s") if self.timed_apart else self.median("wall_s")

    @property
    def cpu(self) -> float:
        """CPU seconds of what ``wall`` times."""
        return self.median("timed_cpu_s") if self.timed_apart else self.median("cpu_s")


def cpu_time() -> float:
    """CPU seconds (user + system) of this process and of the children it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# ----------------------------------------------------------------------------------------------
# Child work (run as ``benchmark.py --_child NAME``): imports happen here, not at module level.
# ----------------------------------------------------------------------------------------------

def child_bare(clip: Path, stock: bool) -> dict:
    """formcheck's graph (or with ``stock`` MediaPipe's own Holistic) on frames decoded beforehand (in
    chunks of at most FRAME_BUDGET_BYTES), timed apart."""
    from mediapipe.python.solutions import holistic

    from formcheck.io.video import VideoReader
    from formcheck.pose import mediapipe_backend

    started, cpu_started = time.perf_counter(), cpu_time()
    if stock or not hasattr(mediapipe_backend, "holistic_without_face"):
        solution = holistic.Holistic(**HOLISTIC_OPTIONS)
    else:
        solution = mediapipe_backend.holistic_without_face(HOLISTIC_OPTIONS["min_detection_confidence"],
                                                           HOLISTIC_OPTIONS["min_tracking_confidence"])
    load_s, cpu_s = time.perf_counter() - started, cpu_time() - cpu_started
    infer_s = decode_s = 0.0
    frames = 0
    with VideoReader(clip) as reader:
        decoded = reader.frames()
        while True:
            chunk = None  # free the previous chunk before decoding the next
            chunk, size = [], 0
            started = time.perf_counter()
            for frame in decoded:
                chunk.append((frame.time_s, frame.rgb))
                size += frame.rgb.nbytes
                if size >= FRAME_BUDGET_BYTES:
                    break
            decode_s += time.perf_counter() - started
            if not chunk:
                break
            started, cpu_started = time.perf_counter(), cpu_time()
            for time_s, rgb in chunk:
                # as formcheck's backend does: the packet carries the frame's real presentation time
                solution._simulated_timestamp = int(round(time_s * 1e6)) - 33333
                solution.process(rgb)
            infer_s += time.perf_counter() - started
            cpu_s += cpu_time() - cpu_started
            frames += len(chunk)
    solution.close()
    return {"frames": frames, "load_s": load_s, "infer_s": infer_s, "timed_s": load_s + infer_s,
            "timed_cpu_s": cpu_s, "decode_s": decode_s}


def child_reanalysis_in_session(clip: Path, out: Path) -> dict:
    """Two re-analyses of ``out`` (a copy of a folder holding the clip's landmarks) in this process,
    as a notebook user tuning a threshold runs them; the second is timed."""
    import dataclasses

    import formcheck
    from formcheck.config import Config

    config = Config()
    seconds, cpu_seconds = [], []
    for noise_factor in SESSION_NOISE_FACTORS:
        changed = dataclasses.replace(config, segments=dataclasses.replace(config.segments, noise_factor=noise_factor))
        started, cpu_started = time.perf_counter(), cpu_time()
        formcheck.analyze(clip, changed, out, video=False)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(cpu_time() - cpu_started)
    return {"first_s": seconds[0], "timed_s": seconds[1], "timed_cpu_s": cpu_seconds[1]}


def child_naive(clip: Path, out: Path) -> dict:
    """The naive reference script, as written in most running-form tutorials."""
    started = time.perf_counter()
    import cv2
    import mediapipe as mp

    import_s = time.perf_counter() - started
    started = time.perf_counter()
    mp_holistic, mp_drawing = mp.solutions.holistic, mp.solutions.drawing_utils
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    frames = 0
    with mp_holistic.Holistic(model_complexity=1) as holistic:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            results = holistic.process(rgb)
            mp_drawing.draw_landmarks(frame, results.pose_landmarks, mp_holistic.POSE_CONNECTIONS)
            mp_drawing.draw_landmarks(frame, results.left_hand_landmarks, mp_holistic.HAND_CONNECTIONS)
            mp_drawing.draw_landmarks(frame, results.right_hand_landmarks, mp_holistic.HAND_CONNECTIONS)
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
            writer.write(frame)
            frames += 1
    cap.release()
    if writer is not None:
        writer.release()
    loop_s = time.perf_counter() - started
    return {"frames": frames, "import_s": import_s, "loop_s": loop_s, "infer_s": loop_s}


def run_child(name: str, clip: Path, tmp: Path) -> None:
    if name in ("bare", "bare-holistic"):
        result = child_bare(clip, stock=name == "bare-holistic")
    elif name == "naive":
        result = child_naive(clip, tmp / "naive.mp4")
    elif name == "reanalyze-session":
        result = child_reanalysis_in_session(clip, tmp / f"out-{name}")
    else:
        raise SystemExit(f"unknown child {name!r}")
    print(RESULT_TAG + json.dumps(result), flush=True)


# ----------------------------------------------------------------------------------------------
# Measuring child processes
# ----------------------------------------------------------------------------------------------

def measure(cmd: list[str], logs: Path, cwd: Path) -> tuple[Run, int]:
    """Run ``cmd``; its wall time, its own peak RSS and CPU time (wait4's rusage, so only this child and
    the children it waited for), exit code."""
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "stdout.txt", "w") as out, open(logs / "stderr.txt", "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    info = {}
    for line in (logs / "stdout.txt").read_text(errors="replace").splitlines():
        if line.startswith(RESULT_TAG):
            info = json.loads(line[len(RESULT_TAG):])
    return (Run(wall_s=wall, rss_mib=usage.ru_maxrss / 1024.0,  # KiB on Linux
                cpu_s=usage.ru_utime + usage.ru_stime, info=info), proc.returncode)


def measure_with_retries(cmd: list[str], logs: Path, cwd: Path, label: str, before=None) -> Run | None:
    """``measure``, retried after RETRY_WAIT_S when the child fails (formcheck may be mid-edit)."""
    for attempt in range(1, RETRIES + 1):
        if before is not None:
            before()
        run, code = measure(cmd, logs, cwd)
        if code == 0:
            return run
        tail = (logs / "stderr.txt").read_text(errors="replace").strip().splitlines()[-8:]
        tail += (logs / "stdout.txt").read_text(errors="replace").strip().splitlines()[-3:]
        print(f"    ! {label}: exit code {code} (attempt {attempt}/{RETRIES}):", flush=True)
        for line in tail:
            print(f"      | {line[:200]}", flush=True)
        if attempt < RETRIES:
            print(f"      retrying in {RETRY_WAIT_S:.0f} s", flush=True)
            time.sleep(RETRY_WAIT_S)
    return None


def formcheck_cmd(clip: Path, out: Path, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "formcheck", "analyze", str(clip), "-o", str(out), *args]


def child_cmd(name: str, clip: Path, tmp: Path) -> list[str]:
    """This script run as the child ``name`` (see :func:`run_child`), its work folder ``tmp``."""
    return [sys.executable, str(Path(__file__).resolve()), "--_child", name, "--clip", str(clip), "--tmp", str(tmp)]


def read_summary(out: Path) -> dict:
    try:
        return json.loads((out / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def summary_info(out: Path) -> dict:
    summary = read_summary(out)
    timings = summary.get("timings", {})
    return {"pose_reused": summary.get("pose_reused"), "cleaning_reused": summary.get("cleaning_reused"),
            "frames_analysed": summary.get("frames_analysed"),
            "infer_s": None if summary.get("pose_reused") else timings.get("pose_s"),
            "verdict": summary.get("verdict"), "cadence_spm": summary.get("strides", {}).get("cadence_spm"),
            "medians": {name: m.get("median") for name, m in summary.get("metrics", {}).items()}}


def accuracy_against_every_frame(measured: Run, every_frame: Run) -> tuple[float, str]:
    """How far the clip medians of ``measured`` are from those of the model on every frame: the
    largest change over the allowed one (degrees: 1 deg; ratios and cadence: 3% of the every-frame
    value), so <= 1 is within every limit; and what it was, worded (NaN and "" when not measured)."""
    worst, words = math.nan, []
    pairs = list(every_frame.info.get("medians", {}).items()) + [("cadence_spm", every_frame.info.get("cadence_spm"))]
    for name, reference in pairs:
        value = (measured.info.get("medians", {}).get(name) if name != "cadence_spm"
                 else measured.info.get("cadence_spm"))
        if reference is None or value is None or not (math.isfinite(reference) and math.isfinite(value)):
            continue
        limit = 1.0 if name.endswith("_deg") else 0.03 * abs(reference)
        share = abs(value - reference) / limit if limit > 0 else math.inf
        if not share <= worst:
            worst = share
            unit = " deg" if name.endswith("_deg") else ""
            words = [f"worst {name} {value - reference:+.3g}{unit}"]
    same = measured.info.get("verdict") == every_frame.info.get("verdict")
    words.append(f"verdict {measured.info.get('verdict')} {'=' if same else '!='} {every_frame.info.get('verdict')}")
    return (worst if same else math.inf), "; ".join(words)


# ----------------------------------------------------------------------------------------------
# Clips
# ----------------------------------------------------------------------------------------------

def resolve_clip(name: str) -> Path:
    path = Path(name)
    if path.is_file():
        return path.resolve()
    matches = sorted(SAMPLES.glob(f"{name}*")) if SAMPLES.is_dir() else []
    matches = [m for m in matches if m.suffix.lower() in (".mp4", ".mov", ".m4v", ".mkv")]
    if len(matches) != 1:
        found = ", ".join(m.name for m in matches) or "none"
        raise SystemExit(f"--clip {name!r}: not a file, and sample clips starting with it in {SAMPLES}: {found}")
    return matches[0]


def count_frames(clip: Path) -> int:
    """Frames formcheck's VideoReader yields: decoded frames with strictly increasing timestamps."""
    import av

    count, last = 0, -math.inf
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if frame.time is not None and frame.time > last:
                    count, last = count + 1, frame.time
        except av.error.FFmpegError:
            pass
    return count


def sha256_short(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:12]


def build_long_clips(clip: Path, cache: Path, seconds: float = LONG_SECONDS) -> tuple[Path, int, Path, int]:
    """The clip re-encoded once (H.264 via PyAV, upright, same size, frame rate and timestamps), and that
    encoding looped to at least ``seconds`` in whole loops (packets copied with timestamps continuing
    from loop to loop: each loop starts on an IDR frame, so the stream decodes as one clip). Cached in
    ``cache``. Returns (once, its frames, long, its frames)."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = f"{clip.stem}-{sha256_short(clip)}"
    once, long = cache / f"{stem}-x1.mp4", cache / f"{stem}-{seconds:.0f}s.mp4"
    meta = cache / f"{stem}-{seconds:.0f}s.json"
    if once.is_file() and long.is_file() and meta.is_file():
        facts = json.loads(meta.read_text())
        return once, facts["once_frames"], long, facts["long_frames"]

    import av

    from formcheck.io.video import VideoReader

    started = time.perf_counter()
    partial = once.with_suffix(".partial.mp4")
    time_base = Fraction(1, 90000)
    with VideoReader(clip) as reader, av.open(str(partial), mode="w") as output:
        width, height = reader.output_size
        fps = reader.info.average_fps if math.isfinite(reader.info.average_fps) else 30.0
        print(f"  re-encoding {clip.name} ({width}x{height}, {fps:g} fps) with libx264...", flush=True)
        stream = output.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        stream.options = {"crf": "20", "preset": "veryfast"}
        first = None
        for frame in reader.frames():
            first = frame.time_s if first is None else first
            video_frame = av.VideoFrame.from_ndarray(frame.rgb, format="rgb24")
            video_frame.pts, video_frame.time_base = round((frame.time_s - first) / time_base), time_base
            for packet in stream.encode(video_frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    partial.replace(once)

    with av.open(str(once)) as source:
        packets = [p for p in source.demux(source.streams.video[0]) if p.size]
        in_stream = source.streams.video[0]
        pts = sorted(p.pts for p in packets)
        step = statistics.median(b - a for a, b in zip(pts, pts[1:]))
        period = pts[-1] - pts[0] + step  # one loop in ticks, including the last frame's duration
        loop_s = float(period * in_stream.time_base)
        loops = math.ceil(seconds / loop_s)
        print(f"  looping it {loops} times ({loops * loop_s:.1f} s)...", flush=True)
        partial = long.with_suffix(".partial.mp4")
        with av.open(str(partial), mode="w") as output:
            out_stream = output.add_stream_from_template(in_stream)
            for loop in range(loops):
                for packet in packets:
                    copy = av.Packet(bytes(packet))
                    copy.pts, copy.dts = packet.pts + loop * period, packet.dts + loop * period
                    copy.duration, copy.is_keyframe = packet.duration, packet.is_keyframe
                    copy.time_base, copy.stream = in_stream.time_base, out_stream
                    output.mux(copy)
    partial.replace(long)
    once_frames, long_frames = count_frames(once), count_frames(long)
    meta.write_text(json.dumps({"once_frames": once_frames, "long_frames": long_frames, "source": str(clip)}))
    print(f"  built in {time.perf_counter() - started:.0f} s: {once_frames} and {long_frames} frames", flush=True)
    return once, once_frames, long, long_frames


# ----------------------------------------------------------------------------------------------
# Machine facts, table, targets
# ----------------------------------------------------------------------------------------------

def _version(*names: str) -> str:
    for name in names:
        try:
            return f"{version(name)} ({name})" if len(names) > 1 else version(name)
        except PackageNotFoundError:
            continue
    return "not installed"


def usable_cores() -> int:
    """The logical cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def machine_facts() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return [
        f"- CPU: {os.cpu_count()} logical cores ({usable_cores()} usable), {cpu}; memory {memory}",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- Python {platform.python_version()} ({sys.executable}), {platform.platform()}",
        f"- mediapipe {_version('mediapipe')}, av {_version('av')}, opencv "
        f"{_version('opencv-contrib-python', 'opencv-python', 'opencv-python-headless')}, "
        f"numpy {_version('numpy')}, formcheck {_version('formcheck')}",
    ]


def fmt(value: float, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:{spec}}{suffix}"


def main_table(rows: list[Row], bare: float, naive: float) -> list[str]:
    lines = ["| variant | what | runs | wall s (median) | wall range | frames/s | x bare | x naive "
             "| CPU s | cores busy | peak RSS MiB | inference s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if row.variant.kind == "long":
            continue
        if not row.runs:
            lines.append(f"| {row.variant.name} | {row.variant.what} | 0 | {row.note or 'failed'} "
                         "| | | | | | | | |")
            continue
        walls = [r.info["timed_s"] if row.timed_apart else r.wall_s for r in row.runs]
        wall = row.wall
        lines.append(
            f"| {row.variant.name} | {row.variant.what}{' (' + row.note + ')' if row.note else ''} "
            f"| {len(row.runs)} | {fmt(wall)} | {fmt(min(walls))}-{fmt(max(walls))} "
            f"| {fmt(row.frames / wall, '.1f')} | {fmt(wall / bare, '.2f')} | {fmt(wall / naive, '.2f')} "
            f"| {fmt(row.cpu, '.1f')} | {fmt(row.cpu / wall, '.2f')} "
            f"| {fmt(row.median('rss_mib'), '.0f')} | {fmt(row.median('infer_s'))} |")
    return lines


def long_table(rows: list[Row]) -> list[str]:
    lines = ["| variant | clip | frames | wall s | frames/s | peak RSS MiB | RSS / original |",
             "|---|---|---:|---:|---:|---:|---:|"]
    originals = {r.variant.name: r.median("rss_mib") for r in rows if r.variant.kind == "long" and r.clip_label == "original"}
    for row in rows:
        if row.variant.kind != "long":
            continue
        rss = row.median("rss_mib")
        ratio = rss / originals.get(row.variant.name, math.nan)
        lines.append(f"| {row.variant.name} | {row.clip_label} | {row.frames} | {fmt(row.wall)} "
                     f"| {fmt(row.frames / row.wall, '.1f')} | {fmt(rss, '.0f')} | {fmt(ratio, '.3f')} |")
    return lines


def targets(rows: list[Row], bare: float, naive: float, clip: Path) -> list[str]:
    """PASS/FAIL per target; a target whose variants were not run shows n/a."""
    nan = math.nan
    measured = [r for r in rows if r.variant.kind != "long" and r.runs]
    walls = {r.variant.name: r.wall for r in measured}
    cpus = {r.variant.name: r.cpu for r in measured}
    lines = ["| target | measured | limit | result |", "|---|---:|---:|---|"]

    def check(name: str, measured: float, ok: bool, shown: str, limit: str) -> None:
        result = "n/a (not measured)" if math.isnan(measured) else ("PASS" if ok else "FAIL")
        lines.append(f"| {name} | {'-' if math.isnan(measured) else shown} | {limit} | {result} |")

    full = walls.get("analyze", nan) / naive
    check("analyze (overlay + report) / naive", full, full <= 0.6, f"{full:.2f}x", "<= 0.6x")
    full = walls.get("analyze", nan) / bare
    check("analyze (overlay + report) / bare (the model on every frame)", full, full <= 1.0, f"{full:.2f}x",
          "<= 1.0x")
    runs = {r.variant.name: r.runs for r in measured}
    if runs.get("analyze") and runs.get("every-1"):
        share, words = accuracy_against_every_frame(runs["analyze"][0], runs["every-1"][0])
        check("analyze's clip medians and verdict against --every 1 (1 = at the limit)", share, share <= 1.0,
              f"{share:.2f} ({words})", "every median within 1 deg / 3%, cadence 3%, same verdict")
    else:
        check("analyze's clip medians and verdict against --every 1", nan, False, "", "within 1 deg / 3%, same verdict")
    rss = {r.variant.name: r.median("rss_mib") for r in measured}.get("analyze", nan)
    check("analyze (overlay + report): peak RSS", rss, rss <= 600, f"{rss:.0f} MiB", "<= 600 MiB")
    cpu = cpus.get("analyze", nan)
    if not math.isnan(cpu):
        cores = usable_cores()
        lines.append(f"| (info) analyze's CPU time spread over all {cores} cores (its wall time with every core "
                     f"busy from start to end) / bare | {cpu / cores / bare:.2f}x ({cpu:.1f} CPU s / {cores}) "
                     "| - | - |")
    if "analyze-novideo-noreport" in walls:
        lines.append(f"| (info) analyze --no-video --no-report / bare | "
                     f"{walls['analyze-novideo-noreport'] / bare:.2f}x | - | - |")
    if "analyze-novideo" in walls:
        lines.append(f"| (info) analyze --no-video (report kept) / bare | {walls['analyze-novideo'] / bare:.2f}x | - | - |")
    if "bare-holistic" in walls:
        stock = walls["bare-holistic"]
        lines.append(f"| (info) bare / bare-holistic (formcheck's graph against MediaPipe's Holistic) "
                     f"| {bare / stock:.2f}x | - | - |")
        for name, label in (("analyze", "analyze (overlay + report)"),
                            ("analyze-novideo-noreport", "analyze --no-video --no-report")):
            if name in walls:
                lines.append(f"| (info) {label} / bare-holistic | {walls[name] / stock:.2f}x | - | - |")
    again = walls.get("reanalyze-novideo", nan)
    note = "" if clip.name.startswith("run01") else " (target set for run01)"
    check(f"re-analysis from saved track, --no-video (report kept){note}", again, again < 2.0, f"{again:.2f} s",
          "< 2 s")
    for name in ("reanalyze-novideo-noreport", "reanalyze-session", "reanalyze-video"):
        if name in walls:
            lines.append(f"| (info) {name} | {walls[name]:.2f} s | - | - |")
    long_label = f"{LONG_SECONDS / 60:.0f}-minute loop"
    for variant in ("long-novideo", "long-video"):
        rss = {r.clip_label: r.median("rss_mib") for r in rows if r.variant.name == variant and r.runs}
        ratio = rss.get(long_label, nan) / rss.get("original", nan)
        check(f"{variant}: peak RSS, 5-minute clip / original", ratio, abs(ratio - 1) <= 0.10,
              f"{ratio:.3f} ({rss.get(long_label, nan):.0f} / {rss.get('original', nan):.0f} MiB)", "1 +- 0.10")
    return lines


# ----------------------------------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------------------------------

def analyze_options() -> str:
    """The text of ``formcheck analyze --help`` (wide, so no option is cut), run outside the project
    like the variants, so a formcheck on PYTHONPATH is the one asked."""
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    for attempt in range(RETRIES):
        proc = subprocess.run([sys.executable, "-m", "formcheck", "analyze", "--help"], capture_output=True,
                              text=True, env=env, cwd=tempfile.gettempdir())
        if proc.returncode == 0:
            return proc.stdout
        time.sleep(RETRY_WAIT_S if attempt < RETRIES - 1 else 0)
    raise SystemExit(f"formcheck analyze --help failed: {proc.stderr.strip()[-500:]}")


def select(args: argparse.Namespace) -> list[Variant]:
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            raise SystemExit(f"--only: unknown variant(s) {unknown}; choose from {', '.join(BY_NAME)}")
        return [v for v in VARIANTS if v.name in names]
    return [v for v in VARIANTS if v.kind != "long" or args.long]


def is_report(path: Path) -> bool:
    """``path`` is a plain file whose first line is :data:`REPORT_TITLE` (an earlier report of this script)."""
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, errors="replace") as f:
        return f.readline().rstrip() == REPORT_TITLE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="variants: " + ", ".join(BY_NAME))
    parser.add_argument("--clip", default=DEFAULT_CLIP, help="clip path, or start of a sample clip's name [run01]")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant, medians reported [3]")
    parser.add_argument("--long", action="store_true", help="also measure peak RSS on a 5-minute looped clip")
    parser.add_argument("--long-repeats", type=int, default=1, help="runs per variant and clip in --long [1]")
    parser.add_argument("--only", help="comma-separated variant names to run (long-* ones imply --long)")
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) to this file")
    parser.add_argument("--tmp", type=Path, help="work folder for outputs and generated clips "
                        "[system temp folder]/formcheck-benchmark")
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    clip = resolve_clip(args.clip)
    if args.out and os.path.lexists(args.out) and not is_report(args.out):
        raise SystemExit(f"--out {args.out}: exists and is not a report of this benchmark, so it is not "
                         "overwritten; give a new file name")
    work = (args.tmp or Path(tempfile.gettempdir()) / "formcheck-benchmark").resolve()
    if work == REPO or REPO in work.parents:
        raise SystemExit(f"--tmp {work}: must be outside the project {REPO}")
    if args._child:
        run_child(args._child, clip, work)
        return

    variants = select(args)
    help_text = analyze_options() if any(v.kind != "child" for v in variants) else ""
    skipped = [v for v in variants if v.needs and v.needs not in help_text]
    variants = [v for v in variants if v not in skipped]
    work.mkdir(parents=True, exist_ok=True)
    session = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    config = session / "reanalysis.toml"
    config.write_text(REANALYSIS_TOML)

    header = [REPORT_TITLE, ""] + machine_facts()
    frames = count_frames(clip)
    header += [f"- clip: {clip.name}: {frames} frames; repeats {args.repeats} (medians)"
               + (f"; long clip runs {args.long_repeats}" if any(v.kind == "long" for v in variants) else ""),
               f"- work folder: {session}"]
    if skipped:
        header.append("- skipped (not listed by `formcheck analyze --help`): "
                      + ", ".join(f"{v.name} ({v.needs})" for v in skipped))
    print("\n".join(header) + "\n", flush=True)

    rows = [Row(v, "original", frames) for v in variants if v.kind != "long"]
    by_name = {r.variant.name: r for r in rows}
    base = session / "reuse-base"

    def ensure_base(run_no: int) -> bool:
        """A folder holding the clip's saved landmarks (made untimed when its variant is not run)."""
        if (base / "summary.json").is_file():
            return True
        print(f"  [{run_no}] making the saved track for the re-analyses (untimed)...", flush=True)
        return measure_with_retries(formcheck_cmd(clip, base, ("--fresh",) + NOVIDEO), session / "logs" / "base",
                                    session, "base") is not None

    for run_no in range(1, args.repeats + 1):
        for row in rows:
            v = row.variant
            logs = session / "logs" / f"{v.name}-{run_no}"
            out = session / f"out-{v.name}"
            before = None
            if v.kind == "child":
                cmd = child_cmd(v.name, clip, session)
            elif v.kind == "fresh":
                shutil.rmtree(out, ignore_errors=True)
                cmd = formcheck_cmd(clip, out, ("--fresh",) + v.args)
            else:  # reuse, session: a fresh copy of the saved track each time, so the folder is always rewritten
                if not ensure_base(run_no):
                    row.note = "no saved track"
                    continue

                def before(out=out):
                    shutil.rmtree(out, ignore_errors=True)
                    shutil.copytree(base, out)
                cmd = (formcheck_cmd(clip, out, ("--config", str(config)) + v.args) if v.kind == "reuse" else
                       child_cmd(v.name, clip, session))
            run = measure_with_retries(cmd, logs, session, f"{v.name} run {run_no}", before)
            if run is None:
                continue
            if v.kind != "child":
                run.info.update(summary_info(out))
                if v.kind in ("reuse", "session") and not run.info.get("pose_reused"):
                    row.note = "WARNING: saved track NOT re-used, inference ran"
                elif v.kind in ("reuse", "session") and not run.info.get("cleaning_reused"):
                    row.note = "WARNING: saved clean track NOT re-used, cleaned again"
                if v.kind == "fresh" and run.info.get("pose_reused"):
                    row.note = "WARNING: landmarks re-used despite --fresh"
            if v.name.startswith("bare") and run.info.get("frames") not in (None, frames):
                row.note = f"model saw {run.info['frames']} frames"
            row.runs.append(run)
            shown = run.info.get("timed_s", run.wall_s)
            print(f"  [{run_no}/{args.repeats}] {v.name:28s} {shown:7.2f} s  {frames / shown:6.1f} frames/s  "
                  f"peak RSS {run.rss_mib:6.0f} MiB  (load {os.getloadavg()[0]:.2f})", flush=True)
            if v.name == REUSE_BASE and not (base / "summary.json").is_file():
                shutil.copytree(out, base)  # the first fresh --no-video --no-report folder: the saved track
            if v.kind != "child" and out.exists():
                shutil.rmtree(out, ignore_errors=True)
            if v.name == "naive":
                (session / "naive.mp4").unlink(missing_ok=True)

    long_variants = [v for v in variants if v.kind == "long"]
    long_rows: list[Row] = []
    if long_variants:
        once, once_frames, long, long_frames = build_long_clips(clip, work / "long-clips")
        clips = [("original", clip, frames), ("re-encoded once", once, once_frames),
                 (f"{LONG_SECONDS / 60:.0f}-minute loop", long, long_frames)]
        for v in long_variants:
            for label, path, count in clips:
                row = Row(v, label, count)
                long_rows.append(row)
                for run_no in range(1, args.long_repeats + 1):
                    out = session / f"out-{v.name}"
                    shutil.rmtree(out, ignore_errors=True)
                    run = measure_with_retries(formcheck_cmd(path, out, ("--fresh",) + v.args),
                                               session / "logs" / f"{v.name}-{path.stem}-{run_no}", session,
                                               f"{v.name} on {label}")
                    shutil.rmtree(out, ignore_errors=True)
                    if run is None:
                        continue
                    row.runs.append(run)
                    print(f"  [long] {v.name:14s} {label:18s} {run.wall_s:8.1f} s  {count / run.wall_s:6.1f} "
                          f"frames/s  peak RSS {run.rss_mib:6.0f} MiB  (load {os.getloadavg()[0]:.2f})", flush=True)

    bare = by_name["bare"].wall if "bare" in by_name else math.nan
    naive = by_name["naive"].wall if "naive" in by_name else math.nan
    report = header + [""]
    if rows:
        report += [f"## {clip.name}", "",
                   "wall: the child process from start to exit (interpreter, imports, work), except bare: model "
                   "load + process() calls only (decoding not timed), and reanalyze-session: the second "
                   "formcheck.analyze call in one process. inference s: bare/naive loop time, or "
                   "formcheck's own pose time (summary.json). CPU s: user + system time of what wall times "
                   "(the children it waited for included); cores busy: CPU s / wall. Peak RSS: the child's "
                   "ru_maxrss (bare holds the decoded frames).", ""]
        report += main_table(rows, bare, naive) + [""]
        for names, against in ((("max-height-720", "every-1"), "analyze-novideo-noreport"),
                               (("video-height-960",), "analyze")):
            flags = [r for r in rows if r.variant.name in names and r.runs]
            reference = by_name.get(against)
            if flags and reference and reference.runs:
                report += [f"Optional flags, wall vs `{reference.variant.what}` ({reference.wall:.2f} s):"]
                report += [f"- {r.variant.name}: {r.wall:.2f} s, x{r.wall / reference.wall:.2f}, "
                           f"x{r.wall / bare:.2f} bare" for r in flags]
                report.append("")
    if long_rows:
        report += [f"## Memory vs clip length ({clip.name})", ""] + long_table(long_rows) + [""]
    report += ["## Targets", ""] + targets(rows + long_rows, bare, naive, clip) + [""]
    report.append(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    text = "\n".join(report)
    print("\n" + text, flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    shutil.rmtree(session / "reuse-base", ignore_errors=True)


if __name__ == "__main__":
    main()
