"""The squad summary of a batch: ``squad.csv`` and ``squad.html``, one row per clip.

A coach with a squad analyses everyone's clip in one batch (``formcheck analyze FOLDER -o OUT``) and
wants one table: who ran tight, why, at what cadence, and how well each runner was seen. Each row is
read from that clip's own ``summary.json``, so the table says exactly what the clip's report says; a
clip that failed keeps its row, with the reason. ``squad.html`` is the same table, sortable by any
column (a click on its heading), each clip linking to its ``report.html``; it loads nothing from the
network.

The two files go only into a batch folder formcheck made (its marker says so,
:mod:`formcheck.io.destination`), and there only where the name is free or holds the file formcheck
wrote there and nobody changed since (the marker records it). A folder of the user's given with
``-o`` gets the clips' folders and nothing else, and a ``squad.csv`` of the user's is never replaced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
import pandas as pd

from formcheck.evidence.report import TEMPLATES, fmt
from formcheck.io.destination import BATCH, read_marker, write_marker
from formcheck.measure.registry import METRIC_COLUMNS, METRIC_LABELS
from formcheck.summary import Summary

SQUAD_CSV, SQUAD_HTML = "squad.csv", "squad.html"
SQUAD_TEMPLATE = "squad.html.j2"
#: How many of a tight clip's reasons the table names (the report has them all).
MAIN_REASONS = 3


@dataclass(frozen=True)
class SquadClip:
    """One clip of a batch: its path, its output folder (None when it failed) and the error that
    stopped it (None when it went through)."""

    clip: Path
    out_dir: Path | None
    error: str | None = None


def squad_table(clips: Iterable[SquadClip], folder: Path) -> pd.DataFrame:
    """One row per clip: ``clip``, ``runner_in_view_s`` / ``analysed_s`` (s), ``strides``,
    ``cadence_spm`` (steps/min), ``verdict`` ("failed" for a clip that did not go through),
    ``main_reasons`` (those of its tight segments, most frequent first, "; "-joined), each measure's
    clip median (its unit in :data:`~formcheck.measure.registry.METRIC_LABELS`; NaN: not measured),
    ``warnings`` (" | "-joined), ``report`` (the clip's ``report.html`` relative to ``folder``, as a
    URL path: ``#``, ``?``, ``%`` and ``:`` escaped, so no clip name makes the link anything else;
    empty when there is none) and ``error``."""
    rows = []
    for item in clips:
        summary = Summary.load(item.out_dir) if item.out_dir is not None else None
        row = {"clip": item.clip.name}
        if summary is None:
            rows.append({**row, "verdict": "failed", "main_reasons": "", "warnings": "", "report": "",
                         "error": item.error or "no summary.json"})
            continue
        report = item.out_dir / "report.html"
        rows.append({
            **row,
            "runner_in_view_s": summary.runner_in_view.get("seconds"),
            "analysed_s": summary.runner_in_view.get("of_seconds"),
            "strides": summary.strides.get("count"),
            "cadence_spm": summary.strides.get("cadence_spm"),
            "verdict": summary.verdict,
            "main_reasons": "; ".join(_main_reasons(summary)),
            **{name: summary.metrics.get(name, {}).get("median") for name in METRIC_COLUMNS},
            "warnings": " | ".join(summary.warnings),
            "report": quote(Path(os.path.relpath(report, folder)).as_posix()) if report.is_file() else "",
            "error": "",
        })
    columns = ["clip", "runner_in_view_s", "analysed_s", "strides", "cadence_spm", "verdict", "main_reasons",
               *METRIC_COLUMNS, "warnings", "report", "error"]
    return pd.DataFrame(rows, columns=columns)


def _main_reasons(summary: Summary) -> list[str]:
    """The measures behind a clip's tight segments, the one in most segments first (at most
    :data:`MAIN_REASONS`), as the segments word them."""
    counts: dict[str, int] = {}
    words: dict[str, str] = {}
    for segment in summary.segments:
        for reason in segment.reasons:
            counts[reason.metric] = counts.get(reason.metric, 0) + 1
            words.setdefault(reason.metric, reason.text)
    ranked = sorted(counts, key=lambda metric: -counts[metric])
    return [words[metric] for metric in ranked[:MAIN_REASONS]]


def render_squad_html(table: pd.DataFrame) -> str:
    """``squad.html``: the table sortable by any column, each clip linking to its report."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["fmt"] = fmt
    measures = [(name, METRIC_LABELS[name]) for name in METRIC_COLUMNS if table[name].notna().any()]
    return env.get_template(SQUAD_TEMPLATE).render(rows=table.to_dict(orient="records"), measures=measures)


def write_squad(folder: Path, clips: Iterable[SquadClip]) -> list[str]:
    """Write ``squad.csv`` and ``squad.html`` for ``clips`` into ``folder`` when it is formcheck's batch
    folder, each only where its name is free or holds the file formcheck wrote there, unchanged;
    return one line per file left alone, saying why (empty when both were written). The marker then
    lists them, so the next batch may replace them."""
    folder = Path(folder)
    marker = read_marker(folder)
    if marker is None or marker.kind != BATCH:
        return [f"{SQUAD_CSV} and {SQUAD_HTML} not written: {folder} is a folder of yours, which a batch only adds "
                "the clips' folders to; give -o a new folder name to get them"]
    table = squad_table(clips, folder)
    listed = set(marker.files or ())
    written, theirs, refused = [], set(), []
    for name, text in ((SQUAD_CSV, table.to_csv(index=False)), (SQUAD_HTML, render_squad_html(table))):
        path = folder / name
        if os.path.lexists(path) and not (name in listed and _unchanged(path, marker.stamps.get(name))):
            theirs.add(name)  # never listed again: a changed file stays the user's for good
            refused.append(f"{name} not written: {path} is not one formcheck wrote (or it was changed since); "
                           "move it away to get a new one")
            continue
        _replace_atomically(path, text)
        written.append(name)
    write_marker(folder, BATCH, files=sorted((listed - theirs) | set(written)))
    return refused


def _unchanged(path: Path, stamp: tuple[int, int] | None) -> bool:
    """``path`` is a plain file with the (size, modification time in ns) ``stamp`` the marker recorded."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stamp is not None and not path.is_symlink() and (info.st_size, info.st_mtime_ns) == tuple(stamp)


def _replace_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path`` and rename it over ``path``: a reader never sees
    half a file, and an interrupted write leaves the old one."""
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
