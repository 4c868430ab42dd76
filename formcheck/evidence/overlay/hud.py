"""The overlay's instruments: the live gauge panel, the timeline strip and the 'running tight' banner.

The gauges show the current stride's value of each judged metric against the baseline, with a bar
that reaches the tick when the change is large enough to count (level 1). The timeline spans the
whole clip: light where the runner was found, blue over the baseline strides, red over tight
segments, and a white cursor at the current time. Inside a segment a red banner says why.
"""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.evidence.overlay import style as colors
from formcheck.evidence.overlay.scene import Scene
from formcheck.evidence.overlay.style import Style
from formcheck.evidence.overlay.text import draw_text, shade, text_size

_BAR_SPAN = 2.0  # the gauge bar is full at twice the change that counts


def timeline_height(st: Style) -> int:
    return st.px(18)


def timeline_strip(scene: Scene, st: Style) -> np.ndarray:
    """The static part of the timeline: (h, width, 3) uint8, drawn once per clip."""
    h, w = timeline_height(st), scene.width
    strip = np.full((h, w, 3), 30, dtype=np.uint8)

    def x(t: float) -> int:
        return int(_columns(scene, np.array([t]))[0])

    strip[h // 3: h - h // 3, _covered_columns(scene, w)] = colors.COVERED
    if scene.baseline_span:
        strip[h // 4: h - h // 4, x(scene.baseline_span[0]): x(scene.baseline_span[1]) + 1] = colors.BASELINE
    for seg in scene.segments:
        strip[:, x(seg.start_s): x(seg.end_s) + 1] = colors.TIGHT
    return strip


def _columns(scene: Scene, times: np.ndarray) -> np.ndarray:
    """Timeline column (pixel x) of each time in seconds; the clip spans the full frame width."""
    start, span = scene.times[0], max(scene.times[-1] - scene.times[0], 1e-6)
    return np.clip(np.round((times - start) / span * (scene.width - 1)), 0, scene.width - 1).astype(int)


def _covered_columns(scene: Scene, width: int) -> np.ndarray:
    """(width,) bool: timeline columns between consecutive frames in which the runner was found."""
    found = np.isfinite(scene.xy).all(axis=2).any(axis=1)
    columns = _columns(scene, scene.times)
    both = found[:-1] & found[1:]
    edges = np.zeros(width + 1, dtype=int)
    np.add.at(edges, columns[:-1][both], 1)
    np.add.at(edges, columns[1:][both] + 1, -1)
    covered = np.cumsum(edges)[:width] > 0
    covered[columns[found]] = True
    return covered


def draw_timeline(frame: np.ndarray, strip: np.ndarray, scene: Scene, time_s: float, st: Style) -> None:
    """Blend the strip into the bottom of the frame and mark now."""
    h = strip.shape[0]
    bottom = frame[-h:]
    bottom[:] = bottom + 0.85 * (strip.astype(np.float32) - bottom)
    x = int(_columns(scene, np.array([time_s]))[0])
    cv2.rectangle(frame, (x - st.px(2), frame.shape[0] - h - st.px(4)), (x + st.px(2), frame.shape[0] - 1),
                  colors.TEXT, -1)
    label = f"{time_s:.1f} s"
    w, th = text_size(label, st.font(13))
    draw_text(frame, label, min(max(x - w // 2, 2), scene.width - w - 2), frame.shape[0] - h - th - st.px(8),
              st.font(13), colors.TEXT, box=0.5)


def draw_gauges(frame: np.ndarray, scene: Scene, time_s: float, st: Style) -> None:
    """The panel, top left: one row per judged metric for the stride under way. The panel is the same
    for every frame of a stride, so it is drawn once per stride (:func:`_panel_layer`) and laid
    over each frame."""
    stride = scene.stride_at(time_s)
    if not scene.panel or scene.panel[0] != stride:  # frames come in time order: keep the last stride's only
        scene.panel[:] = [stride, _panel_layer(frame.shape, scene, stride, st)]
    layer = scene.panel[1]
    if layer is None:
        return
    (y0, y1, x0, x1), keep, paint = layer
    region = frame[y0:y1, x0:x1]
    region[:] = np.clip(region * keep + paint + 0.5, 0, 255)


def _panel_layer(shape: tuple[int, ...], scene: Scene, stride: int | None, st: Style):
    """The gauge panel of ``stride`` as a layer over frames of ``shape``: its box (y0, y1, x0, x1),
    the share of the frame kept under each pixel (h, w, 1) and the paint added (h, w, 3), found by
    drawing the panel once on black and once on white (every drawing step blends linearly, so
    frame * keep + paint is what drawing on the frame gives, to the unit of rounding); None: no panel."""
    on_black, on_white = np.zeros(shape, np.uint8), np.full(shape, 255, np.uint8)
    box = None
    for canvas in (on_black, on_white):
        box = _draw_panel(canvas, scene, stride, st)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    black = on_black[y0:y1, x0:x1].astype(np.float32)
    keep = (on_white[y0:y1, x0:x1].astype(np.float32) - black).mean(axis=2, keepdims=True) / 255.0
    return box, keep, black


def _draw_panel(frame: np.ndarray, scene: Scene, stride: int | None, st: Style) -> tuple[int, int, int, int] | None:
    """Draw the gauge panel of ``stride`` (None: between strides) onto ``frame``; its box
    (y0, y1, x0, x1) in pixels, or None when there is nothing to show."""
    gauges = scene.gauges[stride] if stride is not None else (scene.gauges[0] if scene.gauges else [])
    if not gauges:
        return None
    pad, row_h, size = st.px(8), st.px(26), st.font(14)
    label_w = max(text_size(g.label, size)[0] for g in gauges)
    bar_w = st.px(70)
    value_w = max(text_size(g.text, size)[0] for g in gauges)
    title = "this stride vs baseline" if stride is not None else "between strides"
    width = pad * 4 + label_w + bar_w + value_w
    height = pad * 2 + row_h * (len(gauges) + 1)
    shade(frame, pad, pad, pad + width, pad + height, opacity=0.6)
    draw_text(frame, title, pad * 2, pad * 2, size, colors.TEXT, bold=True)
    for row, gauge in enumerate(gauges, start=1):
        y = pad * 2 + row * row_h
        shown = stride is not None and np.isfinite(gauge.level)
        tight = shown and gauge.level >= 1.0
        color = colors.TIGHT if tight else colors.TEXT
        draw_text(frame, gauge.label, pad * 2, y, size, color)
        x0 = pad * 3 + label_w
        bar_top, bar_bottom = y + st.px(3), y + row_h - st.px(10)
        cv2.rectangle(frame, (x0, bar_top), (x0 + bar_w, bar_bottom), (90, 90, 90), -1)
        if shown:
            fill = int(np.clip(gauge.level / _BAR_SPAN, 0.0, 1.0) * bar_w)
            if fill > 0:
                cv2.rectangle(frame, (x0, bar_top), (x0 + fill, bar_bottom),
                              colors.TIGHT if tight else colors.RELAXED, -1)
        tick = x0 + int(bar_w / _BAR_SPAN)
        cv2.line(frame, (tick, bar_top - st.px(2)), (tick, bar_bottom + st.px(2)), colors.TEXT, st.px(1))
        draw_text(frame, gauge.text if stride is not None else "\u2013", x0 + bar_w + pad, y, size, color)
    return pad, min(pad + height, frame.shape[0]), pad, min(pad + width, frame.shape[1])


def draw_banner(frame: np.ndarray, scene: Scene, time_s: float, st: Style) -> None:
    """Inside a tight segment: a red banner above the timeline with its severity, times and reasons."""
    segment = scene.segment_at(time_s)
    if segment is None:
        return
    pad, size = st.px(8), st.font(17)
    lines = [f"RUNNING TIGHT ({segment.severity}) {segment.start_s:.1f}\u2013{segment.end_s:.1f} s",
             *segment.reasons[:3]]
    if len(segment.reasons) > 3:
        lines.append(f"and {len(segment.reasons) - 3} more (see the report)")
    heights = [text_size(line, size, bold=n == 0)[1] for n, line in enumerate(lines)]
    height = sum(heights) + pad * (len(lines) + 1)
    bottom = frame.shape[0] - timeline_height(st) - st.px(30)
    shade(frame, 0, bottom - height, scene.width, bottom, color=(170, 20, 20), opacity=0.8)
    y = bottom - height + pad
    for n, (line, h) in enumerate(zip(lines, heights)):
        draw_text(frame, line, pad * 2, y, size, colors.TEXT, bold=n == 0)
        y += h + pad
