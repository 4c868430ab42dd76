"""Is each measure valid on real footage? Invariance to what must not matter, per sample clip.

For each clip the script writes copies that change only what must not change a measure (mirrored,
half size, camera rolled +5 and -8 degrees and wobbling +-4 degrees, cropped, darker, low bitrate;
:data:`tests.clips.VARIANTS`), analyses the original and every copy (and the original with half
the frames the default analyses: ``--every 2`` on a 30 fps clip, ``--every 4`` on a 60 fps one), and prints, per measure, each copy's clip median minus the original's: degrees for
angles, the relative change in % for ratios, steps/min for cadence. A measure that holds shows
small numbers in every row. The rolled copies are zoomed in so that no empty corner shows, so they
are compared with their unrolled twin (``zoomed as rolled``, the same zoom), whose own row against
the original shows what the zoom alone does.

Usage (from the repository root; about 15 s per copy and clip on a 2-core laptop with the faster
``pose`` model, which has the same body landmarks as the default model)::

    .venv/bin/python benchmarks/validate.py                       # every side-view running clip
    .venv/bin/python benchmarks/validate.py --clips run01,run12 --out /tmp/validate.md
    .venv/bin/python benchmarks/validate.py --mirror              # mirror-averaged (twice the time)

Before the tables it prints the positive controls' separations (shrugs against rest, nods against a
head held still, from ``annotations.json``) and every running clip's verdict with its reasons, and
counts the false alarms: tight segments on the clips of runners who run steadily (default settings,
about 4 minutes; ``--only verdicts`` or ``--only invariance`` for one part).

Copies are written to ``--tmp`` (default ``formcheck-validate/`` in the system temp folder) and
re-used by the next run; nothing is written into the project.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.clips: the copies are made as the tests make them

from formcheck.config import Config, PoseConfig  # noqa: E402
from formcheck.io.frame_pick import analysis_every  # noqa: E402
from formcheck.io.video import probe  # noqa: E402
from formcheck.measure.registry import METRIC_COLUMNS  # noqa: E402
from formcheck.pipeline import analyze_clip  # noqa: E402
from tests.clips import ROLL_TWIN, VARIANTS, variant_file, write_variants  # noqa: E402
from tests.controls import PC01, PC03, PC04, nod_pitch, pitch_spread, shrug_gap  # noqa: E402

SAMPLES = REPO.parent / "shared" / "sample_videos"
#: The running clips filmed from the side (the angles are side-view measures).
SIDE_CLIPS = ("run01", "run02", "run04", "run05", "run06", "run08", "run10", "run12", "run14")
#: Runners who run steadily and relaxed through the whole clip: any tight segment there is a false alarm.
STEADY_CLIPS = ("run01", "run02", "run06", "run12", "run14")
EVERY_2 = "half the frames"
#: Source frames are scaled to at most this many pixels high before the copies are made.
MAX_HEIGHT = 960
#: Columns of the table: (column or "cadence_spm", heading, "deg" for a difference, "%" for a relative one).
COLUMNS = (("head_pitch_deg", "head pitch", "deg"), ("forward_head_deg", "forward head", "deg"),
           ("shoulder_elevation_ratio", "ear-shoulder gap", "%"), ("shoulder_offset_ratio", "shoulder offset", "deg*"),
           ("elbow_angle_deg", "elbow", "deg"), ("hand_height_ratio", "hand height", "%"),
           ("cadence_spm", "cadence", "spm"))


def clip_figures(path: Path, config: Config) -> dict[str, float]:
    """Clip medians of every measure (over the frames where it was measured), and the cadence."""
    analysis = analyze_clip(path, config)
    table = analysis.measurements.frame_metrics
    figures = {name: float(table[name].median()) for name in METRIC_COLUMNS if name in table}
    figures["cadence_spm"] = float(analysis.measurements.strides.cadence_spm)
    for extra in ("camera_roll_deg",):
        if extra in table:
            figures[extra] = float(table[extra].median())
    return figures


def difference(kind: str, value: float, original: float) -> str:
    """``value`` against ``original`` as the table shows it."""
    if not (math.isfinite(value) and math.isfinite(original)):
        return "-" if not math.isfinite(value) and not math.isfinite(original) else "n/a"
    if kind == "%":
        return f"{100 * (value - original) / abs(original):+.1f}%" if original else "n/a"
    if kind == "deg*":  # a ratio of trunk length, shown x100 (hundredths of the trunk)
        return f"{100 * (value - original):+.1f}"
    return f"{value - original:+.1f}"


def invariance_table(clip: Path, work: Path, model: str, mirror: bool = False) -> list[str]:
    """The Markdown table of one clip: the original's medians, then each copy's change."""
    folder = work / clip.stem
    folder.mkdir(parents=True, exist_ok=True)
    missing = [name for name in VARIANTS if not (folder / f"{name}.done").exists()]
    if missing:
        write_variants(clip, folder, missing, MAX_HEIGHT)
        for name in missing:
            (folder / f"{name}.done").touch()
    paths = {name: variant_file(folder, name) for name in VARIANTS}
    base = Config(pose=PoseConfig(model=model, mirror=mirror))
    halved = 2 * analysis_every(probe(clip).average_fps)  # half the frames the default analyses
    every_2 = Config(pose=PoseConfig(model=model, every=halved, mirror=mirror))
    rows = {}
    for name in [*VARIANTS, EVERY_2]:
        started = time.perf_counter()
        path = paths["original" if name == EVERY_2 else name]
        rows[name] = clip_figures(path, every_2 if name == EVERY_2 else base)
        print(f"  {clip.stem}: {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    original = rows["original"]
    head = "| copy | " + " | ".join(heading for _, heading, _ in COLUMNS) + " | camera roll |"
    lines = [f"### {clip.name}", "", head, "|---" * (len(COLUMNS) + 2) + "|"]
    lines.append("| original (median) | " + " | ".join(_plain(original.get(c, math.nan), c) for c, _, _ in COLUMNS)
                 + f" | {_plain(original.get('camera_roll_deg', math.nan), 'deg')} |")
    for name, figures in rows.items():
        if name == "original":
            continue
        against = ROLL_TWIN if "roll" in name and name != ROLL_TWIN else "original"
        reference = rows[against]
        cells = [difference(kind, figures.get(column, math.nan), reference.get(column, math.nan))
                 for column, _, kind in COLUMNS]
        roll = difference("deg", figures.get("camera_roll_deg", math.nan), reference.get("camera_roll_deg", math.nan))
        label = name if against == "original" else f"{name} (vs {against})"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {roll} |")
    return lines + [""]


def controls_section() -> list[str]:
    """The positive controls' separations (``annotations.json``): shrugs against rest, nods against
    a head held still; default settings."""
    marks = json.loads((SAMPLES / "annotations.json").read_text())
    config = Config()
    table = {name: analyze_clip(SAMPLES / name, config).measurements.frame_metrics for name in (PC01, PC03, PC04)}
    up, rest = shrug_gap(table[PC01], marks[PC01])
    down, level = nod_pitch(table[PC03], marks[PC03])
    still, nodding = pitch_spread(table[PC04]), pitch_spread(table[PC03])
    return ["## Positive controls", "",
            f"- pc01 ear-to-shoulder gap: {up:.3f} in the shrugs, {rest:.3f} at rest ({up / rest - 1:+.0%})",
            f"- pc03 head pitch at the chin-down marks {np.round(down, 1).tolist()}, at the level marks "
            f"{np.round(level, 1).tolist()} (means {down.mean():.1f} against {level.mean():.1f} deg)",
            f"- head pitch spread (10th-90th percentile): pc04 held still {still:.1f} deg, pc03 nodding "
            f"{nodding:.1f} deg ({nodding / still:.1f}x)", ""]


def verdicts_section(clips: list[Path]) -> list[str]:
    """Each clip's verdict with its segments' reasons and any pace note, and the false alarms: tight
    segments on the clips of runners who run steadily and relaxed (:data:`STEADY_CLIPS`); default
    settings (the hands need the default model)."""
    config = Config()
    lines = ["## Verdicts", "", "| clip | verdict | segments: time, reasons | pace |", "|---|---|---|---|"]
    false_alarms = 0
    for clip in clips:
        summary = analyze_clip(clip, config).summary
        segments = "<br>".join(f"{seg.start_s:.1f}-{seg.end_s:.1f} s: {'; '.join(r.text for r in seg.reasons)}"
                               + (f" (pace: {seg.pace})" if seg.pace else "") for seg in summary.segments)
        lines.append(f"| {clip.stem} | {summary.verdict} | {segments or '-'} | {summary.pace.get('note') or '-'} |")
        if clip.name.startswith(STEADY_CLIPS):
            false_alarms += len(summary.segments)
    steady = [clip.stem for clip in clips if clip.name.startswith(STEADY_CLIPS)]
    return lines + ["", f"False alarms: {false_alarms} tight segment(s) on the {len(steady)} steady clips "
                        f"({', '.join(steady)}).", ""]


def _plain(value: float, column: str) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.3f}" if column.endswith("_ratio") else f"{value:.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", default=",".join(SIDE_CLIPS),
                        help="comma-separated starts of sample clip names [default: every side-view running clip]")
    parser.add_argument("--model", default="pose", choices=("pose", "holistic"))
    parser.add_argument("--mirror", action="store_true", help="analyse mirror-averaged (twice the time)")
    parser.add_argument("--only", choices=("invariance", "verdicts"),
                        help="only the invariance tables, or only the positive controls and verdicts")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "formcheck-validate")
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) to this new file")
    args = parser.parse_args(argv)
    if args.out and args.out.exists():
        raise SystemExit(f"--out {args.out}: exists; give a new file name")
    clips = [next(iter(sorted(SAMPLES.glob(f"{start}*.mp4"))), None) for start in args.clips.split(",")]
    if None in clips:
        raise SystemExit(f"no sample clip for one of {args.clips} in {SAMPLES}")
    lines = ["# formcheck validation", "", f"- model: {args.model}{', mirror-averaged' if args.mirror else ''}; copies at most {MAX_HEIGHT} px high; "
             "differences are copy minus original on clip medians (deg; % of the original for ratios; "
             "shoulder offset in hundredths of the trunk; steps/min for cadence)", "",
             ]
    if args.only != "invariance":
        lines += controls_section()
        lines += verdicts_section(sorted(SAMPLES.glob("run*.mp4")))
        print("\n".join(lines), flush=True)
    if args.only != "verdicts":
        lines += ["## Invariance", ""]
        for clip in clips:
            lines += invariance_table(clip, args.tmp, args.model, args.mirror)
            print("\n".join(lines[-(len(VARIANTS) + 5):]), flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
