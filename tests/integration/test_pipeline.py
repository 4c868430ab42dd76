"""The analyze pipeline on real footage: detection, timestamps, replay, rotated copies."""

import json

import numpy as np
import pytest

from formcheck.config import Config, PoseConfig
from formcheck.pipeline import analyze_clip
from formcheck.pose.replay import ReplayEstimator
from formcheck.pose.track import Track
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, sample

pytestmark = pytest.mark.slow


def test_run01_finds_the_runner_with_increasing_times(analysed):
    out = analysed(RUN01)
    summary = json.loads((out / "summary.json").read_text())
    raw = Track.load(out / "track_raw")
    assert summary["coverage"]["person"] >= 0.95
    assert raw.found.mean() >= 0.95 and len(raw) == 194  # 388 frames at 60 fps: the model sees 30 a second
    np.testing.assert_allclose(np.diff(raw.times), 2 / 60, atol=1e-6)
    assert (np.diff(raw.times) > 0).all()
    assert summary["clip"]["width"] == raw.meta["width"] == 1080
    for group in ("head", "shoulders", "arms", "hips"):
        assert summary["coverage"][group] >= 0.9, group


def test_replaying_the_saved_track_gives_identical_landmarks(analysed):
    out = analysed(RUN01)
    saved = Track.load(out / "track_raw")
    replayed = analyze_clip(sample(RUN01), estimator=ReplayEstimator(saved))
    for name in ("times", "xy", "visibility", "world", "hands"):
        assert getattr(replayed.raw_track, name).tobytes() == getattr(saved, name).tobytes(), name
    smooth = Track.load(out / "track_smooth")
    np.testing.assert_array_equal(replayed.track.xy, smooth.xy)


def test_clean_track_is_smoother_than_raw_but_stays_on_the_body(analysed):
    out = analysed(RUN01)
    raw, clean = Track.load(out / "track_raw"), Track.load(out / "track_smooth")
    shoulder = 12  # right shoulder: the near side in run01

    def above_8_hz(xy):  # energy of the shoulder's height above the 6 Hz low-pass, gaps bridged
        y = xy[:, shoulder, 1].astype(float)
        seen = np.isfinite(y)
        y = np.interp(raw.times, raw.times[seen], y[seen])
        power = np.abs(np.fft.rfft(y - y.mean())) ** 2
        return power[np.fft.rfftfreq(len(y), np.median(np.diff(raw.times))) > 8].sum()

    assert above_8_hz(clean.xy) < 0.1 * above_8_hz(raw.xy)  # measured: 35 times less
    assert np.nanmedian(np.abs(clean.xy[:, shoulder] - raw.xy[:, shoulder])) < 5.0  # pixels


def test_rotated_phone_clip_is_analysed_like_the_original(tmp_path):
    frames, times = sample_frames(sample(RUN01), max_frames=120, max_height=960)
    upright = write_clip(tmp_path / "upright.mp4", frames, times)
    stored_landscape = write_clip(tmp_path / "rotated.mp4", [np.rot90(f, -1) for f in frames], times, rotation=90)
    config = Config(pose=PoseConfig(model="pose"))
    a, b = analyze_clip(upright, config), analyze_clip(stored_landscape, config)
    assert (b.info.width, b.info.height) == (a.info.width, a.info.height) == (540, 960)
    assert abs(a.raw_track.found.mean() - b.raw_track.found.mean()) <= 0.05
    both = a.raw_track.found & b.raw_track.found
    shift = np.nanmedian(np.linalg.norm(a.raw_track.xy[both] - b.raw_track.xy[both], axis=-1))
    assert shift < 0.01 * 960  # the same landmarks, within 1% of the frame height


def test_holistic_without_face_gives_the_landmarks_of_the_full_holistic_graph():
    """formcheck runs Holistic without the face mesh (one model fewer per frame); the pose, world and
    hand landmarks must be exactly those of MediaPipe's own Holistic on the same frames."""
    from mediapipe.python.solutions import holistic

    from formcheck.pose.mediapipe_backend import MediaPipeEstimator

    frames, times = sample_frames(sample(RUN01), max_frames=60, max_height=960)
    size = (frames[0].shape[1], frames[0].shape[0])
    lean, stock = MediaPipeEstimator("holistic"), MediaPipeEstimator("holistic")
    stock._solution = holistic.Holistic(static_image_mode=False, model_complexity=1, smooth_landmarks=False,
                                        enable_segmentation=False)
    hands_found = 0
    for rgb, time_s in zip(frames, times):
        a, b = lean.estimate(rgb, time_s, size), stock.estimate(rgb, time_s, size)
        for name in ("xy", "visibility", "world", "hands"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{name} at {time_s:.3f} s")
        hands_found += np.isfinite(a.hands[:, 0, 0]).sum()
    assert hands_found > 0  # the hand branch ran and was compared, not only NaN against NaN
    lean.close(), stock.close()
