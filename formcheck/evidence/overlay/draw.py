"""Drawing on the runner: the skeleton, the hands, and the lines that explain each measurement.

Each function draws one thing for one frame of the clip (a
:class:`~formcheck.evidence.overlay.scene.SceneFrame`, from ``Scene.at``) into an RGB frame in
place, and draws nothing where the landmarks or the metric are NaN (not trusted, or
not measurable in this view), so the picture never shows a line the numbers do not stand on.
"""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.body.landmarks import HAND_EDGES, HAND_INDEX, POSE_EDGES, POSE_INDEX
from formcheck.evidence.overlay import style as colors
from formcheck.evidence.overlay.scene import Scene, SceneFrame
from formcheck.evidence.overlay.style import Style
from formcheck.evidence.overlay.text import draw_text, text_size

_UPPER_PARTS = ("nose", "eye", "ear", "shoulder", "elbow", "wrist")
#: The hand's edges as two index arrays (ends a, b).
_HAND_EDGES = np.array([(HAND_INDEX[a], HAND_INDEX[b]) for a, b in HAND_EDGES]).T


def _is_upper(name: str) -> bool:
    return name == "nose" or name.split("_", 1)[-1] in _UPPER_PARTS


#: The pose's edges as two index arrays (ends a, b): of the upper body (True: head, shoulders, arms) or not.
_POSE_EDGES = {upper: np.array([(POSE_INDEX[a], POSE_INDEX[b]) for a, b in POSE_EDGES
                                if (_is_upper(a) and _is_upper(b)) == upper]).T
               for upper in (False, True)}
_UPPER_JOINTS = [POSE_INDEX[n] for n in POSE_INDEX if _is_upper(n) and "eye" not in n]


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _ok(*points: np.ndarray) -> bool:
    return all(np.isfinite(p).all() for p in points)


def _draw_edges(frame: np.ndarray, points: np.ndarray, edges: np.ndarray, color, width: int) -> None:
    """The lines between ``points`` (N, 2) pixels named by ``edges`` (2, E) index arrays, in one call;
    an edge with a NaN end is left out."""
    seen = np.isfinite(points).all(axis=1)
    kept = seen[edges[0]] & seen[edges[1]]
    if kept.any():
        ends = np.stack([points[edges[0, kept]], points[edges[1, kept]]], axis=1)
        cv2.polylines(frame, list(np.rint(ends).astype(np.int32)), False, color, width, cv2.LINE_AA)


def draw_skeleton(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """Body edges: head, shoulders and arms thick and bright (what is judged), the rest thin and grey."""
    xy = shown.xy
    _draw_edges(frame, xy, _POSE_EDGES[False], colors.LOWER_BODY, st.px(2))
    _draw_edges(frame, xy, _POSE_EDGES[True], colors.UPPER_BODY, st.px(4))
    for k in _UPPER_JOINTS:
        if _ok(xy[k]):
            cv2.circle(frame, _pt(xy[k]), st.px(5), colors.JOINT, -1, cv2.LINE_AA)


def draw_hands(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """21-point hands where found, ringed in the colour of their state against the runner's baseline
    (as usual, curled, opened) and labelled."""
    for side in range(len(shown.hands)):
        hand, state = shown.hands[side], shown.hand_state[side]
        if not state:
            continue
        color = colors.HAND_STATE_COLORS[state]
        _draw_edges(frame, hand, _HAND_EDGES, color, st.px(2))
        centre = np.nanmean(hand, axis=0)
        radius = max(st.px(14), int(np.nanmax(np.linalg.norm(hand - centre, axis=1)) * 1.15))
        cv2.circle(frame, _pt(centre), radius, color, st.px(2), cv2.LINE_AA)
        draw_text(frame, state, int(centre[0] + radius * 0.75), int(centre[1] + radius * 0.75),
                  st.font(15), color, bold=True, box=0.5)


def _scene_axes(shown: SceneFrame) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (picture pixels, y down) along the scene's level (rightward) and its downward
    vertical in the frame ``shown``: the picture's own axes turned by the camera's roll where it was measured."""
    roll = np.radians(np.nan_to_num(shown.metrics["camera_roll_deg"]))
    return np.array([np.cos(roll), np.sin(roll)]), np.array([-np.sin(roll), np.cos(roll)])


def draw_head_pitch(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """Ear-to-eye line carried forward, a level line from the ear (level in the scene, so it leans
    with the camera's roll), and the head's pitch against the runner's baseline (side view only,
    where head pitch is measured; :func:`head_against_base`)."""
    pitch = shown.metrics["head_pitch_deg"]
    side = shown.near
    ear, eye = shown.xy[POSE_INDEX[f"{side}_ear"]], shown.xy[POSE_INDEX[f"{side}_eye"]]
    if not (np.isfinite(pitch) and _ok(ear, eye)):
        return
    direction = eye - ear
    length = max(np.linalg.norm(direction) * 3.0, st.px(70))
    tip = ear + direction / max(np.linalg.norm(direction), 1e-6) * length
    across, _ = _scene_axes(shown)
    level = ear + across * (np.sign(direction @ across) or 1.0) * length
    cv2.line(frame, _pt(ear), _pt(level), colors.HEAD_LINE, st.px(2), cv2.LINE_AA)
    cv2.line(frame, _pt(ear), _pt(tip), colors.HEAD_LINE, st.px(3), cv2.LINE_AA)
    label = head_against_base(pitch, scene.head_pitch_base)
    if label:
        draw_text(frame, label, int(max(tip[0], level[0]) + st.px(6)), int(min(tip[1], level[1]) - st.px(10)),
                  st.font(16), colors.HEAD_LINE, bold=True, box=0.5)


#: Head pitch within this many degrees of the baseline is labelled "head as at base".
HEAD_SAME_DEG = 2.0


def head_against_base(pitch: float, base: float) -> str:
    """The head's label: its pitch (deg, + chin down) against the baseline's, e.g. "chin 6° lower than
    base"; "" without a baseline. Never an absolute angle: a level gaze does not read as 0 deg."""
    if not np.isfinite(base):
        return ""
    change = pitch - base
    if abs(change) < HEAD_SAME_DEG:
        return "head as at base"
    return f"chin {abs(change):.0f}\u00b0 {'lower' if change > 0 else 'higher'} than base"


def draw_shoulder_gap(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """The vertical ear-to-shoulder distance that a shrug shrinks (vertical in the scene: it leans with
    the camera's roll), with its share of trunk length."""
    ratio = shown.metrics["shoulder_elevation_ratio"]
    if not np.isfinite(ratio):
        return
    sides = [shown.near] if shown.view == "side" else ["left", "right"]
    for side in sides:
        ear, shoulder = shown.xy[POSE_INDEX[f"{side}_ear"]], shown.xy[POSE_INDEX[f"{side}_shoulder"]]
        if not _ok(ear, shoulder):
            continue
        across, down = _scene_axes(shown)
        top = shoulder - down * ((shoulder - ear) @ down)  # level with the ear, straight above the shoulder
        tick = across * st.px(8)
        cv2.line(frame, _pt(top), _pt(shoulder), colors.SHOULDER_GAP, st.px(3), cv2.LINE_AA)
        for end in (top, shoulder):
            cv2.line(frame, _pt(end - tick), _pt(end + tick), colors.SHOULDER_GAP, st.px(3), cv2.LINE_AA)
    anchor = shown.xy[POSE_INDEX[f"{sides[0]}_shoulder"]]
    if _ok(anchor):
        draw_text(frame, f"ear\u2013shoulder {ratio:.2f}\u00d7trunk", int(anchor[0] + st.px(12)),
                  int(anchor[1] - st.px(30)), st.font(14), colors.SHOULDER_GAP, box=0.5)


def draw_shoulder_span(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """Shoulder-to-shoulder line with its width over hip width (front or back view only)."""
    ratio = shown.metrics["shoulder_width_ratio"]
    left, right = shown.xy[POSE_INDEX["left_shoulder"]], shown.xy[POSE_INDEX["right_shoulder"]]
    if not (np.isfinite(ratio) and _ok(left, right)):
        return
    cv2.line(frame, _pt(left), _pt(right), colors.SHOULDER_SPAN, st.px(4), cv2.LINE_AA)
    middle = (left + right) / 2
    draw_text(frame, f"width {ratio:.2f}\u00d7hips", int(middle[0] - st.px(50)), int(middle[1] + st.px(12)),
              st.font(14), colors.SHOULDER_SPAN, box=0.5)


def draw_roll(frame: np.ndarray, scene: Scene, shown: SceneFrame, st: Style) -> None:
    """Bottom right, above the timeline: the camera's roll in this frame, with a short line along the
    scene's level; "roll not measured" where it could not be (angles are then against the picture's edges)."""
    roll = shown.metrics["camera_roll_deg"]
    label = "camera roll not measured" if not np.isfinite(roll) else f"camera roll {roll:+.1f}\u00b0"
    width, height = text_size(label, st.font(13))
    centre = np.array([scene.width - st.px(40), scene.height - st.px(40)], dtype=float)
    if np.isfinite(roll):
        across, _ = _scene_axes(shown)
        cv2.line(frame, _pt(centre - across * st.px(26)), _pt(centre + across * st.px(26)), colors.ROLL, st.px(2),
                 cv2.LINE_AA)
    draw_text(frame, label, int(centre[0] - st.px(36) - width), int(centre[1] - height / 2), st.font(13), colors.ROLL,
              box=0.5)
