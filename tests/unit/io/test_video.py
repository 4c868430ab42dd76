"""Video reading on the real clips and on clips the tests generate (rotated, variable frame rate)."""

import dataclasses
import functools
import json
import math
import re

import numpy as np
import pytest

from formcheck.errors import VideoError
from formcheck.io.video import VideoReader, probe
from formcheck.io.video_info import VideoInfo
from tests.clips import (
    BAD_INPUTS,
    container_times,
    corrupt_middle,
    first_half,
    sample_frames,
    write_clip,
)
from tests.conftest import RUN01, sample


def test_probe_reports_the_facts_of_a_real_clip():
    info = probe(sample(RUN01))
    assert (info.width, info.height, info.rotation) == (1080, 1920, 0)
    assert info.average_fps == pytest.approx(60.0)
    assert info.duration_s == pytest.approx(6.47, abs=0.02)
    assert info.codec == "h264" and info.frame_count == 388



def test_video_facts_read_back_from_their_saved_form_are_the_same():
    info = probe(sample(RUN01))
    assert VideoInfo.from_dict(info.as_dict()) == info
    assert VideoInfo.from_dict(info.as_dict(), path="/elsewhere/clip.mp4").path == "/elsewhere/clip.mp4"
    unknown = dataclasses.replace(info, duration_s=math.nan, average_fps=math.nan, frame_count=None)
    back = VideoInfo.from_dict(json.loads(json.dumps(unknown.as_dict())))
    assert math.isnan(back.duration_s) and math.isnan(back.average_fps) and back.frame_count is None
    older = {k: v for k, v in info.as_dict().items() if k != "stored_width"}
    with pytest.raises(KeyError):
        VideoInfo.from_dict(older)


def test_real_clip_streams_every_frame_with_increasing_times():
    with VideoReader(sample(RUN01)) as reader:
        times, shapes = [], set()
        for frame in reader.frames():
            times.append(frame.time_s)
            shapes.add(frame.rgb.shape)
    assert len(times) == 388 and shapes == {(1920, 1080, 3)}
    assert (np.diff(times) > 0).all()
    np.testing.assert_allclose(times, container_times(sample(RUN01)))


def test_max_height_scales_frames_down_keeping_the_aspect():
    with VideoReader(sample(RUN01), max_height=480) as reader:
        frame = next(reader.frames())
    assert frame.rgb.shape == (480, 270, 3) and reader.output_size == (270, 480)


@pytest.fixture(scope="module")
def run01_head():
    """The first 60 frames of run01 at 480 px high, and their times."""
    return sample_frames(sample(RUN01), max_frames=60, max_height=480)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_tag_is_applied_so_frames_come_out_as_displayed(tmp_path, run01_head, rotation):
    frames, times = run01_head
    # Store the frames turned the other way, as a phone does, and tag them to be turned back on display.
    stored = [np.rot90(f, -rotation // 90) for f in frames]
    path = write_clip(tmp_path / f"rot{rotation}.mp4", stored, times, rotation=rotation)
    info = probe(path)
    assert info.rotation == rotation
    assert (info.width, info.height) == (270, 480)
    with VideoReader(path) as reader:
        upright = [f.rgb for f in reader.frames()]
    assert upright[0].shape == frames[0].shape
    # Same picture as the original (up to compression), not a turned or mirrored one.
    error = np.mean([np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(upright, frames)])
    assert error < 4.0


def test_variable_frame_rate_times_match_the_container(tmp_path):
    rng = np.random.default_rng(7)
    times = np.round(np.cumsum(rng.uniform(1 / 120, 1 / 24, 90)), 4)  # 24 to 120 fps
    frames = [np.full((64, 64, 3), i * 2, np.uint8) for i in range(len(times))]
    path = write_clip(tmp_path / "vfr.mp4", frames, times)
    with VideoReader(path) as reader:
        read = [f.time_s for f in reader.frames()]
    np.testing.assert_allclose(read, container_times(path))
    np.testing.assert_allclose(np.array(read) - read[0], times - times[0], atol=1e-4)


@pytest.mark.parametrize("make, message", BAD_INPUTS)
def test_unreadable_inputs_raise_a_video_error_that_says_why(tmp_path, make, message):
    with pytest.raises(VideoError, match=message):
        probe(make(tmp_path / "clip.mp4"))


@pytest.mark.parametrize("every", [2, 3])
def test_every_nth_frame_keeps_the_real_times_of_the_frames_kept(every):
    all_times = whole(sample(RUN01))[0]
    with VideoReader(sample(RUN01), max_height=240) as reader:
        kept = [f.time_s for f in reader.frames(every)]
    assert kept == all_times[::every]


def read(path, max_height=240, **part) -> tuple[list[float], list[np.ndarray], list[str]]:
    """Times (s), pixels and warnings of ``path``'s frames, or of the part ``part`` names."""
    with VideoReader(path, max_height=max_height) as reader:
        frames = list(reader.frames(**part))
        return [f.time_s for f in frames], [f.rgb for f in frames], reader.warnings


@functools.cache
def whole(path) -> tuple[list[float], list[np.ndarray], list[str]]:
    """:func:`read` of the whole of ``path``, decoded once for every test that compares with it."""
    return read(path)


@pytest.fixture(scope="module")
def seekable_clips(tmp_path_factory, run01_head):
    """run01 itself, and its head turned and tagged as a phone stores a portrait clip, at a variable
    frame rate, with a keyframe every 7 frames (so a part starts from a keyframe inside the clip)."""
    frames, _ = run01_head
    rng = np.random.default_rng(3)
    times = np.round(np.cumsum(rng.uniform(1 / 240, 1 / 30, len(frames))), 4)  # 30 to 240 fps
    stored = [np.rot90(f, -1) for f in frames]
    phone = write_clip(tmp_path_factory.mktemp("seek") / "vfr.mp4", stored, times, rotation=90, keyframe_every=7)
    return {"run01": sample(RUN01), "phone": phone}


@pytest.mark.parametrize("clip", ["run01", "phone"])
@pytest.mark.parametrize("start_share, stop_share, lead_s", [(0.5, None, 0.2), (0.3, 0.8, 0.0), (None, 0.6, 0.0)])
def test_a_part_of_a_clip_is_exactly_those_frames_of_the_whole(seekable_clips, clip, start_share, stop_share, lead_s):
    path = seekable_clips[clip]
    times, pixels, _ = whole(path)
    span = times[-1] - times[0]
    start = times[0] + start_share * span if start_share is not None else -math.inf
    stop = times[0] + stop_share * span if stop_share is not None else math.inf
    part_times, part_pixels, warnings = read(path, start_s=start, stop_s=stop, lead_s=lead_s)
    wanted = [i for i, t in enumerate(times) if start - lead_s <= t < stop]
    assert part_times == [times[i] for i in wanted] and warnings == []
    assert all(np.array_equal(part_pixels[k], pixels[i]) for k, i in enumerate(wanted))  # decoded from a keyframe


@pytest.mark.parametrize("clip", ["run01", "phone"])
def test_every_nth_frame_is_picked_by_time_so_a_part_picks_what_the_whole_clip_does(seekable_clips, clip):
    path = seekable_clips[clip]
    every = 3
    picked, _, _ = read(path, every=every)
    with VideoReader(path) as reader:
        window_s = every / reader.info.average_fps
    span = picked[-1] - picked[0]
    assert abs(len(picked) - span / window_s) <= 2  # one frame per window, however the frames fall
    assert min(np.diff(picked)) > 0.3 * window_s
    seam = picked[0] + 0.5 * span
    part, _, _ = read(path, every=every, start_s=seam, lead_s=2 * window_s)
    assert [t for t in part if t >= seam] == [t for t in picked if t >= seam]


def test_a_part_past_the_end_of_a_clip_is_empty_and_not_an_error():
    times, _, warnings = read(sample(RUN01), start_s=100.0, lead_s=1.0)
    assert times == [] and warnings == []


def test_parts_split_the_warnings_of_a_damaged_clip_without_counting_twice(tmp_path):
    clip = corrupt_middle(sample(RUN01), tmp_path / "damaged.mp4")
    _, _, whole = read(clip)
    skipped = re.search(r"skipped (\d+) damaged frames between ([\d.]+) and ([\d.]+) s", " ".join(whole))
    assert skipped
    seam = float(skipped[2]) + 0.2  # inside the damaged stretch, and a lead that reaches back over it
    _, _, before = read(clip, stop_s=seam)
    _, _, after = read(clip, start_s=seam, lead_s=1.0)
    counts = [int(m[1]) for m in re.finditer(r"skipped (\d+) damaged", " ".join(before + after))]
    assert len(counts) == 2 and sum(counts) == int(skipped[1])


def test_only_the_part_that_reads_to_the_end_says_a_cut_off_clip_is_incomplete(tmp_path):
    clip = first_half(sample(RUN01), tmp_path / "cut.mp4")
    times, _, whole = read(clip)
    assert any("probably incomplete" in w for w in whole)
    seam = (times[0] + times[-1]) / 2
    _, _, before = read(clip, stop_s=seam)
    after_times, _, after = read(clip, start_s=seam, lead_s=0.5)
    assert before == [] and after == [w for w in whole if "probably incomplete" in w]
    assert after_times[-1] == times[-1]
