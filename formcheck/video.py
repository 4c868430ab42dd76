"""Reading video with PyAV: facts about a clip, and its frames one at a time, upright, with real timestamps.

Times are the container's presentation timestamps in seconds (``frame.pts * time_base``), never
``index / fps``: phone clips often have a variable frame rate. Frames come out in display orientation:
the rotation tag that phones write (a portrait clip stored landscape) is applied, so a portrait clip
comes out portrait. Pixels are RGB ``uint8`` arrays of shape (height, width, 3).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from formcheck.errors import VideoError


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is, as displayed.

    ``width`` and ``height`` are in pixels after the rotation tag is applied. ``rotation`` is the
    counter-clockwise turn (0, 90, 180 or 270 degrees) that brings stored frames upright.
    ``duration_s`` and ``average_fps`` are NaN when the container does not say; ``frame_count`` is
    None when unknown (it is the container's count, not a decoded one).
    """

    path: str
    width: int
    height: int
    rotation: int
    duration_s: float
    average_fps: float
    codec: str
    pixel_format: str
    frame_count: int | None
    stored_width: int
    stored_height: int

    def as_dict(self) -> dict:
        """The facts as plain JSON-serialisable values (NaN becomes None)."""
        out = {}
        for key, value in self.__dict__.items():
            out[key] = None if isinstance(value, float) and math.isnan(value) else value
        return out


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its position in decode order, presentation time (s) and upright RGB pixels."""

    index: int
    time_s: float
    rgb: np.ndarray


@dataclass
class VideoReader:
    """Streams the frames of one clip; memory does not grow with clip length.

    Use as a context manager. Problems that still let the rest of the clip be read (a broken tail,
    a frame without a timestamp) are collected in ``warnings`` rather than raised.
    """

    path: Path
    max_height: int | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._container = _open_container(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._decoded = self._container.decode(self._stream)
        self._first = _first_frame(self.path, self._decoded)
        self.info = _describe(self.path, self._container, self._stream, self._first)
        self._rotation_turns = self.info.rotation // 90

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    @property
    def output_size(self) -> tuple[int, int]:
        """(width, height) in pixels of the frames ``frames()`` yields, after ``max_height``."""
        return _scaled_size(self.info.width, self.info.height, self.max_height)

    def frames(self, every: int = 1) -> Iterator[Frame]:
        """Yield upright RGB frames with strictly increasing presentation times (s); with ``every``
        n > 1 only every n-th decoded frame (the others are decoded but never converted).

        A frame whose time does not increase (a broken or duplicated timestamp) is dropped with a
        warning. A decoding error after at least one good frame ends the stream with a warning (the
        part before it is still usable); before any good frame it raises :class:`VideoError`.
        """
        out_w, out_h = self.output_size
        stored_w, stored_h = (out_h, out_w) if self._rotation_turns % 2 else (out_w, out_h)
        index = 0
        last_time = -math.inf
        dropped = 0
        good = 0
        try:
            for frame in itertools.chain([self._first], self._decoded):
                time_s = frame.time
                if time_s is None or not time_s > last_time:
                    dropped += 1
                    continue
                good += 1
                if (good - 1) % every:
                    last_time = time_s
                    continue
                rgb = frame.to_ndarray(width=stored_w, height=stored_h, format="rgb24")
                if self._rotation_turns:
                    rgb = np.ascontiguousarray(np.rot90(rgb, self._rotation_turns))
                yield Frame(index=index, time_s=float(time_s), rgb=rgb)
                last_time = time_s
                index += 1
        except av.error.FFmpegError as exc:
            if index == 0:
                raise VideoError(
                    f"{self.path.name}: no frame could be decoded ({_reason(exc)}); "
                    "the file is damaged or not a supported video"
                ) from exc
            self.warnings.append(
                f"decoding stopped after {index} frames at {last_time:.2f} s ({_reason(exc)}): "
                "the rest of the clip is damaged and was not analysed"
            )
        if dropped:
            self.warnings.append(f"{dropped} frames without an increasing timestamp were skipped")
        if index == 0:
            raise VideoError(f"{self.path.name}: the video stream holds no decodable frame")


def probe(path: str | Path) -> VideoInfo:
    """Describe a clip without decoding it all (one frame is decoded to read its rotation)."""
    with VideoReader(Path(path)) as reader:
        return reader.info


def _open_container(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise VideoError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder, expected a video file (e.g. clip.mp4)")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes); copy the clip again from the phone")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise VideoError(
            f"{path}: not a readable video ({_reason(exc)}); expected a clip such as .mp4 or .mov"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: holds no video stream (audio only?); expected a video clip")
    return container


def _describe(
    path: Path, container: av.container.InputContainer, stream: av.video.VideoStream, first: av.VideoFrame
) -> VideoInfo:
    # The rotation tag reaches the frames as display-matrix side data; snap it to quarter turns.
    rotation = int(round(first.rotation / 90.0)) % 4 * 90
    stored_w, stored_h = stream.codec_context.width, stream.codec_context.height
    width, height = (stored_h, stored_w) if rotation in (90, 270) else (stored_w, stored_h)
    if stream.duration is not None and stream.time_base is not None:
        duration_s = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration_s = container.duration / av.time_base
    else:
        duration_s = math.nan
    rate = stream.average_rate or stream.guessed_rate
    return VideoInfo(
        path=str(path),
        width=width,
        height=height,
        rotation=rotation,
        duration_s=duration_s,
        average_fps=float(rate) if rate else math.nan,
        codec=stream.codec_context.name,
        pixel_format=stream.codec_context.format.name if stream.codec_context.format else "unknown",
        frame_count=stream.frames or None,
        stored_width=stored_w,
        stored_height=stored_h,
    )


def _first_frame(path: Path, decoded: Iterator[av.VideoFrame]) -> av.VideoFrame:
    try:
        first = next(decoded, None)
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path}: the video cannot be decoded ({_reason(exc)}); the file may be damaged") from exc
    if first is None:
        raise VideoError(f"{path}: the video stream holds no decodable frame")
    return first


def _scaled_size(width: int, height: int, max_height: int | None) -> tuple[int, int]:
    if max_height is None or height <= max_height:
        return width, height
    scale = max_height / height
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]
