"""The metric plots, drawn from synthetic runners whose measurements and segments are known."""

import dataclasses
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from formcheck.cleaning.smoothing import smooth_track
from formcheck.config import Config
from formcheck.evidence.plots import (
    band_halfwidth,
    figure_height_in,
    metrics_figure,
    plot_metric,
    save_plots,
)
from formcheck.measure.baseline import Baseline
from formcheck.measure.registry import METRIC_COLUMNS, METRIC_LABELS, RULES
from formcheck.measure.segments import deviations
from formcheck.pipeline import measure
from tests.synthetic import runner, step_at

CONFIG = Config()
SHRUG = "shoulder_elevation_ratio"


@pytest.fixture(scope="module")
def shrugging():
    """A runner who shrugs after 8 s, noisy as found (raw) and cleaned: one segment, on the shrug."""
    raw = runner(seconds=16.0, shrug=step_at(8.0, 0.0, 0.08), noise_px=3.0)
    result = measure(smooth_track(raw, CONFIG.smoothing), CONFIG, raw_track=raw)
    assert len(result.segments) == 1 and result.segments[0].metrics == [SHRUG]
    return result


@pytest.fixture(scope="module")
def relaxed():
    """A relaxed runner measured without a raw track: no segment."""
    result = measure(runner(seconds=10.0), CONFIG)
    assert result.segments == [] and result.raw_frame_metrics is None
    return result


def panel(name, measurements):
    ax = Figure().add_subplot()
    return plot_metric(ax, name, measurements, CONFIG)


def line(ax, label):
    (found,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def patches(ax, prefix):
    return [p for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def metric_of(ax):
    names = [n for n in METRIC_COLUMNS if ax.get_ylabel().split("\n")[0] == METRIC_LABELS[n].split(" (")[0]]
    assert len(names) == 1, ax.get_ylabel()
    return names[0]


def needed_change(rule, baseline):
    """The deviation formula of formcheck.measure.segments, written out independently."""
    config = CONFIG.segments
    base, spread = baseline.median[rule.metric], baseline.spread[rule.metric]
    threshold = getattr(config, rule.threshold) * (abs(base) if rule.relative else 1.0)
    return max(threshold, config.noise_factor * spread)


def test_every_metric_has_a_label_with_its_unit():
    assert set(METRIC_LABELS) == set(METRIC_COLUMNS)
    for name, label in METRIC_LABELS.items():
        unit = "deg" if name.endswith("_deg") else "x trunk length" if name != "shoulder_width_ratio" else "x hip width"
        assert f"({unit}" in label, label


def test_overview_has_one_panel_per_measured_metric_sharing_time(shrugging):
    measured = [n for n in METRIC_COLUMNS if shrugging.frame_metrics[n].notna().any()]
    assert "shoulder_width_ratio" not in measured and len(measured) == 8  # side view: no width
    fig = metrics_figure(shrugging, CONFIG)
    assert [metric_of(ax) for ax in fig.axes] == measured
    assert fig.get_size_inches() == pytest.approx((10.0, 1.8 * len(measured) + 0.5))
    assert fig.axes[-1].get_xlabel() == "time (s)"
    assert all(ax.get_shared_x_axes().joined(ax, fig.axes[0]) for ax in fig.axes)
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in fig.axes)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == len(set(labels)) and {"raw", "smoothed", "stride median", "normal range"} <= set(labels)


def test_an_unmeasured_metric_asked_for_says_so_instead_of_lines(shrugging):
    fig = metrics_figure(shrugging, CONFIG, names=["shoulder_width_ratio", SHRUG])
    width, shrug = fig.axes
    assert [t.get_text() for t in width.texts] == ["not measured in this view"]
    assert not width.get_lines() and not width.patches
    assert line(shrug, "smoothed")


def test_lines_hold_the_raw_and_smoothed_frame_values_and_the_stride_medians(shrugging):
    ax = panel(SHRUG, shrugging)
    frames, raw, strides = shrugging.frame_metrics, shrugging.raw_frame_metrics, shrugging.stride_metrics
    smoothed, unclean = line(ax, "smoothed"), line(ax, "raw")
    np.testing.assert_array_equal(smoothed.get_xdata(), frames["time_s"])
    np.testing.assert_array_equal(smoothed.get_ydata(), frames[SHRUG])
    np.testing.assert_array_equal(unclean.get_ydata(), raw[SHRUG])
    assert not np.allclose(unclean.get_ydata(), smoothed.get_ydata(), equal_nan=True)
    dots = line(ax, "stride median")
    np.testing.assert_allclose(dots.get_xdata(), (strides["start_s"] + strides["end_s"]) / 2)
    np.testing.assert_array_equal(dots.get_ydata(), strides[SHRUG])


def test_nan_frames_stay_gaps_and_time_still_spans_the_whole_clip(shrugging):
    frames = shrugging.frame_metrics.copy()
    frames.loc[:150, "head_pitch_deg"] = np.nan  # not seen for the first 2.5 s
    ax = panel("head_pitch_deg", dataclasses.replace(shrugging, frame_metrics=frames))
    np.testing.assert_array_equal(line(ax, "smoothed").get_ydata(), frames["head_pitch_deg"])
    assert np.isnan(line(ax, "smoothed").get_ydata()[:151]).all()
    assert ax.get_xlim() == pytest.approx((0.0, frames["time_s"].iloc[-1]))


def test_no_raw_line_without_a_raw_track(relaxed):
    ax = panel(SHRUG, relaxed)
    assert "raw" not in [ln.get_label() for ln in ax.get_lines()]
    assert not patches(ax, f"{SHRUG}-tight")


def test_each_segment_is_shaded_from_its_start_to_its_end_darker_where_it_is_the_reason(shrugging):
    segment = shrugging.segments[0]
    alphas = {}
    for name in (SHRUG, "head_pitch_deg"):
        (span,) = patches(panel(name, shrugging), f"{name}-tight-")
        box = span.get_bbox()
        assert (box.x0, box.x1) == pytest.approx((segment.start_s, segment.end_s))
        assert span.get_facecolor()[0] > 0.8  # red
        alphas[name] = span.get_alpha()
    assert alphas[SHRUG] > alphas["head_pitch_deg"] > 0


@pytest.mark.parametrize("name", [r.metric for r in RULES if r.metric != "shoulder_width_ratio"])
def test_normal_band_is_the_baseline_median_plus_minus_the_change_counted_as_tight(shrugging, name):
    rule = next(r for r in RULES if r.metric == name)
    baseline = shrugging.baseline
    ax = panel(name, shrugging)
    (band,) = patches(ax, f"{name}-normal-band")
    box = band.get_bbox()
    change = needed_change(rule, baseline)
    assert (box.y0, box.y1) == pytest.approx((baseline.median[name] - change, baseline.median[name] + change))
    (median,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("baseline")]
    assert median.get_ydata() == pytest.approx([baseline.median[name]] * 2)
    low, high = ax.get_ylim()
    assert low < box.y0 and box.y1 < high


@pytest.mark.parametrize("spread", [0.0, 5.0])  # the threshold decides, then the baseline's noise does
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.metric)
def test_band_edge_is_exactly_where_segments_start_counting_a_stride(rule, spread):
    baseline = Baseline("test", {n: 2.0 for n in METRIC_COLUMNS}, {n: spread for n in METRIC_COLUMNS}, 5)
    change = band_halfwidth(rule.metric, baseline, CONFIG)
    assert change == pytest.approx(needed_change(rule, baseline))
    ways = [+1, -1] if rule.direction == 0 else [rule.direction]
    values = [2.0 + way * change * factor for way in ways for factor in (0.999, 1.001)]
    strides = pd.DataFrame({n: np.nan for n in METRIC_COLUMNS}, index=range(len(values)))
    strides[rule.metric] = values
    deviates = deviations(strides, baseline, CONFIG.segments)[rule.metric].to_numpy() >= 1.0
    assert deviates.tolist() == [False, True] * len(ways)


def test_metric_without_a_rule_gets_the_median_line_and_no_band(shrugging):
    ax = panel("wrist_bend_deg", shrugging)
    assert not patches(ax, "wrist_bend_deg-normal-band")
    (median,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("baseline")]
    assert median.get_ydata() == pytest.approx([shrugging.baseline.median["wrist_bend_deg"]] * 2)
    assert "not judged" in ax.get_title(loc="left")
    assert np.isnan(band_halfwidth("wrist_bend_deg", shrugging.baseline, CONFIG))


def test_a_wild_frame_is_left_off_scale_and_counted(shrugging):
    frames = shrugging.frame_metrics.copy()
    frames.loc[300, SHRUG] = 50.0
    ax = panel(SHRUG, dataclasses.replace(shrugging, frame_metrics=frames))
    low, high = ax.get_ylim()
    assert high < 1.0
    assert np.nanmin(frames[SHRUG]) > low and np.nanmax(frames[SHRUG].drop(300)) < high
    assert ax.get_title(loc="right") == "1 frame off scale"
    assert panel(SHRUG, shrugging).get_title(loc="right") == ""


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def find_band(image, band):
    """(first row, rows) where the pixel rows of ``band`` occur in ``image``; fails when they do not."""
    rows = band.shape[0]
    for start in range(image.shape[0] - rows + 1):
        if (image[start:start + rows] == band).all():
            return start, rows
    raise AssertionError("band not found in the overview")


def test_save_plots_writes_the_overview_and_one_png_per_measured_metric(shrugging, tmp_path):
    measured = [SHRUG, "head_pitch_deg", "elbow_angle_deg"]  # the others blanked, to keep the test fast
    frames = shrugging.frame_metrics.copy()
    frames[[n for n in METRIC_COLUMNS if n not in measured]] = np.nan
    folder = tmp_path / "out" / "plots"
    paths = save_plots(dataclasses.replace(shrugging, frame_metrics=frames), CONFIG, folder)
    in_order = [n for n in METRIC_COLUMNS if n in measured]
    assert paths == [folder / "metrics.png", folder / "metrics.svg"] + [folder / f"metric_{n}.png" for n in in_order]
    assert sorted(folder.iterdir()) == sorted(paths)
    assert figure_height_in(3) == pytest.approx(3 * 1.8 + 0.5)
    assert png_size(paths[0]) == (1100, round(110 * figure_height_in(3)))
    overview = np.asarray(Image.open(paths[0]).convert("RGB"))
    panels = [np.asarray(Image.open(path).convert("RGB")) for path in paths[2:]]
    legend_rows = next(row for row in range(min(p.shape[0] for p in panels))
                       if not all((p[row] == panels[0][row]).all() for p in panels))
    assert 20 < legend_rows < 120  # the shared legend on top of each
    starts = [find_band(overview, panels[0][:legend_rows // 2])[0]]
    for panel in panels:  # under it, a band of the overview's own pixels, in panel order
        assert panel.shape[1] == 1100 and 0.2 < panel.shape[0] / overview.shape[0] < 0.6
        starts.append(find_band(overview, panel[legend_rows:])[0])
    assert starts == sorted(starts) and len(set(starts)) == 4
    svg = ET.parse(paths[1]).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    ids = {el.get("id") for el in svg.iter()}
    assert {f"{SHRUG}-normal-band", f"{SHRUG}-tight-0", "head_pitch_deg-tight-0"} <= ids
    assert not any(i and i.startswith("hand_curl_deg") for i in ids)


def test_a_clip_with_nothing_measured_gets_an_overview_that_says_so(shrugging, tmp_path):
    frames = shrugging.frame_metrics.copy()
    frames[list(METRIC_COLUMNS)] = np.nan
    paths = save_plots(dataclasses.replace(shrugging, frame_metrics=frames), CONFIG, tmp_path)
    assert paths == [tmp_path / "metrics.png", tmp_path / "metrics.svg"]
    (ax,) = metrics_figure(dataclasses.replace(shrugging, frame_metrics=frames), CONFIG).axes
    assert [t.get_text() for t in ax.texts] == ["no metric could be measured in this clip"]


def test_plots_never_touch_pyplot():
    code = "import sys, formcheck.evidence.plots; sys.exit('matplotlib.pyplot' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
