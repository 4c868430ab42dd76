"""How many frames the pose model sees: 30 a second of a phone clip, every frame of a slower one."""

import math

import pytest

from formcheck.io.frame_pick import ANALYSIS_FPS, FramePick, analysis_every


@pytest.mark.parametrize("fps, every", [(24.0, 1), (30.0, 1), (50.0, 1), (59.0, 1), (59.94, 2), (60.0, 2),
                                        (90.0, 3), (100.0, 3), (119.88, 4), (120.0, 4), (239.76, 8), (240.0, 8),
                                        (math.nan, 1), (0.0, 1)])
def test_a_clip_is_seen_at_30_frames_a_second_or_a_few_more(fps, every):
    assert analysis_every(fps) == every
    if every > 1:
        assert ANALYSIS_FPS * 0.99 <= fps / every < 1.25 * ANALYSIS_FPS


def test_a_set_every_is_kept_whatever_the_rate_but_an_unknown_rate_is_analysed_whole():
    assert analysis_every(240.0, 1) == 1 and analysis_every(30.0, 3) == 3
    assert analysis_every(math.nan, 3) == 1  # no windows to pick frames by: every frame, and summary.json says so


def test_frames_a_little_early_or_late_stay_in_their_window():
    pick = FramePick(every=2, fps=60.0, first_time_s=0.5)
    jitter = 0.003  # s: a phone's timestamps wander a few milliseconds
    windows = [pick.window(0.5 + k / 60 + (jitter if k % 3 else -jitter)) for k in range(12)]
    assert windows == [k // 2 for k in range(12)]
    assert FramePick(every=1, fps=60.0, first_time_s=0.0).window(1.0) is None
    assert FramePick(every=2, fps=math.nan, first_time_s=0.0).window(1.0) is None
