"""Every measure declared once: its column, label, unit, views, how it shows tension, its words.

Each :class:`Measure` holds what the rest of formcheck needs to know about one measure, and every
table elsewhere is derived from :data:`MEASURES`: the metric columns and their order in the CSVs
(:data:`METRIC_COLUMNS`), the axis labels (:data:`METRIC_LABELS`), the tension rules the segments
and the comparison judge by (:data:`RULES`, thresholds named in
:class:`~formcheck.config.SegmentConfig`), the reasons a segment gives, the phrases of a comparison,
the overlay's gauge names and the report's advice. Adding a measure means adding one entry here
(and computing its column in :func:`formcheck.measure.metrics.frame_metrics`).

Templates: a segment's reason (:attr:`Measure.reason`, against the baseline) may use ``{now}`` and
``{base}`` (the two medians), ``{change}`` (their difference, unsigned), ``{signed}`` (signed),
``{share}`` (the change as a share of the baseline) and ``{than}`` ("than in your first 20 s"). A
comparison's phrase (:attr:`Measure.change`, early to late) may use ``{size}`` (the change in
words, :func:`amount`) and ``{values}`` ("0.25 → 0.15"). Each is a pair: (rising, falling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Advice:
    """What to try when a measure flags, in our own words, and whose advice it is."""

    text: str
    source: str


@dataclass(frozen=True)
class Rule:
    """How one measure shows tension. ``direction``: +1 tight when it rises, -1 when it falls, 0
    either way. ``threshold``: the :class:`~formcheck.config.SegmentConfig` field holding the
    smallest change that counts; ``relative``: that threshold is a share of the baseline value
    rather than in the measure's units. ``pace_driven``: the measure changes with running speed too
    (arm carriage does, and the body's forward lean moves the shoulders and head forward of the
    hips), so it is judged only at the baseline's pace. ``rank``: the order in which a segment lists
    its reasons (shoulders first, then the head, the upper back, the hands)."""

    metric: str
    direction: int
    threshold: str
    rank: int
    relative: bool = False
    pace_driven: bool = False


@dataclass(frozen=True)
class Measure:
    """One measure. ``column``: its column in ``frame_metrics.csv`` and ``stride_metrics.csv``.
    ``label``: the axis label (name, unit and which way it moves). ``amount``: how a size of change
    is worded: "deg", "trunk" (a share of trunk length), "width" (a share of the early width) or
    "steps/min". ``unit``: the unit after a value ("deg", "x trunk length"...). ``views``: the frames
    it is measured in, a key of the view masks of :func:`formcheck.measure.metrics.frame_metrics`.
    ``rule``: how it shows tension (None: context only, never judged). ``reason``: the segment's
    reason templates and ``change`` the comparison's (see the module's docstring). ``gauge``: its
    short name on the overlay's panel ("" for none). ``pace_words``: what it is, in a list of the
    measures pace drives. ``advice``: what to try when it flags."""

    column: str
    label: str
    amount: str
    unit: str
    views: str
    change: tuple[str, str]
    advice: Advice | None = None
    rule: Rule | None = None
    reason: tuple[str, str] = ("", "")
    gauge: str = ""
    pace_words: str = ""


_NEST = "The Nest"
_HIGDON = "Hal Higdon"
_HEAD_ADVICE = "Hal Higdon; The Nest"

MEASURES: tuple[Measure, ...] = (
    Measure(
        "head_pitch_deg", "head pitch (deg, + chin down)", "deg", "deg", "head side-on, or front",
        rule=Rule("head_pitch_deg", 0, "head_pitch_change_deg", rank=1),
        reason=("head pitched {change:.0f} deg further chin down {than} ({now:.0f} vs {base:.0f} deg)",
                "head pitched {change:.0f} deg further chin up {than} ({now:.0f} vs {base:.0f} deg)"),
        change=("head pitched {size} further chin down ({values} deg)", "head pitched {size} further chin up ({values} deg)"),
        gauge="head pitch",
        advice=Advice("Keep your head up and level, with your eyes on the road about 10 m ahead, not on your feet.",
                      _HEAD_ADVICE)),
    Measure(
        "forward_head_deg", "forward head (deg, + head forward)", "deg", "deg", "head side-on",
        rule=Rule("forward_head_deg", +1, "forward_head_change_deg", rank=2, pace_driven=True),
        reason=("head pushed {signed:.0f} deg further forward of the shoulders {than}",
                "head pushed {signed:.0f} deg further forward of the shoulders {than}"),
        change=("head held {size} further forward of the shoulders ({values} deg)",
                "head held {size} further back over the shoulders ({values} deg)"),
        gauge="head forward", pace_words="how far the head leads",
        advice=Advice("Let your head sit over your shoulders instead of pushing it forward; eyes about 10 m ahead.",
                      _HEAD_ADVICE)),
    Measure(
        "shoulder_elevation_ratio", "ear-to-shoulder gap (x trunk length, smaller = shrug)", "trunk",
        "x trunk length", "any known view",
        rule=Rule("shoulder_elevation_ratio", -1, "shoulder_rise_ratio", rank=0),
        reason=("shoulders {share:.0%} closer to the ears {than} (ear-to-shoulder gap {now:.2f} vs {base:.2f} of "
                "trunk length)",) * 2,
        change=("shoulders sank by {size} (ear-to-shoulder gap {values})",
                "shoulders rose by {size} (ear-to-shoulder gap {values})"),
        gauge="shoulders up",
        advice=Advice("Let your shoulders hang low and loose, well away from your ears.", _NEST)),
    Measure(
        "shoulder_width_ratio", "shoulder width (x hip width, smaller = narrowed)", "width", "x hip width",
        "front or back",
        rule=Rule("shoulder_width_ratio", -1, "shoulder_narrowing_share", rank=3, relative=True),
        reason=("shoulders {share:.0%} narrower (upper back squeezed) {than}",) * 2,
        change=("shoulders {size} wider (width {values} x hip width)",
                "shoulders {size} narrower (upper back squeezed) (width {values} x hip width)"),
        gauge="upper back width",
        advice=Advice("Keep your upper back wide: stop squeezing the shoulder blades toward each other.",
                      "The Nest, citing Jae Gruenke")),
    Measure(
        "shoulder_offset_ratio", "shoulder offset (x trunk length, + rounded, - pinched back)", "trunk",
        "x trunk length", "side",
        rule=Rule("shoulder_offset_ratio", 0, "shoulder_offset_change_ratio", rank=4, pace_driven=True),
        reason=("shoulders {change:.2f} of trunk length further forward (rounded) {than}",
                "shoulders {change:.2f} of trunk length further back (shoulder blades squeezed) {than}"),
        change=("shoulders moved {size} further forward, rounded (offset {values} x trunk length)",
                "shoulders moved {size} further back, shoulder blades squeezed (offset {values} x trunk length)"),
        gauge="shoulder carriage", pace_words="shoulder carriage",
        advice=Advice("Keep your upper back wide and easy: shoulders neither pinned back nor rounded forward.",
                      "The Nest, citing Jae Gruenke")),
    Measure(
        "hand_curl_deg", "finger curl (deg, 0 flat, ~90 fist)", "deg", "deg", "anywhere",
        rule=Rule("hand_curl_deg", 0, "hand_curl_change_deg", rank=5),
        reason=("fingers curled tighter (clenching) by {change:.0f} deg {than} ({now:.0f} vs {base:.0f} deg)",
                "fingers straightened (rigid, flat hands) by {change:.0f} deg {than} ({now:.0f} vs {base:.0f} deg)"),
        change=("fingers curled {size} tighter ({values} deg)",
                "fingers straightened by {size}, toward rigid flat hands ({values} deg)"),
        gauge="finger curl",
        advice=Advice("Carry your hands relaxed and slightly open: no clenched fist, no stiff flat hand.", _NEST)),
    Measure(
        "wrist_bend_deg", "wrist bend (deg)", "deg", "deg", "anywhere",
        change=("wrists bent {size} more ({values} deg)", "wrists bent {size} less ({values} deg)"),
        advice=Advice("Carry your hands relaxed and slightly open (this pose-only reading is a rough fallback).",
                      _NEST)),
    Measure(
        "hand_height_ratio", "hands above hips (x trunk length, larger = higher)", "trunk", "x trunk length",
        "anywhere",
        rule=Rule("hand_height_ratio", +1, "hand_rise_ratio", rank=6, pace_driven=True),
        reason=("hands carried {signed:.2f} of trunk length higher, toward the chest, {than}",) * 2,
        change=("hands carried {size} higher, toward the chest ({values} x trunk length above the hips)",
                "hands carried {size} lower ({values} x trunk length above the hips)"),
        gauge="hands high", pace_words="hand height",
        advice=Advice("Let your arms drop and shake them loose for a few strides; don't let the hands creep up "
                      "toward your chest.", _HIGDON)),
    Measure(
        "elbow_angle_deg", "elbow angle (deg, inside angle)", "deg", "deg", "side",
        change=("elbows opened by {size} ({values} deg)", "elbows bent by {size} ({values} deg)"),
        advice=Advice("Let your arms swing loosely from the shoulder rather than holding the elbows locked.",
                      _HIGDON)),
)
#: The cadence, compared between clips as context (no rule: pace is not tension).
CADENCE = Measure("cadence_spm", "cadence (steps/min, one step per foot strike)", "steps/min", "steps/min", "",
                  change=("cadence rose by {size} ({values} steps/min)", "cadence fell by {size} ({values} steps/min)"))

BY_COLUMN: dict[str, Measure] = {m.column: m for m in (*MEASURES, CADENCE)}
#: The metric columns, in the order of the CSVs.
METRIC_COLUMNS = tuple(m.column for m in MEASURES)
#: Axis label per metric: human name, then unit and which way the number moves.
METRIC_LABELS: dict[str, str] = {m.column: m.label for m in MEASURES}
#: The tension rules, in the order a segment lists its reasons.
RULES: tuple[Rule, ...] = tuple(sorted((m.rule for m in MEASURES if m.rule), key=lambda rule: rule.rank))
#: The metrics pace drives: judged only against strides of their own pace.
PACE_DRIVEN = frozenset(rule.metric for rule in RULES if rule.pace_driven)


def plain_list(items: list[str]) -> str:
    """"a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


#: What the pace-driven measures are, in plain words, from the hands up.
PACE_DRIVEN_WORDS = plain_list([BY_COLUMN[rule.metric].pace_words for rule in reversed(RULES) if rule.pace_driven])


def reason(column: str, now: float, base: float, label: str) -> str:
    """A segment's reason for one measure, e.g. "shoulders 18% closer to the ears than in your first
    20 s (ear-to-shoulder gap 0.20 vs 0.25 of trunk length)"; ``now`` and ``base``: the medians in
    the segment and in the baseline, ``label``: where the baseline came from."""
    measure = BY_COLUMN[column]
    if measure.rule is None:
        raise ValueError(f"no description for {column!r}")
    signed = now - base
    template = measure.reason[0 if signed > 0 else 1]
    return template.format(now=now, base=base, change=abs(signed), signed=signed,
                           share=abs(signed) / base if base else float("nan"), than=f"than in {label}")


def amount(column: str, size: float, early: float) -> str:
    """A size of change in words: "10% of trunk length", "8 deg", "6% of the early width"."""
    kind = BY_COLUMN[column].amount
    if kind == "trunk":
        return f"{size:.0%} of trunk length" if size >= 0.0095 else f"{size:.1%} of trunk length"
    if kind == "width":
        return f"{size / abs(early):.0%} of the early width" if early else f"{size:.2f} x hip width"
    unit = " steps/min" if kind == "steps/min" else " deg"
    return f"{size:.0f}{unit}" if size >= 1 else f"{size:.1f}{unit}"


def value(column: str, number: float) -> str:
    """One median in the measure's unit, rounded to what means something."""
    if not np.isfinite(number):
        return "n/a"
    return f"{number:.2f}" if column.endswith("_ratio") else f"{number:.0f}"


def change_phrase(column: str, change: float, early: float, late: float) -> str:
    """What changed from ``early`` to ``late`` (medians), which way and by how much, e.g. "fingers
    curled 30 deg tighter (45 → 75 deg)"."""
    template = BY_COLUMN[column].change[0 if change > 0 else 1]
    return template.format(size=amount(column, abs(change), early), values=f"{value(column, early)} → {value(column, late)}")


def neutral_phrase(column: str, change: float, early: float, late: float) -> str:
    """"head pitch changed by 1 deg (10 → 11 deg)": the size without claiming a direction."""
    measure = BY_COLUMN[column]
    return (f"{measure.label.split(' (')[0]} changed by {amount(column, abs(change), early)} "
            f"({value(column, early)} → {value(column, late)} {measure.unit})")
