"""The HTML report: rendered from a made-up summary (fast, no browser), and opened in headless
Chromium on a real `formcheck analyze` output folder (video plays, plots show, segments seek)."""

from __future__ import annotations

import math
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from matplotlib.figure import Figure

from formcheck.evidence.report import MISSING, fmt, headline, write_report
from formcheck.measure.registry import BY_COLUMN, METRIC_COLUMNS, RULES
from tests.browser import chromium, full_page_screenshot, require_chromium
from tests.conftest import RUN01, run_cli, sample

# Thresholds so small (and no noise margin) that any change counts: segments certainly exist.
TIGHT_CONFIG = """
[segments]
noise_factor = 0.0
shoulder_rise_ratio = 0.001
head_pitch_change_deg = 0.01
forward_head_change_deg = 0.01
shoulder_narrowing_share = 0.001
shoulder_offset_change_ratio = 0.001
hand_curl_change_deg = 0.01
hand_rise_ratio = 0.001
min_strides = 2
"""
# A reference to anything outside the page and its folder: src/href/... to http(s):// or //host, url(), @import.
REMOTE = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""
                    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Fast: write_report on a made-up analysis, no browser


class _Text(HTMLParser):
    """The page's visible text (no script, style, title or attribute values)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def fake_summary(segments: list[dict], verdict: str = "tight") -> dict:
    nan = float("nan")
    metrics = {name: {"median": 1.5, "coverage": 0.9, "baseline_median": 1.25, "baseline_spread": 0.1}
               for name in METRIC_COLUMNS}
    metrics["head_pitch_deg"] = {"median": nan, "coverage": 0.0, "baseline_median": None, "baseline_spread": nan}
    metrics["shoulder_width_ratio"] = {"median": None, "coverage": None, "baseline_median": nan,
                                       "baseline_spread": None}
    return {
        "formcheck_version": "9.9.9",
        "clip": {"path": "clips/my <run>.mp4", "width": 1080, "height": 1920, "rotation": 90,
                 "duration_s": None, "average_fps": nan, "codec": "h264", "pixel_format": "yuv420p",
                 "frame_count": None, "stored_width": 1920, "stored_height": 1080},
        "pose_backend": "replay",
        "frames_analysed": 120,
        "analysed_time_s": [0.0, 4.0],
        "coverage": {"person": 1.0, "head": 0.95, "shoulders": nan, "left_hand_21pt": 0.1, "right_hand_21pt": None},
        "view": {"main": "side", "share": {"side": 0.9, "front": 0.1, "back": 0.0, "unknown": 0.0}},
        "strides": {"source": "ankles", "count": 9, "cadence_spm": nan},
        "metrics": metrics,
        "baseline": {"label": "your first 20 s", "strides": 4},
        "verdict": verdict,
        "segments": segments,
        "warnings": ["runner is small in the frame <10% of its height> & blurred"],
    }


def fake_analysis(summary: dict) -> SimpleNamespace:
    """What write_report reads of an analysis: its summary, read as summary.json is read back."""
    from formcheck.summary import Summary

    return SimpleNamespace(summary=Summary.from_dict(summary))


def save_png(path: Path) -> Path:
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    fig.savefig(path, dpi=50)
    return path


NASTY = 'fists <script>alert("x")</script> & "clenched"'
SEGMENTS = [
    {"start_s": 12.25, "end_s": 18.5, "strides": 6, "severity": 1.8, "severity_label": "moderate",
     "reasons": f"shoulders 18% closer to the ears than in your first 20 s; {NASTY}",
     "metrics": "shoulder_elevation_ratio,hand_curl_deg"},
    {"start_s": 65.0, "end_s": 71.0, "strides": 4, "severity": float("nan"), "severity_label": "mild",
     "reasons": "hands carried 0.10 of trunk length higher, toward the chest, than in your first 20 s",
     "metrics": "hand_height_ratio"},
]


def test_report_is_self_contained_escaped_and_shows_missing_values_as_a_dash(tmp_path):
    save_png(tmp_path / "metrics.png")
    (tmp_path / "metrics.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    save_png(tmp_path / "metric_hand_curl_deg.png")
    plots = ["metrics.png", "metrics.svg", "metric_hand_curl_deg.png", "metric_gone.png"]

    path = write_report(fake_analysis(fake_summary(SEGMENTS)), tmp_path, "overlay.mp4", plots)

    assert path == tmp_path / "report.html"
    html = path.read_text(encoding="utf-8")
    text = visible_text(html)
    # verdict first, in plain words, with the advice tied to each reason
    assert text.splitlines()[0] == "Running tight in 2 stretches"
    assert BY_COLUMN["shoulder_elevation_ratio"].advice.text in text
    assert BY_COLUMN["hand_height_ratio"].advice.text in text
    assert "1:05.0" in text and "12.2 s" in text  # times from a minute on read m:ss
    # escaping: the reason text shows as text, never as markup
    assert "<script>alert" not in html
    assert "fists &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;clenched&#34;" in html
    assert NASTY in text
    assert "my &lt;run&gt;.mp4" in html and "&lt;10% of its height&gt; &amp; blurred" in html
    # missing values: a dash, never nan/None
    assert not re.search(r"\b(nan|NaN|None|inf)\b", text), text
    metric_rows = re.findall(r"<tr[^>]*>\s*<td>head pitch.*?</tr>", html, re.S)
    assert len(metric_rows) == 1 and metric_rows[0].count(f">{MISSING}<") == 3
    assert "duration</dt><dd>–" in html and "cadence</dt><dd>–" in html and "frame rate</dt><dd>–" in html
    # nothing is loaded from the network; plots are embedded, the video referenced relatively
    assert not REMOTE.search(html), REMOTE.search(html)
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') == 2  # overview PNG (its SVG twin skipped) + 1 metric
    assert "data:image/svg+xml" not in html
    assert "metric_gone.png is missing" in text
    assert '<video id="overlay" src="overlay.mp4" controls playsinline preload="metadata">' in html
    assert "must stay in the same folder" in text
    # every segment row carries its start for the seek script
    assert re.findall(r'<tr class="seekable"[^>]*data-start="([\d.]+)"', html) == ["12.250", "65.000"]
    # warnings shown prominently, once
    assert text.count("runner is small in the frame") == 1


def test_report_without_video_plots_or_segments(tmp_path):
    summary = fake_summary([], verdict="relaxed")
    summary["warnings"] = ["slow motion suspected"]
    html = write_report(fake_analysis(summary), tmp_path, None, []).read_text()
    text = visible_text(html)
    assert text.splitlines()[0] == "No sustained sign of running tight"
    assert "<video" not in html and "data-start" not in html
    assert "No plots were written" in text and "slow motion suspected" in text
    assert 'class="verdict relaxed"' in html


def test_headlines_and_number_formatting():
    assert headline("tight", 1) == "Running tight in 1 stretch"
    assert headline("tight", 3) == "Running tight in 3 stretches"
    assert headline("relaxed", 0) == "No sustained sign of running tight"
    assert headline("not enough data", 0) == "Not enough measurable strides to judge"
    assert [fmt(v) for v in (None, float("nan"), float("inf"), "x", 1.234)] == ["–", "–", "–", "x", "1.23"]
    assert fmt(7.6, "d") == "8" and fmt(0.5, ".1f", "s") == "0.5 s"


def test_every_measure_is_declared_whole():
    """Every measure with a rule has its reasons, a gauge and advice; every measure has its phrases
    and a view the metrics know; the rules name real thresholds, each once."""
    import dataclasses

    from formcheck.config import SegmentConfig
    from formcheck.measure.registry import MEASURES, reason

    thresholds = {f.name for f in dataclasses.fields(SegmentConfig)}
    for measure in MEASURES:
        assert measure.advice is not None and all(measure.change), measure.column
        if measure.rule is not None:
            assert measure.gauge and all(measure.reason) and measure.rule.threshold in thresholds, measure.column
            for now in (1.2, 0.8):  # both ways
                assert "than in your first 20 s" in reason(measure.column, now, 1.0, "your first 20 s")
    assert len({rule.threshold for rule in RULES}) == len(RULES)
    assert sorted(rule.rank for rule in RULES) == list(range(len(RULES)))


# ---------------------------------------------------------------------------------------------
# Slow: the CLI's real output folder in headless Chromium


def wait_for(driver, script: str, timeout_s: float = 20.0):
    """Poll ``script`` (JavaScript returning a value) until it is truthy; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture(scope="module")
def tight_output(tmp_path_factory, analysed) -> Path:
    """`formcheck analyze` on run01 with thresholds so small that segments certainly exist (in a
    copy of the session's run01 folder, so the saved landmarks are re-used)."""
    require_chromium()  # before the slow part
    clip = sample(RUN01)
    root = tmp_path_factory.mktemp("report")
    config = root / "tight.toml"
    config.write_text(TIGHT_CONFIG)
    out = root / "run01.formcheck"
    shutil.copytree(analysed(RUN01), out)
    result = run_cli("analyze", clip, "-o", out, "--config", config, "--video-height", "480")
    assert result.returncode == 0, result.stderr
    assert "landmarks re-used" in result.stderr  # new thresholds, no new inference
    return out


@pytest.mark.slow
def test_report_in_headless_chromium(tight_output, tmp_path):
    report = tight_output / "report.html"
    assert report.is_file(), f"formcheck analyze wrote no report.html: {sorted(p.name for p in tight_output.iterdir())}"
    segments = pd.read_csv(tight_output / "segments.csv")
    assert len(segments) >= 1, "the tiny thresholds should have produced at least one segment"
    html = report.read_text(encoding="utf-8")
    assert not REMOTE.search(html), REMOTE.search(html)

    with chromium() as driver:
        driver.get(report.as_uri())

        # the verdict comes first on the page
        first_line = driver.execute_script("return document.body.innerText.trim().split('\\n')[0]")
        expected = f"Running tight in {len(segments)} stretch{'' if len(segments) == 1 else 'es'}"
        assert first_line == expected
        assert driver.execute_script(
            "var h = document.getElementById('headline').getBoundingClientRect().top;"
            "return Array.from(document.querySelectorAll('main > *')).every("
            "  e => e.getBoundingClientRect().top >= h - 40)")

        # the overlay video (next to the page) loads and H.264 plays in Chromium
        src = driver.execute_script("return document.getElementById('overlay').getAttribute('src')")
        assert (tight_output / src).is_file()
        state = wait_for(driver, "var v = document.getElementById('overlay');"
                                 "return v.readyState >= 1 ? [v.readyState, v.duration, v.error && v.error.code] : null")
        assert state, "the video never loaded its metadata"
        ready, duration, error = state
        assert error is None and math.isfinite(duration) and duration > 0, state

        # plots: embedded, decoded, shown (the per-metric ones once their <details> is opened)
        images = driver.find_elements("css selector", "#plots img")
        assert images and images[0].get_attribute("id") == "overview-plot"
        assert images[0].is_displayed()
        driver.find_element("css selector", "#metric-plots > summary").click()
        for image in images:
            assert image.get_attribute("src").startswith("data:image/")
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
            assert image.is_displayed() and image.size["width"] > 100

        # one table row per segment; clicking the first seeks the video to its start and plays it
        rows = driver.find_elements("css selector", "#segment-table tbody tr")
        assert len(rows) == len(segments)
        start = float(segments["start_s"].iloc[0])
        assert float(rows[0].get_attribute("data-start")) == pytest.approx(start, abs=1e-3)
        rows[0].click()
        assert wait_for(driver, "var v = document.getElementById('overlay'); return !v.seeking && v.readyState >= 2", 10)
        assert wait_for(driver, "var v = document.getElementById('overlay'); return !v.paused || v.ended", 5), \
            "the click did not start playback"
        now = driver.execute_script("var v = document.getElementById('overlay'); v.pause(); return v.currentTime")
        assert abs(now - start) <= 0.5, (now, start)

        shot = full_page_screenshot(driver, tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
