"""Early-run vs late-run comparison, on synthetic runners whose changes are known by construction."""

import functools
import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from scipy.stats import mannwhitneyu

from formcheck.comparison.plots import (
    distribution_figure,
    save_comparison_plots,
    series_figure,
)
from formcheck.comparison.table import (
    COLUMNS,
    COMPARED,
    cliffs_delta,
    compare_strides,
    describe_change,
)
from formcheck.comparison.verdict import Comparison
from formcheck.config import Config, SegmentConfig
from formcheck.io.output import write_json
from formcheck.pipeline import measure
from tests.synthetic import constant, runner

RESAMPLES = 1000
SHRUG = "shoulder_elevation_ratio"
SEEDS = [(1, 2), (3, 4), (5, 6)]


def strides(seed, seconds=30.0, **changes):
    return measure(runner(seconds=seconds, seed=seed, **changes)).stride_metrics


@functools.cache
def relaxed(seed):
    """The stride table of a relaxed 30 s runner (computed once per seed; do not modify it)."""
    return strides(seed)


def compare(early, late, **options):
    return compare_strides(early, late, n_resamples=RESAMPLES, **options).set_index("metric")


def hand_made(**columns):
    """A stride table with one stride per second and the given metric columns (others all NaN)."""
    n = len(next(iter(columns.values())))
    table = pd.DataFrame({"start_s": np.arange(n, dtype=float), "end_s": np.arange(n, dtype=float) + 1.0,
                          "cadence_spm": np.full(n, np.nan)})
    for name in COMPARED[:-1]:
        table[name] = np.asarray(columns.get(name, np.full(n, np.nan)), dtype=float)
    return table


@pytest.fixture(scope="module")
def shrugged():
    """A relaxed early clip (seed 1) and a late one with the shoulders raised by 0.1 trunk (seed 2)."""
    early, late = relaxed(1), strides(2, shrug=constant(0.1), arms_follow_shrug=False)
    return early, late, Comparison.from_strides(early, late, "early.mp4", "late.mp4", n_resamples=RESAMPLES)


def test_the_table_has_one_row_per_metric_then_cadence_and_the_documented_columns(shrugged):
    table = shrugged[2].table
    assert list(table.columns) == list(COLUMNS)
    assert list(table["metric"]) == list(COMPARED) and COMPARED[-1] == "cadence_spm"
    assert table.loc[table["metric"] == "cadence_spm", "label"].item().startswith("cadence")
    assert table["significant"].dtype == bool


def test_a_clip_compared_with_itself_changes_nothing():
    table = strides(1, seconds=20.0)
    result = compare(table, table)
    measured = result[result["change"].notna()]
    assert len(measured) >= 8  # every side-view metric and the cadence
    assert not result["significant"].any()
    assert (measured["change"] == 0.0).all()
    assert ((measured["ci_low"] <= 0.0) & (measured["ci_high"] >= 0.0)).all()
    assert (measured["effect_size"] == 0.0).all()
    assert all("within stride-to-stride variation" in v for v in measured["verdict"])
    comparison = Comparison("a.mp4", "a.mp4", result.reset_index())
    assert comparison.significant_metrics() == []
    assert comparison.verdict().startswith("No measure changed beyond stride-to-stride variation")


@pytest.mark.parametrize("seeds", SEEDS)
def test_raised_shoulders_late_in_the_run_are_found_and_nothing_else_counts(seeds):
    result = compare(relaxed(seeds[0]), strides(seeds[1], shrug=constant(0.1), arms_follow_shrug=False))
    shrug = result.loc[SHRUG]
    assert shrug["significant"] and shrug["tighter"] is True
    assert shrug["change"] == pytest.approx(-0.1, abs=0.01)
    assert shrug["ci_low"] <= shrug["change"] <= shrug["ci_high"] < 0
    assert shrug["effect_size"] == -1.0  # every late stride has the smaller ear-to-shoulder gap
    assert shrug["threshold"] == SegmentConfig().shoulder_rise_ratio
    assert shrug["verdict"] == ("shoulders rose by 10% of trunk length (ear-to-shoulder gap 0.25 → 0.15), "
                                "clearly beyond stride-to-stride variation")
    # The hands stay where they were; the shorter upper arm bends the elbow by a fraction of a degree
    # (0.2-0.6 with these seeds, about the stride-to-stride variation), which never counts.
    assert not result.loc["hand_height_ratio", "significant"]
    elbow = result.loc["elbow_angle_deg"]
    assert not elbow["significant"]
    assert "context only" in elbow["verdict"] or "within stride-to-stride variation" in elbow["verdict"]
    # Raising the shoulder under a fixed ear tilts the ear-shoulder line forward by about
    # atan(15/60) - atan(15/100) = 5.5 deg: consistent, but below the 8 deg that counts.
    head = result.loc["forward_head_deg"]
    assert head["change"] == pytest.approx(5.5, abs=0.5) and head["ci_low"] > 0
    assert not head["significant"]
    assert "a small but consistent change (below the 8 deg that counts)" in head["verdict"]
    assert list(result.index[result["significant"]]) == [SHRUG]


@pytest.mark.parametrize("seeds", SEEDS)
@pytest.mark.parametrize("change, metric, size, words", [
    ({"head_pitch_deg": constant(25.0)}, "head_pitch_deg", 15.0,
     "head pitched 15 deg further chin down (10 → 25 deg)"),
    ({"finger_curl_deg": constant(80.0)}, "hand_curl_deg", 35.0, "fingers curled 35 deg tighter (45 → 80 deg)"),
])
def test_a_single_change_late_in_the_run_is_the_only_one_that_counts(seeds, change, metric, size, words):
    result = compare(relaxed(seeds[0]), strides(seeds[1], **change))
    row = result.loc[metric]
    assert row["change"] == pytest.approx(size, abs=1.0)
    assert row["significant"] and row["tighter"] is True  # two-way rules: any change that counts is tight
    assert row["verdict"] == f"{words}, clearly beyond stride-to-stride variation"
    assert list(result.index[result["significant"]]) == [metric]


def test_a_change_below_the_configured_threshold_is_small_but_consistent(shrugged):
    early, late, _ = shrugged
    lenient = Config(segments=SegmentConfig(shoulder_rise_ratio=0.2))
    row = compare(early, late, config=lenient).loc[SHRUG]
    assert row["threshold"] == 0.2 and row["ci_high"] < 0 and not row["significant"]
    assert row["verdict"].endswith("a small but consistent change (below the 20% of trunk length that counts)")


def test_relative_rules_scale_the_threshold_by_the_early_median_and_unruled_metrics_have_none():
    rng = np.random.default_rng(0)
    early = hand_made(shoulder_width_ratio=1.5 + rng.normal(0, 0.01, 20), elbow_angle_deg=80 + rng.normal(0, 1, 20))
    late = hand_made(shoulder_width_ratio=1.3 + rng.normal(0, 0.01, 20), elbow_angle_deg=90 + rng.normal(0, 1, 20))
    result = compare(early, late)
    width = result.loc["shoulder_width_ratio"]
    assert width["threshold"] == pytest.approx(0.06 * width["early_median"])
    assert width["significant"] and width["tighter"] is True  # narrowed: the tight way
    assert "shoulders 13% of the early width narrower" in width["verdict"]
    elbow = result.loc["elbow_angle_deg"]
    assert math.isnan(elbow["threshold"]) and not elbow["significant"] and elbow["tighter"] is None
    assert "context only" in elbow["verdict"]
    comparison = Comparison("e", "l", result.reset_index())
    assert comparison.tighter_metrics() == ["shoulder_width_ratio"]
    assert "Context, not judged: elbows opened by 10 deg" in comparison.verdict()


def test_a_one_way_rule_changing_the_relaxed_way_counts_but_is_not_tighter():
    rng = np.random.default_rng(1)
    early = hand_made(shoulder_elevation_ratio=0.20 + rng.normal(0, 0.003, 15))
    late = hand_made(shoulder_elevation_ratio=0.26 + rng.normal(0, 0.003, 15))
    row = compare(early, late).loc[SHRUG]
    assert row["significant"] and row["tighter"] is False
    assert row["verdict"].startswith("shoulders sank by 6% of trunk length")


@pytest.mark.parametrize("early, late, expected", [
    ([1, 2, 3], [4, 5, 6], 1.0),  # every late value larger
    ([4, 5, 6], [1, 2, 3], -1.0),
    ([1, 2, 3], [1, 2, 3], 0.0),  # 3 larger pairs, 3 smaller, 3 ties
    ([5, 5, 5], [5, 5], 0.0),
    ([1, 2, 3], [2, 3, 4], 5 / 9),  # pairs late > early: 6, late < early: 1 (2 vs 3), of 9
    ([1, 3, 5, 7], [2, 4], -0.25),  # wins: 2>1, 4>1, 4>3; losses: 2<3, 2<5, 2<7, 4<5, 4<7: (3 - 5) / 8
    ([1, np.nan, 2], [3, np.nan], 1.0),  # NaN values are ignored
])
def test_cliffs_delta_on_hand_made_samples(early, late, expected):
    assert cliffs_delta(np.array(early, float), np.array(late, float)) == pytest.approx(expected)


def test_cliffs_delta_agrees_with_the_mann_whitney_u_statistic():
    rng = np.random.default_rng(3)
    early, late = rng.normal(0, 1, 23), np.round(rng.normal(0.5, 1, 17), 1)  # rounded: some ties
    u = mannwhitneyu(late, early).statistic  # pairs late > early, ties counting a half
    assert cliffs_delta(early, late) == pytest.approx(2 * u / (len(early) * len(late)) - 1)
    assert math.isnan(cliffs_delta(np.array([]), late))


def test_fewer_than_three_strides_with_a_value_give_an_unmeasured_row():
    values = np.linspace(10, 12, 10)
    late_values = np.full(10, np.nan)
    late_values[[2, 7]] = [30.0, 31.0]
    result = compare(hand_made(head_pitch_deg=values), hand_made(head_pitch_deg=late_values))
    row = result.loc["head_pitch_deg"]
    assert (row["n_early"], row["n_late"]) == (10, 2)
    assert all(math.isnan(row[c]) for c in ("change", "ci_low", "ci_high", "effect_size", "threshold"))
    assert row["late_median"] == 30.5  # the medians that exist are still given
    assert not row["significant"] and row["tighter"] is None
    assert row["verdict"] == "not measured in both clips (10 early, 2 late strides with a value; 3 needed in each)"
    missing = compare(hand_made(head_pitch_deg=values), hand_made(head_pitch_deg=values).drop(columns="hand_curl_deg"))
    assert missing.loc["hand_curl_deg", "verdict"].startswith("not measured in both clips (0 early, 0 late")


def test_a_comparison_of_few_strides_is_called_a_hint():
    result = compare(hand_made(head_pitch_deg=[10, 11, 10, 11]), hand_made(head_pitch_deg=[30, 31, 30, 31]))
    row = result.loc["head_pitch_deg"]
    assert row["significant"]
    assert row["verdict"].endswith("(only 4 early and 4 late strides: treat this as a hint)")
    assert "treat it as a hint" in Comparison("e", "l", result.reset_index()).verdict()


def test_a_constant_metric_has_a_zero_width_interval_at_its_change():
    result = compare(hand_made(hand_curl_deg=np.full(8, 45.0)), hand_made(hand_curl_deg=np.full(8, 47.0)))
    row = result.loc["hand_curl_deg"]
    assert row["change"] == row["ci_low"] == row["ci_high"] == 2.0
    assert not row["significant"] and "small but consistent" in row["verdict"]


def test_the_same_inputs_give_the_same_intervals_and_the_seed_is_used(shrugged):
    early, late, _ = shrugged
    first, again = compare(early, late, seed=7), compare(early, late, seed=7)
    pd.testing.assert_frame_equal(first, again)
    other = compare(early, late, seed=8)
    measured = first["change"].notna()
    assert not np.allclose(first.loc[measured, "ci_low"], other.loc[measured, "ci_low"])


def test_the_confidence_level_widens_the_interval(shrugged):
    early, late, _ = shrugged
    narrow, wide = compare(early, late, confidence=0.5), compare(early, late, confidence=0.99)
    narrow, wide = narrow.loc["elbow_angle_deg"], wide.loc["elbow_angle_deg"]
    assert wide["ci_low"] < narrow["ci_low"] < narrow["ci_high"] < wide["ci_high"]


def test_the_comparison_summarises_serialises_and_shows_in_jupyter(shrugged, tmp_path):
    comparison = shrugged[2]
    assert comparison.significant_metrics() == [SHRUG]
    assert comparison.verdict().startswith("1 measure changed clearly the tight way late in the run: "
                                           "shoulders rose by 10% of trunk length")
    data = comparison.to_dict()
    assert data["early"] == "early.mp4" and data["late"] == "late.mp4"
    assert [m["metric"] for m in data["metrics"]] == list(COMPARED)
    write_json(tmp_path / "compare.json", data)  # fails on anything JSON cannot hold
    loaded = json.loads((tmp_path / "compare.json").read_text())
    width = next(m for m in loaded["metrics"] if m["metric"] == "shoulder_width_ratio")
    assert width["change"] is None and width["significant"] is False
    page = comparison._repr_html_()
    assert page.count("<tr") == len(COMPARED) + 1 and page.count("background:") == 1
    assert "early.mp4" in page and "shoulders rose by 10% of trunk length" in page


def test_from_measurements_compares_the_stride_tables():
    early, late = measure(runner(seconds=12.0, seed=1)), measure(runner(seconds=12.0, seed=2, shrug=constant(0.1)))
    comparison = Comparison.from_measurements(early, late, "e.mp4", "l.mp4", n_resamples=200)
    assert SHRUG in comparison.significant_metrics() and comparison.early_label == "e.mp4"
    assert comparison.table.loc[comparison.table["metric"] == SHRUG, "n_early"].item() == len(early.stride_metrics)


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def test_the_distribution_figure_has_one_panel_per_metric_measured_in_both_clips(shrugged):
    early, late, comparison = shrugged
    measured = comparison.table.loc[comparison.table["change"].notna(), "metric"].tolist()
    assert "shoulder_width_ratio" not in measured and len(measured) == 9
    fig = distribution_figure(comparison.table, early, late)
    assert isinstance(fig, Figure)
    axes = visible_axes(fig)
    assert len(axes) == len(measured)
    tight = [text for text in fig.findobj(Text) if (text.get_gid() or "").endswith("-tight")]
    assert [text.get_gid() for text in tight] == [f"{SHRUG}-tight"]
    assert all(text.get_color() == "tab:red" and "counts, the tight way" in text.get_text() for text in tight)
    n_points = [len(line.get_xdata()) for line in axes[0].get_lines() if line.get_linestyle() == "None"]
    assert sorted(n_points) == sorted([len(early), len(late)])  # every stride a dot, early and late
    assert len(visible_axes(distribution_figure(comparison.table, early, late, names=[SHRUG]))) == 1


def test_the_series_figure_shows_early_and_late_side_by_side_on_one_scale(shrugged):
    early, late, _ = shrugged
    fig = series_figure(early, late, early_label="early.mp4", late_label="late.mp4")
    axes = np.array(fig.axes).reshape(-1, 2)
    assert len(axes) == 9  # every compared column but the front-view shoulder width
    row = axes[2]  # the shrug
    assert row[0].get_ylim() == row[1].get_ylim()
    dashed = [line.get_ydata()[0] for line in row[1].get_lines() if line.get_linestyle() == "--"]
    assert dashed == [pytest.approx(np.median(early[SHRUG]))]  # the early median on the late panel
    assert "early.mp4" in axes[0, 0].get_title(loc="left") and "late.mp4" in axes[0, 1].get_title(loc="left")


def test_the_plots_are_written_as_non_empty_png_and_svg(tmp_path):
    rng = np.random.default_rng(2)  # two metrics, to keep drawing fast
    early = hand_made(shoulder_elevation_ratio=0.25 + rng.normal(0, 0.005, 12), head_pitch_deg=rng.normal(10, 2, 12))
    late = hand_made(shoulder_elevation_ratio=0.15 + rng.normal(0, 0.005, 9), head_pitch_deg=rng.normal(10, 2, 9))
    comparison = Comparison.from_strides(early, late, "early.mp4", "late.mp4", n_resamples=RESAMPLES)
    assert comparison.significant_metrics() == [SHRUG]
    paths = save_comparison_plots(comparison, early, late, tmp_path / "plots")
    assert [p.name for p in paths] == ["compare_distributions.png", "compare_distributions.svg", "compare_series.png"]
    for path in paths:
        assert path.is_file() and path.stat().st_size > 5_000
    for path in (paths[0], paths[2]):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(paths[1]).getroot().tag.endswith("svg")


def test_nothing_to_compare_gives_one_explaining_panel():
    empty = hand_made(head_pitch_deg=[1.0, 2.0])
    table = compare_strides(empty, empty, n_resamples=RESAMPLES)
    assert len(visible_axes(distribution_figure(table, empty, empty))) == 0
    assert len(series_figure(empty, empty).axes) == 1
    assert Comparison("e", "l", table).verdict().startswith("No measure could be compared")
    assert describe_change(table.iloc[0]).startswith("not measured in both clips")


def test_a_jog_compared_with_a_sprint_names_the_pace_first_and_does_not_take_the_arms_for_tension():
    from formcheck.comparison.verdict import Comparison

    def hands_higher(table):
        table = table.copy()
        table["hand_height_ratio"] += 0.15  # arms carried higher, as they are at speed
        return table

    same_pace = Comparison.from_strides(relaxed(1), hands_higher(strides(2)))
    assert "hand_height_ratio" in same_pace.tighter_metrics() and not same_pace.pace()
    sprint = Comparison.from_strides(relaxed(1), hands_higher(strides(2, cadence_spm=220.0)))
    assert re.match(r"Your cadence was 2\d\d steps/min in the late clip against 1[67]\d in the early one, "
                    r"2\d% higher: a faster pace\. Hand height", sprint.verdict())
    assert sprint.tighter_metrics() == []
    row = sprint.table.set_index("metric").loc["hand_height_ratio"]
    assert not row["significant"] and "the pace changed" in row["verdict"]
    assert sprint.to_dict()["pace"] == sprint.pace()


def test_an_early_clip_with_strides_at_the_late_pace_is_compared_at_that_pace():
    """The early clip jogged (170 steps/min) and then ran 6 strides at 215 with the hands 0.15 trunk
    higher; the late clip runs at 215. Its hands as high as the early fast strides' are no finding;
    0.2 higher than those are, and the verdict says which early strides they were judged by."""
    rng = np.random.default_rng(3)
    cadence = np.r_[np.full(12, 170.0), np.full(6, 215.0)]
    hands = np.r_[np.full(12, 0.30), np.full(6, 0.45)] + rng.normal(0, 0.005, 18)
    early = hand_made(hand_height_ratio=hands, shoulder_elevation_ratio=0.25 + rng.normal(0, 0.005, 18))
    early["cadence_spm"] = cadence

    def late(hand_height: float) -> pd.DataFrame:
        table = hand_made(hand_height_ratio=hand_height + rng.normal(0, 0.005, 10),
                          shoulder_elevation_ratio=0.25 + rng.normal(0, 0.005, 10))
        table["cadence_spm"] = 215.0
        return table

    as_before = Comparison.from_strides(early, late(0.45), n_resamples=RESAMPLES)
    assert as_before.tighter_metrics() == []
    row = as_before.table.set_index("metric").loc["hand_height_ratio"]
    assert row["at_pace"] and row["n_early"] == 6 and row["early_median"] == pytest.approx(0.45, abs=0.01)
    higher = Comparison.from_strides(early, late(0.65), n_resamples=RESAMPLES)
    assert higher.tighter_metrics() == ["hand_height_ratio"]
    assert "against the 6 early strides at the late clip's pace" in higher.table.set_index("metric").loc[
        "hand_height_ratio", "verdict"]
    assert "compared only with your early strides at the late clip's pace" in higher.verdict()
