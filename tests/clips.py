"""Test clips made by the tests themselves (into temporary folders) from the sample clips or from
synthetic frames: rotated, rescaled, variable frame rate. Third-party footage is never committed."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.video import VideoReader

TIME_BASE = Fraction(1, 90000)


def write_clip(path: Path, frames: Iterable[np.ndarray], times_s: Iterable[float], rotation: int = 0) -> Path:
    """Encode RGB frames as H.264 in an .mp4 with the given presentation times (s) and display rotation
    (counter-clockwise degrees, written as the container's display matrix, as phones do)."""
    frames, times_s = list(frames), list(times_s)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = TIME_BASE
        stream.options = {"crf": "18", "preset": "ultrafast"}
        if rotation:
            stream.set_display_rotation(rotation)
        for rgb, t in zip(frames, times_s):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = round(t / TIME_BASE)
            frame.time_base = TIME_BASE
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def sample_frames(src: Path, max_frames: int, max_height: int | None = None) -> tuple[list[np.ndarray], list[float]]:
    """The first ``max_frames`` upright frames of a clip and their times, optionally scaled down."""
    frames, times = [], []
    with VideoReader(src, max_height=max_height) as reader:
        for frame in reader.frames():
            if frame.index >= max_frames:
                break
            frames.append(frame.rgb)
            times.append(frame.time_s)
    return frames, times


def container_times(path: Path) -> list[float]:
    """Presentation times (s) of the video packets as the container stores them, sorted."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(float(p.pts * p.time_base) for p in container.demux(stream) if p.pts is not None)


def _missing(path: Path) -> Path:
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text_renamed_mp4(path: Path) -> Path:
    path.write_text("these are not the frames you are looking for\n" * 40)
    return path


#: Inputs that are not a video, each with a phrase the one-line error must contain.
BAD_INPUTS = [
    pytest.param(_missing, "no such file", id="missing"),
    pytest.param(_folder, "is a folder", id="folder"),
    pytest.param(_zero_bytes, "empty", id="zero-bytes"),
    pytest.param(_text_renamed_mp4, "not a readable video", id="text-renamed-mp4"),
]
