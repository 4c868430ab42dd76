"""Track: one runner's landmarks over time, valid from birth, saved and loaded exactly.

Axes: T frames, K = 33 pose landmarks (:data:`formcheck.body.landmarks.POSE_LANDMARKS`), 2 hands
(the runner's left, right) of 21 landmarks each. Missing values are NaN, never 0.

Times are float64; landmark values are float32 (a ten-thousandth of a pixel on a 4K frame, far
below what any model resolves), which halves the memory a long clip needs. A track is built frame
by frame with :class:`TrackBuilder`, which fills preallocated arrays instead of keeping per-frame
objects.

On disk a track is two files with the same stem: ``STEM.csv`` (one row per frame, one column per
coordinate, units in the column names) and ``STEM.json`` (format version and metadata such as the
frame size). The CSV is written in blocks of rows (memory stays flat on long clips) and floats in
their shortest exact form, so save/load round-trips bit for bit. A loaded track remembers its CSV
as it was when read (its landmarks cannot change: the arrays are read-only), and saving it elsewhere
copies that file while it is unchanged on disk: a re-analysis writes its landmarks in a millisecond
instead of a tenth of a second.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formcheck.body.landmarks import HAND_LANDMARKS, HAND_SIDES, POSE_LANDMARKS
from formcheck.errors import TrackError
from formcheck.pose import PoseFrame

FORMAT_VERSION = 1
_K, _H = len(POSE_LANDMARKS), len(HAND_LANDMARKS)
_SHAPES = {"times": (), "xy": (_K, 2), "visibility": (_K,), "world": (_K, 3), "hands": (len(HAND_SIDES), _H, 3)}
_DTYPES = {"times": np.float64, "xy": np.float32, "visibility": np.float32, "world": np.float32,
           "hands": np.float32}
_CSV_BLOCK_ROWS = 2048


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

    NaN anywhere means "not found or not trusted in that frame". Arrays are read-only; ``times`` is
    float64, the landmark arrays float32. A read-only array of the right type is shared, not copied.
    """

    times: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    hands: np.ndarray
    meta: dict = field(default_factory=dict)
    #: (path, :func:`_file_stamp`) of the CSV :meth:`load` read this track from, stamped just before
    #: reading; None for a track not loaded (set by :meth:`load` only).
    _loaded_from = None

    def __post_init__(self) -> None:
        t = len(np.asarray(self.times))
        for name, shape in _SHAPES.items():
            value = getattr(self, name)
            array = np.asarray(value, dtype=_DTYPES[name])
            if array is value and array.flags.writeable:  # the caller's own array: keep ours apart
                array = array.copy()
            if array.shape != (t, *shape):
                raise TrackError(f"track {name}: expected shape {(t, *shape)}, got {array.shape}")
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

    def gaps(self, longer_than_s: float = 0.0) -> list[tuple[float, float]]:
        """Stretches where nobody was found, as (start_s, end_s): from the last frame with a person
        before (the first frame, at the start) to the first frame with one after (the last frame, at
        the end); only those lasting longer than ``longer_than_s`` seconds. The frames on either side
        of a gap hold a person, so no stretch between two frames is both in view and in a gap."""
        missing = np.concatenate([[False], ~self.found, [False]])
        edges = np.flatnonzero(np.diff(missing.astype(np.int8)))
        last = len(self) - 1
        spans = [(float(self.times[max(first - 1, 0)]), float(self.times[min(stop, last)]))
                 for first, stop in zip(edges[::2], edges[1::2])]
        return [(start, end) for start, end in spans if end - start > longer_than_s]

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

    def to_dataframe(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """One row per frame (frames ``start:stop``, all by default); columns ``time_s`` (float64)
        then every coordinate (float32) with its unit in the name."""
        rows = slice(start, stop)
        t = len(self.times[rows])
        blocks = [self.xy[rows].reshape(t, -1), self.visibility[rows],
                  self.world[rows].reshape(t, -1), self.hands[rows].reshape(t, -1)]
        table = pd.DataFrame(np.hstack(blocks), columns=_columns()[1:])
        table.insert(0, "time_s", self.times[rows])
        return table

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``STEM.csv`` and ``STEM.json``; returns both paths."""
        stem = Path(stem)
        csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
        source, stamp = self._loaded_from or (None, None)
        if stamp is not None and _file_stamp(source) == stamp:
            if source != csv_path.resolve():
                shutil.copyfile(source, csv_path)
        else:
            with open(csv_path, "w", newline="") as f:
                for start in range(0, max(len(self), 1), _CSV_BLOCK_ROWS):
                    self.to_dataframe(start, start + _CSV_BLOCK_ROWS).to_csv(f, index=False, header=start == 0,
                                                                             na_rep="")
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
        stamp = _file_stamp(csv_path)
        try:
            header = json.loads(json_path.read_text())
        except json.JSONDecodeError as exc:
            raise TrackError(f"{json_path}: not valid JSON ({exc})") from exc
        if header.get("format") != "formcheck-track" or header.get("version") != FORMAT_VERSION:
            raise TrackError(f"{json_path}: expected a formcheck track of version {FORMAT_VERSION}, "
                             f"got {header.get('format')!r} version {header.get('version')!r}")
        columns = _columns()
        table = pd.read_csv(csv_path, float_precision="round_trip",
                            dtype={name: np.float64 if name == "time_s" else np.float32 for name in columns})
        if list(table.columns) != columns:
            raise TrackError(f"{csv_path}: the columns are not those of a formcheck track")
        times = table.pop("time_s").to_numpy()
        values = table.to_numpy(dtype=np.float32)
        del table
        t = len(values)
        xy, vis, world, hands = np.split(values, np.cumsum([_K * 2, _K, _K * 3]), axis=1)
        track = cls(times=times, xy=xy.reshape(t, _K, 2), visibility=vis, world=world.reshape(t, _K, 3),
                    hands=hands.reshape(t, len(HAND_SIDES), _H, 3), meta=header["meta"])
        object.__setattr__(track, "_loaded_from", (csv_path.resolve(), stamp))
        return track


def joined(tracks: Sequence[Track]) -> Track:
    """One track of ``tracks``, parts of one clip in time order, with the first one's ``meta``."""
    if len(tracks) == 1:
        return tracks[0]
    return Track(**{name: np.concatenate([getattr(t, name) for t in tracks]) for name in _DTYPES}, meta=tracks[0].meta)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(inode, size in bytes, modification time in ns) of a file: changes when it is rewritten or
    replaced. None when it cannot be read."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


class TrackBuilder:
    """Collects a track frame by frame into preallocated arrays (grown by half when a clip has more
    frames than announced), so a long clip costs its float32 landmarks and nothing per frame more."""

    def __init__(self, meta: dict, expected_frames: int | None = None) -> None:
        self._meta = meta
        self._count = 0
        self._arrays = {name: np.empty((max(expected_frames or 0, 256), *shape), _DTYPES[name])
                        for name, shape in _SHAPES.items()}

    def __len__(self) -> int:
        return self._count

    def add(self, time_s: float, frame: PoseFrame) -> None:
        """Append one frame's landmarks at presentation time ``time_s`` (s)."""
        if self._count == len(self._arrays["times"]):
            grown = self._count + self._count // 2
            self._arrays = {name: np.resize(a, (grown, *a.shape[1:])) for name, a in self._arrays.items()}
        row = self._count
        self._arrays["times"][row] = time_s
        for name in ("xy", "visibility", "world", "hands"):
            self._arrays[name][row] = getattr(frame, name)
        self._count += 1

    def build(self) -> Track:
        """The track of the frames added so far (shares the builder's memory; add no more after)."""
        arrays = {name: a[:self._count] for name, a in self._arrays.items()}
        for array in arrays.values():
            array.setflags(write=False)
        return Track(**arrays, meta=self._meta)


def _columns() -> list[str]:
    columns = ["time_s"]
    columns += [f"{name}_{axis}_px" for name in POSE_LANDMARKS for axis in "xy"]
    columns += [f"{name}_visibility" for name in POSE_LANDMARKS]
    columns += [f"{name}_world_{axis}_m" for name in POSE_LANDMARKS for axis in "xyz"]
    columns += [f"{side}_hand_{name}_{axis}_px" for side in HAND_SIDES for name in HAND_LANDMARKS for axis in "xyz"]
    return columns
