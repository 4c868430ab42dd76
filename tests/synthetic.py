"""A synthetic side-view runner whose measurements are known by construction.

The runner faces right (+x) in a 1080x1920 frame: hips bob, legs and arms swing at the given
cadence, and the head pitch, shoulder shrug and finger curl follow functions of time, so a test can
change one of them and know exactly what formcheck should read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from formcheck.body.landmarks import HAND_INDEX, POSE_INDEX
from formcheck.pose.track import Track

TRUNK = 400.0  # hip midpoint to ear, pixels: the body scale formcheck divides by
GAP = 0.25 * TRUNK  # relaxed vertical ear-to-shoulder gap
EYE_TO_EAR = 45.0


def constant(value: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda t: np.full_like(t, value, dtype=float)


def step_at(t0: float, before: float, after: float, ramp_s: float = 0.3) -> Callable[[np.ndarray], np.ndarray]:
    """A value that moves from ``before`` to ``after`` over ``ramp_s`` seconds starting at ``t0``."""
    return lambda t: before + (after - before) * np.clip((t - t0) / ramp_s, 0.0, 1.0)


def runner(
    seconds: float = 20.0,
    fps: float = 60.0,
    cadence_spm: float = 170.0,
    head_pitch_deg: Callable = constant(10.0),
    shrug: Callable = constant(0.0),
    finger_curl_deg: Callable = constant(45.0),
    facing: int = 1,
    noise_px: float = 1.0,
    seed: int = 0,
    arms_follow_shrug: bool = True,
) -> Track:
    """A side-view runner track. ``shrug(t)`` raises both shoulders by that share of :data:`TRUNK`;
    ``head_pitch_deg(t)`` tilts the ear-to-eye line below horizontal; ``finger_curl_deg(t)`` bends
    every finger's knuckle and middle joint by that angle; ``facing`` -1 mirrors the runner to run left.
    ``arms_follow_shrug`` False keeps the elbows and hands where a relaxed runner carries them, so a
    shrug changes the shoulders alone."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 1.0 / fps)
    n = len(t)
    stride_hz = cadence_spm / 120.0
    phase = 2 * np.pi * stride_hz * t
    xy = np.full((n, 33, 2), np.nan)

    def put(name: str, x: np.ndarray, y: np.ndarray) -> None:
        xy[:, POSE_INDEX[name]] = np.stack([x, y], axis=1)

    hip_x, hip_y = 540.0 + 0 * t, 1100.0 + 8 * np.cos(2 * phase)  # two bobs per stride
    ear_x, ear_y = hip_x + 40.0, hip_y - TRUNK
    shoulder_y = ear_y + GAP - shrug(t) * TRUNK
    shoulder_x = hip_x + 25.0
    pitch = np.radians(head_pitch_deg(t))
    eye_x, eye_y = ear_x + EYE_TO_EAR * np.cos(pitch), ear_y + EYE_TO_EAR * np.sin(pitch)
    for side, offset, sign in (("left", -6.0, 1.0), ("right", 6.0, -1.0)):
        put(f"{side}_hip", hip_x + offset, hip_y)
        put(f"{side}_shoulder", shoulder_x + offset, shoulder_y)
        put(f"{side}_ear", ear_x + offset, ear_y)
        put(f"{side}_eye", eye_x + offset, eye_y)
        for part in ("eye_inner", "eye_outer"):
            put(f"{side}_{part}", eye_x + offset, eye_y)
        put(f"mouth_{side}", eye_x + offset + 5, eye_y + 35)
        swing = sign * np.sin(phase)  # left leg forward when the right arm is forward
        ankle_x, ankle_y = hip_x + 160 * swing, hip_y + 420 - 40 * np.clip(-swing, 0, 1)
        put(f"{side}_knee", hip_x + 90 * swing + 40, hip_y + 220)
        put(f"{side}_ankle", ankle_x, ankle_y)
        put(f"{side}_heel", ankle_x - 25, ankle_y + 15)
        put(f"{side}_foot_index", ankle_x + 45, ankle_y + 20)
        arm_top = shoulder_y if arms_follow_shrug else ear_y + GAP
        elbow_x, elbow_y = shoulder_x - 60 * swing, arm_top + 150
        wrist_x, wrist_y = elbow_x + 110, elbow_y - 30 + 20 * swing
        put(f"{side}_elbow", elbow_x, elbow_y)
        put(f"{side}_wrist", wrist_x, wrist_y)
        for part, dx in (("pinky", 30), ("index", 35), ("thumb", 25)):
            put(f"{side}_{part}", wrist_x + dx, wrist_y + 5)
    put("nose", eye_x + 25, eye_y + 20)
    xy += rng.normal(0, noise_px, xy.shape)

    if facing == -1:
        xy[..., 0] = 1080.0 - xy[..., 0]
    visibility = np.full((n, 33), 0.99)
    visibility[:, [i for name, i in POSE_INDEX.items() if name.startswith("right")]] = 0.9  # far side
    hands = np.stack([_hand(xy[:, POSE_INDEX[f"{s}_wrist"]], finger_curl_deg(t), facing) for s in ("left", "right")], 1)
    return Track(times=t, xy=xy, visibility=visibility, world=np.full((n, 33, 3), np.nan), hands=hands,
                 meta={"width": 1080, "height": 1920, "source": "synthetic", "backend": "synthetic"})


def _hand(wrist: np.ndarray, curl_deg: np.ndarray, facing: int) -> np.ndarray:
    """(T, 21, 3) hand: fingers leave the palm forward, each knuckle and middle joint bent by ``curl_deg``
    (the end joint by half of it), in the picture plane."""
    n = len(wrist)
    hand = np.zeros((n, 21, 3))
    hand[:, HAND_INDEX["wrist"], :2] = wrist
    curl = np.radians(curl_deg)
    for finger, spread in (("index", -12.0), ("middle", -4.0), ("ring", 4.0), ("pinky", 12.0)):
        base = np.full(n, np.radians(spread))  # fingers fan out slightly from the wrist
        mcp = wrist + 60 * np.stack([np.cos(base) * facing, np.sin(base)], 1)
        hand[:, HAND_INDEX[f"{finger}_mcp"], :2] = mcp
        point, heading = mcp, base
        for joint, length, bend in (("pip", 30.0, curl), ("dip", 20.0, curl), ("tip", 15.0, curl / 2)):
            heading = heading + bend  # bending toward the palm: downward in the picture
            point = point + length * np.stack([np.cos(heading) * facing, np.sin(heading)], 1)
            hand[:, HAND_INDEX[f"{finger}_{joint}"], :2] = point
    for i, name in enumerate(("thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip")):
        hand[:, HAND_INDEX[name], :2] = wrist + [facing * (10 + 12 * i), -10 - 8 * i]
    return hand
