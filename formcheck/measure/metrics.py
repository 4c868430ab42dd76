"""The measurements, frame by frame: pure functions of a cleaned track and its view.

Every column carries its unit in its name and is NaN where it cannot be measured: the landmarks are
not seen, or the view makes the measurement meaningless (2D angles only hold in the picture plane,
so sagittal angles need a side view; shoulder width needs a front or back view). Lengths are divided
by the body scale (:func:`formcheck.body.geometry.body_scale`, hip-to-ear trunk length), so values do not
depend on the distance to the camera. In side view x is mirrored by the facing direction, so
"forward" is +x whichever way the runner goes.

| column | meaning | views |
|---|---|---|
| ``head_pitch_deg`` | side: ear-to-eye line below horizontal; front: a proxy from the nose's drop below the ear line (:func:`front_head_pitch_deg`); + = chin down, - = chin up | side (head side-on), front |
| ``forward_head_deg`` | shoulder-to-ear line ahead of vertical; + = head pushed forward | side (head side-on) |
| ``shoulder_elevation_ratio`` | vertical ear-to-shoulder gap / trunk; smaller = shoulders higher (shrug) | side, front, back |
| ``shoulder_width_ratio`` | shoulder-to-shoulder distance / hip width; smaller = upper back narrowed | front, back |
| ``shoulder_offset_ratio`` | shoulder ahead (+, rounded) or behind (-, pinched back) the ear-hip line / trunk | side |
| ``hand_curl_deg`` | mean finger flexion at the knuckles and middle joints, 21-point hands (0 flat, ~90 fist) | any, where a hand is found |
| ``wrist_bend_deg`` | pose-only fallback for the hands: wrist flexion from forearm to knuckles | any |
| ``hand_height_ratio`` | wrists above the hip midpoint / trunk; larger = hands riding up to the chest | any, hips seen |
| ``elbow_angle_deg`` | interior shoulder-elbow-wrist angle of the near arm | side |

The front-view proxy is used only in a clip filmed from the front (:data:`FRONT_CLIP_SHARE` of the
frames whose view is known): elsewhere frames taken for the front keep no head pitch rather than
mixing the two scales (on a copy of run04 whose view wavered between side and front, 53% front,
the mix moved the clip median by 16 deg).
"Head side-on" means the near eye is ahead of the near ear, the ear-to-eye line within
:data:`SIDE_ON_MAX_DEG` of level, and the nose ahead of the ear: a head turned away (a runner seen from
behind at a slant, taken for side-on by the shoulders) has no head angle, not a wild one. With the
hips out of frame the trunk is estimated from the ears (:func:`~formcheck.body.geometry.scale_length`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formcheck.body.geometry import (
    angle_below_horizontal_deg,
    distance,
    joint_angle_deg,
    mean_of_seen,
    midpoint,
    point,
    rolling_median,
)
from formcheck.body.landmarks import HAND_INDEX, POSE_INDEX
from formcheck.cleaning.view import ViewEstimate
from formcheck.config import MetricsConfig
from formcheck.measure.registry import MEASURES, METRIC_COLUMNS
from formcheck.pose.track import Track

SIDES = ("left", "right")
#: A head seen side-on has its ear-to-eye line within this of level (degrees); a head turned away
#: puts the eye above, below or behind the ear.
SIDE_ON_MAX_DEG = 60.0
#: How far in front of the line through the ears the nose tip sits, in ear spans (the distance
#: between MediaPipe's two ear points, about a sixth of the trunk): an approximation, so the front
#: view's head pitch is a proxy for changes, not an absolute angle.
NOSE_DEPTH_EAR_SPANS = 1.0
#: A clip is filmed from the front when at least this share of its frames with a known view are.
FRONT_CLIP_SHARE = 0.7
_FINGERS = ("index", "middle", "ring", "pinky")


def frame_metrics(track: Track, view: ViewEstimate, scale: np.ndarray,
                  config: MetricsConfig = MetricsConfig()) -> pd.DataFrame:
    """One row per frame: ``time_s``, ``view``, ``facing``, ``body_scale_px`` and every metric column.
    ``scale`` (T,) is the body scale in pixels (:func:`formcheck.body.geometry.body_scale`)."""
    xy = track.xy
    side_view = view.view == "side"
    spread_view = np.isin(view.view, ("front", "back"))
    known_view = side_view | spread_view
    forward = forward_coordinates(xy, view.facing)
    near = near_side(track, config.near_side_window_s)

    side_on = _on_near_side(near, lambda s: head_side_on(forward, s))
    known = view.view != ""
    front_clip = known.any() and (view.view[known] == "front").mean() >= FRONT_CLIP_SHARE
    front_view = (view.view == "front") & front_clip
    columns = {
        "head_pitch_deg": np.where(front_view, front_head_pitch_deg(xy),
                                   _on_near_side(near, lambda s: head_pitch_deg(forward, s))),
        "forward_head_deg": _on_near_side(near, lambda s: forward_head_deg(forward, s)),
        "shoulder_elevation_ratio": np.where(
            side_view, _on_near_side(near, lambda s: shoulder_gap_px(xy, s)),
            mean_of_seen(np.stack([shoulder_gap_px(xy, s) for s in SIDES]))) / scale,
        "shoulder_width_ratio": shoulder_width_ratio(xy),
        "shoulder_offset_ratio": _on_near_side(near, lambda s: shoulder_offset_px(forward, s)) / scale,
        "hand_curl_deg": hand_curl_deg(track.hands),
        "wrist_bend_deg": mean_of_seen(np.stack([wrist_bend_deg(xy, s) for s in SIDES])),
        "hand_height_ratio": hand_height_px(xy) / scale,
        "elbow_angle_deg": _on_near_side(near, lambda s: joint_angle_deg(
            point(xy, f"{s}_shoulder"), point(xy, f"{s}_elbow"), point(xy, f"{s}_wrist"))),
    }
    views = {  # the frames each measure is taken in, by the name its declaration gives (Measure.views)
        "head side-on, or front": (side_view & side_on) | front_view, "head side-on": side_view & side_on,
        "any known view": known_view, "front or back": spread_view, "side": side_view,
        "anywhere": np.ones(len(track), dtype=bool),
    }
    table = pd.DataFrame({"time_s": track.times, "view": view.view, "facing": view.facing, "body_scale_px": scale})
    for measure in MEASURES:
        table[measure.column] = np.where(views[measure.views], columns[measure.column], np.nan)
    return table


def coverage(table: pd.DataFrame) -> dict[str, float]:
    """Share of frames (0-1) in which each metric could be measured."""
    return {name: float(table[name].notna().mean()) if len(table) else 0.0 for name in METRIC_COLUMNS}


def forward_coordinates(xy: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """(T, K, 2) coordinates with x mirrored where the runner faces left (facing -1), so forward is +x.
    Frames with facing 0 (not side-on) are NaN: they have no forward direction in the picture."""
    sign = np.where(facing == 0, np.nan, facing).astype(float)
    out = xy.copy()
    out[..., 0] *= sign[:, None]
    return out


def near_side(track: Track, window_s: float) -> np.ndarray:
    """(T,) "left" or "right": the side of the head and shoulders the camera sees better, by the
    model's visibility over a rolling window (in side view the far side is partly guessed)."""
    def seen(side: str) -> np.ndarray:
        idx = [POSE_INDEX[f"{side}_{part}"] for part in ("ear", "eye", "shoulder")]
        return rolling_median(track.times, track.visibility[:, idx].mean(axis=1), window_s, min_share=0.0)

    return np.where(np.nan_to_num(seen("left")) >= np.nan_to_num(seen("right")), "left", "right")


def head_pitch_deg(forward: np.ndarray, side: str) -> np.ndarray:
    """Ear-to-eye line below horizontal (degrees, + = chin down) in forward coordinates."""
    return angle_below_horizontal_deg(point(forward, f"{side}_eye") - point(forward, f"{side}_ear"))


def head_side_on(forward: np.ndarray, side: str) -> np.ndarray:
    """(T,) bool: the head is seen side-on from ``side``: the eye ahead of the ear, the ear-to-eye line
    within :data:`SIDE_ON_MAX_DEG` of level, and the nose ahead of the ear (forward coordinates)."""
    ear, eye, nose = point(forward, f"{side}_ear"), point(forward, f"{side}_eye"), point(forward, "nose")
    return (np.abs(head_pitch_deg(forward, side)) <= SIDE_ON_MAX_DEG) & (nose[:, 0] > ear[:, 0]) & (eye[:, 0] > ear[:, 0])


def front_head_pitch_deg(xy: np.ndarray) -> np.ndarray:
    """(T,) front-view head pitch proxy (degrees, + = chin down): the nose's drop below the line
    through the ears, over :data:`NOSE_DEPTH_EAR_SPANS` ear spans (how far in front of the ears the
    nose tip sits), taken as the sine of the head's tilt. Its zero is not a level gaze (the nose sits
    below the ears then, about 8 deg here): read it against the runner's own baseline."""
    left, right, nose = point(xy, "left_ear"), point(xy, "right_ear"), point(xy, "nose")
    span = distance(left, right)
    across = (right - left) / span[:, None]
    # The nose's distance from the ear line, + below it (y grows downward) whichever ear is on the left.
    below = np.sign(across[:, 0]) * np.cross(across, nose - midpoint(left, right))
    return np.degrees(np.arcsin(np.clip(below / (NOSE_DEPTH_EAR_SPANS * span), -1.0, 1.0)))


def forward_head_deg(forward: np.ndarray, side: str) -> np.ndarray:
    """Shoulder-to-ear line ahead of vertical (degrees, + = ear ahead of the shoulder)."""
    v = point(forward, f"{side}_ear") - point(forward, f"{side}_shoulder")
    return np.degrees(np.arctan2(v[:, 0], -v[:, 1]))


def shoulder_gap_px(xy: np.ndarray, side: str) -> np.ndarray:
    """Vertical distance (pixels) from the ear down to the shoulder on one side; shrinks in a shrug."""
    return point(xy, f"{side}_shoulder")[:, 1] - point(xy, f"{side}_ear")[:, 1]


def shoulder_width_ratio(xy: np.ndarray) -> np.ndarray:
    """Shoulder-to-shoulder distance over hip width (front/back view)."""
    return distance(point(xy, "left_shoulder"), point(xy, "right_shoulder")) / distance(
        point(xy, "left_hip"), point(xy, "right_hip"))


def shoulder_offset_px(forward: np.ndarray, side: str) -> np.ndarray:
    """Horizontal distance (pixels, + = forward) of the shoulder from the ear-hip line at shoulder height."""
    ear, hip = point(forward, f"{side}_ear"), point(forward, f"{side}_hip")
    shoulder = point(forward, f"{side}_shoulder")
    along = (shoulder[:, 1] - hip[:, 1]) / (ear[:, 1] - hip[:, 1])
    return shoulder[:, 0] - (hip[:, 0] + along * (ear[:, 0] - hip[:, 0]))


def hand_curl_deg(hands: np.ndarray) -> np.ndarray:
    """(T,) mean flexion (degrees) at the knuckle (MCP) and middle (PIP) joints of the four fingers,
    averaged over the hands found; 0 = straight fingers, ~90 = fist. Uses x, y and the model's
    relative depth, so curl toward the camera counts. NaN where no 21-point hand was found."""
    def flexion(h: np.ndarray, a: str, b: str, c: str) -> np.ndarray:
        return 180.0 - joint_angle_deg(h[:, HAND_INDEX[a]], h[:, HAND_INDEX[b]], h[:, HAND_INDEX[c]])

    per_hand = []
    for side in range(hands.shape[1]):
        h = hands[:, side]
        joints = [flexion(h, "wrist", f"{f}_mcp", f"{f}_pip") for f in _FINGERS]
        joints += [flexion(h, f"{f}_mcp", f"{f}_pip", f"{f}_dip") for f in _FINGERS]
        per_hand.append(np.mean(joints, axis=0))
    return mean_of_seen(np.stack(per_hand))


def wrist_bend_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """Pose-only hand fallback: flexion (degrees) at the wrist between the forearm and the line to the
    midpoint of the pose model's index and pinky knuckles; 0 = hand in line with the forearm."""
    knuckles = midpoint(point(xy, f"{side}_index"), point(xy, f"{side}_pinky"))
    return 180.0 - joint_angle_deg(point(xy, f"{side}_elbow"), point(xy, f"{side}_wrist"), knuckles)


def hand_height_px(xy: np.ndarray) -> np.ndarray:
    """Mean height (pixels) of the wrists seen above the hip midpoint; hands riding up raise it."""
    hips = midpoint(point(xy, "left_hip"), point(xy, "right_hip"))
    heights = np.stack([hips[:, 1] - point(xy, f"{s}_wrist")[:, 1] for s in SIDES])
    return mean_of_seen(heights)


def _on_near_side(near: np.ndarray, measure) -> np.ndarray:
    left, right = measure("left"), measure("right")
    return np.where(near == "left", left, right)


