"""Where an output folder goes, and the proof formcheck needs before it replaces anything there.

Every output folder formcheck writes carries a marker file, :data:`MARKER_NAME`: the kind of folder
(:data:`ANALYSIS`, :data:`COMPARISON` or :data:`BATCH`), the marker's format and the files formcheck
wrote into it. An existing destination is replaced only when its marker names the same kind and it
holds nothing but those files. Everything else is refused, untouched: a file (the clip included), a
symbolic link, a folder without a marker, a folder holding other files, the folder being worked in
or one above it, a folder that holds an input clip.

The marker also records each file's size and modification time, so a file formcheck wrote and the
user then changed (notes added to ``segments.csv``) counts as theirs. ``-o`` naming an existing folder
that has no marker (a folder of the user's, ``.``, ``..``) or is a batch folder means "put it in
there": the output becomes ``FOLDER/CLIP_STEM.formcheck`` (or ``FOLDER/EARLY_vs_LATE.compare``), as a
batch does with each clip; nothing already in that folder changes. An output folder of another kind,
or one written by an older formcheck (no marker), is refused rather than written into.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    the folder, ``/``-separated; None while the folder is still being written), each with the
    (size in bytes, modification time in ns) it had then (``stamps``; empty for an older marker)."""

    kind: str
    files: tuple[str, ...] | None
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)


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
    files, stamps = data.get("files"), data.get("stamps", {})
    if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return None
    try:
        stamps = {str(name): (int(size), int(mtime)) for name, (size, mtime) in stamps.items()}
    except (AttributeError, TypeError, ValueError):
        return None
    return Marker(data["kind"], None if files is None else tuple(files), stamps)


def write_marker(folder: Path, kind: str, files: Iterable[str] | None = None) -> None:
    """Mark ``folder`` as formcheck's ``kind`` of output folder holding ``files`` (relative paths, as
    they are now: their size and modification time are recorded; None: still being written)."""
    folder = Path(folder)
    names = None if files is None else sorted(files)
    data = {"tool": "formcheck", "kind": kind, "format": MARKER_FORMAT, "formcheck_version": version("formcheck"),
            "files": names, "stamps": {name: _stamp(folder / name) for name in names or () if name != MARKER_NAME}}
    (folder / MARKER_NAME).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _stamp(path: Path) -> tuple[int, int]:
    """(size in bytes, modification time in ns) of a file."""
    info = path.lstat()
    return info.st_size, info.st_mtime_ns


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
        if (marker is None and not _older_output(target)) or (marker is not None and marker.kind == BATCH):
            target = target / Path(default).name
    check_replaceable(absolute(target), kind, inputs, shown=target, named=out is not None)
    _check_writable_above(absolute(target))
    return absolute(target)


def _check_writable_above(target: Path) -> None:
    """Raise :class:`OutputError` when the nearest existing folder above ``target`` is not a folder or
    cannot be written into (checked before any work, so a refusal does not wait for the pose model)."""
    above = target.parent
    while not os.path.lexists(above):
        above = above.parent
    if not above.is_dir():
        raise OutputError(f"{above} is a file, not a folder, so {target} cannot be made there; give another "
                          "folder with -o")
    if not os.access(above, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into {above} (no permission, or a read-only disk); choose a folder "
                          "you can write to with -o")


def check_replaceable(final: Path, kind: str, inputs: Iterable[Path] = (), shown: Path | None = None,
                      named: bool = True) -> None:
    """Raise :class:`OutputError` unless ``final`` (absolute) is absent, or is formcheck's ``kind`` of
    output folder holding nothing but what it wrote, unchanged since, is neither the current folder
    nor above it, and holds none of ``inputs``. The message names the path as ``shown`` (default
    ``final``) and, with ``named`` False (the default place, no ``-o``), does not suggest leaving
    ``-o`` out."""
    name = str(shown if shown is not None else final)
    try:
        info = final.lstat()
    except (FileNotFoundError, NotADirectoryError):  # nothing there (a file above it is refused elsewhere)
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
        raise OutputError(_not_ours(final, name, named))
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
    try:
        foreign = foreign_entries(final, marker)
    except OSError as exc:
        raise OutputError(f"cannot look inside {name} ({exc.strerror}: {exc.filename}), so formcheck will not "
                          "replace it. Give a new folder name with -o") from exc
    if foreign:
        listed = ", ".join(foreign[:SHOWN_ENTRIES]) + (", ..." if len(foreign) > SHOWN_ENTRIES else "")
        raise OutputError(f"{name} is formcheck's {KIND_NAMES[kind]}, but it also holds what formcheck did not "
                          f"write there or what changed since ({listed}), so formcheck will not replace it. Move "
                          "those out, or give a new folder name with -o")


def foreign_entries(folder: Path, marker: Marker) -> list[str]:
    """Paths in ``folder`` (relative, ``/``-separated) that are not formcheck's as ``marker`` lists them:
    any symbolic link or special file, any file or folder not written there, any file whose size or
    modification time changed since; every entry but the marker when the marker lists no files.
    Stops after the first folder that brings the count over :data:`SHOWN_ENTRIES`. Raises
    ``OSError`` when a folder inside cannot be listed (what it holds is unknown)."""
    files = set(marker.files or ()) | {MARKER_NAME}
    folders = {str(parent) for name in files for parent in PurePosixPath(name).parents if str(parent) != "."}
    foreign: list[str] = []

    def unreadable(error: OSError) -> None:
        raise error

    for root, dirnames, filenames in os.walk(folder, onerror=unreadable):  # links are listed, never followed
        here = Path(root)
        for entry in dirnames + filenames:
            relative = (here / entry).relative_to(folder).as_posix()
            info = (here / entry).lstat()
            if stat.S_ISDIR(info.st_mode):
                ours = relative in folders
            else:
                ours = (stat.S_ISREG(info.st_mode) and relative in files
                        and marker.stamps.get(relative, (info.st_size, info.st_mtime_ns))
                        == (info.st_size, info.st_mtime_ns))
            if not ours:
                foreign.append(relative)
        if len(foreign) > SHOWN_ENTRIES:
            break
        dirnames[:] = [d for d in dirnames if (here / d).relative_to(folder).as_posix() in folders]
    return foreign


def make_folders(folder: Path, made: list[Path]) -> None:
    """Make ``folder`` and any missing folder above it, inserting each one made at the front of
    ``made`` (deepest first), also when a later one fails."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.insert(0, path)


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
        what = "a broken symbolic link" if out.is_symlink() else "a file"
        raise OutputError(f"{out} is {what}, not a folder: a batch writes one folder per clip into a folder. "
                          "Give a new folder name with -o")
    made: list[Path] = []
    try:
        make_folders(absolute(out), made)
        write_marker(out, BATCH, files=[])
    except OSError as exc:
        if made:
            (made[0] / MARKER_NAME).unlink(missing_ok=True)  # written just now, if at all
        remove_empty(made)
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


def _older_output(folder: Path) -> bool:
    """``folder`` looks like an output folder of a formcheck from before the markers (its summary.json
    names a formcheck version)."""
    try:
        return "formcheck_version" in json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _not_ours(folder: Path, name: str, named: bool) -> str:
    """Why ``folder`` (shown as ``name``), which has no marker, is not replaced; ``named``: it was given
    with ``-o`` (else it is the default place)."""
    if _older_output(folder):
        return (f"{name} looks like the output of an older formcheck, which left no marker to prove it, so "
                "formcheck will not replace it. Delete it yourself if you no longer need it, or give a new "
                "folder name with -o")
    try:
        empty = not any(folder.iterdir())
    except OSError:
        empty = False
    what = "an empty folder formcheck did not make" if empty else "not a formcheck output folder: it holds your files"
    fix = "Give a new folder name with -o, or leave -o out" if named else \
        "Rename or move it, or give another folder with -o"
    return f"{name} is {what}. {fix}"
