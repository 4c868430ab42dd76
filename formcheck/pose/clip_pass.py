"""The pose pass: the clip's frames through the pose model, in several parts of the clip at once.

The model sees 30 frames a second of a faster clip (:mod:`formcheck.io.frame_pick`), picked by
time, so a part picks the frames a whole pass does.

MediaPipe keeps only about 1.2 of a laptop's cores busy, whatever the clip. Several models, each on
its own part of the clip in its own thread, use the rest: their graphs run in C++ without Python's
GIL, and each part decodes its own frames. A clip is searched in one part per usable core
(:func:`usable_cores`, at most :data:`MAX_PARTS`; ``[pose] parts`` sets another number), each at
least :data:`PART_MIN_S` long; the parts meet at seams, and each part after the first starts
``follow.motion_memory_s`` before its seam with a reader, model and follower of its own. Those lead frames only let the follower's motion map and the
model's tracker settle on the runner, and their landmarks are dropped, so the model searches only
some of them (:data:`LEAD_EVERY`, :data:`LEAD_CLOSE_S`); the motion map takes in every one.

The parts depend on the clip, the settings and the number of parts, never on how they are run: one
after the other (``parallel=False``, as a batch's workers do, since they keep the cores busy
already) they give the very same landmarks. The number of parts follows the machine's cores unless
``[pose] parts`` fixes it, so after a seam two machines' landmarks may differ as a pass started there
differs from one that ran through it; the first part is always the whole pass's. Not split:
``--person`` (the point names a person in the clip's first frame), and a pose estimator handed in
(there is only one of it).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from formcheck.config import Config, person_point
from formcheck.pose import PoseEstimator
from formcheck.pose.track import Track, TrackBuilder
from formcheck.runtime.progress import Progress
from formcheck.runtime.threads import prefetch
from formcheck.scene.camera import PanMeter
from formcheck.scene.roll import RollMeter

if TYPE_CHECKING:  # PyAV loads when a clip is read, not for a re-analysis from saved landmarks
    from formcheck.io.video import VideoReader

#: Each part is at least this long (s): a clip of 3 s is searched in two parts, of 6 s in up to four.
#: Each part after the first also searches some of the lead before its seam, so the shorter the
#: parts, the more the model searches beyond the clip: a sixth more in two parts of 1.5 s.
PART_MIN_S = 1.5
#: At most this many parts by default: each holds a model, a decoder and a follower in memory,
#: and each part after the first searches part of its lead again.
MAX_PARTS = 8
#: In a part's lead the model searches every LEAD_EVERY-th frame, and every frame of the last
#: LEAD_CLOSE_S seconds before the seam, so its tracker runs at the clip's own rate into the seam.
#: On run05 (a bystander) and run08 (a pass-by) the landmarks after the seam agree with a whole
#: pass's as closely as with every lead frame searched; a lead of 0.25 s, all searched, lost run05's
#: runner to the bystander for a while after the seam.
LEAD_EVERY = 3
LEAD_CLOSE_S = 0.25
#: Seconds between two progress reports while the first part waits for the second.
_WAIT_S = 0.1


@dataclass(frozen=True)
class Part:
    """The frames shown from ``start_s`` up to (not including) ``stop_s`` (s), seen after those of the
    ``lead_s`` seconds before ``start_s``, whose landmarks are dropped."""

    start_s: float = -math.inf
    stop_s: float = math.inf
    lead_s: float = 0.0


@dataclass
class PartFound:
    """What the pose pass found in one part: its landmarks, the camera's motion and roll over it,
    the reader's warnings, and whether decoding broke off before the part's end."""

    track: Track
    pan: PanMeter
    roll: RollMeter
    warnings: list[str]
    broke_off: bool


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def part_count(config: Config) -> int:
    """How many parts to search a clip in: ``[pose] parts``, or one per usable core up to
    :data:`MAX_PARTS`."""
    return config.pose.parts or min(usable_cores(), MAX_PARTS)


def parts_of(first_time_s: float, duration_s: float, config: Config, count: int = 2) -> list[Part]:
    """The parts a clip whose first frame is shown at ``first_time_s`` and that lasts ``duration_s``
    (s; NaN when unknown) is searched in: up to ``count`` of about equal work (the model's frames,
    the searched part of each lead included), each at least :data:`PART_MIN_S` and three leads
    long, or the whole clip."""
    lead = config.follow.motion_memory_s
    if not duration_s > 0 or person_point(config.follow.person) is not None:
        return [Part()]
    count = min(count, int(duration_s // max(PART_MIN_S, 1.5 * lead)))
    if count < 2:
        return [Part()]
    share = (duration_s + (count - 1) * searched_in_lead_s(lead)) / count  # each part's work, in seconds
    seams = [first_time_s + share + k * (share - searched_in_lead_s(lead)) for k in range(count - 1)]
    starts, stops = [-math.inf, *seams], [*seams, math.inf]
    return [Part(start_s=start, stop_s=stop, lead_s=0.0 if k == 0 else lead)
            for k, (start, stop) in enumerate(zip(starts, stops))]


def searched_in_lead_s(lead_s: float) -> float:
    """How many seconds' worth of frames the model searches in a lead of ``lead_s`` seconds."""
    close = min(lead_s, LEAD_CLOSE_S)
    return close + (lead_s - close) / LEAD_EVERY


def search_clip(reader: VideoReader, parts: list[Part], estimator: Callable[[], AbstractContextManager[PoseEstimator]],
                progress: Progress | None = None, parallel: bool = True, every: int = 1,
                mirror: bool = False) -> list[PartFound]:
    """Search ``parts`` of the clip ``reader`` reads, each with the estimator ``estimator()`` gives
    it for a ``with`` block: the first part through ``reader``, the others each through a reader of
    their own, in threads of their own beside the first (``parallel``) or after it.
    ``every``: only every n-th frame, picked by time (:mod:`formcheck.io.frame_pick`). Parts after one whose decoding broke off are
    dropped, as a single pass would have stopped there. ``progress(frames done, frames expected or
    None)`` is called from this thread only."""
    info = reader.info
    estimate = info.duration_s * info.average_fps  # NaN when the container says neither
    expected = info.frame_count or (round(estimate) if math.isfinite(estimate) and estimate > 0 else None)
    expected = -(-expected // every) if expected else None
    capacity = _part_frames(expected, parts, info.average_fps)
    counts = [0] * len(parts)
    found: list[PartFound | None] = [None] * len(parts)
    errors: list[BaseException] = []
    stop = threading.Event()

    def report() -> None:
        if progress is not None:
            progress(sum(counts), expected)

    def search(i: int, part_reader: VideoReader, report: Callable[[], None] | None = None) -> None:
        with estimator() as model:
            found[i] = search_part(part_reader, model, parts[i], every, capacity, counts, i, stop, report, mirror)

    def search_other(i: int, report: Callable[[], None] | None = None) -> None:
        from formcheck.io.video import VideoReader

        try:
            with VideoReader(reader.path, max_height=reader.max_height) as own:
                search(i, own, report)
        except BaseException as exc:  # raised in the caller's thread
            errors.append(exc)
            stop.set()

    others = [threading.Thread(target=search_other, args=(i,), name=f"formcheck-part-{i}", daemon=True)
              for i in range(1, len(parts))] if parallel else []
    try:
        for thread in others:
            thread.start()
        search(0, reader, report)
        for thread in others:
            while thread.is_alive():
                thread.join(_WAIT_S)
                report()
        if not parallel:
            for i in range(1, len(parts)):
                if errors or found[i - 1].broke_off:
                    break
                search_other(i, report)
    finally:
        stop.set()
        for thread in others:
            thread.join()
    if errors:
        raise errors[0]
    kept = []
    for part in found:
        kept.append(part)
        if part.broke_off:
            break
    return kept


def _part_frames(expected: int | None, parts: list[Part], fps: float) -> int | None:
    """About how many frames the longest of ``parts`` keeps, when the clip has ``expected`` frames
    (None: unknown) at ``fps`` frames/s: room to collect them without growing."""
    if not expected or len(parts) == 1:
        return expected
    lead = max(part.lead_s for part in parts) * fps
    return -(-expected // len(parts)) + (math.ceil(lead) if math.isfinite(lead) else 0)


def search_part(reader: VideoReader, estimator: PoseEstimator, part: Part, every: int, capacity: int | None,
                counts: list[int], index: int, stop: threading.Event,
                report: Callable[[], None] | None = None, mirror: bool = False) -> PartFound:
    """The landmarks ``estimator`` finds in one part of the clip, every ``every``-th frame picked by time (decoded
    ahead in a background thread, so decoding overlaps inference), in full-size display pixels;
    ``capacity``: the frames expected (None: unknown). In the part's lead the model searches only
    some frames and glances at the others (:data:`LEAD_EVERY`). ``counts[index]`` counts the frames
    kept and ``report`` is called after each. Stops early, with what it has, once ``stop`` is set.
    ``mirror``: the estimator is mirror-averaged, and the camera's roll is read so too
    (:class:`~formcheck.scene.roll.RollMeter`)."""
    info = reader.info
    size = (info.width, info.height)
    meta = {"width": info.width, "height": info.height, "source": reader.path.name, "backend": estimator.name}
    builder = TrackBuilder(meta, capacity)
    pan, roll = PanMeter(), RollMeter(mirror=mirror)
    lead_frames = 0
    for frame in prefetch(reader.frames(every, part.start_s, part.stop_s, part.lead_s)):
        if stop.is_set():
            break
        if frame.time_s < part.start_s:  # the lead: its landmarks are dropped
            if lead_frames % LEAD_EVERY and frame.time_s < part.start_s - LEAD_CLOSE_S:
                estimator.glance(frame.rgb, frame.time_s)
            else:
                estimator.estimate(frame.rgb, frame.time_s, size)
            lead_frames += 1
            continue
        found = estimator.estimate(frame.rgb, frame.time_s, size)
        builder.add(frame.time_s, found)
        person = found.xy * (frame.rgb.shape[1] / info.width)
        pan.add(frame.rgb, frame.time_s, person)
        roll.add(frame.rgb, frame.time_s, person)
        counts[index] += 1
        if report is not None:
            report()
    return PartFound(builder.build(), pan, roll, list(reader.warnings), reader.broke_off)
