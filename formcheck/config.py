"""Every tunable number in formcheck, documented, in frozen dataclasses; loadable from TOML.

A TOML file names only what it changes, by section, e.g.::

    [smoothing]
    cutoff_hz = 5.0

Unknown sections or keys, and values of the wrong type, are a :class:`ConfigError` that names them.
See ``formcheck.example.toml`` in the repository for every key with its meaning.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.errors import ConfigError

#: The pose models that work offline with mediapipe 0.10.21's bundled weights.
POSE_MODELS = ("holistic", "pose")
MIN_MAX_HEIGHT = 64  # pixels: below this the model finds nobody
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


@dataclass(frozen=True)
class PoseConfig:
    """How landmarks are found.

    ``model``: "holistic" (pose + 21-point hands, needed for the hand-tension metric) or "pose"
    (about twice as fast, no finger landmarks). ``max_height``: analyse frames scaled down to at most
    this many pixels high (None = full size); landmarks are still reported in full-size pixels.
    ``min_detection_confidence`` / ``min_tracking_confidence``: MediaPipe's thresholds in [0, 1].
    ``every``: analyse every n-th frame only (1 = all); for 120-240 fps clips, 2-4 still samples
    each stride finely and divides the inference time. ``mirror``: also search each frame flipped
    left to right and average (:mod:`formcheck.pose.mirror`): a runner filmed running left reads
    the same as one running right, for a second model's time.
    """

    model: str = "holistic"
    max_height: int | None = None
    every: int = 1
    mirror: bool = False
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in POSE_MODELS:
            raise ConfigError(f"pose model (--model, or model in [pose]) must be one of {POSE_MODELS}, "
                              f"got {self.model!r}")
        if self.max_height is not None and self.max_height < MIN_MAX_HEIGHT:
            raise ConfigError(f"--max-height (max_height in [pose]) must be at least {MIN_MAX_HEIGHT} pixels, "
                              f"got {self.max_height}")
        if self.every < 1:
            raise ConfigError(f"--every (every in [pose]) must be 1 or more, got {self.every}")


@dataclass(frozen=True)
class FollowConfig:
    """How the runner is told from other people (see :mod:`formcheck.pose.follow`).

    ``enabled``: steer the model to the moving person. ``motion_memory_s``: recent motion fades over
    this many seconds. ``motion_level``: a pixel is moving above this share of the 99th-percentile motion.
    ``min_motion_share``: the tracked person (where their limbs swept over the last
    ``motion_memory_s``) must hold at least this share of the largest moving region to count as the
    runner. ``max_moving_share``: above this share of the frame moving, the camera is panning and no
    switch is made. ``min_mover_share``: a moving region smaller than this share of the frame is not
    a person (a flickering light). ``cooldown_s``: after a switch finds nobody new (nobody, or the
    same person again), no new switch on motion for this long. ``crop_margin``: while following
    after a switch, the crop is this many times the person's larger side, square.

    ``person``: who to follow: "auto" (the person who moves), or the person whose head or trunk is at
    (or near) a point of the first frame as displayed, "X,Y" in pixels or "X%,Y%" in percent of the
    width and height (see :func:`person_point`). ``max_jump_trunks``: the head and torso (median of their
    landmarks' moves) moving further than this many trunk lengths (hip to ear) between two frames at most ``jump_window_s`` seconds
    apart is a jump: that frame is dropped, and when the next frame jumps too the model has changed
    people and is sent back to where the person was. ``decoy_memory_s``: after a switch, the head
    and torso of the person left behind are painted over in the frames the model sees for this many
    seconds, so its detector finds the other one. ``settle_s``: in the automatic mode no landmarks
    are kept from the clip's first this many seconds: the motion map needs a few frames to tell who
    moves (the first frame difference alone can point at a bystander).
    """

    enabled: bool = True
    motion_memory_s: float = 1.0
    motion_level: float = 0.25
    min_motion_share: float = 0.35
    max_moving_share: float = 0.4
    min_mover_share: float = 0.02
    cooldown_s: float = 2.0
    crop_margin: float = 1.4
    person: str = "auto"
    max_jump_trunks: float = 0.75
    jump_window_s: float = 0.25
    decoy_memory_s: float = 1.0
    settle_s: float = 0.1

    def __post_init__(self) -> None:
        person_point(self.person)  # a ConfigError naming the problem when it is not a valid choice


def person_point(person: str) -> tuple[float, float, str] | None:
    """The point ``--person`` names: None for "auto" (the person who moves), else (x, y, unit) with
    unit "px" (pixels of the first frame as displayed, x right, y down) or "%" (percent of its width
    and height). Raises :class:`ConfigError` for anything else."""
    text = person.strip().lower()
    if text == "auto":
        return None
    parts = [p.strip() for p in text.split(",")]
    percent = len(parts) == 2 and all(p.endswith("%") for p in parts)
    try:
        x, y = (float(p.rstrip("%")) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        x = y = None
    valid = x is not None and 0 <= x < math.inf and 0 <= y < math.inf and (not percent or max(x, y) <= 100)
    if not valid or (not percent and any(p.endswith("%") for p in parts)):
        raise ConfigError(f"--person (person in [follow]) must be 'auto', 'X,Y' in pixels of the first frame "
                          f"or 'X%,Y%' in percent of its width and height, got {person!r}")
    return x, y, "%" if percent else "px"


@dataclass(frozen=True)
class SmoothingConfig:
    """How raw landmarks become a clean track (see :mod:`formcheck.smoothing`).

    ``min_visibility``: landmarks the model sees with a lower visibility score (0-1) become NaN.
    ``max_gap_s``: gaps up to this long (seconds) are filled by linear interpolation; longer gaps
    stay NaN. ``cutoff_hz``: cut-off of the zero-phase 4th-order Butterworth low-pass (Hz); arm swing
    and head bob in running sit at 1.3-3.5 Hz, so 6 Hz keeps them and removes frame-to-frame jitter.
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.15
    cutoff_hz: float = 6.0
    order: int = 4


@dataclass(frozen=True)
class ViewConfig:
    """How the camera view is decided (see :mod:`formcheck.view`).

    ``window_s``: each cue is a rolling median over this many seconds. ``side_max_span_ratio``:
    side view when the horizontal shoulder span is below this share of the hip-to-ear trunk length
    (measured medians on the sample clips: 0.08-0.14 side-on, 0.43-0.49 from the front).
    """

    window_s: float = 1.0
    side_max_span_ratio: float = 0.35


@dataclass(frozen=True)
class StrideConfig:
    """How steps and strides are found (see :mod:`formcheck.strides`).

    ``min_cadence_spm`` / ``max_cadence_spm``: the range of step rates, in steps per minute as the
    clip plays, taken for a rhythm (down to a 10x slow-motion clip, up to a sprint). ``min_coverage``:
    share of frames the ankles (or wrists, or hips) must be seen in. ``min_strides``: fewer strides than this
    in the clip means no rhythm. ``min_swing``: the swing's typical size (90th percentile, in body
    scales) below which it is not a stride (a person standing). ``hysteresis``: share of that size
    the swing must pass, one way then the other, to count a step. ``min_half_share``: a step shorter
    than this share of the steps around it is merged into them. ``min_bounce`` (body scales) and
    ``max_bounce_irregularity`` (:func:`formcheck.strides._irregularity`): the hips' rise and fall,
    used when neither feet nor hands give a rhythm, must be at least this big and this regular.
    ``fallback_window_s``: window length
    used instead of strides when no rhythm is found. The swing is divided by the body scale of
    :class:`MetricsConfig`.
    """

    min_cadence_spm: float = 12.0
    max_cadence_spm: float = 320.0
    min_coverage: float = 0.5
    min_strides: float = 1.5
    min_swing: float = 0.08
    hysteresis: float = 0.3
    min_half_share: float = 0.4
    min_bounce: float = 0.01
    max_bounce_irregularity: float = 0.3
    fallback_window_s: float = 0.75


@dataclass(frozen=True)
class MetricsConfig:
    """How the measurements are taken (see :mod:`formcheck.metrics`).

    ``scale_window_s``: window (s) of the rolling median trunk length used as body scale (by the
    metrics and by stride detection).
    ``near_side_window_s``: window (s) over which the better-seen side of the head is chosen.
    ``min_stride_coverage``: a stride's value needs the metric in at least this share of its frames.
    """

    scale_window_s: float = 2.0
    near_side_window_s: float = 2.0
    min_stride_coverage: float = 0.5


@dataclass(frozen=True)
class SegmentConfig:
    """When strides count as "running tight" (see :mod:`formcheck.segments`). Heuristics, not norms:
    no published video norm exists for upper-body tension in running, so the main evidence is change
    against the runner's own baseline.

    Baseline: the strides in the first ``baseline_s`` seconds, but no more than ``baseline_share`` of
    the clip and at least ``min_baseline_strides`` strides.

    A stride deviates on a metric when its change from the baseline median goes the tight way by at
    least the metric's threshold *and* by ``noise_factor`` times the baseline's stride-to-stride
    spread (1.4826 x MAD). Thresholds, in the metric's own units:

    - ``shoulder_rise_ratio``: the ear-to-shoulder gap shrinks by this share of trunk length.
    - ``head_pitch_change_deg``: head pitched down or up by this many degrees.
    - ``forward_head_change_deg``: head pushed forward by this many degrees.
    - ``shoulder_narrowing_share``: front/back shoulder width down by this share of the baseline.
    - ``shoulder_offset_change_ratio``: side view, shoulder moved back (pinched) or forward
      (rounded) by this share of trunk length.
    - ``hand_curl_change_deg``: fingers curled further (clenching) or straightened (rigid flat hand)
      by this many degrees.
    - ``hand_rise_ratio``: wrists carried higher by this share of trunk length.

    A segment needs at least ``min_strides`` deviating strides in a row (a single calm stride
    inside, up to ``max_gap_strides``, does not break it).

    ``pace_change_share``: a stride whose cadence differs from the baseline's by more than this share
    is at another pace; the measures that change with pace (hand height, shoulder carriage, forward
    head) are judged there only against the baseline's strides of a similar pace (within this share,
    at least ``min_baseline_strides`` of them), or not at all; the others are judged as usual.
    """

    baseline_s: float = 20.0
    baseline_share: float = 0.34
    min_baseline_strides: int = 3
    noise_factor: float = 2.0
    shoulder_rise_ratio: float = 0.03
    head_pitch_change_deg: float = 8.0
    forward_head_change_deg: float = 8.0
    shoulder_narrowing_share: float = 0.06
    shoulder_offset_change_ratio: float = 0.04
    hand_curl_change_deg: float = 25.0
    hand_rise_ratio: float = 0.08
    pace_change_share: float = 0.08
    min_strides: int = 3
    max_gap_strides: int = 1


@dataclass(frozen=True)
class QualityConfig:
    """When to warn that the clip limits the evidence (warnings go to summary.json and the report).

    ``min_trunk_share``: the runner's hip-to-ear trunk should span at least this share of the frame
    height. ``min_strides``: fewer measurable strides than this are too few for a baseline and a
    comparison. ``min_person_share``: the runner should be found in at least this share of frames.
    ``min_visibility``: the model's median confidence (0-1) in the head and shoulder landmarks.
    ``walking_below_spm`` / ``slow_motion_below_spm``: a cadence (steps/min) below the first is a
    walking pace, below the second too slow for any gait at real speed (a slow-motion clip).
    ``pan_speed``: a one-second window whose background moves more than this many frame widths per
    second is a pan; ``max_panning_share``: warn when the camera pans in more than this share of the
    clip's windows (see :mod:`formcheck.camera`). ``min_roll_share``: warn when the camera's roll
    could be measured in less than this share of the frames (see :mod:`formcheck.roll`).
    """

    min_trunk_share: float = 0.15
    min_strides: int = 6
    min_person_share: float = 0.8
    min_visibility: float = 0.6
    walking_below_spm: float = 140.0
    slow_motion_below_spm: float = 100.0
    pan_speed: float = 0.1
    max_panning_share: float = 0.2
    min_roll_share: float = 0.5


@dataclass(frozen=True)
class OverlayConfig:
    """The annotated overlay video.

    ``max_height``: scale the video down to at most this many pixels high (None = the clip's own
    size); smaller is faster to write and to play. ``crf``: x264 constant quality, 0-51 (lower =
    sharper and larger; 23 is x264's default). ``preset``: x264 speed preset, "ultrafast" to
    "veryslow" (faster = larger file at the same quality).
    """

    max_height: int | None = 1280
    crf: int = 23
    preset: str = "superfast"

    def __post_init__(self) -> None:
        if self.max_height is not None and self.max_height < MIN_MAX_HEIGHT:
            raise ConfigError(f"--video-height (max_height in [overlay]) must be at least {MIN_MAX_HEIGHT} "
                              f"pixels, got {self.max_height}")
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"crf in [overlay] must be 0-51, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(f"preset in [overlay] must be one of {X264_PRESETS}, got {self.preset!r}")


@dataclass(frozen=True)
class SwapConfig:
    """How left/right limb swaps are found and repaired before cleaning (see :mod:`formcheck.swaps`).

    ``enabled``: look for swaps at all. ``penalty_per_s``: labelling a stretch of frames as swapped
    costs this many trunk lengths per second of it, so only a relabelling that makes the limbs move
    that much less is taken: a one-frame swap saves about twice the distance between the limbs
    (0.5-1 trunk lengths) on each side, while legs crossing in a side view save almost nothing.
    ``min_landmarks``: a frame-to-frame comparison needs at least this many of the group's left/right
    pairs seen in both frames; the group's evidence is the median over them, so one noisy landmark
    cannot trigger a swap. ``max_gap_s``: frames further apart than this (s) are not compared.
    ``order_margin``: in a front or back view, a limb whose left-right order in the picture (taken
    against the head's) is the opposite of the clip's usual one by more than this share of trunk
    length counts against its labels; ``order_weight`` is the cost (trunk lengths) per trunk length
    of such reversed separation.
    ``scale_window_s``: window (s) of the rolling median trunk length that distances are divided by.
    """

    enabled: bool = True
    penalty_per_s: float = 4.0
    min_landmarks: int = 3
    max_gap_s: float = 0.15
    order_margin: float = 0.05
    order_weight: float = 1.0
    scale_window_s: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_landmarks <= 5:
            raise ConfigError(f"min_landmarks in [swaps] must be 1-5 (a leg has 5 left/right pairs), "
                              f"got {self.min_landmarks}")


@dataclass(frozen=True)
class Config:
    """All settings. Build with defaults, or :func:`load_config` from a TOML file."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    follow: FollowConfig = field(default_factory=FollowConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    view: ViewConfig = field(default_factory=ViewConfig)
    strides: StrideConfig = field(default_factory=StrideConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    overlay: OverlayConfig = field(default_factory=OverlayConfig)
    swaps: SwapConfig = field(default_factory=SwapConfig)

    def as_dict(self) -> dict:
        """Plain nested dict of every setting (for summary.json)."""
        return dataclasses.asdict(self)


def load_config(path: str | Path | None) -> Config:
    """Defaults overridden by the sections and keys found in the TOML file at ``path`` (None: defaults)."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such config file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict, source: str = "config") -> Config:
    """Defaults overridden by a nested dict {section: {key: value}}; unknown names are an error."""
    sections = {f.name: f for f in dataclasses.fields(Config)}
    changes = {}
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"{source}: unknown section [{section}]; expected one of {sorted(sections)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table of keys")
        default = sections[section].default_factory()
        changes[section] = _override(default, values, f"{source} [{section}]")
    return Config(**changes)


def _override(default, values: dict, where: str):
    known = {f.name: f for f in dataclasses.fields(default)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {sorted(known)}")
        current = getattr(default, key)
        if isinstance(current, bool) != isinstance(value, bool) or (
            isinstance(current, (int, float)) and not isinstance(value, (int, float))
        ) or (isinstance(current, str) and not isinstance(value, str)):
            raise ConfigError(f"{where}: {key} expected {type(current).__name__}, got {value!r}")
    return dataclasses.replace(default, **values)
