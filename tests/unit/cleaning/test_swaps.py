"""Left/right swap repair on synthetic runners with swaps injected where the test chooses, and on a
real clip."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from formcheck.body.landmarks import POSE_INDEX
from formcheck.cleaning.smoothing import smooth_track
from formcheck.cleaning.swaps import SWAP_GROUPS, find_swaps, repair_swaps
from formcheck.cleaning.view import estimate_view
from formcheck.config import SwapConfig, config_from_dict
from formcheck.errors import ConfigError
from formcheck.pipeline import PoseRun, analysis_from_run
from formcheck.pose.track import Track
from tests.conftest import RUN01
from tests.synthetic import runner


def with_world(track: Track) -> Track:
    """``track`` with world landmarks: metres from the pixels, the left side 0.2 m nearer the camera
    (smaller z), as the pose model reports a side view."""
    world = np.zeros((len(track), 33, 3))
    world[..., :2] = (track.xy - track.xy[:, [POSE_INDEX["left_hip"]]]) / 1000.0
    world[..., 2] = [-0.1 if name.startswith("left") else 0.1 for name in POSE_INDEX]
    return track.replace(world=world)


def inject(track: Track, group: str, frames) -> Track:
    """``track`` with the left and right landmarks of ``group`` exchanged in ``frames`` the way the
    pose model does it: pixels, visibility, world x and y (each name keeps its depth), hand slots."""
    xy, vis, world, hands = (a.copy() for a in (track.xy, track.visibility, track.world, track.hands))
    for part in SWAP_GROUPS[group]:
        left, right = POSE_INDEX[f"left_{part}"], POSE_INDEX[f"right_{part}"]
        for i in frames:
            xy[i, [left, right]] = xy[i, [right, left]]
            vis[i, [left, right]] = vis[i, [right, left]]
            world[i, [left, right], :2] = world[i, [right, left], :2]
    if group == "arms":
        for i in frames:
            hands[i] = hands[i, ::-1]
    return track.replace(xy=xy, visibility=vis, world=world, hands=hands)


def front_runner(seconds: float = 8.0, fps: float = 60.0, cadence_spm: float = 170.0, seed: int = 0) -> Track:
    """A runner coming toward the camera: the runner's left side on the right of the picture, arms
    swinging and knees lifting at the cadence, hands carried in toward the middle."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 1.0 / fps)
    swing = np.sin(2 * np.pi * cadence_spm / 120.0 * t)
    xy = np.zeros((len(t), 33, 2))

    def put(name: str, x, y) -> None:
        xy[:, POSE_INDEX[name]] = np.stack(np.broadcast_arrays(540.0 + x, y), axis=1)

    put("nose", 0.0, np.full_like(t, 660.0))
    for side, s in (("left", 1.0), ("right", -1.0)):  # s = +1 on the right of the picture
        lift = np.clip(s * swing, 0, 1)
        for part, dx, y in (("eye_inner", 10, 640), ("eye", 20, 640), ("eye_outer", 30, 640), ("ear", 40, 660),
                            ("shoulder", 90, 800), ("hip", 60, 1100)):
            put(f"{side}_{part}", s * dx, np.full_like(t, y))
        put(f"mouth_{side}", s * 12, np.full_like(t, 700.0))
        put(f"{side}_elbow", s * 115, 950 - 30 * s * swing)
        put(f"{side}_wrist", s * 70, 1000 - 70 * s * swing)
        for part, dx in (("pinky", 55), ("index", 62), ("thumb", 68)):
            put(f"{side}_{part}", s * dx, 1030 - 70 * s * swing)
        put(f"{side}_knee", s * 55, 1320 - 90 * lift)
        put(f"{side}_ankle", s * 50, 1520 - 120 * lift)
        put(f"{side}_heel", s * 50, 1535 - 120 * lift)
        put(f"{side}_foot_index", s * 50, 1560 - 120 * lift)
    xy += rng.normal(0, 1.0, xy.shape)
    return Track(times=t, xy=xy, visibility=np.full((len(t), 33), 0.99), world=np.full((len(t), 33, 3), np.nan),
                 hands=np.full((len(t), 2, 21, 3), np.nan), meta={"width": 1080, "height": 1920})


def frames_of(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()


def assert_same_track(a: Track, b: Track) -> None:
    for name in ("xy", "visibility", "world", "hands"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def apart(fps: float, cadence_spm: float, stride: float) -> int:
    """The frame of :func:`~tests.synthetic.runner` a quarter stride after stride number ``stride``
    starts: arms and legs at their furthest apart (at the start of a stride they overlap, and a swap
    there changes nothing)."""
    return round((stride + 0.25) * 120.0 / cadence_spm * fps)


@pytest.mark.parametrize("fps, cadence_spm", [(60.0, 170.0), (30.0, 200.0), (120.0, 180.0)])
def test_injected_side_view_swaps_are_found_and_repaired_exactly(fps, cadence_spm):
    seconds = (12 + 0.25) * 120.0 / cadence_spm + 0.5 / fps  # ends a quarter stride after a stride start
    truth = with_world(runner(seconds=seconds, fps=fps, cadence_spm=cadence_spm, noise_px=2.0))
    one, three = apart(fps, cadence_spm, 2), apart(fps, cadence_spm, 7)
    legs = [one, one + 1, three - 1, three, three + 1, len(truth) - 1]  # 2 and 3 frames, the last frame
    arms = [apart(fps, cadence_spm, 4), apart(fps, cadence_spm, 9)]
    swapped = inject(inject(truth, "legs", legs), "arms", arms)
    repaired, report = repair_swaps(swapped)
    assert frames_of(report.swapped["legs"]) == legs
    assert frames_of(report.swapped["arms"]) == arms
    assert_same_track(repaired, truth)
    summary = report.summary()
    assert summary["legs"]["frames"] == len(legs) and summary["legs"]["share"] == len(legs) / len(truth)


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("fps, cadence_spm", [(30.0, 150.0), (30.0, 210.0), (60.0, 170.0), (240.0, 180.0)])
def test_legs_crossing_in_a_side_view_are_not_swaps(fps, cadence_spm, facing):
    track = runner(seconds=20.0, fps=fps, cadence_spm=cadence_spm, facing=facing, noise_px=3.0, seed=3)
    report = find_swaps(track)
    assert report.checked == {"arms": len(track), "legs": len(track)}
    assert not any(mask.any() for mask in report.swapped.values())


def test_front_view_swaps_short_and_long_are_found():
    truth = front_runner()
    assert set(estimate_view(truth).view) == {"front"}
    long_arms = list(range(100, 190))  # 1.5 s: too long for motion alone, the left-right order tells
    legs = [30, 300, 301]
    swapped = inject(inject(truth, "arms", long_arms), "legs", legs)
    repaired, report = repair_swaps(swapped)
    assert frames_of(report.swapped["arms"]) == long_arms
    assert frames_of(report.swapped["legs"]) == legs
    assert_same_track(repaired, truth)


def test_frames_without_the_runner_or_the_limbs_are_skipped_not_swapped():
    truth = runner(seconds=6.0, noise_px=2.0)
    xy = truth.xy.copy()
    xy[50:53] = np.nan  # runner not found for 3 frames (0.05 s): continuity still bridges them
    xy[120:150, [POSE_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in SWAP_GROUPS["legs"]]] = np.nan
    truth = truth.replace(xy=xy)
    legs = [49, 53, 119, 150]  # next to each gap
    repaired, report = repair_swaps(inject(truth, "legs", legs))
    assert frames_of(report.swapped["legs"]) == legs
    assert report.checked["legs"] == len(truth) - 3 - 30
    assert not report.swapped["arms"].any()
    assert_same_track(repaired, truth)


def test_one_stray_landmark_does_not_swap_its_limb():
    track = runner(seconds=4.0, noise_px=2.0)
    xy = track.xy.copy()
    for i, name in ((60, "wrist"), (61, "elbow"), (130, "ankle"), (131, "knee")):
        xy[i, POSE_INDEX[f"left_{name}"]] = xy[i, POSE_INDEX[f"right_{name}"]]  # both on the right limb
    report = find_swaps(track.replace(xy=xy))
    assert not any(mask.any() for mask in report.swapped.values())


def test_switched_off_the_track_is_returned_untouched():
    track = inject(runner(seconds=3.0), "legs", [40])
    repaired, report = repair_swaps(track, SwapConfig(enabled=False))
    assert repaired is track
    assert not report.enabled and not any(mask.any() for mask in report.swapped.values())
    assert report.summary()["enabled"] is False and report.summary()["legs"]["frames"] == 0
    assert frames_of(repair_swaps(track)[1].swapped["legs"]) == [40]  # on by default


def test_the_analysis_measures_the_repaired_track_and_keeps_the_raw_one():
    truth = runner(seconds=8.0)
    legs = [apart(60.0, 170.0, 3), apart(60.0, 170.0, 6)]
    raw = inject(truth, "legs", legs)
    run = PoseRun(info=SimpleNamespace(as_dict=dict), track=raw, warnings=[], seconds=1.0, clip_sha256="0")
    analysis = analysis_from_run(run)
    assert analysis.raw_track is raw
    np.testing.assert_array_equal(analysis.track.xy, smooth_track(truth).xy)
    assert analysis.summary.left_right_swaps["legs"] == {"frames": 2, "frames_checked": len(raw),
                                                            "share": 2 / len(raw)}


def test_a_group_judged_on_no_landmark_is_a_config_error():
    with pytest.raises(ConfigError, match=r"\[swaps\] min_landmarks = 0: expected a whole number from 1 to 5"):
        config_from_dict({"swaps": {"min_landmarks": 0}})


@pytest.mark.slow
def test_repair_never_makes_a_real_clip_jumpier(analysed):
    out = analysed(RUN01)
    raw = Track.load(out / "track_raw")
    repaired, report = repair_swaps(raw)
    written = json.loads((out / "summary.json").read_text())["left_right_swaps"]
    assert {group: written[group]["frames"] for group in SWAP_GROUPS} == {
        group: int(mask.sum()) for group, mask in report.swapped.items()}
    for group, name in (("legs", "ankle"), ("arms", "wrist")):
        for side in ("left", "right"):
            before, after = (np.nanmean(np.linalg.norm(np.diff(t.xy[:, POSE_INDEX[f"{side}_{name}"]], axis=0), axis=1))
                             for t in (raw, repaired))
            assert after < before if report.swapped[group].any() else after == before, (side, name)
