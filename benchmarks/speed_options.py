"""What the speed options cost in accuracy: the default frame rate, ``--max-height`` and ``--every``
against every frame analysed at full size.

For each clip, runs ``formcheck analyze --fresh --no-video --no-report`` with ``--every 1`` (the
reference) and with each variant, then prints per variant: wall time, frames the model saw in one
(``pose_every``), pose frames/s, cadence, strides, verdict, and for every measure the clip median and
the median absolute difference of the per-stride medians from the reference (strides matched by
start time); last, whether every clip median is within 1 deg / 3% of the reference's, the cadence
within 3% and the verdict the same. A variant that asks for what the reference did (the default on
a clip below 50 fps, which is analysed whole) is not run again. Usage, from the repository root::

    .venv/bin/python benchmarks/speed_options.py [--variants default,...] [CLIP ...]   # default: run01 and run05

Clips are paths or the start of a sample clip's name in ../shared/sample_videos. Output folders go
to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "sample_videos"
REFERENCE = "--every 1"
VARIANTS = {
    REFERENCE: ["--every", "1"],
    "default": [],
    "--max-height 720": ["--max-height", "720"],
    "--max-height 480": ["--max-height", "480"],
    "--every 2": ["--every", "2"],
    "--every 3": ["--every", "3"],
}
#: Within these of the reference, a clip median counts as the same: degrees for angles, a share of the
#: reference's value for ratios (issue 24's targets).
SAME_DEG, SAME_SHARE = 1.0, 0.03
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


def every_used(clip: Path, options: list[str]) -> int:
    """Every how many frames formcheck's model sees one of ``clip`` with these options."""
    from formcheck.io.frame_pick import analysis_every
    from formcheck.io.video import probe

    every = int(options[options.index("--every") + 1]) if "--every" in options else None
    return analysis_every(probe(clip).average_fps, every)


def same_as(reference: dict, summary: dict) -> bool:
    """Every clip median within :data:`SAME_DEG` / :data:`SAME_SHARE`, the cadence within 3% and the
    same verdict as the ``reference`` summary."""
    for measure in MEASURES:
        ref, value = reference["metrics"][measure]["median"], summary["metrics"][measure]["median"]
        if ref is None or value is None:
            if (ref is None) != (value is None):
                return False
            continue
        limit = SAME_DEG if measure.endswith("_deg") else SAME_SHARE * abs(ref)
        if abs(value - ref) > limit:
            return False
    ref_cadence, cadence = reference["strides"]["cadence_spm"], summary["strides"]["cadence_spm"]
    if (ref_cadence is None) != (cadence is None) or (ref_cadence and abs(cadence / ref_cadence - 1) > 0.03):
        return False
    return reference["verdict"] == summary["verdict"]


def report(clip: Path, work: Path, variants: list[str]) -> list[str]:
    runs = {}
    for label in [REFERENCE, *variants]:
        options = VARIANTS[label]
        if label != REFERENCE and "--max-height" not in options and every_used(clip, options) == 1:
            runs[label] = (*runs[REFERENCE][:3], "(the reference's run)")
            continue
        out = work / f"{clip.stem}-{len(runs)}"
        wall = analyse(clip, out, options)
        runs[label] = (wall, json.loads((out / "summary.json").read_text()),
                       pd.read_csv(out / "stride_metrics.csv"), "")
        print(f"  {clip.name} {label}: {wall:.1f} s", file=sys.stderr)
    lines = [f"## {clip.name}", "",
             "| variant | wall s | every | pose frames/s | cadence spm | strides | verdict | "
             + " | ".join(f"{m} median (stride diff)" for m in MEASURES) + " | same as --every 1 |",
             "|---|---:|---:|---:|---:|---:|---|" + "---:|" * len(MEASURES) + "---|"]
    reference_summary, reference_strides = runs[REFERENCE][1], runs[REFERENCE][2]
    for label, (wall, summary, strides, note) in runs.items():
        cells = []
        for measure in MEASURES:
            median = summary["metrics"][measure]["median"]
            diff = stride_difference(reference_strides, strides, measure) if label != REFERENCE else float("nan")
            text = "-" if median is None else f"{median:.3g}"
            cells.append(text if label == REFERENCE else f"{text} ({diff:.2g})")
        cadence = summary["strides"]["cadence_spm"]
        same = "-" if label == REFERENCE else ("yes" if same_as(reference_summary, summary) else "**no**")
        lines.append(f"| {label} {note} | {wall:.1f} | {summary.get('pose_every', 1)} | "
                     f"{summary['timings']['pose_frames_per_s']:.1f} | {'-' if cadence is None else f'{cadence:.0f}'} | "
                     f"{summary['strides']['count']} | {summary['verdict']} ({len(summary['segments'])} segments) | "
                     + " | ".join(cells) + f" | {same} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(v for v in VARIANTS if v != REFERENCE),
                        help=f"comma-separated, of: {', '.join(v for v in VARIANTS if v != REFERENCE)}")
    parser.add_argument("clips", nargs="*", default=["run01", "run05"])
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS or v == REFERENCE]
    if unknown:
        raise SystemExit(f"unknown variants: {', '.join(unknown)}")
    clips = [resolve(name) for name in args.clips]
    with tempfile.TemporaryDirectory(prefix="formcheck-options-") as tmp:
        lines = ["# Speed options: time and effect on the measures", "",
                 "Stride diff: median absolute difference of the per-stride medians from the analysis of every "
                 f"frame, strides matched by start (within {MATCH_S} s); in the measure's unit. Same: every clip "
                 f"median within {SAME_DEG:g} deg / {SAME_SHARE:.0%}, cadence within 3%, the same verdict.", ""]
        for clip in clips:
            lines += report(clip, Path(tmp), variants)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
