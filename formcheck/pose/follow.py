"""Keep the pose model on the runner when other people are in the picture.

MediaPipe's pose tracker follows one person: whoever its detector found first. With a bystander in
the frame (a coach, someone standing by the treadmill) that can be the wrong one. The runner is the
person who moves: :class:`RunnerFollower` keeps a low-resolution map of recent motion, and while the
tracked person (where their limbs swept over the last ``motion_memory_s``) holds enough of the
largest moving region, their landmarks are kept. When most of the motion lies outside them, that
person is not the runner: the frame's landmarks are dropped (NaN), the model is restarted (so its
tracker forgets that person), and from the next frame on it sees a crop as tall as the frame across
the moving region, which then follows the runner's own landmarks. For a second after such a switch
the head and torso of the person left behind are painted over in what the model sees, so its
detector cannot pick them again. When the switch finds nobody, or finds the same person again, what
moved was not a person (a flickering light, a reflection): no new switch for ``cooldown_s``, and that
moving region is left out of the motion map from then on; the pose of the same person found again
must fit the one they had before the switch (the head-and-torso jump check below), since the first
pose the restarted model finds can be a collapsed skeleton. A camera that pans
(motion everywhere) never triggers a switch.

Two more guards hold in every frame: the head and torso (the median move of their landmarks) may
not jump further than a person can move between two frames (the frame is dropped; when the next one jumps too, the model has changed people and is
sent back, restarted, to where the person was, with the other one painted over), and with
``--person X,Y`` the person is the one whose head or trunk is at (or near) that point of the first
frame, whoever moves (the motion rule is then off). No landmarks come out of the clip's first
``settle_s`` in the automatic mode: the motion map needs a few frames to tell who moves.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from formcheck.body.geometry import mean_of_seen, trunk_length
from formcheck.body.landmarks import HEAD_AND_TRUNK, POSE_INDEX
from formcheck.config import FollowConfig, person_point
from formcheck.errors import NoPersonError
from formcheck.pose import PoseEstimator, PoseFrame
from formcheck.scene.camera import grey_thumbnail

_MAP_WIDTH = 160  # about this many pixels across the motion map
_PAINT = 128  # grey the person left behind is painted with
_DECOY_GROWTH = 1.3  # the painted head-and-torso outline is this many times the landmarks' own
_STRAY_FRAMES = 2  # this many frames in a row with the hips jumped away: the model has changed people
_CHOOSE_S = 1.0  # --person: the person at the point must be found within this long of the first frame
_POINT_MARGIN = 0.25  # --person: the point may lie this share of the head and torso's size outside them
_HIPS = [POSE_INDEX["left_hip"], POSE_INDEX["right_hip"]]

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels (the frames the model is given)


class RunnerFollower:
    """A :class:`~formcheck.pose.PoseEstimator` that wraps another and steers it to the runner: the
    moving person, or the person at the point ``config.person`` names."""

    def __init__(self, inner: PoseEstimator, config: FollowConfig = FollowConfig()) -> None:
        self.name = inner.name
        self._inner = inner
        self._config = config
        self._point = person_point(config.person)  # None: follow the person who moves
        self._chosen = False  # --person: the person at the point has been found
        self._first_time = np.inf  # time (s) of the first frame with someone in it, while choosing
        self._energy: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._previous_time = 0.0
        self._start_s = np.inf  # time of the first frame (s)
        self._step = 1  # frame pixels per motion-map pixel
        self._box: Box | None = None  # crop in frame pixels, while following after a switch
        self._searching = False  # a switch was made and nobody has been found since
        self._left_behind: Box = (0, 0, 0, 0)  # head-and-torso box (frame px) of the person a switch left
        self._calm_until = -np.inf  # no new switch on motion before this time (s): a switch found nobody new
        self._decoys: list[tuple[np.ndarray, float]] = []  # (outline in frame px, painted until s)
        self._last: tuple[float, np.ndarray, float, Box] | None = None  # time, head+torso xy, trunk (out px), box
        self._left_pose: tuple[float, np.ndarray, float, Box] | None = None  # ``_last`` of the person a switch left
        self._recent: deque[tuple[float, Box]] = deque()  # (time, landmark box) of the person kept, lately
        self._strays = 0  # frames in a row whose hips jumped away from the person kept
        self._suspect: np.ndarray | None = None  # motion-map region a switch went to, while searching it
        self._ignored: np.ndarray | None = None  # motion-map regions where a switch found nobody new

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        self._update_motion(rgb, time_s)
        size = (rgb.shape[1], rgb.shape[0])
        found = self._look(rgb, time_s, out_size)
        if not found.found:
            self._lost(time_s)
            return found
        box = _landmark_box(found, out_size, size)
        if self._rejected(found, box, time_s, out_size, size):
            return PoseFrame.empty()
        self._keep(found, box, time_s, size)
        return found

    def glance(self, rgb: np.ndarray, time_s: float) -> None:
        """Take the frame into the motion map only; the model does not run."""
        self._update_motion(rgb, time_s)

    def reset(self) -> None:
        """Forget the person being followed: the next frame is searched whole, by a restarted model.
        The motion map (what moved in the scene) is kept: it is not about the person."""
        self._inner.reset()
        self._box, self._searching, self._last = None, False, None
        self._recent.clear()
        self._strays = 0

    def close(self) -> None:
        self._inner.close()

    def _look(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        """The inner model's answer on the frame, or on the crop while following, with the people
        left behind painted over."""
        self._decoys = [(outline, until) for outline, until in self._decoys if time_s < until]
        if self._decoys:
            rgb = rgb.copy()
            cv2.fillPoly(rgb, [outline for outline, _ in self._decoys], (_PAINT,) * 3)
        if self._box is None:
            return self._inner.estimate(rgb, time_s, out_size)
        return self._estimate_in(rgb, self._box, time_s, out_size)

    def _rejected(self, found: PoseFrame, box: Box, time_s: float, out_size: tuple[int, int],
                  size: tuple[int, int]) -> bool:
        """True when ``found`` is not the person to follow (a switch is then set up for the next
        frame), or when it cannot be told yet (the automatic mode's first ``settle_s``)."""
        if self._point is not None and not self._chosen:
            return self._not_at_point(found, time_s, out_size, size)
        if self._searching and self._left_behind_again(found, out_size, size):
            self._give_up(time_s)
            # The same person again: their pose must fit the one they had before the switch (the first
            # pose the restarted model finds in a crop can be a collapsed skeleton).
            self._last = self._last or self._left_pose
        if self._jumped(found, time_s):
            self._strays += 1
            if self._strays >= _STRAY_FRAMES:  # not a glitch of one frame: another person
                self._switch(self._last[3], self._config.crop_margin, found, time_s, out_size, size)
            return True
        self._strays = 0
        if self._point is not None:
            return False
        switched = self._energy is not None and self._not_the_mover(found, box, time_s, out_size, size)
        return switched or time_s < self._start_s + self._config.settle_s

    def _not_at_point(self, found: PoseFrame, time_s: float, out_size: tuple[int, int],
                      size: tuple[int, int]) -> bool:
        """``--person``: False (and chosen from now on) when the head or trunk of ``found`` is at the
        point; else a switch to a crop as tall as the frame around the point, with ``found`` painted
        over. Raises :class:`NoPersonError` when nobody is found there within :data:`_CHOOSE_S`."""
        self._first_time = min(self._first_time, time_s)
        x, y = self._point_in(size, out_size)
        if _contains(_landmark_box(found, out_size, size, HEAD_AND_TRUNK), (x, y)):
            self._chosen = True
            return False
        if time_s - self._first_time > _CHOOSE_S:
            raise NoPersonError(f"--person {self._config.person}: no one's head or trunk is at that point in the "
                                f"first {_CHOOSE_S:.0f} s of the clip; give a point on the person as the first "
                                "frame shows them (pixels of the picture as displayed, x right, y down, or X%,Y%)")
        half = size[1] / 2
        self._switch((x - half, 0, x + half, size[1]), 1.0, found, time_s, out_size, size)
        return True

    def _not_the_mover(self, found: PoseFrame, box: Box, time_s: float, out_size: tuple[int, int],
                       size: tuple[int, int]) -> bool:
        """True, with a switch to the largest moving region outside ``box``, when the person found
        (where they swept lately) holds less than ``min_motion_share`` of the largest moving region;
        never during the cooldown after a switch that found nobody new."""
        if time_s < self._calm_until:
            return False
        mover = self._largest_mover()
        if mover is None or self._motion_share(self._extent(box, time_s), mover) >= self._config.min_motion_share:
            return False
        target = self._largest_mover(exclude=box) or mover
        x0, _, x1, _ = self._mover_box(target)
        half = size[1] / 2  # people stand: a crop as tall as the frame, across the moving region's middle
        self._switch(((x0 + x1) / 2 - half, 0, (x0 + x1) / 2 + half, size[1]), 1.0, found, time_s, out_size, size)
        self._suspect = target[0]
        return True

    def _left_behind_again(self, found: PoseFrame, out_size: tuple[int, int], size: tuple[int, int]) -> bool:
        """The hips of ``found`` lie on the head and torso of the person the last switch left behind."""
        hip, _ = _hip_and_trunk(found)
        return _contains(self._left_behind, tuple(hip * (size[0] / out_size[0], size[1] / out_size[1])))

    def _keep(self, found: PoseFrame, box: Box, time_s: float, size: tuple[int, int]) -> None:
        """Remember where the followed person is; while following a crop, move it with them."""
        _, trunk = _hip_and_trunk(found)
        self._searching = False
        self._last = (time_s, found.xy[HEAD_AND_TRUNK], trunk, box)
        self._recent.append((time_s, box))
        while time_s - self._recent[0][0] > self._config.motion_memory_s:  # memory stays flat on long clips
            self._recent.popleft()
        if self._box is not None:
            self._box = _square(box, self._config.crop_margin, size)

    def _lost(self, time_s: float) -> None:
        """Nobody found: back to the whole frame; a search that finds nobody has failed."""
        if self._searching:
            self._give_up(time_s)
            self._searching = False
        self._box = None

    def _give_up(self, time_s: float) -> None:
        """A switch found nobody, or the person it left behind again: what moved was not another
        person (a flickering light, a reflection). The person left behind is no longer painted over,
        no new switch on motion is made for ``cooldown_s``, and the region the switch went to is
        left out of the motion map."""
        self._decoys = []
        self._calm_until = time_s + self._config.cooldown_s
        if self._suspect is not None:
            self._ignored = self._suspect if self._ignored is None else self._ignored | self._suspect

    def _switch(self, target: tuple[float, float, float, float], margin: float, left_behind: PoseFrame,
                time_s: float, out_size: tuple[int, int], size: tuple[int, int]) -> None:
        """From the next frame on, look for a new person in a square crop ``margin`` times the
        ``target`` box (frame px), with the model restarted and ``left_behind`` painted over."""
        self._inner.reset()
        self._box = _square(target, margin, size)
        self._searching = True
        self._suspect = None
        self._left_behind = _landmark_box(left_behind, out_size, size, HEAD_AND_TRUNK)
        self._left_pose, self._last = self._last, None
        self._recent.clear()
        self._strays = 0
        outline = _decoy_outline(left_behind, out_size, size)
        if outline is not None:
            self._decoys.append((outline, time_s + self._config.decoy_memory_s))

    def _extent(self, box: Box, time_s: float) -> Box:
        """The box (frame px) around ``box`` and the boxes of the person kept over the last
        ``motion_memory_s``: where their limbs swept while the motion map was remembering."""
        boxes = np.array([box] + [b for t, b in self._recent if time_s - t <= self._config.motion_memory_s])
        return (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))

    def _jumped(self, found: PoseFrame, time_s: float) -> bool:
        """The head and torso moved further than ``max_jump_trunks`` trunk lengths (the median move
        of their landmarks seen in both frames) since the last frame kept, at most ``jump_window_s``
        ago: the model has changed people, or lost the body's shape (a collapsed skeleton keeps its
        hips but not its head and shoulders)."""
        if self._last is None or time_s - self._last[0] > self._config.jump_window_s:
            return False
        _, last_points, last_trunk, _ = self._last
        moves = np.linalg.norm(found.xy[HEAD_AND_TRUNK] - last_points, axis=1)
        moves = moves[np.isfinite(moves)]
        jump = float(np.median(moves)) / last_trunk if len(moves) else float("nan")
        return bool(jump > self._config.max_jump_trunks)  # NaN (nothing seen in both, or no trunk): no jump

    def _point_in(self, size: tuple[int, int], out_size: tuple[int, int]) -> tuple[float, float]:
        """The ``--person`` point in frame pixels."""
        x, y, unit = self._point
        if unit == "%":
            return x / 100 * size[0], y / 100 * size[1]
        return x * size[0] / out_size[0], y * size[1] / out_size[1]

    def _estimate_in(self, rgb: np.ndarray, box: Box, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
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
        gray, step = grey_thumbnail(rgb, _MAP_WIDTH)
        gray = gray.astype(np.float32)
        self._start_s = min(self._start_s, time_s)
        if self._previous is not None:
            change = np.abs(gray - self._previous)
            keep = np.exp(-(time_s - self._previous_time) / self._config.motion_memory_s)
            self._energy = change if self._energy is None else keep * self._energy + (1 - keep) * change
        self._previous, self._previous_time, self._step = gray, time_s, step

    def _moving_mask(self) -> np.ndarray | None:
        """Where the recent motion is, or None when there is too little or it is everywhere (panning)."""
        if self._energy is None:
            return None
        # Against a high percentile, not the maximum: a flickering light is small but intense.
        level = self._config.motion_level * _percentile(self._energy, 99)
        if level <= 0:
            return None
        mask = cv2.GaussianBlur(self._energy, (0, 0), 2) > level
        if not 0 < mask.mean() < self._config.max_moving_share:
            return None
        return mask if self._ignored is None else mask & ~self._ignored

    def _largest_mover(self, exclude: Box | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """The largest moving region of the motion map, leaving out the ``exclude`` box (frame px):
        its mask and its (x, y, w, h) box in map pixels, or None when nothing person-sized moves (or
        everything does: a panning camera)."""
        mask = self._moving_mask()
        if mask is None:
            return None
        if exclude is not None:
            mask = mask.copy()
            x0, y0, x1, y1 = self._to_map(exclude)
            mask[y0:y1, x0:x1] = False
        kernel = np.ones((7, 7), np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask.astype(np.uint8), kernel))
        if count < 2:
            return None
        largest = 1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])
        if stats[largest, cv2.CC_STAT_AREA] < self._config.min_mover_share * mask.size:
            return None  # too small to be a person (a flickering light)
        return labels == largest, tuple(stats[largest, :4])

    def _to_map(self, box: Box) -> Box:
        """A frame-pixel box in motion-map pixels."""
        return tuple(round(v / self._step) for v in box)

    def _motion_share(self, box: Box, mover) -> float:
        """Share of the moving region ``mover`` inside ``box`` (frame px)."""
        region, _ = mover
        x0, y0, x1, y1 = self._to_map(box)
        return float(region[y0:y1, x0:x1].sum() / region.sum())

    def _mover_box(self, mover) -> tuple[float, float, float, float]:
        """The box (frame px) of a moving region."""
        _, (x, y, w, h) = mover
        return x * self._step, y * self._step, (x + w) * self._step, (y + h) * self._step


def _landmark_box(found: PoseFrame, out_size: tuple[int, int], size: tuple[int, int],
                  landmarks: list[int] | None = None) -> Box:
    """The box (x0, y0, x1, y1) around the landmarks found (of those listed; all by default), in
    pixels of ``size``. A person without any of the listed landmarks gets the box of all of them."""
    xy = found.xy if landmarks is None or not np.isfinite(found.xy[landmarks]).any() else found.xy[landmarks]
    pts = xy[np.isfinite(xy).all(axis=1)] * (size[0] / out_size[0], size[1] / out_size[1])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return _clip_box(x0, y0, x1, y1, *size)


def _contains(box: Box, point: tuple[float, float]) -> bool:
    """``point`` lies in ``box`` widened on each side by :data:`_POINT_MARGIN` of its larger side."""
    x0, y0, x1, y1 = box
    margin = _POINT_MARGIN * max(x1 - x0, y1 - y0)
    return x0 - margin <= point[0] <= x1 + margin and y0 - margin <= point[1] <= y1 + margin


def _square(box: tuple[float, float, float, float], margin: float, size: tuple[int, int]) -> Box:
    """A square crop around ``box``, ``margin`` times its larger side, inside a frame of ``size``."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0) * margin / 2
    return _clip_box(cx - half, cy - half, cx + half, cy + half, *size)


def _hip_and_trunk(found: PoseFrame) -> tuple[np.ndarray, float]:
    """The hip midpoint (2,) and the trunk length (hip to ear), in the landmarks' pixels; NaN where
    not seen."""
    hip = mean_of_seen(found.xy[_HIPS])
    return hip, float(trunk_length(found.xy[None])[0])


def _decoy_outline(found: PoseFrame, out_size: tuple[int, int], size: tuple[int, int]) -> np.ndarray | None:
    """The outline (N, 1, 2) int32, frame px, of a person's head and torso grown by
    :data:`_DECOY_GROWTH` about its centre: what is painted over so the detector misses them."""
    pts = found.xy[HEAD_AND_TRUNK]
    pts = pts[np.isfinite(pts).all(axis=1)] * (size[0] / out_size[0], size[1] / out_size[1])
    if len(pts) < 3:
        return None
    centre = pts.mean(axis=0)
    grown = centre + _DECOY_GROWTH * (pts - centre)
    return cv2.convexHull(np.round(grown).astype(np.int32))


def _percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear between the two nearest ranks), from one partial sort
    instead of its two: it runs on the motion map every frame."""
    flat = values.ravel()
    rank = q / 100 * (flat.size - 1)
    below = int(rank)
    above = min(below + 1, flat.size - 1)
    part = np.partition(flat, (below, above))
    return float(part[below] + (rank - below) * (part[above] - part[below]))


def _clip_box(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> Box:
    return (int(max(0, x0)), int(max(0, y0)), int(min(width, np.ceil(x1))), int(min(height, np.ceil(y1))))
