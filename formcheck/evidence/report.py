"""The HTML report: one self-contained page a runner opens by double-click.

``report.html`` puts the verdict first, in plain words, with where (times) and why (the segment
reasons), each reason tied to the coaching advice it tests (see ``seeds/README.md``). Then the
overlay video, the segment table (a click seeks the video to the segment), the plots, the metric
table, and the clip facts and data quality (warnings included). The page loads nothing from the
network: CSS and the few lines of JavaScript are inline, and the plots are embedded as data URIs so
the page still shows them when copied alone. The video is referenced by its file name (embedding
megabytes of base64 video would be wasteful), so it has to stay next to the page.

The page is rendered by Jinja2 from ``formcheck/evidence/templates/report.html.j2`` with autoescaping on;
every number goes through :func:`fmt`, so missing values (None, NaN) show as "–".
"""

from __future__ import annotations

import base64
import math
import mimetypes
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import jinja2

from formcheck.measure.registry import BY_COLUMN, METRIC_COLUMNS, METRIC_LABELS
from formcheck.measure.segments import Segment
from formcheck.summary import Summary

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"
CARD_TEMPLATE = "card.html.j2"
MISSING = "–"  # en dash: what a None/NaN value renders as


VERDICT_CLASS = {"tight": "tight", "relaxed": "relaxed"}  # anything else: "nodata" (amber)


def write_report(analysis: Analysis, folder: Path, video: str | None, plots: list[str]) -> Path:
    """Write ``folder/report.html`` and return its path.

    ``video``: file name of the overlay video in ``folder`` (e.g. "overlay.mp4"), or None when it was
    skipped. ``plots``: file names (relative to ``folder``) of PNG/SVG plots, the overview first; a
    plot saved as both PNG and SVG is embedded once (the PNG). Plot files that do not exist are
    listed as missing rather than failing the report.
    """
    folder = Path(folder)
    html = render_report(analysis.summary, folder, video, plots)
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def render_report(summary: Summary, folder: Path, video: str | None, plots: list[str]) -> str:
    """The report page as a string, from an analysis's summary (see :func:`write_report`)."""
    return environment().get_template(TEMPLATE).render(**report_context(summary, Path(folder), video, plots))


def summary_card(summary: Summary, out_dir: Path | None = None) -> str:
    """A compact HTML card of one analysis for Jupyter: verdict, segments, warnings, measure table."""
    context = report_context(summary, Path(out_dir or "."), None, [])
    return environment().get_template(CARD_TEMPLATE).render(**context, out_dir=out_dir)


def environment() -> jinja2.Environment:
    """The Jinja2 environment of formcheck's pages: autoescaping on, the number filters registered."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, clock=clock)
    return env


def report_context(summary: Summary, folder: Path, video: str | None, plots: list[str]) -> dict[str, Any]:
    """Everything the template shows, prepared from ``summary`` (the template does no lookups)."""
    segments = [_segment(i, seg) for i, seg in enumerate(summary.segments, start=1)]
    verdict = summary.verdict
    clip, strides, baseline = summary.clip, summary.strides, summary.baseline
    images = plot_images(folder, plots)
    file_name = PurePath(str(clip.get("path") or "")).name or MISSING
    return {
        "verdict": verdict,
        "verdict_class": VERDICT_CLASS.get(verdict, "nodata"),
        "headline": headline(verdict, len(segments)),
        "file_name": file_name,
        "facts_line": _facts_line(file_name, clip, summary.view, strides, baseline),
        "segments": segments,
        "pace_note": str(summary.pace.get("note") or ""),
        "video": video,
        "overview": images[0] if images else None,
        "metric_plots": images[1:],
        "metrics": _metric_rows(summary.metrics),
        "clip": clip,
        "coverage": _coverage_rows(summary.coverage),
        "view": summary.view,
        "strides": strides,
        "baseline": baseline,
        "summary": summary,
        "warnings": [str(w) for w in summary.warnings],
        "version": summary.formcheck_version or MISSING,
        "missing": MISSING,
    }


def headline(verdict: str, segment_count: int) -> str:
    """The verdict in plain words, e.g. "Running tight in 2 stretches"."""
    if verdict == "tight":
        return f"Running tight in {segment_count} stretch{'' if segment_count == 1 else 'es'}"
    if verdict == "relaxed":
        return "No sustained sign of running tight"
    return "Not enough measurable strides to judge"


def fmt(value: Any, spec: str = ".2f", unit: str = "") -> str:
    """``value`` formatted with ``spec`` (and `` unit``); None, NaN, infinities, undefined values
    and non-numbers other than strings show as "–". A "d" spec rounds to a whole number first."""
    if value is None or isinstance(value, jinja2.Undefined):
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value or MISSING
    try:
        number = float(value)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(number):
        return MISSING
    text = format(round(number), spec) if spec.endswith("d") else format(number, spec)
    return f"{text} {unit}" if unit else text


def pct(value: Any, digits: int = 0) -> str:
    """A 0-1 share as a percentage ("46%"), "–" when missing."""
    return fmt(None if value is None else _float(value) * 100, f".{digits}f") + ("" if _missing(value) else "%")


def clock(value: Any) -> str:
    """Seconds as "5.3 s", or "1:05.3" from a minute on; "–" when missing."""
    if _missing(value):
        return MISSING
    seconds = float(value)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _segment(number: int, seg: Segment) -> dict:
    """One segment for the template: times, severity and reasons paired with their advice."""
    return {
        "number": number,
        "start_s": seg.start_s,
        "end_s": seg.end_s,
        "start_attr": "" if _missing(seg.start_s) else f"{seg.start_s:.3f}",
        "strides": seg.strides,
        "severity": seg.severity,
        "severity_label": seg.severity_label or MISSING,
        "reasons": [{"text": r.text, "metric": r.metric, "advice": BY_COLUMN[r.metric].advice if r.metric in BY_COLUMN
                     else None} for r in seg.reasons],
        "pace": seg.pace,
    }


def _facts_line(file_name: str, clip: dict, view: dict, strides: dict, baseline: dict) -> list[str]:
    """The short line under the verdict: file, duration, view, strides, baseline (missing parts left out)."""
    parts = [file_name]
    if not _missing(clip.get("duration_s")):
        parts.append(clock(clip["duration_s"]))
    if view.get("main"):
        parts.append(f"{view['main']} view")
    if not _missing(strides.get("count")):
        parts.append(f"{fmt(strides['count'], 'd')} strides")
    if baseline.get("label"):
        count = "" if _missing(baseline.get("strides")) else f" ({fmt(baseline['strides'], 'd')} strides)"
        parts.append(f"compared with {baseline['label']}{count}, your own relaxed reference")
    return parts


def _metric_rows(metrics: dict) -> list[dict]:
    names = [n for n in METRIC_COLUMNS if n in metrics] + [n for n in metrics if n not in METRIC_COLUMNS]
    rows = []
    for name in names:
        m = metrics[name] or {}
        spec = ".3f" if name.endswith("_ratio") else ".1f"
        median, base = _float(m.get("median")), _float(m.get("baseline_median"))
        change = median - base
        label, _, unit = METRIC_LABELS.get(name, name).partition(" (")
        rows.append({
            "name": name,
            "label": label,
            "unit": unit.removesuffix(")"),
            "median": fmt(median, spec),
            "baseline": fmt(base, spec),
            "change": MISSING if _missing(change) else format(change, "+" + spec),
            "coverage": pct(m.get("coverage")),
            "measured": not _missing(m.get("coverage")) and _float(m.get("coverage")) > 0,
            "has_rule": name in BY_COLUMN and BY_COLUMN[name].rule is not None,
        })
    return rows


def _coverage_rows(coverage: dict) -> list[dict]:
    """Person and landmark-group coverage, then the 21-point hands, as labelled percentages."""
    rows = []
    for key, value in coverage.items():
        if key == "person":
            label = "runner found"
        elif key.endswith("_hand_21pt"):
            label = f"{key.split('_')[0]} hand (21-point fingers)"
        else:
            label = key.replace("_", " ")
        rows.append({"label": label, "value": pct(value), "low": not _missing(value) and _float(value) < 0.5})
    return rows


def plot_images(folder: Path, plots: list[str]) -> list[dict]:
    """Embeddable images for ``plots``: one per file stem (PNG preferred over SVG), as data URIs."""
    by_stem: dict[str, list[str]] = {}
    for name in plots:
        by_stem.setdefault(PurePath(str(name)).with_suffix("").as_posix(), []).append(str(name))
    images = []
    for stem, names in by_stem.items():
        name = next((n for n in names if n.lower().endswith(".png")), names[0])
        path = folder / name
        metric = PurePath(stem).name.removeprefix("metric_")
        caption = METRIC_LABELS.get(metric, "all measures over time" if not images else PurePath(stem).name)
        image = {"name": name, "caption": caption, "uri": None}
        if path.is_file():
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            mime = "image/svg+xml" if name.lower().endswith(".svg") else mime
            image["uri"] = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
        images.append(image)
    return images


def _float(value: Any) -> float:
    if isinstance(value, jinja2.Undefined):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _missing(value: Any) -> bool:
    return not math.isfinite(_float(value))

