"""Camera motion: a pan is measured at its speed, a still camera reads still whoever crosses it."""

import json

import cv2
import numpy as np
import pytest

from formcheck.config import QualityConfig
from formcheck.scene.camera import CameraMotion, PanMeter, pan_warnings
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, run_cli, sample

FPS, W, H = 30, 320, 240


def textured(width: int, height: int, seed: int, contrast: float = 1.0) -> np.ndarray:
    """A blurred-noise RGB picture: corners everywhere, like a wall of posters or a crowd."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (height, width)).astype(np.float32), (0, 0), 2.0)
    gray = np.clip(128 + contrast * (noise - noise.mean()) * 4, 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def measure(frames, times, people=None) -> CameraMotion:
    meter = PanMeter()
    for i, (frame, time_s) in enumerate(zip(frames, times)):
        meter.add(frame, time_s, None if people is None else people[i])
    return meter.result()


def panning(speed: float, seconds: float = 3.0, caption: bool = False):
    """Frames cut from a wide picture by a window moving ``speed`` frame widths per second."""
    wide = textured(W * 3, H, seed=1)
    times = np.arange(int(seconds * FPS)) / FPS
    frames = []
    for t in times:
        frame = wide[:, int(round(speed * W * t)):][:, :W].copy()
        if caption:  # a timer burnt into the video: sharp corners that never move
            cv2.putText(frame, "9.98", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 3)
        frames.append(frame)
    return frames, times


@pytest.mark.parametrize("speed", [0.15, 0.3, 0.6])
def test_a_pan_reads_its_speed_in_frame_widths_per_second(speed):
    motion = measure(*panning(speed))
    assert np.median(motion.speeds) == pytest.approx(speed, rel=0.05)
    assert motion.panning_share(0.1) == 1.0


def test_a_caption_burnt_into_the_video_does_not_hide_the_pan():
    assert np.median(measure(*panning(0.3, caption=True)).speeds) == pytest.approx(0.3, rel=0.05)


def test_a_person_crossing_a_still_camera_is_not_a_pan():
    """A plain wall and a strongly textured person walking across at 0.4 frame widths per second."""
    wall = textured(W, H, seed=2, contrast=0.05)
    person = textured(60, 150, seed=3, contrast=2.0)
    frames, people, times = [], [], np.arange(3 * FPS) / FPS
    for t in times:
        x = int(20 + 0.4 * W * t) % (W - 60)
        frame = wall.copy()
        frame[50:200, x:x + 60] = person
        frames.append(frame)
        people.append(np.array([[x, 50], [x + 60, 200]], dtype=float))  # the pose landmarks' extent
    assert np.median(measure(frames, times).speeds) > 0.2  # unmasked, the person would read as a pan
    still = measure(frames, times, people)
    assert max(still.speeds) < 0.02 and still.panning_share(0.1) == 0.0


def test_a_real_clip_from_a_tripod_reads_still():
    frames, times = sample_frames(sample(RUN01), max_frames=240, max_height=480)
    motion = measure(frames, times)
    assert len(motion.speeds) >= 6 and max(motion.speeds) < 0.05


def test_too_short_a_clip_has_no_window():
    motion = measure(*panning(0.3, seconds=0.5))
    assert motion.speeds == () and np.isnan(motion.panning_share(0.1))
    assert pan_warnings(motion, QualityConfig()) == []


def test_the_warning_follows_the_configured_share_and_speed():
    motion = CameraMotion(window_s=1.0, speeds=(0.0, 0.05, 0.3, 0.4, 0.0))
    assert motion.panning_share(0.1) == pytest.approx(0.4)
    (warning,) = pan_warnings(motion, QualityConfig())
    assert "the camera pans in 40% of the clip" in warning
    assert pan_warnings(motion, QualityConfig(max_panning_share=0.5)) == []
    assert pan_warnings(motion, QualityConfig(pan_speed=0.5)) == []
    assert CameraMotion.from_dict(json.loads(json.dumps(motion.as_dict()))) == motion


@pytest.mark.slow
def test_a_clip_filmed_while_panning_is_warned_about_and_reanalysis_keeps_it(tmp_path):
    """run01's runner seen through a window that slides across a 1.5x enlarged frame: half a frame
    width in 2.5 s, a pan of 0.2 frame widths per second."""
    frames, times = sample_frames(sample(RUN01), max_frames=150, max_height=480)
    height, width = frames[0].shape[:2]
    shifts = [int(round(0.5 * width * t / times[-1])) for t in times]
    panned = [cv2.resize(f, None, fx=1.5, fy=1.5)[height // 4:height // 4 + height, s:s + width]
              for f, s in zip(frames, shifts)]
    clip = write_clip(tmp_path / "panning.mp4", panned, times)
    out = tmp_path / "out"
    first = run_cli("analyze", clip, "-o", out, "--model", "pose", "--no-video", "--no-report")
    assert first.returncode == 0, first.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert any(w.startswith("the camera pans") for w in summary["warnings"])
    assert np.median(summary["camera"]["pan_speeds_frame_widths_per_s"]) > 0.1
    config = tmp_path / "config.toml"
    config.write_text("[segments]\nnoise_factor = 1.5\n")
    again = run_cli("analyze", clip, "-o", out, "--model", "pose", "--no-video", "--no-report", "--config", config)
    assert again.returncode == 0, again.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pose_reused"] and any(w.startswith("the camera pans") for w in summary["warnings"])
