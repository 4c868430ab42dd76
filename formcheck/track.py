"""Track: one runner's landmarks over time, valid from birth, saved and loaded exactly.

Axes: T frames, K = 33 pose landmarks (:data:`formcheck.landmarks.POSE_LANDMARKS`), 2 hands
(the runner's left, right) of 21 landmarks each. Missing values are NaN, never 0.

On disk a track is two files with the same stem: ``STEM.csv`` (one row per frame, one column per
coordinate, units in the column names) and ``STEM.json`` (format version and metadata such as the
frame size). Floats are written in their shortest exact form, so save/load round-trips bit for bit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formcheck.errors import TrackError
from formcheck.landmarks import HAND_LANDMARKS, HAND_SIDES, POSE_LANDMARKS
from formcheck.pose import PoseFrame

FORMAT_VERSION = 1
_K, _H = len(POSE_LANDMARKS), len(HAND_LANDMARKS)


@dataclass(frozen=True, eq=False)
class Track:
    """Landmarks of one runner over time.

    - ``times`` (T,): presentation time of each frame in seconds, strictly increasing.
    - ``xy`` (T, K, 2): pose landmarks in pixels, display orientation (x right, y down).
    - ``visibility`` (T, K): the model's visibility score in [0, 1].
    - ``world`` (T, K, 3): the model's metric 3D landmarks in metres (hip-centred).
    - ``hands`` (T, 2, 21, 3): 21-point hands (runner's left, right): x, y in pixels, z relative
      depth scaled like x (pixels).
    - ``meta``: at least ``width`` and ``height`` of the frame in pixels; also the source clip and
      the pose backend when known.

    NaN anywhere means "not found or not trusted in that frame". Arrays are read-only.
    """

    times: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    hands: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        arrays = {
            "times": self.times, "xy": self.xy, "visibility": self.visibility,
            "world": self.world, "hands": self.hands,
        }
        t = len(np.asarray(self.times))
        expected = {
            "times": (t,), "xy": (t, _K, 2), "visibility": (t, _K),
            "world": (t, _K, 3), "hands": (t, len(HAND_SIDES), _H, 3),
        }
        for name, value in arrays.items():
            array = np.array(value, dtype=np.float64)
            if array.shape != expected[name]:
                raise TrackError(f"track {name}: expected shape {expected[name]}, got {array.shape}")
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if not np.isfinite(self.times).all():
            raise TrackError("track times: expected finite seconds, got NaN or infinity")
        if t > 1 and not (np.diff(self.times) > 0).all():
            raise TrackError("track times: expected strictly increasing seconds, got a repeat or a step back")
        for key in ("width", "height"):
            if not isinstance(self.meta.get(key), int) or self.meta[key] <= 0:
                raise TrackError(f"track meta: expected a positive integer {key!r} in pixels, got {self.meta.get(key)!r}")
        object.__setattr__(self, "meta", dict(self.meta))

    def __len__(self) -> int:
        return len(self.times)

    @property
    def found(self) -> np.ndarray:
        """(T,) bool: a person was found in the frame."""
        return np.isfinite(self.xy).any(axis=(1, 2))

    def replace(self, **changes) -> Track:
        """A new validated Track with some fields replaced."""
        fields = dict(times=self.times, xy=self.xy, visibility=self.visibility, world=self.world,
                      hands=self.hands, meta=self.meta)
        fields.update(changes)
        return Track(**fields)

    def frame(self, index: int) -> PoseFrame:
        """The landmarks of frame ``index`` as a :class:`PoseFrame`."""
        return PoseFrame(xy=self.xy[index], visibility=self.visibility[index],
                         world=self.world[index], hands=self.hands[index])

    @classmethod
    def from_frames(cls, times: Sequence[float], frames: Sequence[PoseFrame], meta: dict) -> Track:
        """Stack per-frame results into a Track."""
        if len(times) != len(frames):
            raise TrackError(f"expected one pose result per time, got {len(frames)} for {len(times)} times")
        if not frames:
            empty = PoseFrame.empty()
            stack = lambda name: np.empty((0, *getattr(empty, name).shape))  # noqa: E731
        else:
            stack = lambda name: np.stack([getattr(f, name) for f in frames])  # noqa: E731
        return cls(times=np.asarray(times, dtype=float), xy=stack("xy"), visibility=stack("visibility"),
                   world=stack("world"), hands=stack("hands"), meta=meta)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per frame; columns ``time_s`` then every coordinate with its unit in the name."""
        t = len(self)
        blocks = [self.times[:, None], self.xy.reshape(t, -1), self.visibility,
                  self.world.reshape(t, -1), self.hands.reshape(t, -1)]
        return pd.DataFrame(np.hstack(blocks), columns=_columns())

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``STEM.csv`` and ``STEM.json``; returns both paths."""
        stem = Path(stem)
        csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
        self.to_dataframe().to_csv(csv_path, index=False, float_format=None, na_rep="")
        header = {"format": "formcheck-track", "version": FORMAT_VERSION, "frames": len(self), "meta": self.meta}
        json_path.write_text(json.dumps(header, indent=2) + "\n")
        return csv_path, json_path

    @classmethod
    def load(cls, stem: str | Path) -> Track:
        """Read a track written by :meth:`save` (give the stem, or either file's path)."""
        stem = Path(stem)
        if stem.suffix in (".csv", ".json"):
            stem = stem.with_suffix("")
        csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
        for path in (csv_path, json_path):
            if not path.is_file():
                raise TrackError(f"{path}: no such file; a saved track is a .csv and a .json with the same name")
        try:
            header = json.loads(json_path.read_text())
        except json.JSONDecodeError as exc:
            raise TrackError(f"{json_path}: not valid JSON ({exc})") from exc
        if header.get("format") != "formcheck-track" or header.get("version") != FORMAT_VERSION:
            raise TrackError(f"{json_path}: expected a formcheck track of version {FORMAT_VERSION}, "
                             f"got {header.get('format')!r} version {header.get('version')!r}")
        table = pd.read_csv(csv_path, float_precision="round_trip", dtype=np.float64)
        if list(table.columns) != _columns():
            raise TrackError(f"{csv_path}: the columns are not those of a formcheck track")
        values = table.to_numpy(dtype=np.float64)
        t = len(values)
        widths = np.cumsum([1, _K * 2, _K, _K * 3])
        times, xy, vis, world, hands = np.split(values, widths, axis=1)
        return cls(times=times[:, 0], xy=xy.reshape(t, _K, 2), visibility=vis, world=world.reshape(t, _K, 3),
                   hands=hands.reshape(t, len(HAND_SIDES), _H, 3), meta=header["meta"])


def _columns() -> list[str]:
    columns = ["time_s"]
    columns += [f"{name}_{axis}_px" for name in POSE_LANDMARKS for axis in "xy"]
    columns += [f"{name}_visibility" for name in POSE_LANDMARKS]
    columns += [f"{name}_world_{axis}_m" for name in POSE_LANDMARKS for axis in "xyz"]
    columns += [f"{side}_hand_{name}_{axis}_px" for side in HAND_SIDES for name in HAND_LANDMARKS for axis in "xyz"]
    return columns
