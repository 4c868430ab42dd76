"""'Running tight' segments: each names its reasons, each reason is a measure that deviates for a
sustained run of strides (hand-made stride tables whose deviations are known)."""

import re

import numpy as np
import pandas as pd
import pytest

from formcheck.config import SegmentConfig
from formcheck.measure.baseline import Baseline
from formcheck.measure.registry import METRIC_COLUMNS
from formcheck.measure.segments import Segment, find_segments

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


def segments_of(table: pd.DataFrame, baseline_strides: int = 10) -> list[Segment]:
    baseline = Baseline.from_strides(table.iloc[:baseline_strides], "your first 10 s")
    return find_segments(table, baseline, SegmentConfig(), exclude=baseline_strides)


def test_strides_that_each_deviate_on_a_different_measure_are_no_segment():
    n = 40
    changes = {}
    for k, name in enumerate(("shoulder_elevation_ratio", "head_pitch_deg", "hand_curl_deg")):
        change = np.zeros(n)
        change[10 + k:30:3] = TIGHT[name]  # every third stride, in turn: never two in a row on one measure
        changes[name] = change
    assert segments_of(strides(n, changes)) == []


def test_two_measures_that_deviate_together_make_one_segment_naming_both():
    n = 40
    shrug, head = np.zeros(n), np.zeros(n)
    shrug[15:25] = TIGHT["shoulder_elevation_ratio"]
    head[20:30] = TIGHT["head_pitch_deg"]
    found = segments_of(strides(n, {"shoulder_elevation_ratio": shrug, "head_pitch_deg": head}))
    assert len(found) == 1
    row = found[0]
    assert (row.start_s, row.end_s) == (15.0, 30.0)
    assert row.metrics == ["shoulder_elevation_ratio", "head_pitch_deg"]
    assert row.reasons[0].text.startswith("shoulders") and row.reasons[1].text.startswith("head pitched")


@pytest.mark.parametrize("seed", range(8))
def test_every_segment_names_its_reasons(seed):
    rng = np.random.default_rng(seed)
    n = 60
    changes = {name: TIGHT[name] * (rng.random(n) < 0.45) * (np.arange(n) >= 10) for name in TIGHT}
    found = segments_of(strides(n, changes, seed=seed))
    for row in found:
        assert row.reasons and all(reason.text and reason.metric in TIGHT for reason in row.reasons)
        assert len(set(row.metrics)) == len(row.metrics)  # one reason per measure
        assert Segment.from_record(row.as_record()) == row  # what segments.csv and summary.json hold reads back


def sped_up(track, from_s: float, factor: float, hands_up_px: float = 0.0):
    """``track`` played ``factor`` times faster from ``from_s`` on (cadence up by that factor), with the
    hands carried ``hands_up_px`` higher there, as arms are at a faster pace."""
    from formcheck.body.landmarks import POSE_INDEX

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
    assert measured.segments == []
    assert measured.pace["other_pace_strides"] > 10
    assert "cadence differed" in measured.pace["note"] and "hand height" in measured.pace["note"]


def test_a_runner_who_speeds_up_and_shrugs_gets_the_shrug_and_the_pace():
    from formcheck.pipeline import measure
    from tests.synthetic import TRUNK, runner, step_at

    track = sped_up(runner(seconds=60.0, cadence_spm=160.0, shrug=step_at(30.0, 0.0, 0.1), arms_follow_shrug=False),
                    from_s=30.0, factor=1.3, hands_up_px=0.15 * TRUNK)
    segments = measure(track).segments
    assert len(segments) == 1
    assert segments[0].metrics == ["shoulder_elevation_ratio"]  # not the hands: that is pace
    pace = segments[0].pace
    assert re.search(r"(29|30)% higher than in your first", pace) and "a faster pace" in pace


def two_paced(n_late: int, late_hands: float) -> pd.DataFrame:
    """20 baseline strides, 10 jogging at 170 steps/min then 10 faster at 210 with the hands carried
    0.15 trunk higher (as arms are at a faster pace), then ``n_late`` strides at 210 with the hands
    ``late_hands`` above the jog's."""
    n = 20 + n_late
    table = strides(n)
    table["cadence_spm"] = np.where(np.arange(n) < 10, 170.0, 210.0)
    table["hand_height_ratio"] += np.where(np.arange(n) < 10, 0.0, np.where(np.arange(n) < 20, 0.15, late_hands))
    return table


def test_a_faster_stretch_is_judged_against_the_baseline_strides_of_its_own_pace():
    assert segments_of(two_paced(20, late_hands=0.15), baseline_strides=20) == []  # as high as at that pace before
    found = segments_of(two_paced(20, late_hands=0.15 + TIGHT["hand_height_ratio"]), baseline_strides=20)
    assert len(found) == 1 and found[0].metrics == ["hand_height_ratio"]
    assert "0.20 of trunk length higher" in found[0].reasons[0].text
    assert "at a similar pace" in found[0].reasons[0].text
    assert "judged against your strides of a similar pace" in found[0].pace


def test_without_baseline_strides_of_its_pace_a_pace_driven_measure_is_not_judged():
    table = two_paced(20, late_hands=0.15 + TIGHT["hand_height_ratio"])
    table.loc[10:19, "cadence_spm"] = 170.0  # the baseline has only the jog's pace
    assert segments_of(table, baseline_strides=20) == []


def test_a_saved_baseline_keeps_its_strides_for_judging_by_pace(tmp_path):
    table = two_paced(0, late_hands=0.0)
    Baseline.from_strides(table, "early.mp4").save(tmp_path / "baseline.json")
    loaded = Baseline.load(tmp_path / "baseline.json")
    at_210 = loaded.at_pace(205.0, SegmentConfig())
    assert at_210.strides == 10 and at_210.label == "early.mp4 at a similar pace"
    assert at_210.median["hand_height_ratio"] == pytest.approx(RELAXED["hand_height_ratio"] + 0.15, abs=0.005)
    assert loaded.at_pace(240.0, SegmentConfig()) is None


def test_a_summary_reads_back_what_it_wrote(tmp_path):
    """summary.json round-trips through the Summary dataclass, segments and their reasons included,
    and a file of an earlier formcheck without some keys reads back with their defaults."""
    from formcheck.summary import Summary

    shrug = np.zeros(40)
    shrug[15:25] = TIGHT["shoulder_elevation_ratio"]
    segments = segments_of(strides(40, {"shoulder_elevation_ratio": shrug}))
    summary = Summary(clip_sha256="ab", verdict="tight", segments=segments, metrics={"x": {"median": float("nan")}},
                      warnings=["dark"])
    summary.save(tmp_path)
    loaded = Summary.load(tmp_path)
    assert loaded.segments == segments and loaded.verdict == "tight" and loaded.warnings == ["dark"]
    assert loaded.metrics == {"x": {"median": None}}  # NaN is null in JSON
    (tmp_path / "summary.json").write_text('{"verdict": "relaxed"}')
    older = Summary.load(tmp_path)
    assert older.verdict == "relaxed" and older.segments == [] and older.config == {}
    (tmp_path / "summary.json").write_text("not json")
    assert Summary.load(tmp_path) is None


def test_a_run_judged_against_the_whole_baseline_says_so_even_across_a_stride_at_another_pace():
    """A calm stride at another pace bridged inside a run (not judged: no baseline strides of its
    pace) does not make the reason claim a similar-pace baseline."""
    n = 40
    hands = np.zeros(n)
    hands[15:26] = TIGHT["hand_height_ratio"]
    table = strides(n, {"hand_height_ratio": hands})
    table.loc[20, "cadence_spm"] = 210.0  # one stride at another pace, bridged
    found = segments_of(table)
    assert len(found) == 1 and found[0].metrics == ["hand_height_ratio"]
    assert "at a similar pace" not in found[0].reasons[0].text
