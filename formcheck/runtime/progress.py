"""The progress callbacks that the long stages (pose pass, overlay, side-by-side video) call, and
the one the public API (:mod:`formcheck.api`) takes, which also names the stage."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, expected)``: frames done so far, and the frames expected in all (None when the
#: clip does not say).
Progress = Callable[[int, int | None], None]

#: ``progress(phase, done, total)``: phase is "pose" (frames searched), "overlay" (frames drawn) or
#: "side by side" (frames of the comparison video); total is None when the clip does not say.
PhaseProgress = Callable[[str, int, int | None], None]
