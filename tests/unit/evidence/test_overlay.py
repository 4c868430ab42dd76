"""The overlay video: drawn where the landmarks are, at the source's timing, in a format browsers play."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.frame import PictureType

from formcheck.body.landmarks import POSE_INDEX
from formcheck.config import Config, OverlayConfig
from formcheck.evidence.overlay import style, text
from formcheck.evidence.overlay.render import render_overlay
from formcheck.io.video import VideoReader, probe
from formcheck.pipeline import Analysis, measure
from formcheck.pose.track import Track
from formcheck.summary import Summary
from tests import synthetic
from tests.clips import write_clip
from tests.conftest import RUN01, VIDEO_HEIGHT, sample

BACKGROUND = (40, 40, 40)
FPS = 30.0


def decoded(path: Path) -> list[tuple[float, np.ndarray]]:
    with VideoReader(path) as reader:
        return [(f.time_s, f.rgb) for f in reader.frames()]


def near(pixel: np.ndarray, color: tuple[int, int, int], tolerance: int = 45) -> bool:
    return bool(np.abs(pixel.astype(int) - color).max() <= tolerance)


@pytest.fixture(scope="module")
def synthetic_overlay(tmp_path_factory) -> tuple[Analysis, list[tuple[float, np.ndarray]]]:
    """A synthetic runner (1080x1920 track) who shrugs at 6 s, drawn over a plain 540x960 clip."""
    folder = tmp_path_factory.mktemp("overlay")
    track = synthetic.runner(seconds=12.0, fps=FPS, shrug=synthetic.step_at(6.0, 0.0, 0.1), noise_px=0.0)
    frames = [np.full((960, 540, 3), BACKGROUND, dtype=np.uint8)] * len(track)
    clip = write_clip(folder / "plain.mp4", frames, track.times)
    config = Config()
    analysis = Analysis(info=probe(clip), raw_track=track, track=track, measurements=measure(track, config),
                        config=config, summary=Summary())
    out = folder / "overlay.mp4"
    render_overlay(analysis, out, OverlayConfig(max_height=960))
    return analysis, decoded(out)


def test_joints_and_bones_are_drawn_where_the_landmarks_are(synthetic_overlay):
    analysis, frames = synthetic_overlay
    xy = analysis.track.xy / 2.0  # track in 1080x1920 pixels, video in 540x960
    for i in (15, 150, 300):
        rgb = frames[i][1]
        elbow = xy[i, POSE_INDEX["left_elbow"]]
        x, y = elbow.round().astype(int)
        assert near(rgb[y, x], style.JOINT), f"frame {i}: no joint at the elbow"
        upper_arm = ((xy[i, POSE_INDEX["left_shoulder"]] + elbow) / 2).round().astype(int)
        assert near(rgb[upper_arm[1], upper_arm[0]], style.UPPER_BODY), f"frame {i}: no upper-arm bone"
        thigh = ((xy[i, POSE_INDEX["left_hip"]] + xy[i, POSE_INDEX["left_knee"]]) / 2).round().astype(int)
        assert near(rgb[thigh[1], thigh[0]], style.LOWER_BODY), f"frame {i}: no thigh bone"
        assert near(rgb[450, 530], BACKGROUND, 12), f"frame {i}: drew far from the runner"


def test_hand_rings_show_the_hand_state(synthetic_overlay):
    analysis, frames = synthetic_overlay
    rgb = frames[150][1]
    hand = analysis.track.hands[150, 0, :, :2] / 2.0
    centre = np.nanmean(hand, axis=0)
    radius = max(np.nanmax(np.linalg.norm(hand - centre, axis=1)) * 1.15, 14 * 540 / 720)
    ring = [rgb[int(round(centre[1] + radius * np.sin(a))), int(round(centre[0] + radius * np.cos(a)))]
            for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)]
    assert sum(near(p, style.RELAXED) for p in ring) >= 12  # 45 deg curl: relaxed, green ring


def test_banner_and_timeline_mark_the_tight_segment(synthetic_overlay):
    analysis, frames = synthetic_overlay
    segments = analysis.measurements.segments
    assert len(segments) == 1
    start, end = segments[0].start_s, segments[0].end_s
    height, width = frames[0][1].shape[:2]
    strip_row = height - 6  # inside the timeline strip at the bottom
    before = next(rgb for t, rgb in frames if t < start - 1.0 and t > 1.0)
    inside = next(rgb for t, rgb in frames if start + 0.5 < t < end - 0.5)
    banner_row = height - 60  # just above the timeline, where the banner sits
    assert near(inside[banner_row, width - 20], (170, 20, 20), 60)
    assert near(before[banner_row, width - 20], BACKGROUND, 12)
    def column(t: float) -> int:
        return int(t / analysis.track.times[-1] * (width - 1))

    strides = analysis.measurements.stride_metrics
    baseline_end = strides["end_s"].iat[analysis.measurements.own_baseline_strides - 1]
    assert near(before[strip_row, column((start + end) / 2)], style.TIGHT)
    assert near(before[strip_row, column((strides["start_s"].iat[0] + baseline_end) / 2)], style.BASELINE)


@pytest.mark.slow
def test_overlay_keeps_the_source_timing_and_plays_in_browsers(analysed):
    source = sample(RUN01)
    overlay = analysed(RUN01) / "overlay.mp4"
    with av.open(str(overlay)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.format.name == "yuv420p"
        times, picture_types = [], set()
        for frame in container.decode(stream):
            times.append(frame.time)
            picture_types.add(PictureType(frame.pict_type).name)
        width, height = stream.codec_context.width, stream.codec_context.height
    with VideoReader(source) as reader:
        source_times = [f.time_s for f in reader.frames()]
        info = reader.info
    frame_s = 1.0 / info.average_fps
    assert abs(len(times) - len(source_times)) <= 1
    assert abs(times[-1] - source_times[-1]) <= frame_s
    assert np.allclose(times[:len(source_times)], source_times[:len(times)], atol=1e-4)
    assert height == VIDEO_HEIGHT and abs(width / height - info.width / info.height) < 0.01
    data = overlay.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # +faststart: the index comes before the frames
    assert picture_types == {"I", "P"}  # no B-frames: the encoder holds no frames back


@pytest.mark.slow
def test_overlay_draws_on_the_runner_in_real_footage(analysed):
    """Where the cleaned track puts the near elbow, the overlay shows a white joint dot."""
    folder = analysed(RUN01)
    track = Track.load(folder / "track_smooth")
    frames = decoded(folder / "overlay.mp4")
    height = frames[0][1].shape[0]
    factor = height / track.meta["height"]
    hits = 0
    checked = range(31, len(frames), 60)  # odd frames: between two the model saw (run01 is 60 fps, seen at 30)
    assert len(track) < 0.6 * len(frames)
    for i in checked:
        time_s = frames[i][0]
        row = int(np.argmin(np.abs(track.times - time_s)))
        side = max(("left", "right"), key=lambda s: track.visibility[row, POSE_INDEX[f"{s}_elbow"]])
        elbow = track.xy[:, POSE_INDEX[f"{side}_elbow"]]
        x, y = (np.array([np.interp(time_s, track.times, elbow[:, axis]) for axis in (0, 1)]) * factor).round().astype(int)
        hits += near(frames[i][1][y, x], style.JOINT, 60)
    assert hits >= len(checked) - 1


def test_frames_the_model_did_not_see_are_drawn_from_the_track_at_their_own_time():
    """A runner seen at 30 of a clip's 60 frames/s: the frames between show the landmarks where the
    track passes at their time, closer to where the runner really was than the nearest seen frame."""
    from formcheck.evidence.overlay.scene import MAX_BLEND_S, build_scene

    full = synthetic.runner(seconds=8.0, fps=60.0, noise_px=0.0)
    seen = full.replace(times=full.times[::2], xy=full.xy[::2], visibility=full.visibility[::2],
                        world=full.world[::2], hands=full.hands[::2])
    config = Config()
    m = measure(seen, config)
    size = (full.meta["width"], full.meta["height"])
    scene = build_scene(seen, m.frame_metrics, m.stride_metrics, m.baseline, m.segments, config, size,
                        m.own_baseline_strides)
    wrist = POSE_INDEX["left_wrist"]
    between, nearest = [], []
    for i in range(201, 401, 2):  # frames the model did not see
        shown = scene.at(full.times[i])
        between.append(np.linalg.norm(shown.xy[wrist] - full.xy[i, wrist]))
        nearest.append(np.linalg.norm(full.xy[i - 1, wrist] - full.xy[i, wrist]))
        assert np.isfinite(shown.metrics["head_pitch_deg"]) and shown.view == "side"
    assert np.median(between) < 1.5 and np.median(between) < 0.2 * np.median(nearest)  # px
    at_seen = scene.at(full.times[200])
    np.testing.assert_array_equal(at_seen.xy, scene.xy[100])  # a frame the model saw: exactly its landmarks
    assert at_seen.metrics["head_pitch_deg"] == m.frame_metrics["head_pitch_deg"].iat[100]
    gap = scene.at(seen.times[-1] + 0.6 * MAX_BLEND_S)  # past the last frame seen
    np.testing.assert_array_equal(gap.xy, scene.xy[-1])


def test_rendered_labels_held_for_reuse_stay_few_on_a_long_clip():
    """The timeline's clock label is new every 0.1 s: a 5-minute clip draws 3000 of them, and the
    masks kept for reuse must not grow with them (a 24 px label is about 7 KiB)."""
    text.text_mask.cache_clear()
    tracemalloc.start()
    try:
        for tenth in range(3000):
            text.text_size(f"{tenth / 10:.1f} s", 24)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        text.text_mask.cache_clear()
    assert held < 4 * 2**20


def test_the_head_is_labelled_against_the_runners_baseline_never_in_absolute_degrees():
    from formcheck.evidence.overlay.draw import head_against_base

    assert head_against_base(18.0, 17.0) == "head as at base"  # a level gaze reads 17-21 deg here
    assert head_against_base(25.0, 17.0) == "chin 8\u00b0 lower than base"
    assert head_against_base(11.0, 17.0) == "chin 6\u00b0 higher than base"
    assert head_against_base(18.0, float("nan")) == ""


def test_hands_are_labelled_against_the_runners_own_hands():
    from formcheck.config import SegmentConfig
    from formcheck.evidence.overlay.scene import _hand_states
    from tests.synthetic import constant, runner

    hands = runner(seconds=1.0, finger_curl_deg=constant(80.0)).hands  # a loosely cupped running hand
    assert set(_hand_states(hands, 78.0, SegmentConfig()).ravel()) == {"as usual"}
    assert set(_hand_states(hands, 45.0, SegmentConfig()).ravel()) == {"curled"}
    assert set(_hand_states(hands, 110.0, SegmentConfig()).ravel()) == {"opened"}
    assert set(_hand_states(hands, float("nan"), SegmentConfig()).ravel()) == {""}


def test_the_gauge_panel_laid_over_a_frame_is_the_panel_drawn_on_it(synthetic_overlay):
    """The panel is drawn once per stride and laid over its frames: the same pixels, to rounding."""
    from formcheck.evidence.overlay.hud import _draw_panel, draw_gauges
    from formcheck.evidence.overlay.render import scene_for
    from formcheck.evidence.overlay.style import Style

    analysis, _ = synthetic_overlay
    scene, st = scene_for(analysis, (540, 960)), Style(540, 960)
    rng = np.random.default_rng(1)
    for time_s in (0.05, 3.0, 3.02, 7.5):  # before the first stride, then within strides
        picture = rng.integers(0, 256, (960, 540, 3), dtype=np.uint8)
        laid, drawn = picture.copy(), picture.copy()
        draw_gauges(laid, scene, time_s, st)
        assert _draw_panel(drawn, scene, scene.stride_at(time_s), st) is not None
        assert np.abs(laid.astype(int) - drawn).max() <= 2 and not np.array_equal(laid, picture)
