"""Sizes and colours of the overlay, scaled to the output frame so it reads the same at any size."""

from __future__ import annotations

from dataclasses import dataclass

UPPER_BODY = (0, 220, 255)   # skeleton of head, shoulders and arms: the part formcheck judges
LOWER_BODY = (150, 150, 150)
JOINT = (255, 255, 255)
HEAD_LINE = (255, 215, 0)    # ear-to-eye line and its angle
SHOULDER_GAP = (255, 90, 210)  # ear-to-shoulder distance
SHOULDER_SPAN = (255, 150, 40)  # shoulder width (front / back view)
RELAXED = (70, 215, 95)
TIGHT = (240, 60, 60)
FLAT = (255, 185, 0)
BASELINE = (80, 140, 255)
COVERED = (190, 190, 190)
ROLL = (170, 220, 255)       # the camera's roll and the scene's level
TEXT = (255, 255, 255)
HAND_STATE_COLORS = {"as usual": RELAXED, "curled": TIGHT, "opened": FLAT}


@dataclass(frozen=True)
class Style:
    """Pixel sizes for an output frame of ``width`` x ``height``: 1 ``unit`` is 1 pixel on a 720p frame."""

    width: int
    height: int

    @property
    def unit(self) -> float:
        return min(self.width, self.height) / 720.0

    def px(self, size_at_720p: float) -> int:
        """A size given for a 720p frame, in this frame's pixels (at least 1)."""
        return max(1, round(size_at_720p * self.unit))

    def font(self, size_at_720p: float) -> int:
        """A font size given for a 720p frame, never below 10 pixels (legibility on small clips)."""
        return max(10, self.px(size_at_720p))
