"""Reading video with PyAV: facts about a clip, and its frames one at a time, upright, with real timestamps.

Times are the container's presentation timestamps in seconds (``frame.pts * time_base``), never
``index / fps``: phone clips often have a variable frame rate. Frames come out in display orientation:
the rotation tag that phones write (a portrait clip stored landscape) is applied, so a portrait clip
comes out portrait. Pixels are RGB ``uint8`` arrays of shape (height, width, 3).

Damaged files are read as far as they can be: a frame the decoder rejects is skipped and decoding
resumes at the next one, and a file that ends before the length its container states (cut off while
copying) is read up to where it stops; both are reported in ``VideoReader.warnings``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from formcheck.errors import VideoError
from formcheck.io.frame_pick import FramePick
from formcheck.io.video_info import VideoInfo

#: Seconds a clip may end before the duration its container states without a warning (containers
#: count the last frame's display time and any audio past the last video frame).
INCOMPLETE_TAIL_S = 0.5
#: Box types an MP4/MOV (ISO base media) file starts with, at bytes 4-8.
_MP4_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide")


# np.rot90's k counter-clockwise quarter turns as OpenCV rotations: twice as fast on a phone frame.
_QUARTER_TURNS = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its position in decode order, presentation time (s) and upright RGB pixels."""

    index: int
    time_s: float
    rgb: np.ndarray


@dataclass
class VideoReader:
    """Streams the frames of one clip; memory does not grow with clip length.

    Use as a context manager. Problems that still let the rest of the clip be read (damaged frames,
    a missing tail, a frame without a timestamp) are collected in ``warnings`` rather than raised.
    """

    path: Path
    max_height: int | None = None
    warnings: list[str] = field(default_factory=list)
    #: decoding broke off with an error before the end of what :meth:`frames` was asked for
    broke_off: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._container = _open_container(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._damaged: list[float] = []  # times (s) of the frames skipped as damaged; NaN: no timestamp
        self._decoded = self._decode()
        self._first = self._first_frame()
        #: time (s) the clip's first frame is shown at; NaN when it has no timestamp
        self.first_time_s = float(self._first.time) if self._first.time is not None else math.nan
        self.info = _describe(self.path, self._container, self._stream, self._first)
        self._rotation_turns = self.info.rotation // 90

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _decode(self) -> Iterator[av.VideoFrame]:
        """The video stream's frames in decode order. A frame whose data the decoder rejects as
        invalid is skipped (its time kept in ``_damaged``) and decoding goes on with the next one,
        so a damaged stretch in the middle costs only its own frames."""
        for packet in self._container.demux(self._stream):
            try:
                yield from packet.decode()
            except av.error.InvalidDataError:
                self._damaged.append(float(packet.pts * packet.time_base) if packet.pts is not None else math.nan)

    def _first_frame(self) -> av.VideoFrame:
        """The first decodable frame; :class:`VideoError` when there is none."""
        try:
            first = next(self._decoded, None)
        except av.error.FFmpegError as exc:
            raise VideoError(
                f"{self.path}: the video cannot be decoded ({_reason(exc)}); the file may be damaged"
            ) from exc
        if first is None:
            damage = f" ({len(self._damaged)} frames are damaged)" if self._damaged else ""
            raise VideoError(f"{self.path}: the video stream holds no decodable frame{damage}; "
                             "copy the clip again from the phone")
        return first

    @property
    def output_size(self) -> tuple[int, int]:
        """(width, height) in pixels of the frames ``frames()`` yields, after ``max_height``."""
        return _scaled_size(self.info.width, self.info.height, self.max_height)

    def frames(self, every: int = 1, start_s: float = -math.inf, stop_s: float = math.inf,
               lead_s: float = 0.0) -> Iterator[Frame]:
        """Yield upright RGB frames with strictly increasing presentation times (s); with ``every``
        n > 1 only every n-th frame, picked by time (:class:`~formcheck.io.frame_pick.FramePick`: the
        first shown in each window of n frame intervals of the clip's rate, so a part read
        on its own picks what a read of the whole clip does); the others are decoded but never converted.

        A frame whose time does not increase (a broken or duplicated timestamp) is dropped with a
        warning, and so is a damaged frame. A decoding error after at least one good frame ends the
        stream with a warning (the part before it is still usable); before any good frame it raises
        :class:`VideoError`, and so does a clip of a single frame (a picture: nothing moves in it).

        Part of the clip: ``start_s`` / ``stop_s`` (s) yield the frames shown from ``start_s`` up to
        (not including) ``stop_s``, preceded by those of the ``lead_s`` seconds before ``start_s``
        (for a tracker to settle on). Decoding starts at the keyframe before that. Problems are
        reported for ``start_s`` to ``stop_s`` only, and a part after the clip's start that holds no
        frame is not an error. The clip's end is checked only by a part that reads up to it.
        """
        out_w, out_h = self.output_size
        stored_w, stored_h = (out_h, out_w) if self._rotation_turns % 2 else (out_w, out_h)
        from_start = not start_s - lead_s > self.first_time_s
        decoded = itertools.chain([self._first], self._decoded) if from_start else self._seek(start_s - lead_s)
        index = 0
        last_time = -math.inf
        dropped = 0
        good = 0
        first_time = math.nan if from_start else self.first_time_s
        pick, last_window = FramePick(every, self.frame_rate, self.first_time_s), None
        stopped = False
        try:
            for frame in decoded:
                time_s = frame.time
                if time_s is None or not time_s > last_time:
                    dropped += last_time >= start_s
                    continue
                if math.isnan(first_time):
                    first_time = time_s
                if time_s < start_s - lead_s:
                    last_time, last_window = time_s, pick.window(time_s)  # as a pass from the start would
                    continue
                if time_s >= stop_s:
                    stopped = True
                    break
                good += time_s >= start_s
                window = pick.window(time_s)
                if window is not None and window == last_window:
                    last_time = time_s
                    continue
                last_window = window
                if (frame.width, frame.height) != (stored_w, stored_h):
                    # Shrunk in the clip's own pixel format, then converted: with 4:2:0 chroma that
                    # scales half the samples of RGB (2.7-4.4 ms a 1080x1920 frame to 720x1280 here,
                    # against 4.9-5.9 in one step). AREA: the right scaler for shrinking.
                    frame = frame.reformat(width=stored_w, height=stored_h, interpolation="AREA")
                rgb = frame.to_ndarray(format="rgb24")
                if self._rotation_turns:
                    rgb = cv2.rotate(rgb, _QUARTER_TURNS[self._rotation_turns])
                yield Frame(index=index, time_s=float(time_s), rgb=rgb)
                last_time = time_s
                index += 1
        except av.error.FFmpegError as exc:
            self.broke_off = True
            if index == 0 and from_start:
                raise VideoError(
                    f"{self.path.name}: no frame could be decoded ({_reason(exc)}); "
                    "the file is damaged or not a supported video"
                ) from exc
            self.warnings.append(
                f"decoding stopped after {index} frames at {last_time:.2f} s ({_reason(exc)}): "
                "the rest of the clip is damaged and was not analysed"
            )
        else:
            reached_end = not stopped and last_time >= start_s  # the clip ends within this part
            self.warnings.extend(self._damage_warnings(start_s, stop_s, first_time, last_time if reached_end else None))
        if dropped:
            self.warnings.append(f"{dropped} frames without an increasing timestamp were skipped")
        if not from_start:
            return
        if index == 0:
            raise VideoError(f"{self.path.name}: the video stream holds no decodable frame")
        if good == 1:
            raise VideoError(f"{self.path.name}: holds a single frame, a picture rather than a video; "
                             "film at least a few seconds of running")

    @property
    def frame_rate(self) -> float:
        """The clip's frame rate (frames/s), which :meth:`frames` lays its windows by: the stream's
        own base rate when it is within 20% of the average (a 60 fps clip of 45 frames averages 58.7:
        windows laid by that would drift a frame every 22), else the average (NaN when neither is known)."""
        base, average = self._stream.guessed_rate, self.info.average_fps
        if base and math.isfinite(average) and abs(float(base) / average - 1) < 0.2:
            return float(base)
        return average

    def _seek(self, time_s: float) -> Iterator[av.VideoFrame]:
        """The frames from the keyframe at or before ``time_s`` (s) on, in decode order; from the
        clip's start when the container's index cannot place that keyframe early enough."""
        self._container.seek(max(0, math.floor(time_s / self._stream.time_base)), stream=self._stream,
                             backward=True)
        decoded = self._decode()
        first = next(decoded, None)
        if first is not None and first.time is not None and first.time <= time_s:
            return itertools.chain([first], decoded)
        self._container.seek(0, stream=self._stream, backward=True)
        return self._decode()

    def _damage_warnings(self, start_s: float, stop_s: float, first_time: float,
                         last_time: float | None) -> list[str]:
        """Warnings for frames between ``start_s`` and ``stop_s`` (s) skipped as damaged, and, when
        the clip was read up to its end (``last_time``, s, of its last frame; None when not), for a
        clip that stops before the duration its container states (``first_time``: s, of its first frame)."""
        warnings = []
        damaged = [t for t in self._damaged if start_s <= t < stop_s or (math.isnan(t) and start_s == -math.inf)]
        if damaged:
            times = [t for t in damaged if not math.isnan(t)]
            where = f" between {min(times):.2f} and {max(times):.2f} s" if times else ""
            plural = "s" if len(damaged) > 1 else ""
            warnings.append(f"skipped {len(damaged)} damaged frame{plural}{where} that could not be decoded; "
                            "the rest of the clip was analysed")
        if last_time is not None and self.info.duration_s - (last_time - first_time) > INCOMPLETE_TAIL_S:
            warnings.append(f"the clip stops at {last_time:.2f} s although the file says it lasts "
                            f"{self.info.duration_s:.2f} s: it is probably incomplete (cut off while copying or "
                            "recording), so only the part before was analysed; copy the clip again from the phone")
        return warnings


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
        if _starts_like_mp4(path):
            raise VideoError(
                f"{path}: an MP4/MOV file that cannot be opened ({_reason(exc)}): it is probably incomplete "
                "(cut off while copying or recording); copy the clip again from the phone"
            ) from exc
        raise VideoError(
            f"{path}: not a readable video ({_reason(exc)}); expected a clip such as .mp4 or .mov"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: holds no video stream (audio only?); expected a video clip")
    picture = _picture_format(container)
    if picture:
        container.close()
        raise VideoError(f"{path}: is a still image ({picture}), not a video; film the run as a video clip")
    return container


def _starts_like_mp4(path: Path) -> bool:
    """The file begins with an MP4/MOV box, whatever its name: the container, not the extension, counts."""
    with open(path, "rb") as f:
        return f.read(8)[4:8] in _MP4_FIRST_BOXES


def _picture_format(container: av.container.InputContainer) -> str | None:
    """The picture format ("png", "jpeg", ...) when FFmpeg opened the file with one of its still-image
    readers (``image2``, ``png_pipe``, ``jpeg_pipe``, ...), whatever the file's name; None for a video."""
    name = container.format.name
    if name.endswith("_pipe"):
        return name.removesuffix("_pipe")
    if name == "image2":
        codec = container.streams.video[0].codec_context.name
        return "jpeg" if codec == "mjpeg" else codec
    return None


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


def _scaled_size(width: int, height: int, max_height: int | None) -> tuple[int, int]:
    if max_height is None or height <= max_height:
        return width, height
    scale = max_height / height
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]
