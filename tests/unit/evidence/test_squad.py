"""The squad summary of a batch: one row per clip read from its summary.json, sortable in a browser,
and written only where formcheck may write."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from formcheck.evidence.squad import (
    SQUAD_CSV,
    SQUAD_HTML,
    SquadClip,
    squad_table,
    write_squad,
)
from formcheck.io.destination import BATCH, read_marker, write_marker
from formcheck.measure.registry import METRIC_COLUMNS
from formcheck.measure.segments import Reason, Segment
from formcheck.summary import Summary
from tests.browser import chromium

SHRUG = Reason("shoulder_elevation_ratio", "shoulders 18% closer to the ears than in your first 20 s")
HEAD = Reason("head_pitch_deg", "chin 7 deg lower than in your first 20 s")


def clip_folder(folder: Path, name: str, verdict: str, cadence: float, segments=(), warnings=()) -> SquadClip:
    """A clip's output folder holding a summary.json and an (empty) report.html."""
    out = folder / f"{name}.formcheck"
    out.mkdir(parents=True)
    metrics = {m: {"median": 0.25 if m.endswith("_ratio") else 12.0} for m in METRIC_COLUMNS}
    Summary(runner_in_view={"seconds": 9.5, "of_seconds": 10.0, "gaps_s": []},
            strides={"count": 12, "cadence_spm": cadence}, verdict=verdict, segments=list(segments),
            metrics=metrics, warnings=list(warnings)).save(out)
    (out / "report.html").write_text("<html></html>")
    return SquadClip(Path(f"/clips/{name}.mp4"), out)


@pytest.fixture
def batch(tmp_path) -> tuple[Path, list[SquadClip]]:
    """A batch folder of formcheck's with a tight clip, a relaxed one and one that failed."""
    folder = tmp_path / "squad"
    folder.mkdir()
    write_marker(folder, BATCH, files=[])
    tight = clip_folder(folder, "anna", "tight", 172.0, segments=[
        Segment(4.0, 9.0, 5, 1.8, "moderate", (SHRUG, HEAD)), Segment(12.0, 15.0, 4, 1.2, "mild", (SHRUG,))],
        warnings=["the camera panned"])
    relaxed = clip_folder(folder, "ben", "relaxed", 158.0)
    failed = SquadClip(Path("/clips/cleo.mp4"), None, "cleo.mp4: nobody was found in any of the 300 frames searched")
    return folder, [tight, relaxed, failed]


def test_each_clip_is_one_row_with_what_its_summary_says(batch):
    folder, clips = batch
    table = squad_table(clips, folder)
    anna, ben, cleo = table.to_dict(orient="records")
    assert (anna["clip"], anna["verdict"], anna["cadence_spm"], anna["strides"]) == ("anna.mp4", "tight", 172.0, 12)
    assert anna["main_reasons"] == f"{SHRUG.text}; {HEAD.text}"  # in both segments, then in one
    assert anna["warnings"] == "the camera panned" and anna["report"] == "anna.formcheck/report.html"
    assert anna["runner_in_view_s"] == 9.5 and anna["shoulder_elevation_ratio"] == 0.25
    assert (ben["verdict"], ben["main_reasons"], ben["cadence_spm"]) == ("relaxed", "", 158.0)
    assert cleo["verdict"] == "failed" and "nobody was found" in cleo["error"] and cleo["report"] == ""


def test_the_squad_files_go_into_formchecks_batch_folder_and_are_replaced_next_time(batch):
    folder, clips = batch
    assert write_squad(folder, clips) == []
    written = pd.read_csv(folder / SQUAD_CSV)
    assert list(written["clip"]) == ["anna.mp4", "ben.mp4", "cleo.mp4"]
    assert {SQUAD_CSV, SQUAD_HTML} <= set(read_marker(folder).files)
    assert write_squad(folder, clips[1:]) == []  # a later batch into the same folder: its own table
    assert list(pd.read_csv(folder / SQUAD_CSV)["clip"]) == ["ben.mp4", "cleo.mp4"]


def test_a_squad_csv_the_user_changed_or_owns_is_never_replaced(batch, tmp_path):
    folder, clips = batch
    write_squad(folder, clips)
    with open(folder / SQUAD_CSV, "a") as f:
        f.write("my notes\n")
    changed = (folder / SQUAD_CSV).read_bytes()
    for _ in range(2):  # and the next batch too: a file the user changed stays theirs
        notes = write_squad(folder, clips)
        assert len(notes) == 1 and "squad.csv not written" in notes[0]
        assert (folder / SQUAD_CSV).read_bytes() == changed
    assert not any(name.endswith(".partial") for name in os.listdir(folder))
    mine = tmp_path / "mine"  # a folder of the user's (no marker): the batch only adds the clips' folders
    mine.mkdir()
    (mine / SQUAD_HTML).write_text("my page")
    notes = write_squad(mine, clips)
    assert len(notes) == 1 and "is a folder of yours" in notes[0]
    assert sorted(os.listdir(mine)) == [SQUAD_HTML] and (mine / SQUAD_HTML).read_text() == "my page"


def test_a_clip_name_cannot_turn_its_report_link_into_anything_else(tmp_path):
    folder = tmp_path / "squad"
    odd = clip_folder(folder, "javascript:alert(1)#?%", "relaxed", 160.0)
    assert squad_table([odd], folder)["report"].iat[0] == "javascript%3Aalert%281%29%23%3F%25.formcheck/report.html"


def test_the_squad_page_sorts_by_any_column_and_links_each_clip_to_its_report(batch):
    from selenium.webdriver.common.by import By

    folder, clips = batch
    write_squad(folder, clips)
    with chromium() as driver:
        driver.get((folder / SQUAD_HTML).as_uri())

        def clips_shown() -> list[str]:
            return [row.find_elements(By.TAG_NAME, "td")[0].text
                    for row in driver.find_elements(By.CSS_SELECTOR, "#squad-table tbody tr")]

        assert clips_shown() == ["anna.mp4", "ben.mp4", "cleo.mp4"]
        heading = next(th for th in driver.find_elements(By.CSS_SELECTOR, "#squad-table th")
                       if th.text.startswith("cadence"))
        heading.click()
        assert clips_shown() == ["ben.mp4", "anna.mp4", "cleo.mp4"]  # 158, 172, then the failed clip (none)
        heading.click()
        assert clips_shown()[:2] == ["anna.mp4", "ben.mp4"]
        link = driver.find_element(By.LINK_TEXT, "anna.mp4")
        assert link.get_attribute("href") == (folder / "anna.formcheck" / "report.html").as_uri()
