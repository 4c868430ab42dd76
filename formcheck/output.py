"""Writing an output folder atomically: it appears complete, or not at all.

Everything is written into a hidden temporary folder beside the destination, which is moved into
place only when all files are written. A crash or Ctrl-C leaves no folder that looks complete (the
temporary one is removed), and an earlier result at the destination is replaced only on success.
A run killed outright (SIGKILL, power loss) cannot remove its temporary folder: the next run writing
the same destination does, once no live run holds it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from formcheck.errors import FormcheckError

try:
    import fcntl
except ImportError:  # Windows: no flock, so a killed run's temporary folder is left for the user
    fcntl = None


@contextmanager
def atomic_output_dir(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it replaces ``final``, on any error it is deleted."""
    final = Path(final).resolve()
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise FormcheckError(f"cannot write to {parent} ({exc.strerror}); choose another folder with -o") from exc
    lock = _lock(staging)
    try:
        _remove_stale_staging(final, staging)
        yield staging
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=parent))
            os.replace(final, retired / final.name)
            os.replace(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            os.close(lock)


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


def _remove_stale_staging(final: Path, own: Path) -> None:
    """Delete the temporary folders that killed runs writing ``final`` left beside it: named like
    ``own`` (``.NAME.<8 random characters>.partial``, NAME exactly ``final``'s), last changed before
    ``own`` was made, and locked by no live run. Other names, and runs still writing, are untouched."""
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
