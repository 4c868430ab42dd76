"""Following the runner when someone else is in the picture, and ``--person`` choosing who.

Synthetic tests drive :class:`~formcheck.pose.follow.RunnerFollower` with a stand-in for MediaPipe
whose people are coloured blobs, so who is in view, who moves and whom the model would pick are all
known. The real-clip tests check run04 (a bystander behind the runner) and run05 (a coach in front),
whole and cut to start with both people in view, and ``--person`` picking the other one.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.body.geometry import mean_of_seen, point, trunk_length
from formcheck.body.landmarks import POSE_INDEX
from formcheck.config import Config, FollowConfig, PoseConfig, person_point
from formcheck.errors import ConfigError, NoPersonError
from formcheck.io.video import VideoReader
from formcheck.pipeline import run_pose
from formcheck.pose import PoseFrame
from formcheck.pose.follow import RunnerFollower, _contains, _square
from formcheck.pose.track import Track, TrackBuilder
from tests.clips import write_clip
from tests.conftest import run_cli, sample

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips

WIDTH, HEIGHT, FPS = 640, 360, 30.0
RUNNER, BYSTANDER = (200, 40, 40), (40, 40, 200)  # body colours; heads are one shade lighter
HEAD = 24  # pixels, square
MIN_HEAD_PIXELS = HEAD * HEAD // 2  # the stand-in finds a person whose head is at least half visible


def _head(colour):
    return tuple(c + 1 for c in colour)


def _pixels(rgb: np.ndarray, colour) -> np.ndarray:
    """(H, W) bool: where ``rgb`` is exactly ``colour``."""
    return cv2.inRange(rgb, colour, colour) > 0


class BlobModel:
    """A stand-in for MediaPipe: a person is a body colour and a head colour. Like MediaPipe it keeps
    tracking the person it has, and when it has nobody (or after ``reset``) it picks the person with
    the most pixels in view. ``jump_at``: from that time on it switches to the other person once, as
    the real model sometimes does when two people overlap."""

    name = "blobs"

    def __init__(self, jump_at: float = np.inf) -> None:
        self.tracked = None
        self.jump_at = jump_at

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        visible = {c: _pixels(rgb, _head(c)) for c in (RUNNER, BYSTANDER)}
        visible = {c: head for c, head in visible.items() if head.sum() >= MIN_HEAD_PIXELS}
        if time_s >= self.jump_at:
            self.jump_at = np.inf
            self.tracked = next((c for c in visible if c != self.tracked), self.tracked)
        if self.tracked not in visible:
            body = {c: (_pixels(rgb, c) | visible[c]).sum() for c in visible}
            self.tracked = max(body, key=body.get, default=None)
        if self.tracked is None:
            return PoseFrame.empty()
        return _pose_from_blob(rgb, self.tracked, out_size)

    def reset(self) -> None:
        self.tracked = None

    def close(self) -> None:
        pass


def _pose_from_blob(rgb: np.ndarray, colour, out_size: tuple[int, int]) -> PoseFrame:
    """Landmarks from the head's top to the blob's bottom at fixed shares of its height; the left ones
    on the blob's left edge at that height, the right ones on its right edge (the feet at the feet)."""
    head = _pixels(rgb, _head(colour))
    body = _pixels(rgb, colour) | head
    top, bottom = np.flatnonzero(head.any(axis=1)).min(), np.flatnonzero(body.any(axis=1)).max()
    frame = PoseFrame.empty()
    for name, i in POSE_INDEX.items():
        share = 0.05 if i <= POSE_INDEX["mouth_right"] else 0.2 if "shoulder" in name else \
            0.5 if "hip" in name else 0.75 if "knee" in name else 0.95 if name.endswith(("ankle", "heel", "foot_index")) \
            else 0.4  # arms
        y = int(top + share * (bottom - top))
        xs = np.flatnonzero(body[y])
        frame.xy[i] = (xs.min() if "left" in name else xs.max() if "right" in name else xs.mean(), y)
    frame.xy[:] *= (out_size[0] / rgb.shape[1], out_size[1] / rgb.shape[0])
    frame.visibility[:] = 0.9
    return frame


def _draw(t: float, runner_legs: bool = True, bystander: bool = True, flicker: bool = False) -> np.ndarray:
    """A grey frame with the runner (legs swinging at 3 Hz) and, in front of them on the right, a
    larger bystander standing still whose box the runner's back leg reaches into; ``flicker``: a
    patch on the left, larger than the runner's moving legs, that flickers every frame."""
    rgb = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    if flicker:
        rgb[160:340, 20:180] = 90 + 60 * (round(t * FPS) % 2)
    swing = 60 * np.sin(2 * np.pi * 3.0 * t) if runner_legs else 0.0
    rgb[80:200, 300:340] = RUNNER  # torso
    for sign in (1, -1):  # legs: feet swing forward and back
        foot = int(320 + sign * swing)
        for y in range(200, 300):
            x = int(320 + (foot - 320) * (y - 200) / 100)
            rgb[y, x - 8:x + 8] = RUNNER
    rgb[56:80, 308:332] = _head(RUNNER)
    if bystander:
        rgb[60:340, 380:460] = BYSTANDER
        rgb[36:60, 408:432] = _head(BYSTANDER)
    return rgb


def _follow(config: FollowConfig, model: BlobModel, seconds: float = 3.0, **draw) -> Track:
    follower = RunnerFollower(model, config)
    builder = TrackBuilder({"width": WIDTH, "height": HEIGHT})
    for t in np.arange(0.0, seconds, 1.0 / FPS):
        builder.add(t, follower.estimate(_draw(t, **draw), t, (WIDTH, HEIGHT)))
    return builder.build()


def _hips(track: Track) -> np.ndarray:
    return mean_of_seen(np.stack([point(track.xy, "left_hip"), point(track.xy, "right_hip")]))


def hip_jumps(track: Track) -> np.ndarray:
    """Frame-to-frame moves of the hip midpoint in trunk lengths (median trunk of the track), between
    consecutive frames where it is seen (NaN across a missing frame)."""
    return np.linalg.norm(np.diff(_hips(track), axis=0), axis=1) / np.nanmedian(trunk_length(track.xy))


def _on(track: Track, x_range: tuple[float, float]) -> np.ndarray:
    """Of the frames with hips, which have them inside ``x_range`` (pixels)."""
    x = _hips(track)[:, 0]
    x = x[np.isfinite(x)]
    return (x > x_range[0]) & (x < x_range[1])


RUNNER_X, BYSTANDER_X = (300, 340), (380, 460)


def test_the_runner_is_found_when_the_clip_starts_with_a_larger_bystander_in_view():
    track = _follow(FollowConfig(), BlobModel())
    assert _on(track, RUNNER_X).all()  # never a frame of the bystander
    assert track.found[track.times >= 0.5].mean() > 0.95  # locked on within half a second
    assert np.nanmax(hip_jumps(track)) < 0.2


def test_a_jump_of_the_model_to_the_bystander_is_dropped_and_undone():
    model = BlobModel(jump_at=1.5)
    track = _follow(FollowConfig(), model)
    assert model.jump_at == np.inf  # the model did jump
    assert _on(track, RUNNER_X).all()
    after = track.found[(track.times >= 1.5) & (track.times < 1.7)]
    assert not after[:2].any() and after[2:].all()  # the jump and the next frame, that confirms it, are lost


class GlitchOnce(BlobModel):
    """The stand-in, but in the frame at ``glitch_at`` the landmarks land a body height to the left;
    ``resets`` holds the time of the last frame seen before each reset."""

    def __init__(self, glitch_at: float) -> None:
        super().__init__()
        self.glitch_at, self.now, self.resets = glitch_at, -1.0, []

    def estimate(self, rgb, time_s, out_size):
        self.now = time_s
        found = super().estimate(rgb, time_s, out_size)
        if abs(time_s - self.glitch_at) < 1e-6:
            return PoseFrame(xy=found.xy - (250.0, 0.0), visibility=found.visibility, world=found.world,
                             hands=found.hands)
        return found

    def reset(self) -> None:
        super().reset()
        self.resets.append(self.now)


def test_a_single_frame_whose_hips_jump_is_dropped_and_the_person_kept():
    model = GlitchOnce(glitch_at=60 / FPS)
    track = _follow(FollowConfig(), model)
    assert _on(track, RUNNER_X).all()
    assert not track.found[60] and track.found[61:].all()
    assert model.resets and max(model.resets) < model.glitch_at  # only the switch to the runner at the start


@pytest.mark.parametrize("person, x_range", [("420,200", BYSTANDER_X), ("320,150", RUNNER_X),
                                             ("65%,55%", BYSTANDER_X), ("50%,42%", RUNNER_X)])
def test_person_picks_whoever_is_at_the_point_in_the_first_frame(person, x_range):
    track = _follow(FollowConfig(person=person), BlobModel())
    assert _on(track, x_range).all()
    assert track.found[track.times >= 0.2].all()


def test_a_point_on_nobody_is_an_error_that_says_what_to_give():
    with pytest.raises(NoPersonError, match="--person 600,20: no one's head or trunk is at that point"):
        _follow(FollowConfig(person="600,20"), BlobModel())


def test_a_flickering_light_larger_than_the_runner_costs_two_frames_once():
    config = FollowConfig()
    track = _follow(config, BlobModel(), seconds=3.0 * config.cooldown_s, bystander=False, flicker=True)
    assert _on(track, RUNNER_X).all()
    # One try at the start (its frame dropped, the next searched in vain), then the light is left out
    # of the motion map: no try after the cooldown.
    assert track.found[track.times >= config.settle_s + 2 / FPS].all()


def test_a_lone_runner_standing_still_is_kept():
    config = FollowConfig()
    track = _follow(config, BlobModel(), seconds=1.0, runner_legs=False)
    settling = track.times < config.settle_s  # too early to tell who moves
    assert not track.found[settling].any() and track.found[~settling].all()


def test_the_follower_remembers_the_runner_for_motion_memory_only():
    """What it keeps of the person followed is the last ``motion_memory_s`` of boxes, however long the
    clip (also while nothing moves, when no switch is weighed): memory stays flat."""
    config = FollowConfig()
    follower = RunnerFollower(BlobModel(), config)
    times = np.arange(0.0, 4.0, 1.0 / FPS)
    for t in times:
        follower.estimate(_draw(t, runner_legs=False, bystander=False), t, (WIDTH, HEIGHT))  # nothing moves
    remembered = np.array([t for t, _ in follower._recent])
    assert len(remembered) >= config.motion_memory_s * FPS
    assert times[-1] - remembered.min() <= config.motion_memory_s


@pytest.mark.parametrize("text, expected", [
    ("auto", None), ("AUTO", None), ("640,360", (640.0, 360.0, "px")), (" 12.5 , 3 ", (12.5, 3.0, "px")),
    ("50%,40%", (50.0, 40.0, "%")), ("0%,100%", (0.0, 100.0, "%")),
])
def test_person_point_reads_pixels_and_percent(text, expected):
    assert person_point(text) == expected


@pytest.mark.parametrize("text", ["", "left", "1,2,3", "50%,3", "-1,2", "101%,5%", "nan,1", "inf,2"])
def test_a_bad_person_choice_names_the_accepted_forms(text):
    with pytest.raises(ConfigError, match="X%,Y%"):
        FollowConfig(person=text)


def test_box_maths():
    assert _square((10, 20, 30, 60), 1.5, (1000, 1000)) == (0, 10, 50, 70)  # 60 px square about (20, 40)
    assert _square((0, 0, 100, 100), 2.0, (120, 80)) == (0, 0, 120, 80)  # clipped to the frame
    assert _contains((100, 100, 200, 300), (245, 345))  # within 25% of the larger side (200 px) outside
    assert not _contains((100, 100, 200, 300), (255, 200))


# Real clips. Where each person's hips are, as a share of the frame width, checked by eye on drawn
# frames: run04's runner 0.5-0.75 and the bystander behind him about 0.34; run05's runner 0.45-0.65
# and the coach in the foreground about 0.76 (hips low in the frame, at its bottom edge).
RUN04, RUN05 = "run04_treadmill_side_sprint_harness.mp4", "run05_treadmill_side_sprint_with_bystander.mp4"
RUNNER_SHARE = {RUN04: (0.5, 0.75), RUN05: (0.45, 0.65)}
OTHER_SHARE = {RUN04: (0.2, 0.45), RUN05: (0.7, 0.9)}
MAX_HIP_JUMP = 0.2  # trunk lengths between frames: far below the 1.3-1.5 between the two people
LOCK_S = 0.5  # the bound holds from this long after the first frame with a person


def cut(src, dst, start_s: float, end_s: float):
    """The frames of ``src`` from ``start_s`` to ``end_s`` (s) re-encoded into ``dst``, times from 0."""
    frames, times = [], []
    with VideoReader(src) as reader:
        for frame in reader.frames():
            if start_s <= frame.time_s < end_s:
                frames.append(frame.rgb)
                times.append(frame.time_s - start_s)
    return write_clip(dst, frames, times)


def followed(track: Track, share: tuple[float, float]) -> float:
    """Share of the frames with hips in which they lie within ``share`` of the frame width."""
    x = _hips(track)[:, 0] / track.meta["width"]
    x = x[np.isfinite(x)]
    return float(((x > share[0]) & (x < share[1])).mean())


def locked_jumps(track: Track) -> np.ndarray:
    """Moves of the hip midpoint (trunk lengths, the track's median trunk) from each frame with hips
    to the next one, from :data:`LOCK_S` after the first."""
    hips = _hips(track)
    seen = np.isfinite(hips).all(axis=1)
    seen &= track.times >= track.times[seen][0] + LOCK_S
    return np.linalg.norm(np.diff(hips[seen], axis=0), axis=1) / np.nanmedian(trunk_length(track.xy))


def report(name: str, track: Track) -> None:
    jumps = locked_jumps(track)
    print(f"{name}: hips found in {np.isfinite(_hips(track)[:, 0]).mean():.0%} of {len(track)} frames, "
          f"hip jump max {jumps.max():.3f}, 99th percentile {np.percentile(jumps, 99):.3f} trunk lengths/frame")


@pytest.mark.parametrize("name", [RUN04, RUN05])
def test_the_runner_is_followed_through_the_whole_clip(analysed, name):
    track = Track.load(analysed(name) / "track_raw")
    report(name, track)
    assert followed(track, RUNNER_SHARE[name]) == 1.0
    assert locked_jumps(track).max() < MAX_HIP_JUMP
    assert track.found.mean() > 0.95


@pytest.fixture(scope="module")
def run05_late(tmp_path_factory):
    """3 s of run05 from 9 s on: the clip starts with the runner and the coach both in view."""
    return cut(sample(RUN05), tmp_path_factory.mktemp("cuts") / "run05_late.mp4", 9.0, 12.0)


def test_a_clip_that_starts_with_both_in_view_follows_the_runner(run05_late):
    track = run_pose(run05_late, Config(pose=PoseConfig(model="pose"))).track
    report("run05 from 9 s", track)
    assert followed(track, RUNNER_SHARE[RUN05]) == 1.0
    assert locked_jumps(track).max() < MAX_HIP_JUMP
    assert track.found[track.times >= LOCK_S].mean() > 0.95


def test_person_follows_the_coach_when_asked(run05_late, tmp_path):
    out = tmp_path / "coach"
    result = run_cli("analyze", run05_late, "-o", out, "--person", "76%,70%", "--model", "pose",
                     "--no-video", "--no-report")  # a point on the coach's shorts
    assert result.returncode == 0, result.stderr
    track = Track.load(out / "track_raw")
    report("run05 from 9 s, --person on the coach", track)
    assert followed(track, OTHER_SHARE[RUN05]) == 1.0
    assert track.found.mean() > 0.95


def test_person_follows_the_bystander_when_asked(tmp_path):
    clip = cut(sample(RUN04), tmp_path / "run04_start.mp4", 0.0, 2.0)
    track = run_pose(clip, Config(pose=PoseConfig(model="pose"), follow=FollowConfig(person="440,260"))).track
    report("run04 first 2 s, --person on the bystander", track)
    assert followed(track, OTHER_SHARE[RUN04]) == 1.0
    assert track.found.mean() > 0.9


def test_motion_map_percentile_is_numpys():
    from formcheck.pose.follow import _percentile

    rng = np.random.default_rng(3)
    for size in (1, 2, 7, 160 * 284, 160 * 284 + 1):
        values = rng.random((size, 1), dtype=np.float32) * 50
        for q in (0, 50, 99, 100):
            assert _percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-6), (size, q)
