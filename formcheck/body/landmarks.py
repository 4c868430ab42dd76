"""Landmark names, indices, groups and skeleton edges (data only, no logic).

Pose landmarks follow MediaPipe BlazePose (33 points); hand landmarks follow MediaPipe Hands
(21 points per hand). Names are lower-case snake case and are used as CSV column prefixes.
"""

POSE_LANDMARKS: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
POSE_INDEX: dict[str, int] = {name: i for i, name in enumerate(POSE_LANDMARKS)}
#: Indices of the head (nose to mouth), shoulders and hips: the points the runner-follower places a
#: person by, and those the mirrored searches average.
HEAD_AND_TRUNK: list[int] = [i for name, i in POSE_INDEX.items()
                             if i <= POSE_INDEX["mouth_right"] or name.endswith(("_shoulder", "_hip"))]

HAND_LANDMARKS: tuple[str, ...] = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
HAND_INDEX: dict[str, int] = {name: i for i, name in enumerate(HAND_LANDMARKS)}

#: The two hands, in the order of the hand axis of a Track (the runner's own left and right).
HAND_SIDES: tuple[str, ...] = ("left", "right")

#: Landmark groups for detection-coverage figures: (runner's left side, right side). A side view
#: shows one side well and hides the other, so a group counts as seen when either side is.
POSE_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "head": (("nose", "left_eye", "left_ear"), ("nose", "right_eye", "right_ear")),
    "shoulders": (("left_shoulder",), ("right_shoulder",)),
    "arms": (("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
    "hips": (("left_hip",), ("right_hip",)),
    "legs": (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
    "feet": (("left_heel", "left_foot_index"), ("right_heel", "right_foot_index")),
}

POSE_EDGES: tuple[tuple[str, str], ...] = (
    ("left_ear", "left_eye"), ("right_ear", "right_eye"), ("left_eye", "nose"), ("right_eye", "nose"),
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"), ("left_hip", "right_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
)

HAND_EDGES: tuple[tuple[str, str], ...] = (
    ("wrist", "thumb_cmc"), ("thumb_cmc", "thumb_mcp"), ("thumb_mcp", "thumb_ip"), ("thumb_ip", "thumb_tip"),
    ("wrist", "index_mcp"), ("index_mcp", "index_pip"), ("index_pip", "index_dip"), ("index_dip", "index_tip"),
    ("index_mcp", "middle_mcp"), ("middle_mcp", "middle_pip"), ("middle_pip", "middle_dip"),
    ("middle_dip", "middle_tip"),
    ("middle_mcp", "ring_mcp"), ("ring_mcp", "ring_pip"), ("ring_pip", "ring_dip"), ("ring_dip", "ring_tip"),
    ("ring_mcp", "pinky_mcp"), ("wrist", "pinky_mcp"), ("pinky_mcp", "pinky_pip"), ("pinky_pip", "pinky_dip"),
    ("pinky_dip", "pinky_tip"),
)
