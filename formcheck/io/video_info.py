"""What a clip is: the facts :func:`formcheck.io.video.probe` reads from its container, in a module of
their own so that a re-analysis can read them back from summary.json without loading PyAV or OpenCV."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is, as displayed.

    ``width`` and ``height`` are in pixels after the rotation tag is applied. ``rotation`` is the
    counter-clockwise turn (0, 90, 180 or 270 degrees) that brings stored frames upright.
    ``duration_s`` and ``average_fps`` are NaN when the container does not say; ``frame_count`` is
    None when unknown (it is the container's count, not a decoded one).
    """

    path: str
    width: int
    height: int
    rotation: int
    duration_s: float
    average_fps: float
    codec: str
    pixel_format: str
    frame_count: int | None
    stored_width: int
    stored_height: int

    def as_dict(self) -> dict:
        """The facts as plain JSON-serialisable values (NaN becomes None)."""
        out = {}
        for key, value in self.__dict__.items():
            out[key] = None if isinstance(value, float) and math.isnan(value) else value
        return out

    @classmethod
    def from_dict(cls, data: dict, path: str | None = None) -> VideoInfo:
        """Read :meth:`as_dict` back (as saved in summary.json), with ``path`` instead of the saved one
        when given. Raises KeyError, TypeError or ValueError when ``data`` lacks a fact or holds a wrong one."""
        kinds = {f.name: f.type for f in fields(cls)}  # the annotations, as text
        if set(data) != set(kinds):
            raise KeyError(f"video facts differ: {sorted(set(data) ^ set(kinds))}")
        values = {}
        for name, value in data.items():
            if kinds[name] == "float":
                value = math.nan if value is None else float(value)
            elif kinds[name] == "int":
                value = int(value)
            values[name] = value
        if path is not None:
            values["path"] = path
        return cls(**values)

