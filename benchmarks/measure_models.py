"""Compare MediaPipe Pose and Holistic (model_complexity=1) on the sample clips.

For every .mp4 in a folder (default: ../shared/sample_videos relative to the repo root), each model
is run over all frames, one model after the other, and the script prints a Markdown table of:

- inference-only throughput in frames/s (only the ``estimate()`` calls are timed, not decoding),
- detection rate: share of frames in which a person was found,
- hand-slot rate (Holistic only): share of the 2*T hand slots (left, right) holding a hand,
- median |dxy|: median Euclidean distance in pixels between the pose landmarks of the Holistic run
  and those of the Pose run, over landmarks of frames where both found a person (near 0 means
  Holistic's pose landmarks come from the same pose model).

Usage: ``.venv/bin/python benchmarks/measure_models.py [CLIP_FOLDER]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from formcheck.io.video import VideoReader
from formcheck.pose.mediapipe_backend import MediaPipeEstimator

REPO = Path(__file__).resolve().parents[1]

MODELS = ("pose", "holistic")
DEFAULT_FOLDER = REPO.parent / "shared" / "sample_videos"


def run(path: Path, model: str) -> dict:
    """Run one model over one clip; return timing, landmarks and the clip's display size."""
    xy, hands, seconds = [], [], 0.0
    est = MediaPipeEstimator(model)
    try:
        with VideoReader(path) as r:
            size = (r.info.width, r.info.height)
            for f in r.frames():
                start = time.perf_counter()
                pf = est.estimate(f.rgb, f.time_s, size)
                seconds += time.perf_counter() - start
                xy.append(pf.xy)
                hands.append(pf.hands)
    finally:
        est.close()
    xy, hands = np.array(xy), np.array(hands)
    return {
        "frames": len(xy),
        "size": size,
        "fps": len(xy) / seconds,
        "xy": xy,
        "found": np.isfinite(xy).any(axis=(1, 2)),
        "hand_rate": float(np.isfinite(hands[:, :, 0, 0]).mean()),
    }


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    print("| clip | frames | resolution | pose fps | holistic fps | detection rate pose "
          "| detection rate holistic | hand-slot rate (holistic) | median \\|dxy\\| px |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for path in sorted(folder.glob("*.mp4")):
        pose, holistic = (run(path, model) for model in MODELS)
        assert pose["frames"] == holistic["frames"], f"{path.name}: frame counts differ"
        both = pose["found"] & holistic["found"]
        dxy = np.linalg.norm(holistic["xy"][both] - pose["xy"][both], axis=-1)
        median = f"{np.median(dxy):.2f}" if dxy.size else "n/a"
        w, h = pose["size"]
        print(f"| {path.name} | {pose['frames']} | {w}x{h} | {pose['fps']:.1f} "
              f"| {holistic['fps']:.1f} | {pose['found'].mean():.1%} | {holistic['found'].mean():.1%} "
              f"| {holistic['hand_rate']:.1%} | {median} |", flush=True)


if __name__ == "__main__":
    main()
