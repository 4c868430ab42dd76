"""Camera roll: how far the phone was turned about its lens axis, from the scene's straight lines.

A phone held by hand is rarely level, and it rolls as the person filming follows the runner. Every
angle formcheck measures against the picture's axes (head pitch, forward head, the vertical
ear-to-shoulder gap) would move with it: 5 deg of roll moved head pitch by 5.2 deg on a real clip.
Gravity's direction is not in the runner (who leans), but it is in the scene: walls, door and window
frames, posts and the edges of buildings are vertical, and floors, rails and window sills seen
square-on are horizontal. So the straight lines of the background are found in frames about
:data:`SAMPLE_INTERVAL_S` apart (OpenCV's fast line detector on a grey copy about :data:`MAP_SIZE`
pixels on its long side; lines along the runner's limbs and trunk left out, while the treadmill or
the road under them stays in). Each line's lean from the nearest axis is taken (within +-45 deg),
and the lean on which both families agree: the near-upright lines and the near-level ones.
Either family alone can be fooled: upright lines converge when the phone points up or down
(perspective, not roll), and a treadmill's inclined posts or a slanted rail are straight without
being upright or level. Camera pitch leaves lines parallel to the picture level, and a slanted
object rarely slants the same way in both families, so **a frame's roll is measured only where
enough line length of both families agrees on one lean** (:func:`common_lean`), not from either
family's own favourite; elsewhere it is not measured, the angles there are taken against the
picture's edges, and most of a clip unmeasured gives a warning. The samples are smoothed over
:data:`SMOOTH_S` seconds (a hand's roll drifts slowly) and read at each frame's time.

Measured on the sample clips (``benchmarks/validate.py``, figures in ``seeds/README.md``): on run01
the roll reads -2.6 deg and the copies rolled by +5 / -8 deg read 5.1 / 7.1 deg away from it; on run12
the upright family's own peak is the treadmill's inclined posts (-8.5 deg) and the level family's a
rail (-15 deg), while the lean both agree on, +0.8 deg, is the hand-held camera's; on run06 (a phone
pointed up at a ceiling) two leans compete and the reading is not stable between copies.

Sign: ``roll_deg`` is how far the scene's upright lines lean in the picture, + = clockwise (the phone
turned counter-clockwise). Turning landmarks by ``-roll_deg`` (:func:`upright`) puts them in the
scene's own vertical, which is what the angles are then measured against.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from formcheck.body.geometry import rolling_median
from formcheck.body.landmarks import POSE_EDGES, POSE_INDEX
from formcheck.config import QualityConfig

MAP_SIZE = 480  # pixels on the long side of the grey copy searched for lines
SAMPLE_INTERVAL_S = 1 / 12  # seconds between the frames searched
MIN_LINE_SHARE = 0.06  # shortest line kept, as a share of the copy's long side
#: A line whose middle lies closer than this share of the person's height to one of their bones
#: (:data:`~formcheck.body.landmarks.POSE_EDGES`) is taken for the person and left out.
BODY_MARGIN = 0.06
BIN_DEG = 0.25  # histogram bin of the lines' lean
PEAK_HALF_WIDTH_DEG = 1.5  # lines within this of the peak make the frame's estimate
#: A frame's roll needs, in each family, lines within :data:`PEAK_HALF_WIDTH_DEG` of it whose length
#: adds up to this share of the copy's long side (one long door frame, or a few shorter edges).
MIN_SUPPORT = 0.3
#: A rival lean farther than RIVAL_APART_DEG from the best with RIVAL_SHARE of its agreement makes
#: the frame ambiguous: no roll is measured.
RIVAL_APART_DEG = 3.0
RIVAL_SHARE = 0.8
#: No roll beyond this (deg) is claimed: a phone is not held that crooked, and near +-45 deg upright
#: and level lines cannot be told apart (a darkened copy of run12 read +43 deg without this bound).
MAX_ROLL_DEG = 25.0
SMOOTH_S = 1.0  # seconds over which the samples are smoothed (rolling median)
#: A frame farther than this (s) from any sample with an estimate has no roll.
MAX_REACH_S = 1.0


@dataclass(frozen=True)
class CameraRoll:
    """The roll measured over a clip: one sample per searched frame, ``times`` (s), ``roll_deg``
    (NaN where the frame had too few agreeing lines) and ``support`` (length of the agreeing lines,
    in long sides of the searched copy; 0 where none). Empty when not measured."""

    times: tuple[float, ...] = ()
    roll_deg: tuple[float, ...] = ()
    support: tuple[float, ...] = ()

    def at(self, times: np.ndarray) -> np.ndarray:
        """(T,) roll (deg) at ``times`` (s): the samples smoothed over :data:`SMOOTH_S` and
        interpolated; NaN farther than :data:`MAX_REACH_S` from any sample with an estimate."""
        times = np.asarray(times, dtype=float)
        sample_t, sample_roll = np.asarray(self.times, dtype=float), np.asarray(self.roll_deg, dtype=float)
        seen = np.isfinite(sample_roll)
        if not seen.any() or len(times) == 0:
            return np.full(len(times), np.nan)
        smooth = rolling_median(sample_t, sample_roll, SMOOTH_S, min_share=0.0)
        ok = np.isfinite(smooth)
        roll = np.interp(times, sample_t[ok], smooth[ok])
        return np.where(_distance_to_nearest(times, sample_t[seen]) <= MAX_REACH_S, roll, np.nan)

    def summary(self, frame_times: np.ndarray) -> dict:
        """How sure the roll is, for summary.json: the share of frames with an estimate, the median
        roll (deg), its spread over the clip (deg; a still camera ~0), the frame-to-frame noise of the
        samples against their smoothed curve (deg, 1.4826 x median absolute deviation), and the
        median support."""
        at = self.at(frame_times)
        sample_t, sample_roll = np.asarray(self.times, dtype=float), np.asarray(self.roll_deg, dtype=float)
        seen = np.isfinite(sample_roll)
        noise = math.nan
        if seen.sum() >= 3:
            residual = sample_roll[seen] - self.at(sample_t[seen])
            noise = float(1.4826 * np.nanmedian(np.abs(residual - np.nanmedian(residual))))
        measured = at[np.isfinite(at)]
        return {
            "frames_with_estimate": float(np.isfinite(at).mean()) if len(at) else 0.0,
            "median_deg": float(np.median(measured)) if len(measured) else math.nan,
            "range_deg": [float(np.percentile(measured, 5)), float(np.percentile(measured, 95))] if len(measured)
            else [math.nan, math.nan],
            "sample_noise_deg": noise,
            "median_support": float(np.median(self.support)) if self.support else 0.0,
        }

    def as_dict(self) -> dict:
        """The samples, for summary.json (:meth:`from_dict` reads them back exactly: a re-analysis
        from saved landmarks then measures what the first analysis did, to the bit)."""
        return {"times_s": list(self.times),
                "roll_deg": [None if not math.isfinite(r) else r for r in self.roll_deg],
                "support": list(self.support)}

    @classmethod
    def from_dict(cls, data: dict) -> CameraRoll:
        return cls(times=tuple(float(t) for t in data.get("times_s", [])),
                   roll_deg=tuple(math.nan if r is None else float(r) for r in data.get("roll_deg", [])),
                   support=tuple(float(s) for s in data.get("support", [])))


def _distance_to_nearest(times: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """(T,) seconds from each of ``times`` to the nearest of ``samples`` (sorted, at least one)."""
    after = np.clip(np.searchsorted(samples, times), 1, len(samples) - 1) if len(samples) > 1 else np.zeros(
        len(times), dtype=int)
    before = np.maximum(after - 1, 0)
    return np.minimum(np.abs(times - samples[before]), np.abs(times - samples[after]))


def roll_warnings(summary: dict, config: QualityConfig) -> list[str]:
    """A warning when the roll (:meth:`CameraRoll.summary`) was measured in less than
    ``config.min_roll_share`` of the frames."""
    share = summary["frames_with_estimate"]
    if share >= config.min_roll_share:
        return []
    return [f"the camera's roll could be measured in only {share:.0%} of the clip (too few straight, upright or "
            "level lines in the background): there the angles are taken against the picture's edges, so a phone "
            "held crooked tilts them; hold the phone level, or film with a door frame, wall edge or post in view"]


def upright(xy: np.ndarray, roll_deg: np.ndarray) -> np.ndarray:
    """(T, K, 2) pixel coordinates turned by ``-roll_deg`` (T,) about the picture's origin, so the
    scene's vertical is the y axis again; a frame whose roll is NaN is left as it is."""
    angle = np.radians(np.nan_to_num(np.asarray(roll_deg, dtype=float)))
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x, y = xy[..., 0], xy[..., 1]
    return np.stack([x * cos + y * sin, -x * sin + y * cos], axis=-1)


class RollMeter:
    """Fed the frames of a clip in time order, measures the camera's roll (:class:`CameraRoll`).
    ``mirror``: measure each sampled frame also flipped left to right and average the two (the
    flipped one's roll negated), so a mirrored clip reads exactly the opposite roll, as the pose
    does when mirror-averaged (:mod:`formcheck.pose.mirror`); the line detector alone read run06's
    mirrored copy 2.1 deg off, which moved its head angles by as much."""

    def __init__(self, mirror: bool = False) -> None:
        self.mirror = mirror
        self._last = -math.inf
        self._times: list[float] = []
        self._rolls: list[float] = []
        self._support: list[float] = []
        self._detector = None

    def add(self, rgb: np.ndarray, time_s: float, person_xy: np.ndarray | None = None) -> None:
        """Measure frame ``rgb`` (H, W, 3 uint8) shown at ``time_s`` (s), if at least
        :data:`SAMPLE_INTERVAL_S` after the last one measured. ``person_xy`` (K, 2): the person's
        landmarks in pixels of ``rgb`` (NaN or None: nobody found), whose limbs' lines are left out."""
        if time_s - self._last < SAMPLE_INTERVAL_S * 0.999:
            return
        self._last = time_s
        roll, support = self.measure(rgb, person_xy)
        if self.mirror:
            flipped_xy = None if person_xy is None else np.stack([rgb.shape[1] - person_xy[:, 0], person_xy[:, 1]], axis=1)
            flipped, flipped_support = self.measure(np.ascontiguousarray(rgb[:, ::-1]), flipped_xy)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # neither measured: NaN, as it should be
                roll = float(np.nanmean([roll, -flipped]))
            support = (support + flipped_support) / 2
        self._times.append(time_s)
        self._rolls.append(roll)
        self._support.append(support)

    def extend(self, later: RollMeter) -> None:
        """Take on the samples of ``later``, which measured the part of the clip after this one's."""
        self._times += later._times
        self._rolls += later._rolls
        self._support += later._support

    def result(self) -> CameraRoll:
        """The clip's :class:`CameraRoll`."""
        return CameraRoll(tuple(self._times), tuple(self._rolls), tuple(self._support))

    def measure(self, rgb: np.ndarray, person_xy: np.ndarray | None = None) -> tuple[float, float]:
        """(roll in deg or NaN, support) of one frame."""
        import cv2  # here: a re-analysis reads the roll from summary.json, without OpenCV

        if self._detector is None:
            self._detector = cv2.ximgproc.createFastLineDetector(length_threshold=10, do_merge=False)
        height, width = rgb.shape[:2]
        factor = MAP_SIZE / max(height, width)
        grey = cv2.cvtColor(cv2.resize(rgb, (max(1, round(width * factor)), max(1, round(height * factor))),
                                       interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        found = self._detector.detect(grey)
        if found is None:
            return math.nan, 0.0
        x0, y0, x1, y1 = found.reshape(-1, 4).T
        length = np.hypot(x1 - x0, y1 - y0) / MAP_SIZE
        keep = length >= MIN_LINE_SHARE
        if person_xy is not None:
            keep &= ~on_body(np.stack([(x0 + x1) / 2, (y0 + y1) / 2], axis=1), person_xy * factor)
        angle = np.degrees(np.arctan2(y1 - y0, x1 - x0))
        lean = (angle + 45.0) % 90.0 - 45.0
        upright_family = np.abs((angle + 90.0) % 180.0 - 90.0) > 45.0
        return common_lean(lean[keep], length[keep], upright_family[keep])


def common_lean(lean: np.ndarray, length: np.ndarray, upright_family: np.ndarray) -> tuple[float, float]:
    """(roll in deg or NaN, support) from lines' lean (deg, -45 to 45, from the nearest axis), length
    and family (True: near-upright, False: near-level).

    For every lean (bins of :data:`BIN_DEG`, wrapping around at +-45) each family's line length within
    :data:`PEAK_HALF_WIDTH_DEG` is summed; the lean where the smaller of the two sums is largest is
    the one both families agree on. It is measured only when both sums reach :data:`MIN_SUPPORT`
    there and no lean more than :data:`RIVAL_APART_DEG` away has :data:`RIVAL_SHARE` of that agreement
    (two candidates: a picture that cannot tell which lines are upright, as a phone pointed up
    at a room shows):
    then the roll is the length-weighted mean lean of the lines of both families within
    :data:`PEAK_HALF_WIDTH_DEG` of it, and the support their length. Else NaN, with the support the
    agreement had."""
    bins = int(round(90 / BIN_DEG))
    reach = int(round(PEAK_HALF_WIDTH_DEG / BIN_DEG))
    index = ((lean + 45.0) / BIN_DEG).astype(int) % bins

    def near_sums(family: np.ndarray) -> np.ndarray:
        histogram = np.bincount(index[family], weights=length[family], minlength=bins)
        window = np.concatenate([histogram[-reach:], histogram, histogram[:reach]])
        return np.convolve(window, np.ones(2 * reach + 1), mode="valid")

    agreed = np.minimum(near_sums(upright_family), near_sums(~upright_family))
    leans = (np.arange(bins) + 0.5) * BIN_DEG - 45.0
    agreed[np.abs(leans) > MAX_ROLL_DEG] = 0.0  # near +-45 deg the two families cannot be told apart
    best = int(np.argmax(agreed))
    apart = np.abs((np.arange(bins) - best + bins // 2) % bins - bins // 2) * BIN_DEG > RIVAL_APART_DEG
    rival = float(agreed[apart].max()) if apart.any() else 0.0
    if agreed[best] < MIN_SUPPORT or rival >= RIVAL_SHARE * agreed[best]:
        return math.nan, float(agreed[best])
    peak = (best + 0.5) * BIN_DEG - 45.0
    offset = (lean - peak + 45.0) % 90.0 - 45.0  # each line's lean from the peak, wrapped
    near = np.abs(offset) <= PEAK_HALF_WIDTH_DEG
    roll = peak + float(np.average(offset[near], weights=length[near]))
    return (roll + 45.0) % 90.0 - 45.0, float(length[near].sum())


def on_body(points: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """(N,) bool: each of ``points`` (N, 2) lies within :data:`BODY_MARGIN` of the person's height
    of a bone between two of the landmarks ``xy`` (K, 2, same pixels; NaN: not found)."""
    seen = np.isfinite(xy).all(axis=1)
    if seen.sum() < 2:
        return np.zeros(len(points), dtype=bool)
    margin = BODY_MARGIN * (np.nanmax(xy[seen, 1]) - np.nanmin(xy[seen, 1]))
    near = np.zeros(len(points), dtype=bool)
    for a, b in _BONES:
        if not (seen[a] and seen[b]):
            continue
        start, along = xy[a], xy[b] - xy[a]
        share = np.clip((points - start) @ along / max(float(along @ along), 1e-9), 0.0, 1.0)
        near |= np.linalg.norm(points - (start + share[:, None] * along), axis=1) <= margin
    return near


_BONES = [(POSE_INDEX[a], POSE_INDEX[b]) for a, b in POSE_EDGES]
