"""A runner who leaves the frame and comes back: gaps reported, nothing measured or joined across them.

Synthetic runners with a known gap, then run08 (empty at the start and the end) for real.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from formcheck.cleaning.smoothing import smooth_track
from formcheck.config import SegmentConfig, SmoothingConfig
from formcheck.evidence.report import render_report
from formcheck.measure.baseline import Baseline
from formcheck.measure.quality import in_view, in_view_line
from formcheck.measure.registry import METRIC_COLUMNS
from formcheck.measure.segments import find_segments
from formcheck.pipeline import measure
from formcheck.pose.track import Track
from formcheck.summary import Summary
from tests.conftest import run_cli, sample
from tests.synthetic import runner, step_at
from tests.unit.evidence.test_report import fake_summary, visible_text

GAP = (12.0, 14.0)  # seconds the synthetic runner is out of view


def with_gap(track: Track, start: float, end: float) -> Track:
    """``track`` with nobody found from ``start`` to ``end`` (s)."""
    xy, hands = track.xy.copy(), track.hands.copy()
    out = (track.times >= start) & (track.times < end)
    xy[out], hands[out] = np.nan, np.nan
    return track.replace(xy=xy, hands=hands)


def overlaps(start, end, gap=GAP) -> np.ndarray:
    return (np.asarray(start) < gap[1]) & (np.asarray(end) > gap[0])


@pytest.fixture(scope="module")
def shrugging_with_gap():
    """A runner who shrugs from 8 s on and is out of view from 12 to 14 s, cleaned and measured."""
    raw = with_gap(runner(seconds=20.0, shrug=step_at(8.0, 0.0, 0.08)), *GAP)
    track = smooth_track(raw)
    return raw, track, measure(track, raw_track=raw)


def test_cleaning_does_not_bridge_the_gap(shrugging_with_gap):
    _, track, _ = shrugging_with_gap
    inside = (track.times >= GAP[0]) & (track.times < GAP[1])
    assert not track.found[inside].any() and track.found[~inside].all()


def test_no_measure_inside_the_gap_and_no_stride_across_it(shrugging_with_gap):
    _, track, m = shrugging_with_gap
    inside = (track.times >= GAP[0]) & (track.times < GAP[1])
    assert m.frame_metrics.loc[inside, list(METRIC_COLUMNS)].isna().all().all()
    strides = m.stride_metrics
    assert not overlaps(strides["start_s"], strides["end_s"]).any()
    assert len(strides) >= 20  # the strides on either side are all there
    assert m.strides.cadence_spm == pytest.approx(170.0, abs=2.0)  # the gap is not taken for a long step


def test_a_tight_stretch_interrupted_by_a_gap_gives_two_segments(shrugging_with_gap):
    _, _, m = shrugging_with_gap
    segments = m.segments
    assert len(segments) == 2
    assert segments[0].end_s <= GAP[0] and segments[1].start_s >= GAP[1]


def test_strides_that_do_not_follow_each_other_are_never_one_segment():
    flagged = {"shoulder_elevation_ratio": [0.15] * 5}  # the ear-to-shoulder gap shrank from 0.25
    baseline = Baseline("test", median={n: 0.25 for n in METRIC_COLUMNS}, spread={n: 0.0 for n in METRIC_COLUMNS},
                        strides=3)
    starts = np.array([0.0, 1.0, 2.0, 5.0, 6.0])  # a gap from 3 to 5 s
    table = pd.DataFrame({"start_s": starts, "end_s": starts + 1.0, "cadence_spm": 120.0,
                          **{n: flagged.get(n, [np.nan] * 5) for n in METRIC_COLUMNS}})
    config = SegmentConfig(min_strides=2)  # every stride is tight
    segments = find_segments(table, baseline, config)
    assert [[s.start_s, s.end_s] for s in segments] == [[0.0, 3.0], [5.0, 7.0]]
    together = find_segments(table.assign(start_s=np.arange(5.0), end_s=np.arange(5.0) + 1), baseline, config)
    assert [[s.start_s, s.end_s] for s in together] == [[0.0, 5.0]]


def three_gaps() -> Track:
    """20 fps, 0-1.95 s: missing at the start (0-0.2 s), one frame (1.0 s), and at the end (1.65 s on)."""
    track = with_gap(runner(seconds=2.0, fps=20.0), 0.0, 0.24)
    return with_gap(with_gap(track, 0.99, 1.01), 1.64, 2.0)


def test_gaps_run_from_the_last_frame_seen_to_the_next():
    assert np.allclose(three_gaps().gaps(), [(0.0, 0.25), (0.95, 1.05), (1.6, 1.95)])
    assert np.allclose(three_gaps().gaps(0.15), [(0.0, 0.25), (1.6, 1.95)])


def test_time_in_view_is_the_analysed_time_less_the_gaps_cleaning_leaves():
    view = in_view(three_gaps(), SmoothingConfig().max_gap_s)  # the 0.1 s around 1.0 s is bridged
    assert view["seconds"] == pytest.approx(1.95 - 0.25 - 0.35) and view["of_seconds"] == pytest.approx(1.95)
    assert np.allclose(view["gaps_s"], [[0.0, 0.25], [1.6, 1.95]])
    assert in_view(runner(seconds=2.0, fps=20.0), 0.15)["gaps_s"] == []


def test_the_in_view_line():
    view = {"seconds": 3.26, "of_seconds": 5.4, "gaps_s": [[0.02, 0.84], [4.1, 5.42]]}
    assert in_view_line(view) == "runner in view 3.3 s of 5.4 s (gaps: 0.0-0.8 s, 4.1-5.4 s)"
    assert in_view_line({**view, "gaps_s": []}) == "runner in view 3.3 s of 5.4 s"


@pytest.mark.slow
def test_run08_reports_the_gaps_and_measures_nothing_in_them(tmp_path):
    out = tmp_path / "run08"
    result = run_cli("analyze", sample("run08_outdoor_side_passby_female_1080p50.mp4"), "-o", out,
                     "--model", "pose", "--max-height", "720", "--no-video", "--no-report")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    view = summary["runner_in_view"]
    print(in_view_line(view))
    assert in_view_line(view) in result.stdout
    gaps = view["gaps_s"]
    # The runner enters after the clip starts and is gone before it ends (checked by eye on frames).
    assert len(gaps) >= 2 and gaps[0][0] == summary["analysed_time_s"][0] and gaps[-1][1] == summary["analysed_time_s"][1]
    assert 0.4 < view["seconds"] / view["of_seconds"] < 0.8
    frames = pd.read_csv(out / "frame_metrics.csv")
    strides = pd.read_csv(out / "stride_metrics.csv")
    segments = pd.read_csv(out / "segments.csv")
    metric_columns = [c for c in frames.columns if any(c.startswith(name) for name in METRIC_COLUMNS)]
    for start, end in gaps:
        inside = (frames["time_s"] > start) & (frames["time_s"] < end)
        assert inside.any() and frames.loc[inside, metric_columns].isna().all().all()
        assert not overlaps(strides["start_s"], strides["end_s"], (start, end)).any()
        assert not overlaps(segments["start_s"], segments["end_s"], (start, end)).any()


def test_the_report_states_the_time_in_view_and_the_gaps(tmp_path):
    summary = {**fake_summary([]), "runner_in_view": {"seconds": 3.26, "of_seconds": 5.4,
                                                      "gaps_s": [[0.02, 0.84], [4.1, 5.42]]}}
    lines = visible_text(render_report(Summary.from_dict(summary), tmp_path, None, [])).splitlines()
    assert lines[lines.index("runner in view") + 1] == "3.3 s of 5.4 s (gaps: 0.0-0.8 s, 4.1-5.4 s)"
