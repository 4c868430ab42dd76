"""Writing video with PyAV: H.264 in MP4 that browsers and Jupyter play, at the source's own timing.

Browsers need H.264 with 4:2:0 chroma (``yuv420p``) and the index (``moov`` atom) at the front of
the file (``+faststart``) to start playing before the whole file is read. Each frame keeps the
presentation time it had in the source, so a variable-frame-rate phone clip stays in step with the
measurements (which use the same times), and the output lasts as long as the source.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

#: Tick of the output timestamps: 1/90000 s, the MPEG clock, exact for every common frame rate.
TIME_BASE = Fraction(1, 90000)


class H264Writer:
    """Encodes upright RGB frames (H, W, 3) ``uint8`` to an MP4 file; use as a context manager.

    ``fps`` is the nominal frame rate (frames/s) that rate control assumes; the real timing comes
    from the times given to :meth:`write`. ``crf`` is x264's constant quality (lower = better and
    bigger, 23 is its default) and ``preset`` its speed/size trade-off ("ultrafast" ... "veryslow").
    Width and height must be even (4:2:0 chroma halves both).

    B-frames are off whatever the preset: x264 holds frames back to place them, and at 720x1280
    that cost about 25 MiB of memory and a quarter of the encoding time (superfast, run01) for a
    file about a quarter smaller. Without them the encoder's memory stays small beside the
    decoder's.
    """

    def __init__(self, path: Path, width: int, height: int, fps: float, crf: int = 23,
                 preset: str = "veryfast") -> None:
        if width % 2 or height % 2:
            raise ValueError(f"H.264 4:2:0 needs an even frame size, got {width}x{height}")
        self.path = Path(path)
        self._container = av.open(str(self.path), mode="w", container_options={"movflags": "+faststart"})
        rate = Fraction(fps).limit_denominator(1001) if fps and np.isfinite(fps) and fps > 0 else Fraction(30)
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        stream.options = {"crf": str(crf), "preset": preset, "x264-params": "bframes=0"}
        self._stream = stream
        self._last_pts = -1

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def write(self, rgb: np.ndarray, time_s: float) -> None:
        """Encode one frame shown at ``time_s`` seconds. Times must increase (a frame whose time
        rounds onto the previous tick is shifted one tick later)."""
        # OpenCV's RGB -> 4:2:0 conversion (BT.601, video range, as libswscale's) is 5x faster than
        # handing the encoder RGB and letting PyAV convert.
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
        pts = max(round(time_s / TIME_BASE), self._last_pts + 1)
        frame.pts, frame.time_base = pts, TIME_BASE
        self._last_pts = pts
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        """Flush the encoder and finish the file (writes the index at the front)."""
        if self._container is None:
            return
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
            self._container = None
