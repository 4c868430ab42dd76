"""Anti-aliased text and translucent boxes drawn into RGB frames (numpy, in place).

Text is rendered once per (string, size) with Pillow and the DejaVu Sans font that matplotlib ships
(so it works offline and shows symbols such as the degree sign), then cached as an alpha mask and
blended into each frame: a label that repeats across frames costs one small blend, not a render.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
Color = tuple[int, int, int]


@lru_cache(maxsize=8)
def _font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONT_DIR / name), size_px)


@lru_cache(maxsize=256)  # labels drawn on every frame stay; the clock's (new each 0.1 s) cycle through
def text_mask(text: str, size_px: int, bold: bool = False) -> np.ndarray:
    """Alpha mask (h, w) float32 in [0, 1] of ``text`` set ``size_px`` pixels high."""
    font = _font(max(6, size_px), bold)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255)
    mask = np.asarray(image, dtype=np.float32) / 255.0
    mask.flags.writeable = False
    return mask


def text_size(text: str, size_px: int, bold: bool = False) -> tuple[int, int]:
    """(width, height) in pixels that :func:`draw_text` will cover."""
    h, w = text_mask(text, size_px, bold).shape
    return w, h


def blend(frame: np.ndarray, mask: np.ndarray, x: int, y: int, color: Color) -> None:
    """Paint ``color`` into ``frame`` through ``mask`` (alpha 0-1) with its top-left at (x, y); parts
    outside the frame are clipped."""
    h, w = mask.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    alpha = mask[y0 - y:y1 - y, x0 - x:x1 - x, None]
    region = frame[y0:y1, x0:x1]
    region[:] = region + alpha * (np.asarray(color, dtype=np.float32) - region)


def shade(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: Color = (0, 0, 0),
          opacity: float = 0.55) -> None:
    """Cover the box [x0, x1) x [y0, y1) with ``color`` at ``opacity`` (clipped to the frame)."""
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(x1), frame.shape[1]), min(int(y1), frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = frame[y0:y1, x0:x1]
    if any(color):
        cv2.addWeighted(region, 1.0 - opacity, np.full_like(region, color), opacity, 0.0, dst=region)
    else:  # darkening only: one scaled copy, no second image
        cv2.convertScaleAbs(region, dst=region, alpha=1.0 - opacity)


def draw_text(frame: np.ndarray, text: str, x: int, y: int, size_px: int, color: Color = (255, 255, 255),
              bold: bool = False, box: float = 0.0) -> tuple[int, int]:
    """Write ``text`` with its top-left at (x, y), moved inside the frame if it would stick out; with
    ``box`` > 0 on a dark box of that opacity. Returns the (width, height) covered."""
    mask = text_mask(text, size_px, bold)
    h, w = mask.shape
    x = min(max(int(x), 0), frame.shape[1] - w)
    y = min(max(int(y), 0), frame.shape[0] - h)
    if box > 0:
        pad = max(2, size_px // 4)
        shade(frame, x - pad, y - pad, x + w + pad, y + h + pad, opacity=box)
    blend(frame, mask, x, y, color)
    return w, h
