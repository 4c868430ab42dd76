"""Every tunable number in formcheck, documented, in frozen dataclasses; loadable from TOML.

A TOML file names only what it changes, by section, e.g.::

    [smoothing]
    cutoff_hz = 5.0

Every setting is declared once, with its help, unit and allowed values
(:func:`~formcheck.settings.setting`); from that come the checks (unknown sections or keys, a
wrong type or an out-of-range value are one :class:`ConfigError` line naming them), the commented
``formcheck.example.toml`` (``formcheck config --example``) and the command line's help.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from formcheck.errors import ConfigError
from formcheck.settings import check_section, example_toml, setting, settings_toml

#: The pose models that work offline with mediapipe 0.10.21's bundled weights.
POSE_MODELS = ("holistic", "pose")
MIN_MAX_HEIGHT = 64  # pixels: below this the model finds nobody
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


class _Section:
    """A section of the settings: its values are checked against their declarations
    (:func:`~formcheck.settings.check_section`) as it is made."""

    SECTION: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check_section(self, self.SECTION)


@dataclass(frozen=True)
class PoseConfig(_Section):
    """How landmarks are found (:mod:`formcheck.pose`). Every setting's help is in its declaration."""

    SECTION: ClassVar[str] = "pose"
    model: str = setting("holistic", '"holistic": body and 21-point hands (needed for the hand-tension measure); '
                         '"pose": body only, about twice as fast.', choices=POSE_MODELS, flag="--model")
    max_height: int | None = setting(None, "Analyse frames scaled down to at most this many pixels high (faster on "
                                     "4K clips); landmarks are still reported in full-size pixels. Left out: full "
                                     "size.", unit="px", low=MIN_MAX_HEIGHT, example=720, flag="--max-height")
    every: int | None = setting(None, "Analyse every n-th frame only (1 = every frame). Left out: 30 frames a second "
                                "(every 2nd frame of a 60 fps clip, every 8th at 240 fps; every frame below 60 "
                                "fps), which measures what every frame does in a fraction of the time.",
                                low=1, example=1, flag="--every")
    parts: int | None = setting(None, "Search the clip in this many parts at once, each with a model of its own (1 = "
                                "one pass). Left out: one part per usable core, at most 8 (each part holds a model of "
                                "about 180 MiB in memory: 1 uses the least).", low=1, high=64, example=2)
    mirror: bool = setting(False, "Also search each frame flipped left to right and average the two, so a runner "
                           "running left reads exactly as one running right (the model alone reads the head up to "
                           "6 deg differently). Twice the model's time. formcheck compare turns it on by itself "
                           "when the runner faces opposite ways.", flag="--mirror")
    min_detection_confidence: float = setting(0.5, "MediaPipe's confidence threshold for finding the runner.",
                                              low=0.0, high=1.0)
    min_tracking_confidence: float = setting(0.5, "MediaPipe's confidence threshold for keeping track of the "
                                             "runner.", low=0.0, high=1.0)


@dataclass(frozen=True)
class FollowConfig(_Section):
    """How the runner is told from other people (see :mod:`formcheck.pose.follow`)."""

    SECTION: ClassVar[str] = "follow"
    enabled: bool = setting(True, "Keep the pose model on the runner (the person who moves) when others are in "
                            "the picture.")
    motion_memory_s: float = setting(1.0, "Recent motion fades over this many seconds.", unit="s", above=0.0)
    motion_level: float = setting(0.25, "A pixel counts as moving above this share of the 99th-percentile motion.",
                                  low=0.0, high=1.0)
    min_motion_share: float = setting(0.35, "The tracked person (where their limbs swept over the last "
                                      "motion_memory_s) must hold at least this share of the largest moving region "
                                      "to count as the runner.", low=0.0, high=1.0)
    max_moving_share: float = setting(0.4, "Above this share of the frame moving, the camera is panning: no "
                                      "switch.", low=0.0, high=1.0)
    min_mover_share: float = setting(0.02, "A moving region smaller than this share of the frame is not a person "
                                     "(a flickering light).", low=0.0, high=1.0)
    cooldown_s: float = setting(2.0, "After a switch finds nobody new (nobody, or the same person again), no new "
                                "switch on motion for this many seconds.", unit="s", low=0.0)
    crop_margin: float = setting(1.4, "While following after a switch, the crop is this many times the person's "
                                 "larger side, square.", low=1.0)
    person: str = setting("auto", 'Who to follow: "auto" = the person who moves; or the person whose head or trunk '
                          'is at a point of the first frame as displayed: "X,Y" in pixels (x right, y down) or '
                          '"X%,Y%" in percent of its width and height.', flag="--person")
    max_jump_trunks: float = setting(0.75, "The head and torso moving more than this many trunk lengths (hip to "
                                     "ear; median of their landmarks) between two frames at most jump_window_s "
                                     "apart is a jump: the frame is dropped; two in a row, and the model is sent "
                                     "back.", above=0.0)
    jump_window_s: float = setting(0.25, "See max_jump_trunks.", unit="s", above=0.0)
    decoy_memory_s: float = setting(1.0, "After a switch, the person left behind is painted over (head and torso) "
                                    "for this many seconds in what the model sees, so its detector finds the other "
                                    "one.", unit="s", low=0.0)
    settle_s: float = setting(0.1, 'With person = "auto", no landmarks are kept from the clip\'s first this many '
                              "seconds: the motion map needs a few frames to tell who moves.", unit="s", low=0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
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
class SmoothingConfig(_Section):
    """How raw landmarks become a clean track (see :mod:`formcheck.cleaning.smoothing`)."""

    SECTION: ClassVar[str] = "smoothing"
    min_visibility: float = setting(0.5, "Landmarks the model sees with a lower visibility score are treated as "
                                    "missing.", low=0.0, high=1.0)
    max_gap_s: float = setting(0.15, "Gaps up to this many seconds are bridged by linear interpolation; longer "
                               "gaps stay missing.", unit="s", low=0.0)
    cutoff_hz: float = setting(6.0, "Zero-phase Butterworth low-pass cut-off. Running arm swing and head bob sit "
                               "at 1.3-3.5 Hz, so 6 Hz keeps them and removes frame-to-frame jitter.", unit="Hz",
                               above=0.0)
    order: int = setting(4, "Filter order (applied forwards and backwards: no lag).", low=1, high=8)


@dataclass(frozen=True)
class ViewConfig(_Section):
    """How the camera view is decided (see :mod:`formcheck.cleaning.view`)."""

    SECTION: ClassVar[str] = "view"
    window_s: float = setting(1.0, "Each view cue is a rolling median over this many seconds.", unit="s", above=0.0)
    side_max_span_ratio: float = setting(0.35, "Side view when the shoulders' horizontal span is below this share "
                                         "of the hip-to-ear trunk length (measured on the sample clips: 0.08-0.14 "
                                         "side-on, 0.43-0.49 from the front).", above=0.0)


@dataclass(frozen=True)
class StrideConfig(_Section):
    """How steps and strides are found (see :mod:`formcheck.measure.strides`). The swing is divided by the
    body scale of :class:`MetricsConfig`."""

    SECTION: ClassVar[str] = "strides"
    min_cadence_spm: float = setting(12.0, "Slowest step rate taken for a rhythm, as the clip plays (down to a "
                                     "10x slow-motion clip).", unit="steps/min", above=0.0)
    max_cadence_spm: float = setting(320.0, "Fastest step rate taken for a rhythm (a sprint).", unit="steps/min",
                                     above=0.0)
    min_coverage: float = setting(0.5, "Share of frames the ankles (or, failing that, the wrists or hips) must be "
                                  "seen in to read the rhythm.", low=0.0, high=1.0)
    min_strides: float = setting(1.5, "Fewer strides than this in the clip: no rhythm; fixed windows stand in for "
                                 "strides.", low=0.0)
    min_swing: float = setting(0.08, "The swing's typical size (90th percentile, in body scales) below which it "
                               "is no stride (someone standing).", low=0.0)
    hysteresis: float = setting(0.3, "Share of that size the swing must pass one way, then the other, to count a "
                                "step.", above=0.0, high=1.0)
    min_half_share: float = setting(0.4, "A step shorter than this share of the steps around it is a wobble, "
                                    "merged into them.", low=0.0, high=1.0)
    min_bounce: float = setting(0.01, "When neither feet nor hands give a rhythm, the hips' rise and fall (body "
                                "scales) must be at least this big to be used.", low=0.0)
    max_bounce_irregularity: float = setting(0.3, "... and its steps this regular (median change of the step "
                                             "interval, as |log ratio|).", low=0.0)
    fallback_window_s: float = setting(0.75, "Window length used instead of strides when no rhythm is found.",
                                       unit="s", above=0.0)


@dataclass(frozen=True)
class MetricsConfig(_Section):
    """How the measurements are taken (see :mod:`formcheck.measure.metrics`)."""

    SECTION: ClassVar[str] = "metrics"
    scale_window_s: float = setting(2.0, "Window of the rolling median trunk length (hip midpoint to ear) that "
                                    "lengths, and the stride-detection swing, are divided by.", unit="s", above=0.0)
    near_side_window_s: float = setting(2.0, "Window over which the better-seen side of the head and shoulders is "
                                        "chosen.", unit="s", above=0.0)
    min_stride_coverage: float = setting(0.5, "A stride's value needs the measurement in at least this share of "
                                         "its frames.", low=0.0, high=1.0)


@dataclass(frozen=True)
class SegmentConfig(_Section):
    """When strides count as "running tight" (see :mod:`formcheck.measure.segments`). Heuristics, not norms:
    no published video norm exists for upper-body tension in running, so the main evidence is change
    against the runner's own baseline. A stride deviates on a metric when its change from the
    baseline median goes the tight way by at least the metric's threshold *and* by ``noise_factor``
    times the baseline's stride-to-stride spread."""

    SECTION: ClassVar[str] = "segments"
    baseline_s: float = setting(20.0, "Baseline: the strides in the clip's first this many seconds (--baseline "
                                "replaces it with another clip's strides) ...", unit="s", above=0.0)
    baseline_share: float = setting(0.34, "... but at most this share of the clip's strides ...", above=0.0,
                                    high=1.0)
    min_baseline_strides: int = setting(3, "... and at least this many strides.", low=1)
    noise_factor: float = setting(2.0, "A stride deviates only when its change also exceeds this many times the "
                                  "baseline's stride-to-stride spread (1.4826 x median absolute deviation).", low=0.0)
    shoulder_rise_ratio: float = setting(0.03, "Smallest change that counts: the ear-to-shoulder gap shrinks by "
                                         "this share of trunk length.", above=0.0)
    head_pitch_change_deg: float = setting(8.0, "Smallest change that counts: head pitched further down or up.",
                                           unit="deg", above=0.0)
    forward_head_change_deg: float = setting(8.0, "Smallest change that counts: head pushed further forward of "
                                             "the shoulders.", unit="deg", above=0.0)
    shoulder_narrowing_share: float = setting(0.06, "Smallest change that counts, front/back view: shoulder width "
                                              "down by this share of the baseline's.", above=0.0, high=1.0)
    shoulder_offset_change_ratio: float = setting(0.04, "Smallest change that counts, side view: shoulders moved "
                                                  "back (pinched) or forward (rounded) by this share of trunk "
                                                  "length.", above=0.0)
    hand_curl_change_deg: float = setting(25.0, "Smallest change that counts: fingers curled tighter or "
                                          "straightened. There is no absolute rule: a relaxed hand reads 12-84 deg "
                                          "on the sample runners, a fist about 88.", unit="deg", above=0.0)
    hand_rise_ratio: float = setting(0.08, "Smallest change that counts: wrists carried higher by this share of "
                                     "trunk length.", above=0.0)
    pace_change_share: float = setting(0.08, "A stride whose cadence differs from the baseline's by more than this "
                                       "share is at another pace: hand height, shoulder carriage and forward head "
                                       "change with pace, so they are judged there only against the baseline's "
                                       "strides of that pace (at least min_baseline_strides), or not at all.",
                                       above=0.0)
    min_strides: int = setting(3, "A segment needs this many deviating strides in a row.", low=1)
    max_gap_strides: int = setting(1, "This many calm strides may sit inside a segment.", low=0)


@dataclass(frozen=True)
class QualityConfig(_Section):
    """When to warn that the clip limits the evidence (warnings go to summary.json and the report)."""

    SECTION: ClassVar[str] = "quality"
    min_trunk_share: float = setting(0.15, "The runner's hip-to-ear trunk under this share of the frame height: "
                                     "too small.", low=0.0, high=1.0)
    min_strides: int = setting(6, "Fewer measurable strides: too short to compare with a baseline.", low=1)
    min_person_share: float = setting(0.8, "Runner found in fewer frames than this share.", low=0.0, high=1.0)
    min_visibility: float = setting(0.6, "The model's median confidence in the head and shoulder landmarks.",
                                    low=0.0, high=1.0)
    walking_below_spm: float = setting(140.0, "A cadence below this is a walking pace.", unit="steps/min", low=0.0)
    slow_motion_below_spm: float = setting(100.0, "A cadence below this is too slow for any gait at real speed: "
                                           "slow motion?", unit="steps/min", low=0.0)
    pan_speed: float = setting(0.1, "A background moving faster than this over one second is a camera pan.",
                               unit="frame widths/s", above=0.0)
    max_panning_share: float = setting(0.2, "Warn when the camera pans in more than this share of the clip.",
                                       low=0.0, high=1.0)
    min_roll_share: float = setting(0.5, "Warn when the camera's roll is measured in less than this share of the "
                                    "frames.", low=0.0, high=1.0)


@dataclass(frozen=True)
class OverlayConfig(_Section):
    """The annotated overlay video."""

    SECTION: ClassVar[str] = "overlay"
    max_height: int | None = setting(1280, "Scale overlay.mp4 down to at most this many pixels high: smaller is "
                                     "faster to write and to play (4320 keeps a 4K clip's size; left out: the clip's own "
                                     "size).", unit="px", low=MIN_MAX_HEIGHT, flag="--video-height", optional=True)
    crf: int = setting(23, "x264 constant quality: lower is sharper and bigger (23 is x264's default).", low=0,
                       high=51)
    preset: str = setting("superfast", "x264 speed preset: faster makes a larger file at the same quality.",
                          choices=X264_PRESETS)


@dataclass(frozen=True)
class SwapConfig(_Section):
    """How left/right limb swaps are found and repaired before cleaning (see :mod:`formcheck.cleaning.swaps`).
    A one-frame swap saves about twice the distance between the limbs (0.5-1 trunk lengths) on each
    side, while legs crossing in a side view save almost nothing."""

    SECTION: ClassVar[str] = "swaps"
    enabled: bool = setting(True, "Find and repair frames where the pose model swapped the runner's left and "
                            "right arms or legs (track_raw.csv keeps the landmarks as found).")
    penalty_per_s: float = setting(4.0, "A stretch labelled as swapped costs this many trunk lengths per second of "
                                   "it: a swap is repaired only when it makes the limbs move clearly less than the "
                                   "model's labels.", low=0.0)
    min_landmarks: int = setting(3, "Left/right pairs of a limb (a leg has 5) that must be seen in two frames to "
                                 "compare them (median over them).", low=1, high=5)
    max_gap_s: float = setting(0.15, "Frames further apart than this are not compared.", unit="s", above=0.0)
    order_margin: float = setting(0.05, "Front/back view: a limb in the reverse of the clip's usual left-right "
                                  "order in the picture (against the head's) by more than this share of trunk "
                                  "length counts against its labels ...", low=0.0)
    order_weight: float = setting(1.0, "... at this cost (trunk lengths) per trunk length.", low=0.0)
    scale_window_s: float = setting(2.0, "Window of the rolling median trunk length that distances are divided "
                                    "by.", unit="s", above=0.0)


@dataclass(frozen=True)
class BatchConfig(_Section):
    """Several clips at once (:mod:`formcheck.batch`, :mod:`formcheck.cluster`)."""

    SECTION: ClassVar[str] = "batch"
    cluster: str | None = setting(None, "Analyse a batch on this running Dask cluster (its scheduler's address) "
                                  "instead of this machine; the FORMCHECK_CLUSTER environment variable does the "
                                  "same. Needs pip install 'formcheck[cluster]'. Left out: on this machine.",
                                  example="tcp://192.168.1.20:8786", flag="--cluster")


#: The example file's opening comment and each section's introduction.
EXAMPLE_HEADER = ("formcheck settings: copy this file, keep only what you change, and pass it with "
                  "`formcheck analyze clip.mp4 --config my.toml`. Every value shown is the default; in brackets, "
                  "what each setting accepts. `formcheck config check my.toml` checks a file.")
SECTION_INTROS = {
    "segments": "Heuristics, not norms: the main evidence is change against your own baseline.",
    "quality": "Warnings (in summary.json and the report) when the clip limits the evidence.",
}


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
    batch: BatchConfig = field(default_factory=BatchConfig)

    def as_dict(self) -> dict:
        """Plain nested dict of every setting (for summary.json)."""
        return dataclasses.asdict(self)

    def example(self) -> str:
        """The commented example settings file (``formcheck.example.toml``) with these values."""
        return example_toml(self, EXAMPLE_HEADER, SECTION_INTROS)

    def toml(self) -> str:
        """These settings as TOML (``formcheck config show``)."""
        return settings_toml(self)


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
        changes[section] = _override(default, values, source, section)
    return Config(**changes)


def _override(default, values: dict, source: str, section: str):
    """``default`` (a section) with ``values`` applied; an unknown key or a value its declaration
    does not allow is a :class:`ConfigError` naming ``source``, the section and the key."""
    known = {f.name for f in dataclasses.fields(default)}
    for key in values:
        if key not in known:
            raise ConfigError(f"{source} [{section}]: unknown key {key!r}; expected one of {sorted(known)}")
    try:
        return dataclasses.replace(default, **values)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
