"""Writing an output folder atomically: it appears complete, or not at all.

Everything is written into a hidden temporary folder beside the destination, which is moved into
place only when all files are written. A crash or Ctrl-C leaves no folder that looks complete (the
temporary one is removed), and an earlier result at the destination is replaced only on success.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from formcheck.errors import FormcheckError


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
    try:
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
