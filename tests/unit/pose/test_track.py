"""Track: validation at construction, exact save/load round trip, building frame by frame."""

import numpy as np
import pytest

from formcheck.errors import TrackError
from formcheck.pose import PoseFrame
from formcheck.pose.track import Track, TrackBuilder


def random_track(frames: int = 40, seed: int = 0) -> Track:
    rng = np.random.default_rng(seed)
    xy = rng.normal(500, 200, (frames, 33, 2))
    visibility = rng.random((frames, 33))
    xy[3] = np.nan
    visibility[3] = np.nan
    hands = rng.normal(0, 300, (frames, 2, 21, 3))
    hands[::3, 0] = np.nan
    return Track(times=np.cumsum(rng.uniform(0.001, 0.04, frames)), xy=xy, visibility=visibility,
                 world=rng.normal(0, 1, (frames, 33, 3)), hands=hands,
                 meta={"width": 1080, "height": 1920, "source": "synthetic.mp4"})


@pytest.mark.parametrize("frames", [40, 5000])  # 5000: written in several blocks of rows
def test_save_load_round_trips_bit_for_bit(tmp_path, frames):
    track = random_track(frames)
    track.save(tmp_path / "t")
    assert len((tmp_path / "t.csv").read_text().splitlines()) == frames + 1
    loaded = Track.load(tmp_path / "t.csv")
    for name in ("times", "xy", "visibility", "world", "hands"):
        assert getattr(loaded, name).tobytes() == getattr(track, name).tobytes(), name
    assert loaded.meta == track.meta



def _same_arrays(a: Track, b: Track) -> bool:
    return all(getattr(a, n).tobytes() == getattr(b, n).tobytes() for n in ("times", "xy", "visibility", "world", "hands"))


def test_a_loaded_track_saved_again_copies_its_csv_only_while_that_file_is_unchanged(tmp_path):
    original = random_track()
    original.save(tmp_path / "first")
    loaded = Track.load(tmp_path / "first")
    loaded.save(tmp_path / "copy")
    assert (tmp_path / "copy.csv").read_bytes() == (tmp_path / "first.csv").read_bytes()
    assert Track.load(tmp_path / "copy").meta == original.meta

    random_track(seed=1).save(tmp_path / "first")  # the file it was read from now holds other landmarks
    loaded.save(tmp_path / "after_change")
    assert _same_arrays(Track.load(tmp_path / "after_change"), original)

    (tmp_path / "first.csv").unlink()
    loaded.save(tmp_path / "after_removal")
    assert _same_arrays(Track.load(tmp_path / "after_removal"), original)


def test_a_loaded_track_saved_over_its_own_files_keeps_them(tmp_path):
    random_track().save(tmp_path / "t")
    before = (tmp_path / "t.csv").read_bytes()
    Track.load(tmp_path / "t").save(tmp_path / "t")
    assert (tmp_path / "t.csv").read_bytes() == before
    assert _same_arrays(Track.load(tmp_path / "t"), random_track())


def test_csv_columns_carry_units(tmp_path):
    csv_path, _ = random_track().save(tmp_path / "t")
    header = csv_path.read_text().splitlines()[0].split(",")
    assert header[:3] == ["time_s", "nose_x_px", "nose_y_px"]
    assert "left_shoulder_visibility" in header and "right_hip_world_z_m" in header
    assert "left_hand_index_tip_x_px" in header


def test_arrays_are_read_only():
    track = random_track()
    with pytest.raises(ValueError):
        track.xy[0, 0, 0] = 1.0


@pytest.mark.parametrize("change, message", [
    ({"times": np.zeros(40)}, "strictly increasing"),
    ({"xy": np.zeros((40, 33, 3))}, "expected shape"),
    ({"meta": {"width": 1080}}, "height"),
    ({"times": np.full(40, np.nan)}, "finite"),
])
def test_invalid_tracks_are_refused_with_what_was_expected(change, message):
    with pytest.raises(TrackError, match=message):
        random_track().replace(**change)


def test_found_marks_frames_with_a_person():
    found = random_track().found
    assert not found[3] and found[[0, 1, 2, 4]].all()


def test_loading_a_missing_or_foreign_file_says_what_is_wrong(tmp_path):
    with pytest.raises(TrackError, match="no such file"):
        Track.load(tmp_path / "nothing")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    (tmp_path / "x.json").write_text('{"format": "something-else"}')
    with pytest.raises(TrackError, match="expected a formcheck track"):
        Track.load(tmp_path / "x")


def test_times_keep_double_precision_and_landmarks_are_single():
    track = random_track()
    assert track.times.dtype == np.float64
    assert {getattr(track, n).dtype for n in ("xy", "visibility", "world", "hands")} == {np.dtype(np.float32)}


def test_the_caller_keeps_a_writeable_array_of_its_own():
    xy = np.zeros((40, 33, 2), dtype=np.float32)
    track = random_track().replace(xy=xy)
    xy[0, 0, 0] = 5.0
    assert track.xy[0, 0, 0] == 0.0


@pytest.mark.parametrize("expected", [None, 3, 40, 100])  # unknown, too few (grows), exact, too many
def test_a_built_track_equals_the_frames_added(expected):
    source = random_track()
    builder = TrackBuilder(source.meta, expected)
    for i in range(len(source)):
        builder.add(source.times[i], source.frame(i))
    builder.add(source.times[-1] + 0.01, PoseFrame.empty())
    built = builder.build()
    assert len(built) == len(source) + 1 and not built.found[-1]
    for name in ("times", "xy", "visibility", "world", "hands"):
        np.testing.assert_array_equal(getattr(built, name)[:-1], getattr(source, name), err_msg=name)
