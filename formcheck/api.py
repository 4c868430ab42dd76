"""The Python API for scripts and notebooks: analyse a clip (re-using saved landmarks), compare two.

``analyze`` writes the same output folder as ``formcheck analyze`` and returns the
:class:`~formcheck.pipeline.Analysis`, which shows itself as a summary card in Jupyter. Pose
inference is the slow part, so when the output folder already holds the landmarks of the same clip
(same SHA-256) found with the same pose and follow settings, they are loaded instead of found again:
changing a threshold and re-running takes a second or two. The clean track and the strides saved
beside them are loaded too when their own settings (:data:`CLEANING_SECTIONS`,
:data:`STRIDE_SECTIONS`) are unchanged, which spares SciPy's import and the filtering.
"""

from __future__ import annotations

import dataclasses
import json
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.config import Config
from formcheck.errors import OutputError, TrackError
from formcheck.evidence.folder import write_analysis, written
from formcheck.io.destination import ANALYSIS, COMPARISON, output_folder
from formcheck.io.video_info import VideoInfo
from formcheck.measure.baseline import Baseline
from formcheck.measure.strides import Strides
from formcheck.pipeline import (
    Analysis,
    CleanedTrack,
    PoseRun,
    analysis_from_run,
    default_output_dir,
    file_sha256,
    run_pose,
)
from formcheck.pose.track import Track
from formcheck.runtime.progress import PhaseProgress
from formcheck.scene.camera import CameraMotion
from formcheck.scene.roll import CameraRoll
from formcheck.summary import Summary

if TYPE_CHECKING:  # imported when used: scipy.stats and the plots cost a second at start-up
    from formcheck.comparison.verdict import Comparison

#: The settings that the stages after inference saved in an output folder depend on, besides the
#: landmarks and formcheck's version: the clean track (swap repair, which asks the view which frames
#: are front or back, and smoothing), then the strides found in it (their own settings and the body
#: scale's window from [metrics]).
CLEANING_SECTIONS = ("swaps", "smoothing", "view")
STRIDE_SECTIONS = (*CLEANING_SECTIONS, "strides", "metrics")


def analyze(clip: str | Path, config: Config | None = None, out: str | Path | None = None, *,
            baseline: Baseline | None = None, video: bool = True, report: bool = True, reuse: bool = True,
            progress: PhaseProgress | None = None, parallel: bool = True) -> Analysis:
    """Analyse ``clip`` and write its output folder; return the analysis with ``out_dir`` set.

    ``out``: by default ``CLIP_STEM.formcheck`` next to the clip; a folder of yours that exists (one
    without formcheck's marker, such as ``.``) or a batch folder gets ``CLIP_STEM.formcheck`` inside
    it. Only formcheck's own earlier analysis folder is ever replaced; anything else in the way
    raises :class:`~formcheck.errors.OutputError` before any work (:mod:`formcheck.io.destination`).

    ``baseline``: judge against this reference instead of the clip's first strides. ``video`` /
    ``report``: write overlay.mp4 / report.html. ``reuse``: load the landmarks saved in ``out`` when
    they belong to this clip and these pose settings (False: always run the pose model). A folder
    already written with exactly these settings is left as it is. ``parallel``: search the two parts
    of a long clip at once (False: one after the other, for a caller that keeps the cores busy
    already; the landmarks are the same).
    """
    clip, config = Path(clip), config or Config()
    out_dir = output_folder(out, default_output_dir(clip), ANALYSIS, inputs=[clip])
    saved = load_saved_run(out_dir, clip, config) if reuse else None
    pose_progress = (lambda done, total: progress("pose", done, total)) if progress else None
    run = saved or run_pose(clip, config, progress=pose_progress, parallel=parallel)
    analysis = analysis_from_run(run, config, baseline)
    if not (saved and baseline is None and _written_with(out_dir, config, video, report)):
        overlay_progress = (lambda done, total: progress("overlay", done, total)) if progress else None
        write_analysis(analysis, out_dir, video=video, report=report, progress=overlay_progress)
    return written(analysis, out_dir)


def _saved_mirrored(clip: Path) -> bool:
    """The analysis saved next to ``clip`` (its default folder) was made mirror-averaged."""
    summary = Summary.load(default_output_dir(clip))
    return bool(summary and summary.config.get("pose", {}).get("mirror"))


def load_saved_run(out_dir: Path, clip: Path, config: Config) -> PoseRun | None:
    """The pose run saved in ``out_dir`` if it was made from this very clip (same SHA-256) with the
    same ``[pose]`` and ``[follow]`` settings; None when there is none or it does not match."""
    summary = Summary.load(out_dir)
    if summary is None or not clip.is_file():
        return None
    if not _settings_unchanged(summary, config, ("pose", "follow")):
        return None
    if summary.clip_sha256 != file_sha256(clip):
        return None
    try:
        track = Track.load(out_dir / "track_raw")
    except (TrackError, OSError, ValueError):
        return None
    return PoseRun(info=_saved_video_info(summary, clip), track=track, warnings=list(summary.decode_warnings),
                   seconds=float(summary.timings.get("pose_s") or 0.0), clip_sha256=summary.clip_sha256, reused=True,
                   camera=CameraMotion.from_dict(summary.camera),
                   roll=CameraRoll.from_dict(summary.camera_roll.get("samples", {})), parts=summary.pose_parts,
                   every=summary.pose_every, cleaned=load_saved_cleaning(out_dir, summary, config))


def _saved_video_info(summary: Summary, clip: Path) -> VideoInfo:
    """The clip's facts as the saved ``summary`` holds them (those its landmarks were found with; the
    clip's bytes are unchanged), so PyAV need not load; read from the clip when they cannot be read back."""
    try:
        return VideoInfo.from_dict(summary.clip, path=str(clip))
    except (KeyError, TypeError, ValueError):
        from formcheck.io.video import probe

        return probe(clip)


def load_saved_cleaning(out_dir: Path, summary: Summary, config: Config) -> CleanedTrack | None:
    """The clean track (and strides) saved in ``out_dir``, whose ``summary.json`` is ``summary``, when
    this version of formcheck made them with the settings of ``config`` that they depend on; None when
    it did not, or a file is missing or damaged (strides alone: None in the result)."""
    if (summary.formcheck_version != version("formcheck")
            or not _settings_unchanged(summary, config, CLEANING_SECTIONS)
            or not isinstance(summary.left_right_swaps, dict)):
        return None
    try:
        track = Track.load(out_dir / "track_smooth")
    except (TrackError, OSError, ValueError):
        return None
    strides = None
    if _settings_unchanged(summary, config, STRIDE_SECTIONS):
        try:
            strides = Strides.from_dict(json.loads((out_dir / "strides.json").read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            strides = None
    return CleanedTrack(track=track, swaps=summary.left_right_swaps, strides=strides)


def _settings_unchanged(summary: Summary, config: Config, sections: tuple[str, ...]) -> bool:
    """The ``sections`` of ``config`` are those the folder whose ``summary.json`` is ``summary`` was
    written with (compared as JSON holds them)."""
    wanted = json.loads(json.dumps(config.as_dict()))
    return all(summary.config.get(section) == wanted[section] for section in sections)


def _written_with(out_dir: Path, config: Config, video: bool, report: bool) -> bool:
    """The folder was written with exactly ``config``, judged against the clip's own baseline, and
    holds the files asked for."""
    summary = Summary.load(out_dir) or Summary()
    files = set(summary.files)
    return (json.loads(json.dumps(config.as_dict())) == summary.config
            and summary.baseline.get("own", False)
            and (not video or "overlay.mp4" in files) and (not report or "report.html" in files)
            and all((out_dir / name).is_file() for name in files))


#: How a comparison's note starts when the runner faces one way in the early clip and the other in the late one.
OTHER_WAY = "the runner faces the other way in the late clip"


def compare(early: str | Path | Analysis, late: str | Path | Analysis, config: Config | None = None,
            out: str | Path | None = None, *, video: bool = True, reuse: bool = True,
            progress: PhaseProgress | None = None) -> Comparison:
    """Compare an early clip with a late one, stride by stride, and write the comparison folder
    (``out``, by default ``EARLY_vs_LATE.compare`` next to the late clip; a folder of yours that
    exists gets ``EARLY_vs_LATE.compare`` inside it, as in :func:`analyze`).

    ``early`` / ``late``: clips (analysed with :func:`analyze`, re-using saved landmarks) or
    analyses already made. ``video``: write the side-by-side video. The returned comparison holds
    both analyses (``early``, ``late``) and ``out_dir``; in Jupyter it shows its table.

    When the runner faces one way in one clip and the other way in the other, both clips are
    analysed again mirror-averaged (``[pose] mirror``, :mod:`formcheck.pose.mirror`): the model
    reads the head a few degrees differently facing left and right, which would otherwise show as
    a change of form. ``comparison.notes`` says so.
    """
    from formcheck.comparison.output import default_comparison_dir, write_comparison
    from formcheck.comparison.verdict import Comparison

    config = config or Config()
    given = (early, late)
    clips = [Path(a.info.path) if isinstance(a, Analysis) else Path(a) for a in (early, late)]
    out_dir = output_folder(out, default_comparison_dir(*clips), COMPARISON, inputs=clips)
    # Each clip's own analysis folder is checked before any work too, and must not be the comparison's.
    for clip in (Path(a) for a in (early, late) if not isinstance(a, Analysis)):
        if output_folder(None, default_output_dir(clip), ANALYSIS, inputs=[clip]) == out_dir:
            raise OutputError(f"{out} is where {clip.name}'s own analysis folder goes; give the comparison "
                              "another folder name with -o")
    mirrored = dataclasses.replace(config, pose=dataclasses.replace(config.pose, mirror=True))
    paths_only = not any(isinstance(a, Analysis) for a in given)
    if paths_only and reuse and all(_saved_mirrored(clip) for clip in clips):  # a comparison made them so before
        config = mirrored
    early, late = (a if isinstance(a, Analysis) else analyze(a, config, reuse=reuse, progress=progress)
                   for a in (early, late))
    notes = []
    if early.measurements.view.main_facing() * late.measurements.view.main_facing() < 0:
        # The model reads the head differently facing left and right (formcheck.pose.mirror).
        if not config.pose.mirror and paths_only:
            config = mirrored
            early, late = (analyze(clip, config, reuse=reuse, progress=progress) for clip in clips)
        notes.append(OTHER_WAY + (": both clips were analysed mirror-averaged (the model on each frame and on its "
                                  "mirror image), so the direction of running does not read as a change of form"
                                  if config.pose.mirror else
                                  "; head angles can differ by a few degrees from that alone: analyse both with "
                                  "mirror = true in [pose] (or --mirror) to rule it out"))
    comparison = Comparison.from_measurements(early.measurements, late.measurements, Path(early.info.path).name,
                                              Path(late.info.path).name, config)
    comparison.notes = tuple(notes)
    video_progress = (lambda done, total: progress("side by side", done, total)) if progress else None
    comparison.out_dir = write_comparison(comparison, early, late, out_dir, video=video, progress=video_progress)
    comparison.early, comparison.late = early, late
    return comparison
