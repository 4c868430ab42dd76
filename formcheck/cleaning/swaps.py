"""Left/right limb swaps: find the frames where the pose model put one limb's landmarks under the
other side's name, and swap the names back, before the track is cleaned.

MediaPipe labels the runner's left and right limbs anew in every frame, and now and then, most
often for the legs in a side view, it puts the left leg's landmarks on the right leg and the
right's on the left for a frame or a few, then back. The limbs themselves move
continuously, so such a frame shows as both limbs of a group jumping to where the other one was.

Method, per limb group of :data:`SWAP_GROUPS`: every frame where the group is seen is either *as
labelled* or *swapped*, and the cheapest labelling of the whole clip is found exactly by dynamic
programming over these two states (Viterbi). Costs are in trunk lengths (hip midpoint to ear
midpoint, which a swap leaves unchanged), so they do not depend on the distance to the camera:

- between consecutive frames where the group is seen (at most ``max_gap_s`` apart): how far the
  group moves under the labelling, the median over the group's left/right pairs of
  ``|L_b - L_a| + |R_b - R_a|`` in pixels, or of ``|L_b - R_a| + |R_b - L_a|`` when exactly one of
  the two frames is swapped; the median means one noisy landmark cannot trigger a swap;
- every swapped frame costs ``penalty_per_s`` times the frame interval: a swap is only taken when
  it makes the limbs move clearly less than the labels given, and long stretches stay as labelled
  (the model's own labels are right most of the time);
- in a front or back view (:mod:`formcheck.cleaning.view`), the group's left-right order in the picture is
  compared with the head's (the runner's left arm and left ear are on the same side, whichever way
  the runner faces); an order that is the reverse of the clip's usual one by more than
  ``order_margin`` costs ``order_weight`` per trunk length of reversal. This catches swaps too long
  for the motion cost alone.

Why not world depth (``Track.world`` z), which keeps one sign per pair all clip long in a side
view: checked on the sample clips, MediaPipe keeps that depth order by *name* even in frames where
it swapped the limbs in the picture (run05, frame 83: whole leg swapped in the picture and in world
x, depth order unchanged), and flips it in frames whose picture labels are right (run05, frames
109-111). Frames this module finds swapped keep the clip's usual depth order as often as the others
(94% of leg frames), and swapping the frames whose depth order is reversed made the ankles and
wrists jump more on every sample clip where it swapped any. For the same reason a repair swaps world x and y but keeps each
name's depth: see :func:`swap_frames`.

Head landmarks are not a group: metrics read the head from its better-seen side, its points lie a
few pixels apart in a side view (no motion evidence), and a limb swap does not move the face.
Holistic's 21-point hands are found from the pose wrist of the same name (on the sample clips a
hand slot lies nearer its own pose wrist than the other in 82-100% of frames, a median 4-14 pixels
from it), so the hand slots follow an arm swap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.body.geometry import body_scale, trunk_length
from formcheck.body.landmarks import POSE_INDEX
from formcheck.cleaning.view import estimate_view
from formcheck.config import SwapConfig, ViewConfig
from formcheck.pose.track import Track

#: Limb groups repaired as one: the parts whose ``left_``/``right_`` landmarks swap together.
SWAP_GROUPS: dict[str, tuple[str, ...]] = {
    "arms": ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"),
    "legs": ("hip", "knee", "ankle", "heel", "foot_index"),
}
#: Head parts (``left_``/``right_`` pairs) whose left-right order in the picture is the reference
#: for the limbs' in a front or back view.
HEAD_PAIRS: tuple[str, ...] = ("eye_inner", "eye", "eye_outer", "ear")
#: The group whose swap also swaps the two 21-point hand slots.
HANDS_FOLLOW = "arms"


@dataclass(frozen=True)
class SwapReport:
    """Frames found swapped: ``swapped`` maps each group of :data:`SWAP_GROUPS` to a (T,) bool array
    (True = that frame's left and right landmarks of the group were exchanged); ``checked`` maps it
    to the number of frames where the group was seen well enough to judge. ``enabled`` is False when
    the search was switched off (then nothing is swapped and nothing checked)."""

    swapped: dict[str, np.ndarray]
    checked: dict[str, int]
    enabled: bool = True

    def summary(self) -> dict:
        """For summary.json: per group the frames repaired and their share (0-1) of the frames
        checked (NaN when none was checked)."""
        out: dict = {"enabled": self.enabled}
        for group, mask in self.swapped.items():
            checked = self.checked[group]
            out[group] = {"frames": int(mask.sum()), "frames_checked": checked,
                          "share": float(mask.sum() / checked) if checked else float("nan")}
        return out


def repair_swaps(track: Track, config: SwapConfig = SwapConfig(),
                 view_config: ViewConfig = ViewConfig()) -> tuple[Track, SwapReport]:
    """The raw ``track`` with its left/right limb swaps repaired, and what was found. The input is
    not modified; with ``config.enabled`` off it is returned as it is, with an empty report.
    ``view_config`` decides which frames are front or back views (:mod:`formcheck.cleaning.view`)."""
    if not config.enabled:
        nothing = {group: np.zeros(len(track), dtype=bool) for group in SWAP_GROUPS}
        return track, SwapReport(swapped=nothing, checked=dict.fromkeys(SWAP_GROUPS, 0), enabled=False)
    report = find_swaps(track, config, view_config)
    return swap_frames(track, report.swapped), report


def find_swaps(track: Track, config: SwapConfig = SwapConfig(), view_config: ViewConfig = ViewConfig()) -> SwapReport:
    """The frames of each limb group of a raw ``track`` whose left and right labels are swapped (see
    the module text). The view's cues are rolling medians that a swap does not change (the shoulders'
    span, not their order), so the raw track serves."""
    scale = _trunk_scale(track, config.scale_window_s)
    views = estimate_view(track, view_config).view
    frame_s = float(np.median(np.diff(track.times))) if len(track) > 1 else 0.0
    swapped, checked = {}, {}
    for group, parts in SWAP_GROUPS.items():
        left, right = _pair_indices(parts)
        pairs_seen = (np.isfinite(track.xy[:, left, 0]) & np.isfinite(track.xy[:, right, 0])).sum(axis=1)
        seen = np.flatnonzero((pairs_seen >= config.min_landmarks) & np.isfinite(scale))
        mask = np.zeros(len(track), dtype=bool)
        if len(seen):
            unary = np.zeros((len(seen), 2))
            unary[:, 1] = config.penalty_per_s * frame_s
            unary += order_costs(track.xy[seen], left, right, scale[seen], views[seen], config)
            same, cross = link_costs(track.times[seen], track.xy[seen], left, right, scale[seen], config)
            mask[seen] = cheapest_labelling(unary, same, cross)
        swapped[group], checked[group] = mask, len(seen)
    return SwapReport(swapped=swapped, checked=checked)


def link_costs(times: np.ndarray, xy: np.ndarray, left: np.ndarray, right: np.ndarray, scale: np.ndarray,
               config: SwapConfig) -> tuple[np.ndarray, np.ndarray]:
    """(M-1,) and (M-1,) costs in trunk lengths of going from each frame to the next kept as labelled
    (``same``) or with the labels of one of them swapped (``cross``). ``xy`` (M, K, 2) pixels,
    ``scale`` (M,) trunk length in pixels. Both are 0 (no evidence) across a gap longer than
    ``max_gap_s`` or when fewer than ``min_landmarks`` pairs are seen in both frames."""
    la, ra, lb, rb = xy[:-1, left], xy[:-1, right], xy[1:, left], xy[1:, right]
    d_same = np.linalg.norm(lb - la, axis=-1) + np.linalg.norm(rb - ra, axis=-1)
    d_cross = np.linalg.norm(lb - ra, axis=-1) + np.linalg.norm(rb - la, axis=-1)
    linked = (np.isfinite(d_same).sum(axis=1) >= config.min_landmarks) & (np.diff(times) <= config.max_gap_s)
    same, cross = np.zeros(len(linked)), np.zeros(len(linked))
    step_scale = np.fmax(scale[:-1], scale[1:])[linked]
    same[linked] = np.nanmedian(d_same[linked], axis=1) / step_scale
    cross[linked] = np.nanmedian(d_cross[linked], axis=1) / step_scale
    return same, cross


def order_costs(xy: np.ndarray, left: np.ndarray, right: np.ndarray, scale: np.ndarray, views: np.ndarray,
                config: SwapConfig) -> np.ndarray:
    """(M, 2) costs in trunk lengths of each frame as labelled / swapped from the horizontal order of
    the pairs in a front or back view. ``xy`` (M, K, 2) pixels, ``scale`` (M,) trunk length in
    pixels, ``views`` (M,) as :func:`~formcheck.cleaning.view.estimate_view` labels them.

    The order is the median over the group's pairs of left-minus-right x (trunk lengths), taken on
    the side of the head's own left-right order (eyes and ears: in no limb group, unlike the
    shoulders, which decide front from back and swap with the arms). It is compared with its clip
    median over the front and back frames. Zero in side or unknown views, or where the head is not seen."""
    head_left, head_right = _pair_indices(HEAD_PAIRS)
    head_side = np.sign(_median_of_seen(xy[:, head_left, 0] - xy[:, head_right, 0]))
    order = head_side * _median_of_seen(xy[:, left, 0] - xy[:, right, 0]) / scale
    costs = np.zeros((len(xy), 2))
    rows = np.isin(views, ("front", "back")) & np.isfinite(order) & (head_side != 0)
    if rows.any():
        reversal = -np.sign(np.median(order[rows])) * order[rows]  # + = the unusual order
        costs[rows, 0] = config.order_weight * np.maximum(reversal - config.order_margin, 0.0)
        costs[rows, 1] = config.order_weight * np.maximum(-reversal - config.order_margin, 0.0)
    return costs


def cheapest_labelling(unary: np.ndarray, same: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """(M,) bool: the labelling (False = as labelled, True = swapped) that minimises the sum of
    ``unary`` (M, 2) frame costs and, between consecutive frames, ``same`` (M-1,) when both have the
    same state and ``cross`` (M-1,) otherwise. Exact (Viterbi); ties keep the labels."""
    n = len(unary)
    back = np.zeros((n, 2), dtype=bool)  # back[j, s]: state of frame j-1 on the best path to state s
    cost0, cost1 = float(unary[0, 0]), float(unary[0, 1])
    for j, (u0, u1, s, c) in enumerate(zip(unary[1:, 0].tolist(), unary[1:, 1].tolist(), same.tolist(),
                                           cross.tolist()), start=1):
        from0, from1 = (cost0 + s, cost1 + c), (cost0 + c, cost1 + s)  # to state 0, to state 1
        back[j] = from0[1] < from0[0], from1[1] < from1[0]
        cost0, cost1 = min(from0) + u0, min(from1) + u1
    states = np.zeros(n, dtype=bool)
    states[-1] = cost1 < cost0
    for j in range(n - 1, 0, -1):
        states[j - 1] = back[j, int(states[j])]
    return states


def swap_frames(track: Track, swapped: dict[str, np.ndarray]) -> Track:
    """``track`` with the left and right landmarks of each group exchanged in the frames marked
    True in ``swapped`` ({group: (T,) bool}): pixels, visibility, world x and y (each name keeps
    its world depth, which the model does not swap, see the module text), and for the arms the two
    hand slots. NaN moves with its landmark. A new Track (the input itself when nothing is swapped);
    the input is not modified."""
    if not any(mask.any() for mask in swapped.values()):
        return track
    xy, visibility, world, hands = (a.copy() for a in (track.xy, track.visibility, track.world, track.hands))
    for group, mask in swapped.items():
        if not mask.any():
            continue
        left, right = _pair_indices(SWAP_GROUPS[group])
        order = np.arange(xy.shape[1])
        order[left], order[right] = right, left
        xy[mask] = xy[mask][:, order]
        visibility[mask] = visibility[mask][:, order]
        world[mask, :, :2] = world[mask][:, order, :2]
        if group == HANDS_FOLLOW:
            hands[mask] = hands[mask][:, ::-1]
    for array in (xy, visibility, world, hands):
        array.setflags(write=False)  # handed to the new Track, which then shares instead of copying
    return track.replace(xy=xy, visibility=visibility, world=world, hands=hands)


def _median_of_seen(values: np.ndarray) -> np.ndarray:
    """(M,) median over axis 1 of the finite values of (M, K) ``values``; NaN, without a warning,
    where none is."""
    out = np.full(len(values), np.nan)
    seen = np.isfinite(values).any(axis=1)
    out[seen] = np.nanmedian(values[seen], axis=1)
    return out


def _pair_indices(parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([POSE_INDEX[f"left_{p}"] for p in parts]), np.array([POSE_INDEX[f"right_{p}"] for p in parts]))


def _trunk_scale(track: Track, window_s: float) -> np.ndarray:
    """(T,) trunk length in pixels: the rolling median body scale, the clip's median where that is
    NaN (NaN everywhere only when no trunk is ever seen)."""
    scale = body_scale(track.times, track.xy, window_s) if len(track) else np.zeros(0)
    fallback = trunk_length(track.xy)
    return np.where(np.isfinite(scale), scale, np.nanmedian(fallback) if np.isfinite(fallback).any() else np.nan)
