"""Camera motion: was the phone held still, or did it pan to follow the runner?

A phone on a stand films a still background; one that pans along a track moves the whole background
across the frame. formcheck's runner follower looks for the person who moves, which assumes a still
camera, and a pan smears the frames, so a panning clip gets a warning.

The shift of each frame against the one before is measured on a small grey copy of the frame (about
:data:`MAP_WIDTH` pixels across): corners outside the person's box (from the pose landmarks) are
tracked into the next frame (OpenCV's pyramidal Lucas-Kanade), and the motion most of them share is
fitted robustly (RANSAC, a shift-rotation-zoom transform). The shift of the frame's centre under it
is the camera's move. The person's own motion is left out, and so are the few corners of a caption
burnt into the video, which stay put while the background moves. Frames are compared about
:data:`SAMPLE_INTERVAL_S` apart (the others are skipped), which costs about 1% of the pose model's
time. Shifts are added up over windows of
``window_s`` seconds, so a hand's shake (back and forth) cancels out and a pan (one way) adds up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.config import QualityConfig

MAP_WIDTH = 160  # pixels across the grey copy that is correlated
PERSON_MARGIN = 0.15  # the person's box is widened by this share of its size on each side
MAX_CORNERS = 150  # corners tracked per frame
MIN_CORNERS = 8  # fewer tracked corners than this: the frame's shift is not measured
SAMPLE_INTERVAL_S = 1 / 12  # seconds between the frames compared
WINDOW_S = 1.0  # seconds over which shifts are added up


@dataclass(frozen=True)
class CameraMotion:
    """How the picture moved over a clip: ``speeds``, the net shift of the picture in each window of
    ``window_s`` seconds (windows start every half window), in frame widths per second (a frame's
    width crossing the screen in one second is 1.0). Empty when the clip is shorter than a window."""

    window_s: float
    speeds: tuple[float, ...]

    def panning_share(self, pan_speed: float) -> float:
        """Share (0-1) of the windows whose picture moved faster than ``pan_speed`` frame widths per
        second; NaN when there is no window."""
        return float(np.mean(np.asarray(self.speeds) > pan_speed)) if self.speeds else float("nan")

    def as_dict(self) -> dict:
        return {"window_s": self.window_s, "pan_speeds_frame_widths_per_s": [round(v, 4) for v in self.speeds]}

    @classmethod
    def from_dict(cls, data: dict) -> CameraMotion:
        """Read :meth:`as_dict` back (as saved in summary.json)."""
        return cls(window_s=float(data.get("window_s", WINDOW_S)),
                   speeds=tuple(float(v) for v in data.get("pan_speeds_frame_widths_per_s", [])))


def pan_warnings(motion: CameraMotion, config: QualityConfig) -> list[str]:
    """A warning when the camera panned in more than ``config.max_panning_share`` of the clip."""
    share = motion.panning_share(config.pan_speed)
    if not share > config.max_panning_share:
        return []
    return [f"the camera pans in {share:.0%} of the clip (the background moves more than "
            f"{config.pan_speed:g} frame widths per second): formcheck finds the runner by motion, and a pan "
            "blurs the frames; film from a tripod or a still hand, with the runner passing or on a treadmill"]


class PanMeter:
    """Fed the frames of a clip in time order, measures the camera's motion."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None
        self._previous_time = -np.inf
        self._previous_box: tuple[int, int, int, int] | None = None
        self._times: list[float] = []
        self._shifts: list[np.ndarray] = []  # (dx, dy) in frame widths, frame against the one before

    def add(self, rgb: np.ndarray, time_s: float, person_xy: np.ndarray | None = None) -> None:
        """Measure frame ``rgb`` (H, W, 3 uint8) shown at ``time_s`` (s) against the last one measured,
        if that is at least :data:`SAMPLE_INTERVAL_S` earlier (otherwise the frame is skipped).
        ``person_xy`` (K, 2): the person's landmarks in pixels of ``rgb`` (NaN or None: nobody found)."""
        if time_s - self._previous_time < SAMPLE_INTERVAL_S * 0.999:
            return
        gray, step = grey_thumbnail(rgb, MAP_WIDTH)
        box = _box(person_xy, step, gray.shape)
        if self._previous is not None and self._previous.shape == gray.shape:
            shift = _background_shift(self._previous, gray, [b for b in (box, self._previous_box) if b])
            if shift is not None:
                self._shifts.append(shift / gray.shape[1])
                self._times.append(time_s)
        self._previous, self._previous_time, self._previous_box = gray, time_s, box

    def extend(self, later: PanMeter) -> None:
        """Take on the samples of ``later``, which measured the part of the clip after this one's."""
        self._times += later._times
        self._shifts += later._shifts

    def result(self, window_s: float = WINDOW_S) -> CameraMotion:
        """The clip's :class:`CameraMotion`, with windows of ``window_s`` seconds."""
        if not self._times or self._times[-1] - self._times[0] < window_s:
            return CameraMotion(window_s=window_s, speeds=())
        times = np.asarray(self._times)
        path = np.cumsum(np.asarray(self._shifts), axis=0)  # where the picture has moved to, frame widths
        starts = np.arange(times[0], times[-1] - window_s + 1e-9, window_s / 2)
        first = np.searchsorted(times, starts)
        last = np.searchsorted(times, starts + window_s, side="right") - 1
        spans = times[last] - times[first]
        usable = spans > 0
        speeds = np.linalg.norm(path[last] - path[first], axis=1)[usable] / spans[usable]
        return CameraMotion(window_s=window_s, speeds=tuple(speeds.tolist()))


def grey_thumbnail(rgb: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """A grey copy (uint8) of ``rgb`` (H, W, 3) made of every ``step``-th pixel in both directions,
    about ``width`` pixels across, and that ``step``: cheap, and enough to see motion."""
    import cv2  # here, not at the top: a re-analysis reads CameraMotion from summary.json, without OpenCV

    step = max(1, rgb.shape[1] // width)
    size = (-(-rgb.shape[1] // step), -(-rgb.shape[0] // step))
    # Nearest-neighbour resizing to ceil(side / step) picks exactly every step-th pixel, 4x faster than slicing.
    return cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_NEAREST), cv2.COLOR_RGB2GRAY), step


def _box(xy: np.ndarray | None, step: int, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The box around landmarks ``xy`` (pixels of the full frame), widened by :data:`PERSON_MARGIN`,
    in pixels of the grey copy (every ``step``-th pixel, ``shape`` rows by columns); None if no landmark."""
    if xy is None or not np.isfinite(xy).any():
        return None
    (x0, y0), (x1, y1) = np.nanmin(xy, axis=0) / step, np.nanmax(xy, axis=0) / step
    mx, my = PERSON_MARGIN * (x1 - x0), PERSON_MARGIN * (y1 - y0)
    return (max(0, int(x0 - mx)), max(0, int(y0 - my)),
            min(shape[1], int(np.ceil(x1 + mx))), min(shape[0], int(np.ceil(y1 + my))))


def _background_shift(before: np.ndarray, after: np.ndarray, people: list[tuple[int, int, int, int]]
                      ) -> np.ndarray | None:
    """(dx, dy) pixels the background's centre moved from grey frame ``before`` to ``after``, with
    corners inside the boxes ``people`` ignored; None when too few corners could be followed."""
    import cv2

    mask = np.full(before.shape, 255, np.uint8)
    for x0, y0, x1, y1 in people:
        mask[y0:y1, x0:x1] = 0
    corners = cv2.goodFeaturesToTrack(before, MAX_CORNERS, qualityLevel=0.01, minDistance=4, mask=mask)
    if corners is None or len(corners) < MIN_CORNERS:
        return None
    moved, status, _ = cv2.calcOpticalFlowPyrLK(before, after, corners, None)
    kept = status[:, 0] == 1
    if kept.sum() < MIN_CORNERS:
        return None
    transform, _ = cv2.estimateAffinePartial2D(corners[kept], moved[kept], method=cv2.RANSAC,
                                               ransacReprojThreshold=1.0)
    if transform is None:
        return None
    centre = np.array([before.shape[1] / 2, before.shape[0] / 2, 1.0])
    return transform @ centre - centre[:2]
