"""The annotated overlay video: the clip, upright, at its own timing, with what formcheck measured.

A second pass over the clip (the measurements need the whole clip first): each decoded frame is
drawn on (:mod:`formcheck.evidence.overlay.draw`, :mod:`formcheck.evidence.overlay.hud`) and encoded to H.264 at its
own presentation time, so the overlay has the source's frame count, timing and length. Decoding runs
ahead and encoding behind the drawing, each in its own thread (:mod:`formcheck.runtime.threads`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formcheck.config import OverlayConfig
from formcheck.evidence.overlay.draw import (
    draw_hands,
    draw_head_pitch,
    draw_roll,
    draw_shoulder_gap,
    draw_shoulder_span,
    draw_skeleton,
)
from formcheck.evidence.overlay.hud import (
    draw_banner,
    draw_gauges,
    draw_timeline,
    timeline_strip,
)
from formcheck.evidence.overlay.scene import Scene, build_scene
from formcheck.evidence.overlay.style import Style
from formcheck.io.video import VideoReader
from formcheck.io.video_writer import H264Writer
from formcheck.runtime.progress import Progress
from formcheck.runtime.threads import Sink, prefetch

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis


def scene_for(analysis: Analysis, size: tuple[int, int]) -> Scene:
    """The drawing data of ``analysis`` for frames of ``size`` (width, height) pixels."""
    m = analysis.measurements
    return build_scene(analysis.track, m.frame_metrics, m.stride_metrics, m.baseline, m.segments,
                       analysis.config, size, m.own_baseline_strides)


def draw_frame(rgb: np.ndarray, scene: Scene, time_s: float, st: Style, strip: np.ndarray) -> None:
    """Draw everything for the frame shown at ``time_s`` onto ``rgb`` (H, W, 3) uint8, in place."""
    shown = scene.at(time_s)
    for draw in (draw_skeleton, draw_hands, draw_shoulder_span, draw_shoulder_gap, draw_head_pitch, draw_roll):
        draw(rgb, scene, shown, st)
    draw_gauges(rgb, scene, time_s, st)
    draw_banner(rgb, scene, time_s, st)
    draw_timeline(rgb, strip, scene, time_s, st)


def render_overlay(analysis: Analysis, out_path: Path, config: OverlayConfig = OverlayConfig(),
                   progress: Progress | None = None) -> int:
    """Write the overlay video of ``analysis`` to ``out_path`` (MP4, H.264, yuv420p, +faststart), at
    most ``config.max_height`` pixels high. Returns the number of frames written."""
    with VideoReader(Path(analysis.info.path), max_height=config.max_height) as reader:
        width, height = (side - side % 2 for side in reader.output_size)  # 4:2:0 needs even sides
        scene = scene_for(analysis, (width, height))
        st = Style(width, height)
        strip = timeline_strip(scene, st)
        expected = reader.info.frame_count
        written = 0
        with (H264Writer(out_path, width, height, reader.info.average_fps, config.crf, config.preset) as writer,
              Sink(lambda item: writer.write(*item)) as encoder):
            for frame in prefetch(reader.frames()):
                rgb = frame.rgb if frame.rgb.shape[:2] == (height, width) else np.ascontiguousarray(
                    frame.rgb[:height, :width])
                draw_frame(rgb, scene, frame.time_s, st, strip)
                encoder.put((rgb, frame.time_s))
                written += 1
                if progress is not None:
                    progress(written, expected)
        return written
