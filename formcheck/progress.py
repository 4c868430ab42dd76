"""The progress callbacks that the long stages (pose pass, overlay, side-by-side video) call."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, expected)``: frames done so far, and the frames expected in all (None when the
#: clip does not say).
Progress = Callable[[int, int | None], None]
