"""Nothing the user owns is ever lost: where output folders go, and what formcheck refuses to replace.

Each test runs in a temporary folder of sentinels (the clip, a notes file, a folder of documents, a
link to it) and checks afterwards that every sentinel's bytes are as they were. Writing that fails
part way (disk full, no permission, the folder gone) is injected, and must leave an earlier result
intact and no temporary folder behind.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

import formcheck
from formcheck.config import Config
from formcheck.errors import OutputError
from formcheck.evidence.folder import write_analysis
from formcheck.io.destination import (
    ANALYSIS,
    BATCH,
    COMPARISON,
    MARKER_NAME,
    check_replaceable,
    output_folder,
    read_marker,
    write_marker,
)
from formcheck.pose.track import Track
from tests.clips import sample_frames, write_clip
from tests.conftest import RUN01, assert_one_line_error, run_cli, sample

FAST = ("--model", "pose", "--no-video", "--no-report")
FAST_CONFIG = dataclasses.replace(Config(), pose=dataclasses.replace(Config().pose, model="pose"))


@pytest.fixture(scope="module")
def short_frames():
    """Half a second of run01, 360 pixels high, and its times (s)."""
    return sample_frames(sample(RUN01), max_frames=30, max_height=360)


@pytest.fixture
def runs(tmp_path, short_frames):
    """``tmp_path/home/runs``: the clip, a notes file, a folder of documents and a link to it; the
    user's home folder above it holds a file of its own."""
    home = tmp_path / "home"
    folder = home / "runs"
    (folder / "docs").mkdir(parents=True)
    write_clip(folder / "clip.mp4", *short_frames)
    (folder / "notes.txt").write_text("splits: 4:05, 4:02, 3:58\n")
    (folder / "docs" / "plan.txt").write_text("Tuesday: 6 x 800 m\n")
    (folder / "linkdocs").symlink_to("docs")
    (home / "diary.txt").write_text("felt tight at km 8\n")
    return folder


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` but formcheck's output folders: a file's SHA-256, a link's target, 'dir'."""
    seen = {}
    for path in sorted(root.rglob("*")):
        if any(part.endswith((".formcheck", ".compare")) for part in path.relative_to(root).parts):
            continue
        if path.is_symlink():
            seen[str(path.relative_to(root))] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            seen[str(path.relative_to(root))] = "dir"
        else:
            seen[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def outputs(root: Path) -> list[str]:
    """formcheck's output folders under ``root`` (relative paths), and anything hidden it left."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.endswith((".formcheck", ".compare", ".partial", ".old")))


@pytest.mark.parametrize(("out", "phrases"), [
    ("clip.mp4", ["clip.mp4 is the clip being analysed"]),
    ("notes.txt", ["notes.txt is a file", "Give a new folder name with -o"]),
    ("../diary.txt", ["diary.txt is a file"]),
])
def test_a_file_at_the_destination_is_refused_and_left_as_it_was(runs, out, phrases):
    home = runs.parent
    before = snapshot(home)
    result = run_cli("analyze", "clip.mp4", "-o", out, *FAST, cwd=runs)
    assert_one_line_error(result, *phrases)
    assert result.returncode == OutputError.exit_code
    assert snapshot(home) == before and outputs(home) == []


@pytest.mark.slow
@pytest.mark.parametrize(("out", "written"), [
    (".", "runs/clip.formcheck"),
    ("docs", "runs/docs/clip.formcheck"),
    ("docs/", "runs/docs/clip.formcheck"),
    ("..", "clip.formcheck"),
    ("linkdocs", "runs/docs/clip.formcheck"),  # the link is followed into the folder, never replaced
])
def test_an_existing_folder_of_the_users_gets_the_output_folder_inside_it(runs, out, written):
    home = runs.parent
    before = snapshot(home)
    result = run_cli("analyze", "clip.mp4", "-o", out, *FAST, cwd=runs)
    assert result.returncode == 0, result.stderr
    assert snapshot(home) == before
    assert outputs(home) == [written]
    assert str(home / written) in result.stdout
    assert read_marker(home / written).kind == ANALYSIS


def test_a_link_to_an_output_folder_is_refused(runs, tmp_path):
    target = tmp_path / "elsewhere.formcheck"
    target.mkdir()
    write_marker(target, ANALYSIS, [MARKER_NAME])
    (runs / "clip.formcheck").symlink_to(target)
    before = snapshot(runs.parent), sorted(target.iterdir())
    result = run_cli("analyze", "clip.mp4", *FAST, cwd=runs)
    assert_one_line_error(result, "clip.formcheck is a symbolic link")
    assert (snapshot(runs.parent), sorted(target.iterdir())) == before


def test_a_folder_of_the_users_at_the_default_place_is_refused(runs):
    (runs / "clip.formcheck").mkdir()
    (runs / "clip.formcheck" / "my notes.txt").write_text("mine\n")
    before = snapshot(runs.parent), (runs / "clip.formcheck" / "my notes.txt").read_bytes()
    result = run_cli("analyze", "clip.mp4", *FAST, cwd=runs)
    assert_one_line_error(result, "clip.formcheck is not a formcheck output folder: it holds your files")
    assert (snapshot(runs.parent), (runs / "clip.formcheck" / "my notes.txt").read_bytes()) == before


@pytest.mark.slow
def test_rerunning_into_formchecks_own_folder_replaces_it_and_leaves_nothing_else(runs):
    home = runs.parent
    before = snapshot(home)
    first = run_cli("analyze", "clip.mp4", "--model", "pose", "--no-video", cwd=runs)  # with the report
    assert first.returncode == 0, first.stderr
    out = runs / "clip.formcheck"
    assert (out / "report.html").is_file()
    second = run_cli("analyze", "clip.mp4", *FAST, "--fresh", cwd=runs)  # without it
    assert second.returncode == 0, second.stderr
    assert not (out / "report.html").exists() and not (out / "plots").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["pose"]["model"] == "pose" and not summary["pose_reused"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == sorted(read_marker(out).files)
    assert snapshot(home) == before and outputs(home) == ["runs/clip.formcheck"]  # no .partial, no .old


@pytest.mark.slow
def test_a_file_the_user_changed_in_formchecks_folder_is_theirs_and_stops_the_rerun(runs):
    first = run_cli("analyze", "clip.mp4", *FAST, cwd=runs)
    assert first.returncode == 0, first.stderr
    segments = runs / "clip.formcheck" / "segments.csv"
    with open(segments, "a") as f:
        f.write("my note: felt fine here\n")
    edited = segments.read_bytes()
    again = run_cli("analyze", "clip.mp4", *FAST, "--fresh", cwd=runs)
    assert_one_line_error(again, "what changed since (segments.csv)")
    assert segments.read_bytes() == edited


def test_an_older_formchecks_folder_named_with_o_is_refused_not_written_into(runs):
    older = runs / "results"
    older.mkdir()
    (older / "summary.json").write_text('{"formcheck_version": "0.0.9"}')
    before = snapshot(runs.parent)
    result = run_cli("analyze", "clip.mp4", "-o", "results", *FAST, cwd=runs)
    assert_one_line_error(result, "looks like the output of an older formcheck")
    assert snapshot(runs.parent) == before


def test_a_destination_under_a_file_is_refused_before_any_work(runs):
    result = run_cli("analyze", "clip.mp4", "-o", "notes.txt/out", *FAST, cwd=runs)
    assert_one_line_error(result, "notes.txt is a file, not a folder")
    assert result.returncode == OutputError.exit_code


def test_a_comparison_cannot_take_a_clips_own_analysis_folder(runs):
    result = run_cli("compare", "clip.mp4", "clip.mp4", "-o", "clip.formcheck", "--no-video", *FAST[:2], cwd=runs)
    assert_one_line_error(result, "is where clip.mp4's own analysis folder goes")
    assert outputs(runs.parent) == []


def test_inside_formchecks_own_folder_dot_is_refused(runs):
    out = runs / "clip.formcheck"
    out.mkdir()
    write_marker(out, ANALYSIS, [MARKER_NAME])
    result = run_cli("analyze", "../clip.mp4", "-o", ".", *FAST, cwd=out)
    assert_one_line_error(result, ". is the folder you are working in")
    assert sorted(p.name for p in out.iterdir()) == [MARKER_NAME]


@pytest.mark.slow
def test_compare_into_a_folder_of_the_users_adds_its_folder_and_changes_nothing(runs):
    home = runs.parent
    before = snapshot(home)
    result = run_cli("compare", "clip.mp4", "clip.mp4", "-o", "docs", "--model", "pose", "--no-video", cwd=runs)
    assert result.returncode == 0, result.stderr
    assert snapshot(home) == before
    assert outputs(home) == ["runs/clip.formcheck", "runs/docs/clip_vs_clip.compare"]
    assert read_marker(runs / "docs" / "clip_vs_clip.compare").kind == COMPARISON


@pytest.mark.parametrize("out", ["notes.txt", "clip.mp4", "linkdocs/../notes.txt"])
def test_compare_refuses_before_any_work_and_writes_nothing(runs, out):
    home = runs.parent
    before = snapshot(home)
    result = run_cli("compare", "clip.mp4", "clip.mp4", "-o", out, "--model", "pose", "--no-video", cwd=runs)
    assert_one_line_error(result, "not a formcheck output folder")
    assert snapshot(home) == before and outputs(home) == []  # not even the clips' own folders


def test_compare_refuses_a_users_folder_where_a_clips_own_folder_goes(runs):
    (runs / "clip.formcheck").mkdir()
    (runs / "clip.formcheck" / "keep.txt").write_text("mine\n")
    before = snapshot(runs.parent), (runs / "clip.formcheck" / "keep.txt").read_bytes()
    result = run_cli("compare", "clip.mp4", "clip.mp4", "-o", "docs", "--model", "pose", "--no-video", cwd=runs)
    assert_one_line_error(result, "clip.formcheck is not a formcheck output folder")
    assert (snapshot(runs.parent), (runs / "clip.formcheck" / "keep.txt").read_bytes()) == before
    assert not (runs / "docs" / "clip_vs_clip.compare").exists()


@pytest.mark.slow
def test_a_batch_into_a_folder_of_the_users_adds_one_folder_per_clip_and_changes_nothing(runs, short_frames):
    write_clip(runs / "second.mp4", *short_frames)
    home = runs.parent
    before = snapshot(home)
    result = run_cli("analyze", "clip.mp4", "second.mp4", "-o", "docs", *FAST, cwd=runs)
    assert result.returncode == 0, result.stderr
    assert snapshot(home) == before
    assert outputs(home) == ["runs/docs/clip.formcheck", "runs/docs/second.formcheck"]
    assert not (runs / "docs" / MARKER_NAME).exists()  # the user's folder stays theirs


@pytest.mark.parametrize(("out", "phrase"), [("notes.txt", "notes.txt is a file"),
                                             ("made.formcheck", "made.formcheck is formcheck's analysis folder")])
def test_a_batch_refuses_a_file_or_an_analysis_folder_as_its_folder(runs, out, phrase):
    write_clip(runs / "second.mp4", *sample_frames(runs / "clip.mp4", max_frames=10))
    (runs / "made.formcheck").mkdir()
    write_marker(runs / "made.formcheck", ANALYSIS, [MARKER_NAME])
    before = snapshot(runs.parent)
    result = run_cli("analyze", "clip.mp4", "second.mp4", "-o", out, *FAST, cwd=runs)
    assert_one_line_error(result, phrase)
    assert snapshot(runs.parent) == before and outputs(runs.parent) == ["runs/made.formcheck"]


def test_two_clips_of_a_batch_that_would_share_a_folder_are_refused(runs):
    shutil.copy(runs / "clip.mp4", runs / "docs" / "clip.mp4")
    before = snapshot(runs.parent)
    result = run_cli("analyze", "clip.mp4", "docs/clip.mp4", "-o", "results", *FAST, cwd=runs)
    assert_one_line_error(result, "would both write clip.formcheck")
    assert snapshot(runs.parent) == before and not (runs / "results").exists()
    twice = run_cli("analyze", "clip.mp4", "./clip.mp4", *FAST, cwd=runs)
    assert_one_line_error(twice, "is given twice")


def test_a_batch_folder_made_for_clips_that_all_fail_is_removed_again(runs):
    (runs / "a.mp4").write_text("not a video")
    (runs / "b.mp4").write_text("not a video either")
    result = run_cli("analyze", "a.mp4", "b.mp4", "-o", "new/results", *FAST, cwd=runs)
    assert result.returncode == 2 and "2 of 2 clips could not be analysed" in result.stderr
    assert not (runs / "new").exists()


@pytest.mark.slow
def test_a_new_batch_folder_is_marked_as_formchecks(runs, short_frames):
    write_clip(runs / "second.mp4", *short_frames)
    result = run_cli("analyze", "clip.mp4", "second.mp4", "-o", "results", *FAST, cwd=runs)
    assert result.returncode == 0, result.stderr
    assert read_marker(runs / "results").kind == BATCH
    alone = run_cli("analyze", "clip.mp4", "-o", "results", *FAST, cwd=runs)  # a batch folder takes one more
    assert alone.returncode == 0, alone.stderr
    assert str(runs / "results" / "clip.formcheck") in alone.stdout


def test_what_is_not_formchecks_is_named_and_refused(tmp_path, monkeypatch):
    """The checks behind every refusal, one case each, on folders made here."""
    def marked(name: str, kind: str = ANALYSIS, files=(MARKER_NAME,)) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for written in set(files) - {MARKER_NAME}:
            (folder / written).parent.mkdir(parents=True, exist_ok=True)
            (folder / written).write_text("formcheck's")
        write_marker(folder, kind, files)
        return folder

    check_replaceable(tmp_path / "absent", ANALYSIS)  # nothing there: fine
    check_replaceable(marked("own", files=[MARKER_NAME, "plots/metrics.png"]), ANALYSIS)
    cases = {
        "is formcheck's comparison folder, not an analysis folder": marked("other kind", COMPARISON),
        "or what changed since (plots/mine.png)": marked(
            "extra", files=[MARKER_NAME, "plots/metrics.png"]),
        "or what changed since (link)": marked("with link"),
        "looks like the output of an older formcheck": tmp_path / "older",
        "holds clip.mp4, which is being read": marked("holds clip"),
    }
    (cases["or what changed since (plots/mine.png)"] / "plots" / "mine.png").write_text("")
    (cases["or what changed since (link)"] / "link").symlink_to(tmp_path)
    cases["looks like the output of an older formcheck"].mkdir()
    (cases["looks like the output of an older formcheck"] / "summary.json").write_text('{"formcheck_version": "0.0.9"}')
    clip = cases["holds clip.mp4, which is being read"] / "clip.mp4"
    clip.write_text("frames")
    for phrase, folder in cases.items():
        with pytest.raises(OutputError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
            check_replaceable(folder, ANALYSIS, inputs=[clip])
    unreadable = marked("unreadable", files=[MARKER_NAME, "plots/metrics.png"])
    monkeypatch.setattr(os, "scandir", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(OutputError, match="cannot look inside"):
        check_replaceable(unreadable, ANALYSIS)
    monkeypatch.undo()
    monkeypatch.chdir(marked("cwd") / ".")
    with pytest.raises(OutputError, match="the folder you are working in"):
        check_replaceable(tmp_path / "cwd", ANALYSIS)
    # the marker is no proof once it is another tool's, or of a format this formcheck does not know
    foreign = marked("foreign")
    (foreign / MARKER_NAME).write_text(json.dumps({"tool": "other", "kind": ANALYSIS, "format": 1, "files": []}))
    newer = marked("newer")
    (newer / MARKER_NAME).write_text(json.dumps({"tool": "formcheck", "kind": ANALYSIS, "format": 2, "files": []}))
    for folder in (foreign, newer):
        assert read_marker(folder) is None
        with pytest.raises(OutputError, match="not a formcheck output folder"):
            check_replaceable(folder, ANALYSIS)
    # -o on a batch folder or a folder of the user's: inside it; on formcheck's own analysis folder: that one
    assert output_folder(marked("batch", BATCH), tmp_path / "x" / "run.formcheck", ANALYSIS) == tmp_path / "batch" / "run.formcheck"
    assert output_folder(tmp_path, tmp_path / "x" / "run.formcheck", ANALYSIS) == tmp_path / "run.formcheck"
    assert output_folder(tmp_path / "own", tmp_path / "x" / "run.formcheck", ANALYSIS) == tmp_path / "own"


# Writing that fails part way ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_analysis(tmp_path_factory, short_frames):
    """An analysis of the half-second clip: the pose model's work, done once for the tests below."""
    clip = write_clip(tmp_path_factory.mktemp("written") / "clip.mp4", *short_frames)
    return formcheck.analyze(clip, FAST_CONFIG, video=False, report=False)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES], ids=["ENOSPC", "EACCES"])
def test_a_write_that_fails_leaves_the_earlier_result_and_no_temporary_folder(one_analysis, tmp_path, monkeypatch,
                                                                             code):
    out = tmp_path / "clip.formcheck"
    write_analysis(one_analysis, out, video=False, report=False)
    earlier, listing = files_of(out), sorted(p.name for p in tmp_path.iterdir())

    def fails(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(Track, "save", fails)  # the first file written
    with pytest.raises(OutputError) as caught:
        write_analysis(one_analysis, out, video=False, report=False)
    message = str(caught.value)
    assert f"could not write {out}: {os.strerror(code)}" in message
    assert "\n" not in message and "nothing there was changed" in message
    assert files_of(out) == earlier and sorted(p.name for p in tmp_path.iterdir()) == listing


def test_a_full_disk_at_the_final_rename_puts_the_earlier_result_back(one_analysis, tmp_path, monkeypatch):
    out = tmp_path / "clip.formcheck"
    write_analysis(one_analysis, out, video=False, report=False)
    earlier, listing = files_of(out), sorted(p.name for p in tmp_path.iterdir())
    rename = os.replace

    def full_when_moving_the_new_folder_in(source, target, *args, **kwargs):
        if str(source).endswith(".partial") and Path(target) == out:
            disk_full()
        return rename(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_when_moving_the_new_folder_in)
    with pytest.raises(OutputError, match="No space left on device"):
        write_analysis(one_analysis, out, video=False, report=False)
    assert files_of(out) == earlier and sorted(p.name for p in tmp_path.iterdir()) == listing


def test_a_destination_that_vanishes_while_writing_is_one_clear_error(one_analysis, tmp_path, monkeypatch):
    parent = tmp_path / "usb stick"
    save = Track.save

    def unplugged(track, path):
        shutil.rmtree(parent)  # the folder goes away under the run
        return save(track, path)

    monkeypatch.setattr(Track, "save", unplugged)
    with pytest.raises(OutputError, match=f"could not write {parent / 'clip.formcheck'}: No such file or directory"):
        write_analysis(one_analysis, parent / "clip.formcheck", video=False, report=False)
    assert not parent.exists()


def test_new_folders_made_for_a_write_that_fails_are_removed_again(one_analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(Track, "save", disk_full)
    with pytest.raises(OutputError):
        write_analysis(one_analysis, tmp_path / "new" / "deeper" / "clip.formcheck", video=False, report=False)
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_that_is_not_utf8_is_named_in_one_printable_line(runs):
    (runs / "clip.formcheck").mkdir()
    (runs / "clip.formcheck").joinpath(os.fsdecode(b"caf\xe9.txt")).write_text("mine\n")
    write_marker(runs / "clip.formcheck", ANALYSIS, [MARKER_NAME])
    result = run_cli("analyze", "clip.mp4", *FAST, cwd=runs)
    assert_one_line_error(result, "caf\\udce9.txt")
