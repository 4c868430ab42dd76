"""Keep the pose model on the runner when other people are in the picture.

MediaPipe's pose tracker follows one person: whoever its detector found first. With a bystander in
the frame (a coach, someone standing by the treadmill) that can be the wrong one. The runner is the
person who moves: :class:`RunnerFollower` keeps a low-resolution map of recent motion, and while the
tracked person holds most of it, frames pass through untouched. When most of the motion lies outside
the tracked person, that person is not the runner: the frame's landmarks are dropped (NaN), and from
the next frame on the model sees only a crop around the moving region, which then follows the
runner's own landmarks. A camera that pans (motion everywhere) never triggers the switch.
"""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.config import FollowConfig
from formcheck.pose import PoseEstimator, PoseFrame

_MAP_WIDTH = 160  # about this many pixels across the motion map


class RunnerFollower:
    """A :class:`~formcheck.pose.PoseEstimator` that wraps another and steers it to the moving person."""

    def __init__(self, inner: PoseEstimator, config: FollowConfig = FollowConfig()) -> None:
        self.name = inner.name
        self._inner = inner
        self._config = config
        self._energy: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._previous_time = 0.0
        self._box: tuple[int, int, int, int] | None = None  # crop in frame pixels, while following
        self._calm_until = -np.inf  # no new switch before this time (s), after a crop found nobody

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        self._update_motion(rgb, time_s)
        height, width = rgb.shape[:2]
        if self._box is not None:
            found = self._estimate_in(rgb, self._box, time_s, out_size)
            self._box = self._crop_around(found, out_size, (width, height)) if found.found else None
            if not found.found:
                self._calm_until = time_s + self._config.cooldown_s
            return found
        found = self._inner.estimate(rgb, time_s, out_size)
        if not found.found or time_s < self._calm_until:
            return found
        mover = self._largest_mover()
        if mover is not None and self._motion_share(found, out_size, mover) < self._config.min_motion_share:
            self._box = self._mover_box(mover, width, height)
            return PoseFrame.empty()  # these landmarks belong to someone standing still
        return found

    def close(self) -> None:
        self._inner.close()

    def _estimate_in(self, rgb: np.ndarray, box: tuple[int, int, int, int], time_s: float,
                     out_size: tuple[int, int]) -> PoseFrame:
        x0, y0, x1, y1 = box
        sx, sy = out_size[0] / rgb.shape[1], out_size[1] / rgb.shape[0]
        crop_out = (max(1, round((x1 - x0) * sx)), max(1, round((y1 - y0) * sy)))
        found = self._inner.estimate(np.ascontiguousarray(rgb[y0:y1, x0:x1]), time_s, crop_out)
        if not found.found:
            return found
        offset = np.array([x0 * sx, y0 * sy])
        hands = found.hands.copy()
        hands[..., :2] += offset
        return PoseFrame(xy=found.xy + offset, visibility=found.visibility, world=found.world, hands=hands)

    def _update_motion(self, rgb: np.ndarray, time_s: float) -> None:
        step = max(1, rgb.shape[1] // _MAP_WIDTH)  # every step-th pixel: cheap, and enough for motion
        gray = cv2.cvtColor(np.ascontiguousarray(rgb[::step, ::step]), cv2.COLOR_RGB2GRAY).astype(np.float32)
        if self._previous is not None:
            change = np.abs(gray - self._previous)
            keep = np.exp(-(time_s - self._previous_time) / self._config.motion_memory_s)
            self._energy = change if self._energy is None else keep * self._energy + (1 - keep) * change
        self._previous, self._previous_time = gray, time_s

    def _moving_mask(self) -> np.ndarray | None:
        """Where the recent motion is, or None when there is too little or it is everywhere (panning)."""
        if self._energy is None:
            return None
        # Against a high percentile, not the maximum: a flickering light is small but intense.
        level = self._config.motion_level * np.percentile(self._energy, 99)
        if level <= 0:
            return None
        mask = cv2.GaussianBlur(self._energy, (0, 0), 2) > level
        return mask if 0 < mask.mean() < self._config.max_moving_share else None

    def _largest_mover(self) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """The largest moving region of the motion map: its mask and its (x, y, w, h) box, or None
        when nothing person-sized moves (or everything does: a panning camera)."""
        mask = self._moving_mask()
        if mask is None:
            return None
        kernel = np.ones((7, 7), np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask.astype(np.uint8), kernel))
        if count < 2:
            return None
        largest = 1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])
        if stats[largest, cv2.CC_STAT_AREA] < self._config.min_mover_share * mask.size:
            return None  # too small to be a person (a flickering light)
        return labels == largest, tuple(stats[largest, :4])

    def _motion_share(self, found: PoseFrame, out_size: tuple[int, int], mover) -> float:
        """Share of the largest moving region inside the tracked person's landmark box."""
        region, _ = mover
        x0, y0, x1, y1 = _clip_box(*_landmark_box(found, out_size, (region.shape[1], region.shape[0])),
                                   region.shape[1], region.shape[0])
        return float(region[y0:y1, x0:x1].sum() / region.sum())

    def _mover_box(self, mover, width: int, height: int) -> tuple[int, int, int, int]:
        """A square crop (frame pixels) around the largest moving region."""
        region, (x, y, w, h) = mover
        scale = width / region.shape[1]
        cx, cy = (x + w / 2) * scale, (y + h / 2) * scale
        side = max(w, h) * scale * self._config.crop_margin
        return _clip_box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, width, height)

    def _crop_around(self, found: PoseFrame, out_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A square crop around the person's landmarks, ``crop_margin`` times their larger side, in
        pixels of ``size``."""
        x0, y0, x1, y1 = _landmark_box(found, out_size, size)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = max(x1 - x0, y1 - y0) * self._config.crop_margin / 2
        return _clip_box(cx - half, cy - half, cx + half, cy + half, *size)


def _landmark_box(found: PoseFrame, out_size: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    """The tight box (x0, y0, x1, y1) around the landmarks found, in pixels of ``size``."""
    pts = found.xy[np.isfinite(found.xy).all(axis=1)] * (size[0] / out_size[0], size[1] / out_size[1])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _clip_box(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> tuple[int, int, int, int]:
    return (int(max(0, x0)), int(max(0, y0)), int(min(width, np.ceil(x1))), int(min(height, np.ceil(y1))))
