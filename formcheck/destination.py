"""Where an output folder goes, and the proof formcheck needs before it replaces anything there.

Every output folder formcheck writes carries a marker file, :data:`MARKER_NAME`: the kind of folder
(:data:`ANALYSIS`, :data:`COMPARISON` or :data:`BATCH`), the marker's format and the files formcheck
wrote into it. An existing destination is replaced only when its marker names the same kind and it
holds nothing but those files. Everything else is refused, untouched: a file (the clip included), a
symbolic link, a folder without a marker, a folder holding other files, the folder being worked in
or one above it, a folder that holds an input clip.

``-o`` naming an existing folder that is not an output folder of that kind (a folder of the user's,
``.``, ``..``, a batch folder) means "put it in there": the output becomes ``FOLDER/CLIP_STEM.formcheck``
(or ``FOLDER/EARLY_vs_LATE.compare``), as a batch does with each clip. Nothing already in that folder
changes.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from formcheck.errors import OutputError

#: The marker file in every output folder formcheck writes.
MARKER_NAME = ".formcheck-output.json"
#: The marker's format; a folder marked with another one is not replaced.
MARKER_FORMAT = 1
ANALYSIS, COMPARISON, BATCH = "analysis", "comparison", "batch"
KIND_NAMES = {ANALYSIS: "analysis folder", COMPARISON: "comparison folder", BATCH: "batch folder"}
#: How many foreign entries a refusal names.
SHOWN_ENTRIES = 3


@dataclass(frozen=True)
class Marker:
    """What a folder's marker says: its ``kind`` and the files formcheck wrote in it (paths relative to
    the folder, ``/``-separated; None while the folder is still being written)."""

    kind: str
    files: tuple[str, ...] | None


def read_marker(folder: Path) -> Marker | None:
    """The marker of ``folder``; None when it has none that formcheck wrote (missing, not a plain file,
    unreadable, another tool's, or of a format this formcheck does not know)."""
    path = Path(folder) / MARKER_NAME
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(data, dict) or data.get("tool") != "formcheck" or data.get("format") != MARKER_FORMAT
            or data.get("kind") not in KIND_NAMES):
        return None
    files = data.get("files")
    if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return None
    return Marker(data["kind"], None if files is None else tuple(files))


def write_marker(folder: Path, kind: str, files: Iterable[str] | None = None) -> None:
    """Mark ``folder`` as formcheck's ``kind`` of output folder holding ``files`` (None: being written)."""
    data = {"tool": "formcheck", "kind": kind, "format": MARKER_FORMAT, "formcheck_version": version("formcheck"),
            "files": None if files is None else sorted(files)}
    (Path(folder) / MARKER_NAME).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def absolute(path: Path) -> Path:
    """``path`` made absolute with the folders above it resolved, its last part kept as named: a
    symbolic link there stays a link (to be refused, not followed). ``.`` and ``..`` are resolved."""
    path = Path(path)
    if path.name in ("", ".."):
        return path.resolve()
    return path.parent.resolve() / path.name


def output_folder(out: Path | None, default: Path, kind: str, inputs: Iterable[Path] = ()) -> Path:
    """The absolute folder to write a ``kind`` output folder to, proven safe by :func:`check_replaceable`.

    ``out`` None: ``default``. ``out`` an existing folder that is not formcheck's own ``kind`` of folder
    (a folder of the user's, ``.``, a batch folder; a link to one is followed): ``out/default.name``.
    Otherwise ``out`` itself: a new folder, or formcheck's earlier output of this kind, to be replaced.
    ``inputs``: the clips being read, which the folder must not hold. Raises :class:`OutputError`.
    """
    target = Path(default if out is None else out)
    if out is not None and target.is_dir():
        marker = read_marker(target)
        if marker is None or marker.kind == BATCH:
            target = target / Path(default).name
    check_replaceable(absolute(target), kind, inputs, shown=target)
    return absolute(target)


def check_replaceable(final: Path, kind: str, inputs: Iterable[Path] = (), shown: Path | None = None) -> None:
    """Raise :class:`OutputError` unless ``final`` (absolute) is absent, or is formcheck's ``kind`` of
    output folder holding nothing but what it wrote, is neither the current folder nor above it, and
    holds none of ``inputs``. The message names the path as ``shown`` (default ``final``)."""
    name = str(shown if shown is not None else final)
    try:
        info = final.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot look at {name} ({exc.strerror}); give another folder with -o") from exc
    held = [p for p in inputs if _within(p, final)]
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{name} is a symbolic link: formcheck neither writes through it nor replaces it. "
                          "Name a real folder with -o")
    if not stat.S_ISDIR(info.st_mode):
        what = "the clip being analysed" if held else "a file"
        raise OutputError(f"{name} is {what}, not a formcheck output folder, and formcheck never replaces it. "
                          "Give a new folder name with -o")
    marker = read_marker(final)
    if marker is None:
        raise OutputError(_not_ours(final, name))
    if marker.kind != kind:
        wanted = ("an " if kind == ANALYSIS else "a ") + KIND_NAMES[kind]
        raise OutputError(f"{name} is formcheck's {KIND_NAMES[marker.kind]}, not {wanted}: formcheck will not "
                          "replace it with one. Give a new folder name with -o")
    if held:
        raise OutputError(f"{name} holds {held[0].name}, which is being read, so formcheck will not replace it. "
                          "Give a new folder name with -o")
    here = Path.cwd()
    if final == here or final in here.parents:
        raise OutputError(f"{name} is the folder you are working in (or holds it), so formcheck will not replace "
                          "it. Change to another folder, or give a new folder name with -o")
    foreign = foreign_entries(final, marker)
    if foreign:
        listed = ", ".join(foreign[:SHOWN_ENTRIES]) + (", ..." if len(foreign) > SHOWN_ENTRIES else "")
        raise OutputError(f"{name} is formcheck's {KIND_NAMES[kind]}, but it also holds what formcheck did not "
                          f"write there ({listed}), so formcheck will not replace it. Move those out, or give a "
                          "new folder name with -o")


def foreign_entries(folder: Path, marker: Marker) -> list[str]:
    """Paths in ``folder`` (relative, ``/``-separated) that ``marker`` does not list as formcheck's: any
    symbolic link or special file, any file or folder not written there (at most one more than
    :data:`SHOWN_ENTRIES`); every entry, when the marker lists no files."""
    files = set(marker.files or ()) | {MARKER_NAME}
    folders = {str(parent) for name in files for parent in PurePosixPath(name).parents if str(parent) != "."}
    foreign: list[str] = []
    for root, dirnames, filenames in os.walk(folder):  # links are listed, never followed
        here = Path(root)
        for entry in dirnames + filenames:
            relative = (here / entry).relative_to(folder).as_posix()
            mode = (here / entry).lstat().st_mode
            ours = relative in folders if stat.S_ISDIR(mode) else stat.S_ISREG(mode) and relative in files
            if not ours:
                foreign.append(relative)
        if len(foreign) > SHOWN_ENTRIES:
            break
        dirnames[:] = [d for d in dirnames if (here / d).relative_to(folder).as_posix() in folders]
    return foreign


def make_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and any missing folder above it; return those made, deepest first."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return missing


def remove_empty(folders: Iterable[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty; the first one that is not stops it.
    ``os.rmdir`` removes nothing but an empty folder, so nothing put in one meanwhile is lost."""
    for path in folders:
        try:
            os.rmdir(path)
        except OSError:
            return


def open_batch_folder(out: Path) -> list[Path]:
    """Make ``out`` ready to take a batch's one folder per clip; return the folders made for it (none
    when it existed: a folder of the user's, or formcheck's batch folder). A new one is marked as
    formcheck's batch folder. Raises :class:`OutputError` for a file, a broken link, or formcheck's
    analysis or comparison folder."""
    out = Path(out)
    if out.is_dir():  # a link to a folder is followed: the clips' folders go in there
        marker = read_marker(out)
        if marker is not None and marker.kind != BATCH:
            raise OutputError(f"{out} is formcheck's {KIND_NAMES[marker.kind]}: a batch writes one folder per "
                              "clip into a folder of its own. Give a new folder name with -o")
        return []
    if os.path.lexists(out):
        raise OutputError(f"{out} is a file, not a folder: a batch writes one folder per clip into a folder. "
                          "Give a new folder name with -o")
    try:
        made = make_folders(absolute(out))
        write_marker(out, BATCH, files=[])
    except OSError as exc:
        raise OutputError(f"cannot make the folder {out} ({exc.strerror}); choose another folder with -o") from exc
    return made


def close_batch_folder(made: list[Path]) -> None:
    """Remove the batch folder made by :func:`open_batch_folder` (``made``, deepest first) and the
    folders made above it, when no clip's folder went into it: only its own marker is there."""
    if made and sorted(os.listdir(made[0])) == [MARKER_NAME]:
        (made[0] / MARKER_NAME).unlink()
        remove_empty(made)


def _within(path: Path, folder: Path) -> bool:
    """``path`` (as named, or where its links lead) is ``folder`` or inside it."""
    return any(p == folder or folder in p.parents for p in (absolute(path), Path(path).resolve()))


def _not_ours(folder: Path, name: str) -> str:
    """Why ``folder`` (shown as ``name``), which has no marker, is not replaced."""
    try:
        older = "formcheck_version" in json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        older = False
    if older:
        return (f"{name} looks like the output of an older formcheck, which left no marker to prove it, so "
                "formcheck will not replace it. Delete it yourself if you no longer need it, or give a new "
                "folder name with -o")
    return (f"{name} is not a formcheck output folder: it holds your files. Give a new folder name with -o, "
            "or leave -o out")
