"""What the speed options cost in accuracy: ``--max-height`` and ``--every`` against the full analysis.

For each clip, runs ``formcheck analyze --fresh --no-video --no-report`` with the default settings and
with each option, then prints per variant: wall time, pose frames/s, cadence, strides, verdict, and
for every measure the clip median and the median absolute difference of the per-stride medians from
the full analysis (strides matched by start time). Usage, from the repository root::

    .venv/bin/python benchmarks/speed_options.py [CLIP ...]   # default: run01 and run05

Clips are paths or the start of a sample clip's name in ../shared/sample_videos. Output folders go
to a temporary folder, removed at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "sample_videos"
VARIANTS = {
    "full": [],
    "--max-height 720": ["--max-height", "720"],
    "--max-height 480": ["--max-height", "480"],
    "--every 2": ["--every", "2"],
    "--every 3": ["--every", "3"],
}
MEASURES = ["head_pitch_deg", "forward_head_deg", "shoulder_elevation_ratio", "shoulder_width_ratio",
            "shoulder_offset_ratio", "hand_curl_deg", "hand_height_ratio"]
MATCH_S = 0.15  # strides of two variants are the same stride when their starts are this close (s)


def resolve(name: str) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    matches = sorted(SAMPLES.glob(f"{name}*"))
    if not matches:
        raise SystemExit(f"{name}: neither a file nor the start of a sample clip's name in {SAMPLES}")
    return matches[0]


def analyse(clip: Path, out: Path, options: list[str]) -> float:
    """Run formcheck on ``clip`` into ``out``; wall time in seconds."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(clip), "-o", str(out), "--fresh",
                             "--no-video", "--no-report", *options], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"formcheck failed on {clip.name} {' '.join(options)}: {result.stderr.strip()}")
    return time.perf_counter() - started


def stride_difference(full: pd.DataFrame, other: pd.DataFrame, measure: str) -> float:
    """Median |difference| of ``measure`` between strides of the two tables that start within
    :data:`MATCH_S` of each other; NaN when none match."""
    starts = full["start_s"].to_numpy()
    differences = []
    for start, value in zip(other["start_s"], other[measure]):
        nearest = int(np.argmin(np.abs(starts - start)))
        if abs(starts[nearest] - start) <= MATCH_S:
            differences.append(abs(value - full[measure].iloc[nearest]))
    differences = np.asarray(differences, dtype=float)
    return float(np.nanmedian(differences)) if np.isfinite(differences).any() else float("nan")


def report(clip: Path, work: Path) -> list[str]:
    runs = {}
    for label, options in VARIANTS.items():
        out = work / f"{clip.stem}-{len(runs)}"
        wall = analyse(clip, out, options)
        runs[label] = (wall, json.loads((out / "summary.json").read_text()),
                       pd.read_csv(out / "stride_metrics.csv"))
        print(f"  {clip.name} {label}: {wall:.1f} s", file=sys.stderr)
    lines = [f"## {clip.name}", "",
             "| variant | wall s | pose frames/s | cadence spm | strides | verdict | "
             + " | ".join(f"{m} median (stride diff)" for m in MEASURES) + " |",
             "|---|---:|---:|---:|---:|---|" + "---:|" * len(MEASURES)]
    full_strides = runs["full"][2]
    for label, (wall, summary, strides) in runs.items():
        cells = []
        for measure in MEASURES:
            median = summary["metrics"][measure]["median"]
            diff = stride_difference(full_strides, strides, measure) if label != "full" else float("nan")
            text = "-" if median is None else f"{median:.3g}"
            cells.append(text if label == "full" else f"{text} ({diff:.2g})")
        lines.append(f"| {label} | {wall:.1f} | {summary['timings']['pose_frames_per_s']:.1f} | "
                     f"{summary['strides']['cadence_spm']:.0f} | {summary['strides']['count']} | "
                     f"{summary['verdict']} ({len(summary['segments'])} segments) | " + " | ".join(cells) + " |")
    return [*lines, ""]


def main() -> None:
    clips = [resolve(name) for name in (sys.argv[1:] or ["run01", "run05"])]
    with tempfile.TemporaryDirectory(prefix="formcheck-options-") as tmp:
        lines = ["# Speed options: time and effect on the measures", "",
                 "Stride diff: median absolute difference of the per-stride medians from the full "
                 f"analysis, strides matched by start (within {MATCH_S} s); in the measure's unit.", ""]
        for clip in clips:
            lines += report(clip, Path(tmp))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
