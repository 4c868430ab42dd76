"""The analysis pipeline: clip -> landmark track -> clean track -> measurements and summary.

Writing the output folder is :mod:`formcheck.evidence.folder`'s job.

The one loop over frames lives in :mod:`formcheck.pose.clip_pass`. Library code never prints: progress goes to
an optional callback ``progress(frames_done, frames_total_or_None)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from formcheck.body.geometry import body_scale
from formcheck.body.landmarks import HAND_SIDES, POSE_GROUPS, POSE_INDEX
from formcheck.cleaning.smoothing import smooth_track
from formcheck.cleaning.swaps import SwapReport, repair_swaps
from formcheck.cleaning.view import ViewEstimate, estimate_view
from formcheck.config import Config
from formcheck.errors import NoPersonError
from formcheck.io.frame_pick import analysis_every
from formcheck.io.video_info import VideoInfo
from formcheck.measure.baseline import Baseline, baseline_label, baseline_strides
from formcheck.measure.metrics import coverage, frame_metrics
from formcheck.measure.quality import capture_warnings, in_view
from formcheck.measure.registry import METRIC_COLUMNS
from formcheck.measure.segments import Segment, find_segments, pace_summary
from formcheck.measure.strides import Strides, detect_strides, per_stride
from formcheck.pose import PoseEstimator
from formcheck.pose.clip_pass import Part, part_count, parts_of, search_clip
from formcheck.pose.track import Track, joined
from formcheck.runtime.memory import release_free_memory
from formcheck.runtime.progress import Progress
from formcheck.scene.camera import WINDOW_S, CameraMotion, pan_warnings
from formcheck.scene.roll import CameraRoll, roll_warnings, upright
from formcheck.summary import Summary, verdict_of


@dataclass
class CleanedTrack:
    """What an earlier analysis of the same landmarks made of them, loaded from its output folder:
    the cleaned ``track`` (:func:`clean_track`), the left/right swaps it repaired (``swaps``, as
    :meth:`~formcheck.cleaning.swaps.SwapReport.summary` gives them) and the ``strides`` found in it (None:
    find them again)."""

    track: Track
    swaps: dict
    strides: Strides | None = None


@dataclass
class PoseRun:
    """Landmarks found in a clip, before any cleaning: the clip's facts and SHA-256, decoding
    warnings, how long inference took (s), whether they were loaded from a saved analysis, how
    the camera moved (no windows when not measured) and how it was rolled (no samples when not
    measured). ``parts``: how many parts of the clip were searched, each by a model of its own
    (:mod:`formcheck.pose.clip_pass`; the landmarks after a seam depend on it). ``every``: the model
    saw every n-th frame, picked by time (:mod:`formcheck.io.frame_pick`). ``cleaned``: the saved
    clean track and strides, when loaded with the settings they were made with (None: clean the
    landmarks again)."""

    info: VideoInfo
    track: Track
    warnings: list[str]
    seconds: float
    clip_sha256: str
    reused: bool = False
    camera: CameraMotion = CameraMotion(WINDOW_S, ())
    cleaned: CleanedTrack | None = None
    roll: CameraRoll = CameraRoll()
    parts: int = 1
    every: int = 1


@dataclass
class Measurements:
    """What the cleaned track says: view, rhythm, metrics per frame and per stride, the baseline
    they are judged against, and the 'running tight' segments found. ``raw_frame_metrics`` are the
    same metrics computed from the raw (uncleaned) track with the same view and body scale, to show
    what cleaning did; None when no raw track was given. ``own_baseline_strides``: how many first
    strides of the clip formed the baseline (0 when it came from elsewhere, or the clip has no
    stride); ``baseline_given``: the baseline came from elsewhere (``--baseline``); ``pace``: how
    many strides were at another pace than the baseline's (:func:`formcheck.measure.segments.pace_summary`)."""

    view: ViewEstimate
    strides: Strides
    frame_metrics: pd.DataFrame
    stride_metrics: pd.DataFrame
    baseline: Baseline
    segments: list[Segment]
    raw_frame_metrics: pd.DataFrame | None = None
    own_baseline_strides: int = 0
    baseline_given: bool = False
    pace: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The measurement part of summary.json: the :class:`~formcheck.summary.Summary` fields
        ``view``, ``strides``, ``metrics``, ``baseline``, ``verdict``, ``segments`` and ``pace``."""
        metric_coverage = coverage(self.frame_metrics)
        metrics = {
            name: {
                "median": float(self.frame_metrics[name].median()),
                "coverage": metric_coverage[name],
                "baseline_median": self.baseline.median[name],
                "baseline_spread": self.baseline.spread[name],
            }
            for name in METRIC_COLUMNS
        }
        measurable = self.stride_metrics[list(METRIC_COLUMNS)].notna().any(axis=1).sum()
        verdict = verdict_of(self.segments, int(measurable))
        return {
            "view": {"main": self.view.main_view(), "share": self.view.share()},
            "strides": {"source": self.strides.source, "count": len(self.stride_metrics),
                        "cadence_spm": self.strides.cadence_spm},
            "metrics": metrics,
            "baseline": {"label": self.baseline.label, "strides": self.baseline.strides,
                         "own": not self.baseline_given},
            "verdict": verdict,
            "segments": list(self.segments),
            "pace": self.pace,
        }


def measure(track: Track, config: Config = Config(), baseline: Baseline | None = None,
            raw_track: Track | None = None, strides: Strides | None = None,
            roll: CameraRoll = CameraRoll()) -> Measurements:
    """View, strides, metrics and segments of a cleaned track. Without ``baseline`` the first strides
    of the clip are the baseline (see :func:`~formcheck.measure.baseline.baseline_strides`). With
    ``raw_track`` (the same frames before cleaning) its metrics are computed too, for comparison.
    ``strides``: found earlier in this very track with these settings (None: find them).
    ``roll``: the camera's roll; every measure is taken with the landmarks turned upright by it
    (:func:`~formcheck.scene.roll.upright`), against the scene's vertical, where it was measured, and
    against the picture's elsewhere. The per-frame roll is the ``camera_roll_deg`` column."""
    roll_deg = roll.at(track.times)
    track = track.replace(xy=upright(track.xy, roll_deg))
    raw_track = raw_track.replace(xy=upright(raw_track.xy, roll_deg)) if raw_track is not None else None
    view = estimate_view(track, config.view)
    scale = body_scale(track.times, track.xy, config.metrics.scale_window_s)
    strides = strides if strides is not None else detect_strides(track, scale, config.strides)
    frames = frame_metrics(track, view, scale, config.metrics)
    frames.insert(frames.columns.get_loc("body_scale_px") + 1, "camera_roll_deg", roll_deg)
    stride_table = per_stride(track.times, frames[list(METRIC_COLUMNS)], strides, config.metrics.min_stride_coverage)
    exclude, given = 0, baseline is not None
    if baseline is None:
        reference = baseline_strides(stride_table, config.segments)
        baseline = Baseline.from_strides(reference, baseline_label(stride_table, reference))
        exclude = len(reference)
    segments = find_segments(stride_table, baseline, config.segments, exclude=exclude)
    pace = pace_summary(stride_table, baseline, config.segments, exclude=exclude)
    raw_frames = frame_metrics(raw_track, view, scale, config.metrics) if raw_track is not None else None

    return Measurements(view=view, strides=strides, frame_metrics=frames, stride_metrics=stride_table,
                        baseline=baseline, segments=segments, raw_frame_metrics=raw_frames,
                        own_baseline_strides=exclude, baseline_given=given, pace=pace)


@dataclass
class Analysis:
    """Everything formcheck knows about one clip.

    ``raw_track`` is the model's output as found; ``track`` is the cleaned one (left/right limb swaps
    repaired, gated, short gaps filled, low-passed) that every measurement uses. ``summary`` is what
    ``summary.json`` holds.
    ``out_dir``: the output folder once written (None before); a written analysis
    (:class:`~formcheck.evidence.folder.WrittenAnalysis`) shows itself in Jupyter.
    """

    info: VideoInfo
    raw_track: Track
    track: Track
    measurements: Measurements
    config: Config
    summary: Summary
    warnings: list[str] = field(default_factory=list)
    out_dir: Path | None = None


def default_output_dir(clip: Path) -> Path:
    """``CLIP_STEM.formcheck/`` next to the clip."""
    clip = Path(clip)
    return clip.with_name(f"{clip.stem}.formcheck")


def make_estimator(config: Config) -> PoseEstimator:
    """The default MediaPipe estimator with the configured model and thresholds, kept on the runner
    (the person who moves) unless ``config.follow.enabled`` is off; with ``config.pose.mirror``, the
    follower's crop is searched by two models, one on its mirror image, and averaged
    (:mod:`formcheck.pose.mirror`)."""
    from formcheck.pose.follow import RunnerFollower
    from formcheck.pose.mediapipe_backend import MediaPipeEstimator
    from formcheck.pose.mirror import MirrorAveraged

    def model() -> PoseEstimator:
        return MediaPipeEstimator(config.pose.model, config.pose.min_detection_confidence,
                                  config.pose.min_tracking_confidence)

    # One follower steers both searches: the mirrored one sees the same crop, flipped.
    searched = MirrorAveraged(model(), model()) if config.pose.mirror else model()
    return RunnerFollower(searched, config.follow) if config.follow.enabled else searched


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes: identifies a clip whatever its name or timestamps."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def run_pose(clip: Path, config: Config = Config(), estimator: PoseEstimator | None = None,
             progress: Progress | None = None, parallel: bool = True) -> PoseRun:
    """Find the runner's landmarks in ``clip``, 30 frames a second of it unless ``[pose] every``
    says otherwise (:mod:`formcheck.io.frame_pick`; :mod:`formcheck.pose.clip_pass`: a long
    enough clip in one part per usable core, at once with ``parallel``, else one after the other, with
    the same result), in full-size display pixels. ``estimator``: use this one for the whole clip (not closed), instead
    of the configured model. Raises :class:`VideoError` for a file that is not a readable video
    (before any model loads) and :class:`NoPersonError` if nobody is found."""
    from formcheck.io.video import VideoReader

    start = time.perf_counter()
    clip = Path(clip)
    with VideoReader(clip, max_height=config.pose.max_height) as reader:
        every = analysis_every(reader.frame_rate, config.pose.every)
        if estimator is None:
            parts = parts_of(reader.first_time_s, reader.info.duration_s, config, part_count(config))
            found = search_clip(reader, parts, lambda: contextlib.closing(make_estimator(config)), progress, parallel,
                                every, config.pose.mirror)
            release_free_memory()  # or the overlay stage stacks on the models' freed memory
        else:
            parts = [Part()]
            found = search_clip(reader, parts, lambda: contextlib.nullcontext(estimator), progress,
                                every=every)
    camera, roll = found[0].pan, found[0].roll
    for part in found[1:]:
        camera.extend(part.pan)
        roll.extend(part.roll)
    run = PoseRun(info=reader.info, track=joined([part.track for part in found]),
                  warnings=[warning for part in found for warning in part.warnings],
                  seconds=time.perf_counter() - start, clip_sha256=file_sha256(clip), camera=camera.result(),
                  roll=roll.result(), parts=len(parts), every=every)
    if not run.track.found.any():
        raise NoPersonError(
            f"{clip.name}: nobody was found in any of the {len(run.track)} frames searched; "
            "film the runner side-on with the whole body in frame"
        )
    return run


def analyze_clip(clip: Path, config: Config = Config(), estimator: PoseEstimator | None = None,
                 progress: Progress | None = None, baseline: Baseline | None = None) -> Analysis:
    """Landmarks of ``clip`` (:func:`run_pose`), cleaned and measured (:func:`analysis_from_run`)."""
    return analysis_from_run(run_pose(clip, config, estimator, progress), config, baseline)


def analysis_from_run(run: PoseRun, config: Config = Config(), baseline: Baseline | None = None) -> Analysis:
    """Clean and measure the landmarks of a pose run (fresh, or loaded from a saved output folder):
    no inference, so new settings for smoothing, metrics or segments take a second, not a rerun.
    The clean track and strides of ``run.cleaned``, when given, are used instead of made again."""
    raw, cleaned = run.track, run.cleaned
    started = time.perf_counter()
    if cleaned is None:
        track, report = clean_track(raw, config)
        swaps = report.summary()
    else:
        track, swaps = cleaned.track, cleaned.swaps
    smoothing_s = time.perf_counter() - started
    started = time.perf_counter()
    measurements = measure(track, config, baseline, raw_track=raw, strides=cleaned.strides if cleaned else None,
                           roll=run.roll)
    measuring_s = time.perf_counter() - started
    view = in_view(raw, config.smoothing.max_gap_s)  # gaps longer than cleaning bridges
    warnings = run.warnings + capture_warnings(raw, measurements.frame_metrics, measurements.stride_metrics,
                                               measurements.strides, config.quality, view)
    warnings += pan_warnings(run.camera, config.quality)
    roll_summary = run.roll.summary(raw.times)
    warnings += roll_warnings(roll_summary, config.quality)
    summary = Summary(
        formcheck_version=version("formcheck"),
        clip=run.info.as_dict(),
        clip_sha256=run.clip_sha256,
        pose_backend=raw.meta.get("backend"),
        pose_parts=run.parts,
        pose_every=run.every,
        pose_reused=run.reused,
        cleaning_reused=cleaned is not None,
        strides_reused=cleaned is not None and cleaned.strides is not None,
        frames_analysed=len(raw),
        analysed_time_s=[float(raw.times[0]), float(raw.times[-1])],
        runner_in_view=view,
        coverage=detection_coverage(raw, config.smoothing.min_visibility),
        left_right_swaps=swaps,
        timings={
            "pose_s": run.seconds,
            "pose_frames_per_s": len(raw) / run.seconds if run.seconds > 0 else float("nan"),
            "smoothing_s": smoothing_s,
            "measuring_s": measuring_s,
        },
        **measurements.summary(),
        camera=run.camera.as_dict(),
        camera_roll={**roll_summary, "samples": run.roll.as_dict()},
        decode_warnings=run.warnings,
        warnings=warnings,
        config=config.as_dict(),
    )
    return Analysis(info=run.info, raw_track=raw, track=track, measurements=measurements, config=config,
                    summary=summary, warnings=warnings)


def clean_track(raw: Track, config: Config) -> tuple[Track, SwapReport]:
    """The cleaned track: left/right limb swaps repaired (:mod:`formcheck.cleaning.swaps`), then gated, gap-filled
    and low-passed (:mod:`formcheck.cleaning.smoothing`); and the swaps found. The repaired-but-unsmoothed
    track lives only in here, so a long clip never holds three copies of its landmarks."""
    repaired, swaps = repair_swaps(raw, config.swaps, config.view)
    return smooth_track(repaired, config.smoothing), swaps


def detection_coverage(track: Track, min_visibility: float) -> dict[str, float]:
    """Share of frames (0-1) where: a person was found; every landmark of at least one side of each
    group in :data:`~formcheck.body.landmarks.POSE_GROUPS` has visibility >= ``min_visibility``; each
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
