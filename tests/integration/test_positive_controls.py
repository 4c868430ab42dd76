"""The positive controls: real people whose answer is visible, with the windows read by eye in
``../shared/sample_videos/annotations.json``. A shrug must show in the ear-to-shoulder gap with the
hips out of frame, nods in the front-view head pitch, and a head held still must stay still."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLES
from tests.controls import PC01, PC03, PC04, nod_pitch, pitch_spread, shrug_gap

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def annotations():
    return json.loads((SAMPLES / "annotations.json").read_text())


def frames(analysed, name: str) -> pd.DataFrame:
    return pd.read_csv(analysed(name) / "frame_metrics.csv")


def test_a_shrug_filmed_from_the_front_without_hips_closes_the_ear_to_shoulder_gap(analysed, annotations):
    table = frames(analysed, PC01)
    assert (table["view"] == "front").mean() > 0.9  # the hips are out of frame; the ears give the scale
    up, rest = shrug_gap(table, annotations[PC01])
    print(f"pc01 ear-to-shoulder gap: shrugs {up:.3f}, at rest {rest:.3f}")
    assert up < 0.85 * rest


def test_nods_seen_from_the_front_read_chin_down_where_the_eye_saw_it(analysed, annotations):
    down, level = nod_pitch(frames(analysed, PC03), annotations[PC03])
    print(f"pc03 head pitch: chin down {np.round(down, 1)}, level {np.round(level, 1)}")
    assert (down > level).all() and down.mean() - level.mean() >= 4.0


def test_a_head_held_still_stays_still_and_nods_stand_out_against_it(analysed):
    still, nodding = pitch_spread(frames(analysed, PC04)), pitch_spread(frames(analysed, PC03))
    print(f"head pitch spread (10th-90th percentile): still {still:.1f} deg, nodding {nodding:.1f} deg")
    assert still <= 3.0 and nodding >= 3 * still
