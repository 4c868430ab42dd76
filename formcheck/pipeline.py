"""The analysis pipeline: clip -> landmark track -> clean track -> summary, and writing the output folder.

The one loop over frames lives in :func:`estimate_track`. Library code never prints: progress goes to
an optional callback ``progress(frames_done, frames_total_or_None)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from formcheck.config import Config
from formcheck.errors import NoPersonError
from formcheck.landmarks import HAND_SIDES, POSE_GROUPS, POSE_INDEX
from formcheck.output import atomic_output_dir, write_json
from formcheck.pose import PoseEstimator
from formcheck.smoothing import smooth_track
from formcheck.track import Track
from formcheck.video import VideoInfo, VideoReader

Progress = Callable[[int, int | None], None]


@dataclass
class PoseRun:
    """Landmarks found in a clip, before any cleaning, with how long it took."""

    info: VideoInfo
    track: Track
    warnings: list[str]
    seconds: float


@dataclass
class Analysis:
    """Everything formcheck knows about one clip.

    ``raw_track`` is the model's output as found; ``track`` is the cleaned one (gated, short gaps
    filled, low-passed) that every measurement uses. ``summary`` is what ``summary.json`` holds.
    """

    info: VideoInfo
    raw_track: Track
    track: Track
    config: Config
    summary: dict
    warnings: list[str] = field(default_factory=list)


def default_output_dir(clip: Path) -> Path:
    """``CLIP_STEM.formcheck/`` next to the clip."""
    clip = Path(clip)
    return clip.with_name(f"{clip.stem}.formcheck")


def make_estimator(config: Config) -> PoseEstimator:
    """The default MediaPipe estimator with the configured model and thresholds."""
    from formcheck.pose.mediapipe_backend import MediaPipeEstimator

    return MediaPipeEstimator(config.pose.model, config.pose.min_detection_confidence,
                              config.pose.min_tracking_confidence)


def estimate_track(reader: VideoReader, estimator: PoseEstimator, progress: Progress | None = None) -> PoseRun:
    """Run ``estimator`` on every frame ``reader`` yields; landmarks in full-size display pixels."""
    start = time.perf_counter()
    info = reader.info
    size = (info.width, info.height)
    estimate = info.duration_s * info.average_fps  # NaN when the container says neither
    expected = info.frame_count or (round(estimate) if math.isfinite(estimate) and estimate > 0 else None)
    times, frames = [], []
    for frame in reader.frames():
        frames.append(estimator.estimate(frame.rgb, frame.time_s, size))
        times.append(frame.time_s)
        if progress is not None:
            progress(len(times), expected)
    meta = {"width": info.width, "height": info.height, "source": reader.path.name, "backend": estimator.name}
    track = Track.from_frames(times, frames, meta)
    return PoseRun(info=info, track=track, warnings=list(reader.warnings), seconds=time.perf_counter() - start)


def analyze_clip(clip: Path, config: Config = Config(), estimator: PoseEstimator | None = None,
                 progress: Progress | None = None) -> Analysis:
    """Find the runner's landmarks in ``clip`` and clean them. Raises :class:`VideoError` for a file that
    is not a readable video (before any model loads) and :class:`NoPersonError` if nobody is found."""
    with VideoReader(Path(clip), max_height=config.pose.max_height) as reader:
        own_estimator = estimator is None
        estimator = make_estimator(config) if own_estimator else estimator
        try:
            run = estimate_track(reader, estimator, progress)
        finally:
            if own_estimator:
                estimator.close()
    raw = run.track
    if not raw.found.any():
        raise NoPersonError(
            f"{Path(clip).name}: nobody was found in any of the {len(raw)} frames searched; "
            "film the runner side-on with the whole body in frame"
        )
    started = time.perf_counter()
    track = smooth_track(raw, config.smoothing)
    smoothing_s = time.perf_counter() - started
    summary = {
        "formcheck_version": version("formcheck"),
        "clip": run.info.as_dict(),
        "pose_backend": estimator.name,
        "frames_analysed": len(raw),
        "analysed_time_s": [float(raw.times[0]), float(raw.times[-1])],
        "coverage": detection_coverage(raw, config.smoothing.min_visibility),
        "timings": {
            "pose_s": run.seconds,
            "pose_frames_per_s": len(raw) / run.seconds if run.seconds > 0 else float("nan"),
            "smoothing_s": smoothing_s,
        },
        "warnings": run.warnings,
        "config": config.as_dict(),
    }
    return Analysis(info=run.info, raw_track=raw, track=track, config=config, summary=summary,
                    warnings=run.warnings)


def detection_coverage(track: Track, min_visibility: float) -> dict[str, float]:
    """Share of frames (0-1) where: a person was found; every landmark of at least one side of each
    group in :data:`~formcheck.landmarks.POSE_GROUPS` has visibility >= ``min_visibility``; each
    21-point hand was found."""
    coverage = {"person": float(track.found.mean()) if len(track) else 0.0}
    for group, sides in POSE_GROUPS.items():
        seen = np.zeros(len(track), dtype=bool)
        for names in sides:
            seen |= (track.visibility[:, [POSE_INDEX[n] for n in names]] >= min_visibility).all(axis=1)
        coverage[group] = float(seen.mean()) if len(track) else 0.0
    for side_index, side in enumerate(HAND_SIDES):
        found = np.isfinite(track.hands[:, side_index, 0, 0])
        coverage[f"{side}_hand_21pt"] = float(found.mean()) if len(track) else 0.0
    return coverage


def write_analysis(analysis: Analysis, out_dir: Path) -> Path:
    """Write the output folder atomically: raw and clean tracks, and ``summary.json``."""
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as staging:
        analysis.raw_track.save(staging / "track_raw")
        analysis.track.save(staging / "track_smooth")
        files = sorted(p.name for p in staging.iterdir()) + ["summary.json"]
        write_json(staging / "summary.json", {**analysis.summary, "files": files})
    return out_dir.resolve()
