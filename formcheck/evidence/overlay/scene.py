"""Everything the overlay draws, computed once per clip from an analysis, in output pixels.

Drawing a frame then only looks values up: landmarks scaled to the output size, which side of the
head is the near one, each hand's state, the gauge readings of the stride the frame falls in, and
the segments. Times are the clip's presentation times in seconds.

The overlay shows every frame of the clip, and the model may have seen only some of them
(:mod:`formcheck.io.frame_pick`): :meth:`Scene.at` gives the landmarks and measures at a frame's own
time, interpolated along the smoothed track (low-passed at 6 Hz, so a straight line between two
analysed frames 1/30 s apart is within a pixel or two of the path between them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formcheck.config import Config, SegmentConfig
from formcheck.measure.baseline import Baseline
from formcheck.measure.metrics import hand_curl_deg, near_side
from formcheck.measure.registry import BY_COLUMN, RULES
from formcheck.measure.segments import (
    Reason,
    Segment,
    judged_against,
    pace_references,
    tight_levels,
)
from formcheck.pose.track import Track

_UNIT_FORMAT = {"deg": "{:.0f}\u00b0", "ratio": "{:.2f}"}
_DASH = "\u2013"
#: The per-frame measures the overlay draws on the runner (columns of the frame metrics table).
DRAWN_METRICS = ("head_pitch_deg", "shoulder_elevation_ratio", "shoulder_width_ratio", "camera_roll_deg")
#: Two analysed frames further apart than this (s) are not interpolated between (a stretch the
#: reader skipped as damaged): a frame between them shows the nearer one's landmarks.
MAX_BLEND_S = 0.1


@dataclass(frozen=True)
class SceneFrame:
    """What is drawn on the runner in one frame of the clip: ``xy`` (33, 2) and ``hands`` (2, 21, 2)
    in output pixels (NaN: not trusted, or no hand), ``hand_state`` (2,) and ``near`` as in
    :class:`Scene`, the ``view`` ("side", "front", "back" or ""), and ``metrics``: each of
    :data:`DRAWN_METRICS` (NaN: not measured in this frame)."""

    xy: np.ndarray
    hands: np.ndarray
    hand_state: np.ndarray
    near: str
    view: str
    metrics: dict[str, float]


@dataclass(frozen=True)
class Gauge:
    """One panel row for one stride: ``value`` (the stride's median, formatted with its baseline),
    ``level`` = the move the tight way over the change needed to count (>= 1 deviates; negative
    = the relaxed way; NaN = not measured in this stride)."""

    label: str
    text: str
    level: float


@dataclass(frozen=True)
class ShownSegment:
    """A tight segment as shown: start and end (s), severity label and short reasons."""

    start_s: float
    end_s: float
    severity: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Scene:
    """Per-frame drawing data for one clip at one output size.

    - ``times`` (T,) s of the analysed frames; ``xy`` (T, 33, 2) output pixels, NaN where not
      trusted; ``hands`` (T, 2, 21, 2) output pixels, NaN where no hand; ``hand_state`` (T, 2):
      "curled" or "opened" (finger curl beyond the runner's baseline by ``hand_curl_change_deg`` or
      more), "as usual", or "" (no hand, or no baseline for the hands); ``near`` (T,) "left" / "right".
    - ``metrics`` (T, len(:data:`DRAWN_METRICS`)) and ``view`` (T,): from the per-frame metrics table.
    - ``stride_starts`` / ``stride_ends`` (N,) s and ``gauges``: N lists of :class:`Gauge`.
    - ``segments``; ``baseline_span``: (start, end) s of the clip's own baseline strides, or None
      when the baseline came from elsewhere; ``head_pitch_base``: the baseline's head pitch (deg,
      NaN when it has none): the head is labelled against it, never in absolute degrees, which a
      level gaze does not read as 0 (``seeds/README.md``).
    """

    width: int
    height: int
    times: np.ndarray
    xy: np.ndarray
    hands: np.ndarray
    hand_state: np.ndarray
    near: np.ndarray
    metrics: np.ndarray
    view: np.ndarray
    stride_starts: np.ndarray
    stride_ends: np.ndarray
    gauges: list[list[Gauge]]
    segments: list[ShownSegment]
    baseline_span: tuple[float, float] | None
    head_pitch_base: float = float("nan")
    #: [stride, its gauge panel as a layer] of the stride drawn last (stride None: between strides),
    #: drawn once and laid over each of its frames (:func:`formcheck.evidence.overlay.hud.draw_gauges`).
    panel: list = field(default_factory=list, compare=False, repr=False)

    def at(self, time_s: float) -> SceneFrame:
        """What to draw on the frame shown at ``time_s`` (s): landmarks and measures interpolated
        linearly between the analysed frames on either side (exactly an analysed frame's at its
        time; NaN where either is NaN), states and view from the nearer one (no hand state where the
        hand is NaN). Before the first or
        after the last analysed frame, and across a gap over :data:`MAX_BLEND_S`, the nearer one's."""
        last = len(self.times) - 1
        i = min(max(int(np.searchsorted(self.times, time_s, side="right")) - 1, 0), last)
        weight = 0.0
        if i < last and time_s > self.times[i]:
            step = self.times[i + 1] - self.times[i]
            weight = (time_s - self.times[i]) / step if step <= MAX_BLEND_S else float(time_s - self.times[i] > step / 2)
        nearer = i + 1 if weight >= 0.5 else i

        def blend(values: np.ndarray) -> np.ndarray:
            if weight in (0.0, 1.0):
                return values[nearer]
            return values[i] * (1.0 - weight) + values[i + 1] * weight

        hands = blend(self.hands)
        hand_state = np.where(np.isfinite(hands[..., 0]).any(axis=1), self.hand_state[nearer], "")
        return SceneFrame(xy=blend(self.xy), hands=hands, hand_state=hand_state,
                          near=self.near[nearer], view=self.view[nearer],
                          metrics=dict(zip(DRAWN_METRICS, blend(self.metrics).tolist())))

    def stride_at(self, time_s: float) -> int | None:
        """Index of the stride that contains ``time_s``, or None."""
        i = int(np.searchsorted(self.stride_starts, time_s, side="right")) - 1
        return i if 0 <= i < len(self.stride_ends) and time_s < self.stride_ends[i] else None

    def segment_at(self, time_s: float) -> ShownSegment | None:
        """The tight segment that contains ``time_s``, or None."""
        return next((s for s in self.segments if s.start_s <= time_s <= s.end_s), None)


def build_scene(track: Track, frame_metrics: pd.DataFrame, stride_metrics: pd.DataFrame, baseline: Baseline,
                segments: list[Segment], config: Config, size: tuple[int, int],
                own_baseline_strides: int) -> Scene:
    """The scene for ``track`` drawn on frames of ``size`` (width, height) pixels.
    ``own_baseline_strides``: how many first strides formed the baseline (0 if it came from elsewhere)."""
    width, height = size
    factor = np.array([width / track.meta["width"], height / track.meta["height"]], dtype=track.xy.dtype)
    seen = track.visibility >= config.smoothing.min_visibility
    xy = np.where(seen[..., None], track.xy * factor, np.nan)
    starts = stride_metrics["start_s"].to_numpy(dtype=float)
    ends = stride_metrics["end_s"].to_numpy(dtype=float)
    baseline_span = (float(starts[0]), float(ends[own_baseline_strides - 1])) if own_baseline_strides else None
    return Scene(
        width=width, height=height, times=np.asarray(track.times), xy=xy,
        hands=track.hands[..., :2] * factor, hand_state=_hand_states(track.hands, baseline.median["hand_curl_deg"], config.segments),
        near=near_side(track, config.metrics.near_side_window_s),
        metrics=frame_metrics[list(DRAWN_METRICS)].to_numpy(dtype=float), view=frame_metrics["view"].to_numpy(),
        stride_starts=starts, stride_ends=ends,
        gauges=_gauges(stride_metrics, frame_metrics, baseline, config.segments),
        segments=[ShownSegment(s.start_s, s.end_s, s.severity_label, _short_reasons(s.reasons)) for s in segments],
        baseline_span=baseline_span, head_pitch_base=baseline.median["head_pitch_deg"],
    )


def _hand_states(hands: np.ndarray, base_curl: float, config: SegmentConfig) -> np.ndarray:
    """(T, 2) each hand's finger curl against the runner's baseline ``base_curl`` (deg): "curled",
    "opened" or "as usual"; "" where the hand is not found or the baseline has no hand."""
    states = np.full(hands.shape[:2], "", dtype=object)
    if not np.isfinite(base_curl):
        return states
    for side in range(hands.shape[1]):
        change = hand_curl_deg(hands[:, side:side + 1]) - base_curl
        states[:, side] = np.where(np.isnan(change), "", np.where(
            change >= config.hand_curl_change_deg, "curled",
            np.where(change <= -config.hand_curl_change_deg, "opened", "as usual")))
    return states


def _gauges(stride_metrics: pd.DataFrame, frame_metrics: pd.DataFrame, baseline: Baseline,
            config: SegmentConfig) -> list[list[Gauge]]:
    """Per stride, a gauge for each rule metric measured somewhere in the clip, judged as the
    segments judge it (:func:`~formcheck.measure.segments.tight_levels`): a pace-driven measure at another
    pace against the baseline strides of that pace, and without a level where there are none."""
    rules = [r for r in RULES if frame_metrics[r.metric].notna().any()]
    rows = [[] for _ in range(len(stride_metrics))]
    references = pace_references(stride_metrics, baseline, config)
    for rule in rules:
        values = stride_metrics[rule.metric].to_numpy(dtype=float)
        judged_by = judged_against(rule, references, baseline)
        tight, _, needed = tight_levels(rule, values, judged_by, config)
        unit = _UNIT_FORMAT["deg" if rule.metric.endswith("_deg") else "ratio"]
        for i, (value, level, reference) in enumerate(zip(values, tight / needed, judged_by)):
            base = np.nan if reference is None else reference.median[rule.metric]
            if np.isnan(value):
                text = _DASH
            elif reference is None:
                text = f"{unit.format(value)} (other pace)"
            elif rule.metric == "head_pitch_deg":  # against the baseline only: a level gaze is not 0 deg
                text = _DASH if np.isnan(base) else f"{value - base:+.0f}\u00b0 vs base"
            else:
                text = f"{unit.format(value)} (base {_DASH if np.isnan(base) else unit.format(base)})"
            rows[i].append(Gauge(BY_COLUMN[rule.metric].gauge, text, float(level)))
    return rows


def _short_reasons(reasons: tuple[Reason, ...]) -> tuple[str, ...]:
    """The segment's reasons without the comparison tail, for a banner: "shoulders 18% closer to the ears"."""
    short = []
    for reason in reasons:
        text = reason.text
        for cut in (" than in ", " ("):
            text = text.split(cut)[0]
        short.append(text)
    return tuple(short)
