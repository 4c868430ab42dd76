"""Test clips made by the tests themselves (into temporary folders) from the sample clips or from
synthetic frames: rotated, rescaled, variable frame rate, re-encoded, damaged, reduced to their sound
or to one picture. Third-party footage is never committed."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from formcheck.io.video import VideoReader

TIME_BASE = Fraction(1, 90000)


def write_clip(path: Path, frames: Iterable[np.ndarray], times_s: Iterable[float], rotation: int = 0,
               codec: str = "libx264", pix_fmt: str = "yuv420p", keyframe_every: int | None = None) -> Path:
    """Encode RGB frames (H.264 unless ``codec`` says otherwise, e.g. "libx265" with "yuv420p10le")
    in an .mp4 with the given presentation times (s) and display rotation (counter-clockwise degrees,
    written as the container's display matrix, as phones do); ``keyframe_every``: frames from one
    keyframe to the next (None: the encoder's choice)."""
    with ClipWriter(path, rotation, codec, pix_fmt, keyframe_every) as writer:
        for rgb, t in zip(frames, times_s):
            writer.add(rgb, t)
    return path


class ClipWriter:
    """Frames added one at a time (RGB, with their time in s) encoded into ``path``, as
    :func:`write_clip` describes; ``crf``: the encoder's quality (higher: fewer bytes, more blur)."""

    def __init__(self, path: Path, rotation: int = 0, codec: str = "libx264", pix_fmt: str = "yuv420p",
                 keyframe_every: int | None = None, crf: int = 18) -> None:
        self.path, self._rotation, self._codec, self._pix_fmt = path, rotation, codec, pix_fmt
        self._options = {"crf": str(crf), "preset": "ultrafast"}
        if keyframe_every:
            self._options |= {"g": str(keyframe_every), "keyint_min": str(keyframe_every)}
        self._container = self._stream = None

    def __enter__(self) -> ClipWriter:
        self._container = av.open(str(self.path), "w")
        return self

    def add(self, rgb: np.ndarray, time_s: float) -> None:
        if self._stream is None:
            self._stream = self._container.add_stream(self._codec, rate=30)
            self._stream.height, self._stream.width = rgb.shape[:2]
            self._stream.pix_fmt = self._pix_fmt
            self._stream.codec_context.time_base = TIME_BASE
            self._stream.options = self._options
            if self._rotation:
                self._stream.set_display_rotation(self._rotation)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = round(time_s / TIME_BASE)
        frame.time_base = TIME_BASE
        self._container.mux(self._stream.encode(frame))

    def __exit__(self, *exc_info) -> None:
        if self._stream is not None:
            self._container.mux(self._stream.encode())
        self._container.close()


#: The largest roll the copies are given (deg): every rolled copy is zoomed as this roll needs, so
#: that all of them, and the unrolled twin ``zoomed as rolled``, show the same part of the scene at
#: the same size and differ only by the roll.
MAX_COPY_ROLL_DEG = 8.0


def roll_zoom(width: int, height: int, degrees: float = MAX_COPY_ROLL_DEG) -> float:
    """How far a ``width`` x ``height`` picture turned by ``degrees`` must be zoomed in so that no
    empty corner shows."""
    angle = math.radians(abs(degrees))
    return math.cos(angle) + math.sin(angle) * max(width / height, height / width)


def rolled(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """``rgb`` turned ``degrees`` counter-clockwise about its centre and zoomed by :func:`roll_zoom`
    (the same zoom for every roll up to :data:`MAX_COPY_ROLL_DEG`), so no empty corner shows: the
    picture a phone held at that roll films of the middle of the scene. A real clip has nothing
    outside its frame, so a rolled copy is always also a zoomed one; ``rolled(rgb, 0)`` is the
    unrolled twin that tells the roll's effect from the zoom's."""
    import cv2

    height, width = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, roll_zoom(width, height))
    return cv2.warpAffine(rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


#: Copies of a real clip that change what must not matter: name -> (frame transform (rgb, time s) ->
#: rgb, encoder quality). ``every 2nd frame`` is the original analysed with ``--every 2``.
VARIANTS: dict[str, tuple] = {
    "original": (lambda rgb, t: rgb, 18),
    "mirrored": (lambda rgb, t: rgb[:, ::-1], 18),
    "half size": (lambda rgb, t: rgb[::2, ::2], 18),
    "zoomed as rolled": (lambda rgb, t: rolled(rgb, 0.0), 18),
    "rolled +5 deg": (lambda rgb, t: rolled(rgb, 5.0), 18),
    "rolled -8 deg": (lambda rgb, t: rolled(rgb, -8.0), 18),
    "roll wobble +-4 deg": (lambda rgb, t: rolled(rgb, 4.0 * math.sin(2 * math.pi * t / 3.0)), 18),
    "cropped": (lambda rgb, t: rgb[rgb.shape[0] // 20:, rgb.shape[1] // 10:], 18),
    "darker": (lambda rgb, t: (rgb * 0.45).astype(np.uint8), 18),
    "low bitrate": (lambda rgb, t: rgb, 36),
}
#: The copy each rolled copy is compared with: the same framing, not rolled.
ROLL_TWIN = "zoomed as rolled"


def variant_file(folder: Path, name: str) -> Path:
    """Where :func:`write_variants` writes the copy ``name`` in ``folder``."""
    return folder / f"{name.replace(' ', '_').replace('+', 'p').replace('-', 'm')}.mp4"


def write_variants(src: Path, folder: Path, names: Iterable[str], max_height: int | None = None) -> dict[str, Path]:
    """Each of the :data:`VARIANTS` ``names`` of the clip ``src`` (upright, at most ``max_height``
    pixels high), written as ``folder/<name>.mp4`` at the source's own frame times, reading the
    source once; returns their paths (:func:`variant_file`)."""
    paths = {name: variant_file(folder, name) for name in names}
    writers = {name: ClipWriter(path, crf=VARIANTS[name][1]) for name, path in paths.items()}
    with contextlib.ExitStack() as stack, VideoReader(src, max_height=max_height) as reader:
        for writer in writers.values():
            stack.enter_context(writer)
        for frame in reader.frames():
            rgb = frame.rgb[: frame.rgb.shape[0] // 2 * 2, : frame.rgb.shape[1] // 2 * 2]  # even sides for 4:2:0
            for name, writer in writers.items():
                picture = VARIANTS[name][0](rgb, frame.time_s)
                writer.add(picture[: picture.shape[0] // 2 * 2, : picture.shape[1] // 2 * 2], frame.time_s)
    return paths


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


def can_encode(codec: str, pix_fmt: str) -> bool:
    """PyAV's bundled FFmpeg has the encoder ``codec`` and it takes ``pix_fmt`` frames."""
    try:
        formats = av.codec.Codec(codec, "w").video_formats or []
    except av.error.FFmpegError:
        return False
    return pix_fmt in {f.name for f in formats}


def upscaled_clip(src: Path, dst: Path, factor: int, max_frames: int) -> Path:
    """The first ``max_frames`` frames of ``src`` (stored orientation, no rotation tag) scaled up
    ``factor`` times each side, encoded as H.264 at their own times, without a detour through RGB."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as out:
        video = source.streams.video[0]
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = video.codec_context.width * factor, video.codec_context.height * factor
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = TIME_BASE
        stream.options = {"crf": "23", "preset": "ultrafast"}
        for frame in itertools.islice(source.decode(video), max_frames):
            big = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            big.pts, big.time_base = round(frame.time / TIME_BASE), TIME_BASE
            out.mux(stream.encode(big))
        out.mux(stream.encode())
    return dst


def first_half(src: Path, dst: Path) -> Path:
    """The first half of ``src``'s bytes: a copy cut off mid-stream (an interrupted transfer)."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def corrupt_middle(src: Path, dst: Path, share: float = 0.1, seed: int = 0) -> Path:
    """``src`` with ``share`` (0-1) of its bytes, starting at 40% of the file, replaced by random ones."""
    data = bytearray(src.read_bytes())
    start, length = int(len(data) * 0.4), int(len(data) * share)
    data[start:start + length] = np.random.default_rng(seed).integers(0, 256, length, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def audio_only(src: Path, dst: Path) -> Path:
    """The sound of ``src`` alone, copied packet by packet (not re-encoded) into ``dst`` (.m4a/.mp4)."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as out:
        audio = source.streams.audio[0]
        stream = out.add_stream_from_template(audio)
        for packet in source.demux(audio):
            if packet.dts is not None:  # the flush packet at the end carries no data
                packet.stream = stream
                out.mux(packet)
    return dst


def still_image(src: Path, dst: Path, image_format: str) -> Path:
    """The first upright frame of ``src`` saved as a picture in ``image_format`` ("PNG", "JPEG"),
    whatever ``dst``'s name says."""
    frames, _ = sample_frames(src, max_frames=1, max_height=480)
    Image.fromarray(frames[0]).save(dst, format=image_format)
    return dst


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
