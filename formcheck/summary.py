"""What ``summary.json`` holds, as one dataclass: written from it and read back into it here only.

:class:`Summary` has one field per key of ``summary.json``, in the file's order. The parts that
have types of their own are typed (the segments are :class:`~formcheck.measure.segments.Segment`
objects); the rest are the plain JSON structures their producers define (the clip's facts:
:meth:`formcheck.io.video_info.VideoInfo.as_dict`; the settings: :meth:`formcheck.config.Config.as_dict`;
the camera: :meth:`formcheck.scene.camera.CameraMotion.as_dict` ...). A file written by an earlier
formcheck may lack keys: they read back as their defaults here, so the callers need no guards.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from formcheck.io.output import write_json
from formcheck.measure.segments import Segment

SUMMARY_NAME = "summary.json"
#: The verdict on one clip (:func:`verdict_of`); its reasons are the segments' (:class:`Segment`).
Verdict = Literal["tight", "relaxed", "not enough data"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
#: Fewer strides with any measure than this: "not enough data".
MIN_JUDGED_STRIDES = 3


def verdict_of(segments: list[Segment], measurable_strides: int) -> Verdict:
    """The :data:`Verdict` of a clip with these segments and this many strides with any measure."""
    if segments:
        return "tight"
    return "relaxed" if measurable_strides >= MIN_JUDGED_STRIDES else "not enough data"


@dataclass
class Summary:
    """The analysis of one clip in brief (``summary.json``): its :data:`Verdict`, with the
    ``segments`` that make it; ``pose_parts``: how many parts of the clip the pose model searched
    at once (one per usable core by default, so it says which machine's landmarks these are);
    ``pose_every``: it saw every n-th frame of the clip (:mod:`formcheck.io.frame_pick`);
    ``files``: the files of the output folder, filled in when it is written. Times in seconds; NaN where a figure could not be computed (null in the file)."""

    formcheck_version: str = ""
    clip: dict = field(default_factory=dict)
    clip_sha256: str = ""
    pose_backend: str | None = None
    pose_parts: int = 1
    pose_every: int = 1
    pose_reused: bool = False
    cleaning_reused: bool = False
    strides_reused: bool = False
    frames_analysed: int = 0
    analysed_time_s: list[float] = field(default_factory=list)
    runner_in_view: dict = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    left_right_swaps: dict | None = None
    timings: dict[str, float] = field(default_factory=dict)
    view: dict = field(default_factory=dict)
    strides: dict = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    verdict: Verdict = "not enough data"
    segments: list[Segment] = field(default_factory=list)
    pace: dict = field(default_factory=dict)
    camera: dict = field(default_factory=dict)
    camera_roll: dict = field(default_factory=dict)
    decode_warnings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON structure of ``summary.json`` (``files`` only once known)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["segments"] = [segment.as_record() for segment in self.segments]
        if not self.files:
            del data["files"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        """The summary :meth:`to_dict` made (missing keys: their defaults; unknown keys ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if values.get("verdict") not in VERDICTS:
            values.pop("verdict", None)  # not a verdict formcheck gives: read as "not enough data"
        values["segments"] = [Segment.from_record(record) for record in data.get("segments") or []]
        return cls(**values)

    def save(self, folder: Path) -> None:
        """Write ``folder/summary.json`` (NaN as null)."""
        write_json(Path(folder) / SUMMARY_NAME, self.to_dict())

    @classmethod
    def load(cls, folder: Path) -> Summary | None:
        """The summary saved in ``folder``; None when there is none, or it is not a summary."""
        try:
            data = json.loads((Path(folder) / SUMMARY_NAME).read_text())
            return cls.from_dict(data) if isinstance(data, dict) else None
        except (OSError, ValueError, TypeError, KeyError):
            return None
