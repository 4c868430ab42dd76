"""Writing an output folder atomically: it appears complete, or not at all, and only where it may.

Everything is written into a hidden temporary folder beside the destination, marked as formcheck's
from the start (:mod:`formcheck.io.destination`), which is moved into place only when all files are
written. An earlier result at the destination is replaced only when it is provably formcheck's own
output of the same kind (checked before and again just before the move), and only on success: a
failure (disk full, no permission, the folder gone) leaves it as it was, removes the temporary folder
and the folders made above it, and says in one line what failed where. A run killed outright
(SIGKILL, power loss) cannot remove its temporary folder: the next run writing the same destination
does, once no live run holds it.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from formcheck.errors import OutputError
from formcheck.io.destination import (
    absolute,
    check_replaceable,
    make_folders,
    read_marker,
    remove_empty,
    write_marker,
)

try:
    import fcntl
except ImportError:  # Windows: no flock, so a killed run's temporary folder is left for the user
    fcntl = None


@contextmanager
def atomic_output_dir(final: Path, kind: str, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it becomes ``final``, formcheck's ``kind`` of output
    folder (:data:`~formcheck.io.destination.ANALYSIS`, ...), replacing an earlier one there; on any error it
    is deleted and ``final`` is left as it was. ``inputs``: the clips being read, which ``final`` must
    not hold. Raises :class:`~formcheck.errors.OutputError` when ``final`` is not formcheck's to replace
    (:func:`~formcheck.io.destination.check_replaceable`; nothing is made then) or writing fails."""
    final, inputs = absolute(final), tuple(inputs)
    check_replaceable(final, kind, inputs)
    made: list[Path] = []
    staging = lock = None
    try:
        try:
            make_folders(final.parent, made)
            staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
            lock = _lock(staging)
            write_marker(staging, kind)
        except OSError as exc:  # nothing is written yet: every error here is about the destination
            raise OutputError(f"cannot make the output folder {final} ({exc.strerror}: {exc.filename}); "
                              f"{_advice(exc)}") from exc
        _remove_stale_staging(final, staging, kind)
        yield staging
        write_marker(staging, kind, files_in(staging))
        check_replaceable(final, kind, inputs)  # again: the destination may have changed meanwhile
        _move_into_place(staging, final)
    except BaseException as exc:
        if staging is not None:  # made by mkdtemp above: this run's own
            shutil.rmtree(staging, ignore_errors=True)
        remove_empty(made)
        if isinstance(exc, OSError) and staging is not None and _is_writing(exc, staging, final):
            raise OutputError(f"could not write {final}: {exc.strerror or exc}"
                              + (f" ({exc.filename})" if exc.filename else "")
                              + f"; nothing there was changed. {_advice(exc)}") from exc
        raise
    finally:
        if lock is not None:
            os.close(lock)


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, relative and ``/``-separated."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _advice(error: OSError) -> str:
    """What to do about a failed write, by its cause."""
    if error.errno == errno.ENOSPC:
        return "Free some space, or choose another folder with -o"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "Choose a folder you can write to with -o"
    return "Choose another folder with -o"


def _move_into_place(staging: Path, final: Path) -> None:
    """Rename ``staging`` to ``final``. An earlier folder there (proven formcheck's own by the caller)
    is first renamed aside, put back if the second rename fails, and deleted once it succeeded."""
    if not os.path.lexists(final):
        os.replace(staging, final)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
    aside = False
    try:  # a Ctrl-C between the two renames also puts the earlier result back
        os.replace(final, retired / final.name)
        aside = True
        os.replace(staging, final)
    except BaseException:
        if aside:
            os.replace(retired / final.name, final)  # the earlier result, back where it was
        os.rmdir(retired)
        raise
    shutil.rmtree(retired, ignore_errors=True)  # made above, holding only the earlier result


def _is_writing(error: OSError, staging: Path, final: Path) -> bool:
    """The error came from writing the output (no file named, or one in ``staging``, or ``final``),
    not from reading the clip."""
    if not error.filename:
        return True
    named = Path(os.fsdecode(error.filename))
    return named in (staging, final) or staging in named.parents


def _lock(folder: Path) -> int | None:
    """Hold an exclusive lock on ``folder`` for as long as this process lives or until the returned
    descriptor is closed; None where locks are not available (Windows) or the folder is gone."""
    if fcntl is None:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_stale_staging(final: Path, own: Path, kind: str) -> None:
    """Delete the temporary folders that killed runs writing ``final`` left beside it: named like
    ``own`` (``.NAME.<8 random characters>.partial``, NAME exactly ``final``'s), a folder (not a link),
    marked as formcheck's ``kind`` of output, last changed before ``own`` was made, and locked by no
    live run. Anything else, and runs still writing, are untouched."""
    pattern = re.compile(re.escape(f".{final.name}.") + r"[a-z0-9_]{8}" + re.escape(".partial"))
    started = own.stat().st_mtime_ns
    for path in final.parent.iterdir():
        if path == own or not pattern.fullmatch(path.name):
            continue
        try:
            info = path.lstat()
        except OSError:  # gone meanwhile: its run finished
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_mtime_ns >= started:
            continue
        marker = read_marker(path)
        if marker is None or marker.kind != kind:
            continue
        lock = _lock(path)
        if lock is not None:
            shutil.rmtree(path, ignore_errors=True)
            os.close(lock)


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON; NaN and infinities become null (JSON has no NaN)."""
    Path(path).write_text(json.dumps(_nan_to_none(data), indent=2, allow_nan=False) + "\n")


def _nan_to_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    return value
