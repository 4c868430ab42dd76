"""A coach's split screen: the early and the late clip side by side, each with its overlay.

Both halves start at their clip's first stride (a forward swing of the left foot), so the two
runners begin in the same phase of the stride, then run on real time: each half shows, at every
output tick, the latest frame of its clip at or before that moment. The video lasts as long as the
shorter clip (after its first stride) and is written at the higher of the two frame rates (at most
60 frames/s). Each half is scaled to the same height.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formcheck.config import OverlayConfig
from formcheck.evidence.overlay.hud import timeline_strip
from formcheck.evidence.overlay.render import draw_frame, scene_for
from formcheck.evidence.overlay.style import Style
from formcheck.evidence.overlay.text import draw_text
from formcheck.io.video import VideoReader
from formcheck.io.video_writer import H264Writer
from formcheck.runtime.progress import Progress
from formcheck.runtime.threads import Sink, prefetch

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis

MAX_FPS = 60.0


class _Half:
    """One side: frames of one clip with its overlay drawn, looked up by time since its first stride."""

    def __init__(self, analysis: Analysis, label: str, height: int) -> None:
        self.reader = VideoReader(Path(analysis.info.path), max_height=height)
        width, self.height = self.reader.output_size
        self.width = width - width % 2
        self.scene = scene_for(analysis, (self.width, self.height))
        self.style = Style(self.width, self.height)
        self.strip = timeline_strip(self.scene, self.style)
        strides = analysis.measurements.stride_metrics
        self.start_s = float(strides["start_s"].iat[0]) if len(strides) else float(analysis.track.times[0])
        self.end_s = float(analysis.track.times[-1])
        self.label = label
        self._frames = prefetch((f.time_s, f.rgb) for f in self.reader.frames())
        self._current = next(self._frames)
        self._next = next(self._frames, None)
        self._drawn: tuple[float, np.ndarray] | None = None

    def at(self, elapsed_s: float) -> np.ndarray:
        """The frame shown ``elapsed_s`` seconds after this clip's first stride, overlay drawn."""
        wanted = self.start_s + elapsed_s
        while self._next is not None and self._next[0] <= wanted:
            self._current, self._next = self._next, next(self._frames, None)
        time_s, rgb = self._current
        if self._drawn is None or self._drawn[0] != time_s:
            rgb = np.ascontiguousarray(rgb[:self.height, :self.width])
            draw_frame(rgb, self.scene, time_s, self.style, self.strip)
            draw_text(rgb, f"{self.label}  {time_s:.1f} s", self.style.px(10), self.height - self.style.px(70),
                      self.style.font(20), bold=True, box=0.6)
            self._drawn = (time_s, rgb)
        return self._drawn[1]

    def close(self) -> None:
        self._frames.close()
        self.reader.close()


def render_side_by_side(early: Analysis, late: Analysis, out_path: Path,
                        config: OverlayConfig = OverlayConfig(),
                        labels: tuple[str, str] = ("EARLY", "LATE"),
                        progress: Progress | None = None) -> int:
    """Write the split-screen video (H.264, yuv420p, +faststart), each half at most
    ``min(config.max_height, 720)`` pixels high. Returns the number of frames written."""
    height = min(config.max_height or 720, 720, early.info.height, late.info.height)
    halves = [_Half(early, labels[0], height), _Half(late, labels[1], height)]
    try:
        height = min(h.height for h in halves)
        height -= height % 2  # 4:2:0 needs even sides
        width = sum(h.width for h in halves)
        fps = min(MAX_FPS, max(a.info.average_fps if np.isfinite(a.info.average_fps) else 30.0 for a in (early, late)))
        duration = min(h.end_s - h.start_s for h in halves)
        ticks = np.arange(0.0, max(duration, 0.0) + 1e-9, 1.0 / fps)
        with (H264Writer(out_path, width, height, fps, config.crf, config.preset) as writer,
              Sink(lambda item: writer.write(*item)) as encoder):
            for n, t in enumerate(ticks, start=1):
                encoder.put((np.hstack([half.at(t)[:height] for half in halves]), float(t)))
                if progress is not None:
                    progress(n, len(ticks))
        return len(ticks)
    finally:
        for half in halves:
            half.close()
