"""'Running tight' segments: each names its reasons, each reason is a measure that deviates for a
sustained run of strides (hand-made stride tables whose deviations are known)."""

import re

import numpy as np
import pandas as pd
import pytest

from formcheck.config import SegmentConfig
from formcheck.metrics import METRIC_COLUMNS
from formcheck.segments import Baseline, find_segments

RELAXED = {"shoulder_elevation_ratio": 0.25, "head_pitch_deg": 5.0, "forward_head_deg": 30.0,
           "hand_height_ratio": 0.30, "hand_curl_deg": 60.0}
#: A change that deviates clearly on each measure (the tight way, well beyond its threshold).
TIGHT = {"shoulder_elevation_ratio": -0.08, "head_pitch_deg": 15.0, "forward_head_deg": 15.0,
         "hand_height_ratio": 0.2, "hand_curl_deg": 40.0}


def strides(n: int, changes: dict[str, np.ndarray] | None = None, seed: int = 0) -> pd.DataFrame:
    """``n`` one-second strides of a relaxed runner with a little stride-to-stride noise, plus
    ``changes`` (per measure, one value per stride) added."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"start_s": np.arange(n, dtype=float), "end_s": np.arange(n, dtype=float) + 1.0,
                          "cadence_spm": np.full(n, 170.0)})
    for name in METRIC_COLUMNS:
        base = RELAXED.get(name, np.nan)
        table[name] = base + rng.normal(0, 0.002 if name.endswith("ratio") else 0.5, n) if np.isfinite(base) else np.nan
    for name, change in (changes or {}).items():
        table[name] = table[name] + change
    return table


def segments_of(table: pd.DataFrame, baseline_strides: int = 10) -> pd.DataFrame:
    baseline = Baseline.from_strides(table.iloc[:baseline_strides], "your first 10 s")
    return find_segments(table, baseline, SegmentConfig(), exclude=baseline_strides)


def test_strides_that_each_deviate_on_a_different_measure_are_no_segment():
    n = 40
    changes = {}
    for k, name in enumerate(("shoulder_elevation_ratio", "head_pitch_deg", "hand_curl_deg")):
        change = np.zeros(n)
        change[10 + k:30:3] = TIGHT[name]  # every third stride, in turn: never two in a row on one measure
        changes[name] = change
    assert segments_of(strides(n, changes)).empty


def test_two_measures_that_deviate_together_make_one_segment_naming_both():
    n = 40
    shrug, head = np.zeros(n), np.zeros(n)
    shrug[15:25] = TIGHT["shoulder_elevation_ratio"]
    head[20:30] = TIGHT["head_pitch_deg"]
    found = segments_of(strides(n, {"shoulder_elevation_ratio": shrug, "head_pitch_deg": head}))
    assert len(found) == 1
    row = found.iloc[0]
    assert (row.start_s, row.end_s) == (15.0, 30.0)
    assert row.metrics.split(",") == ["shoulder_elevation_ratio", "head_pitch_deg"]
    assert "shoulders" in row.reasons and "head pitched" in row.reasons


@pytest.mark.parametrize("seed", range(8))
def test_every_segment_names_its_reasons(seed):
    rng = np.random.default_rng(seed)
    n = 60
    changes = {name: TIGHT[name] * (rng.random(n) < 0.45) * (np.arange(n) >= 10) for name in TIGHT}
    found = segments_of(strides(n, changes, seed=seed))
    for row in found.itertuples():
        reasons = [r for r in row.reasons.split("; ") if r]
        assert reasons and len(reasons) == len(row.metrics.split(","))


def sped_up(track, from_s: float, factor: float, hands_up_px: float = 0.0):
    """``track`` played ``factor`` times faster from ``from_s`` on (cadence up by that factor), with the
    hands carried ``hands_up_px`` higher there, as arms are at a faster pace."""
    from formcheck.landmarks import POSE_INDEX

    t = track.times
    times = np.where(t < from_s, t, from_s + (t - from_s) / factor)
    xy, hands = track.xy.copy(), track.hands.copy()
    fast = t >= from_s
    arm = [POSE_INDEX[f"{side}_{part}"] for side in ("left", "right") for part in ("wrist", "pinky", "index", "thumb")]
    xy[np.ix_(fast, arm, [1])] -= hands_up_px
    hands[fast, :, :, 1] -= hands_up_px
    return track.replace(times=times, xy=xy, hands=hands)


def test_a_runner_who_only_speeds_up_gets_no_tension_finding_and_a_pace_note():
    from formcheck.pipeline import measure
    from tests.synthetic import TRUNK, runner

    track = sped_up(runner(seconds=60.0, cadence_spm=160.0), from_s=30.0, factor=1.3, hands_up_px=0.15 * TRUNK)
    measured = measure(track)
    assert measured.segments.empty
    assert measured.pace["other_pace_strides"] > 10
    assert "cadence differed" in measured.pace["note"] and "hand height" in measured.pace["note"]


def test_a_runner_who_speeds_up_and_shrugs_gets_the_shrug_and_the_pace():
    from formcheck.pipeline import measure
    from tests.synthetic import TRUNK, runner, step_at

    track = sped_up(runner(seconds=60.0, cadence_spm=160.0, shrug=step_at(30.0, 0.0, 0.1), arms_follow_shrug=False),
                    from_s=30.0, factor=1.3, hands_up_px=0.15 * TRUNK)
    segments = measure(track).segments
    assert len(segments) == 1
    assert segments.iloc[0].metrics.split(",") == ["shoulder_elevation_ratio"]  # not the hands: that is pace
    pace = segments.iloc[0].pace
    assert re.search(r"(29|30)% higher than in your first", pace) and "a faster pace" in pace
