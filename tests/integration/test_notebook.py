"""The early-vs-late notebook runs top to bottom on two real sample clips, as a runner would run it."""

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from formcheck.comparison.table import LABELS
from tests.conftest import REPO, RUN01, VIDEO_HEIGHT, sample

pytestmark = pytest.mark.slow  # the command line or the pose model on real clips

NOTEBOOK = REPO / "notebooks" / "compare_early_late.ipynb"
EARLY = "run06_treadmill_side_home_portrait.mp4"


def outputs_of(cell) -> str:
    """Everything a cell showed, as one string (text, HTML and the names of image types)."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        for kind, value in output.get("data", {}).items():
            parts.append(kind if kind.startswith("image/") else str(value))
    return "\n".join(parts)


def test_the_notebook_runs_on_two_sample_clips_and_shows_the_comparison(analysed, tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    for name in ("EARLY_CLIP", "LATE_CLIP", "OUT_DIR", "VIDEO_HEIGHT"):
        assert name in parameters.source  # the documented parameters are at the top
    # The session's analyses of the two clips stand in for earlier runs: the notebook re-uses them.
    shutil.copytree(analysed(EARLY), tmp_path / "early")
    shutil.copytree(analysed(RUN01), tmp_path / "late")
    parameters.source = (f"from pathlib import Path\nEARLY_CLIP = Path({str(sample(EARLY))!r})\n"
                         f"LATE_CLIP = Path({str(sample(RUN01))!r})\nOUT_DIR = Path({str(tmp_path)!r})\n"
                         f"VIDEO_HEIGHT = {VIDEO_HEIGHT}\n")
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    nbformat.write(notebook, tmp_path / "executed.ipynb")

    code = [c for c in notebook.cells if c.cell_type == "code"]
    shown = [outputs_of(c) for c in code]
    card_early, card_late = next(s for s in shown if EARLY in s), next(s for s in shown if RUN01 in s)
    assert "measured in" in card_early and "measured in" in card_late  # each analysis shows its card
    assert sum("<video" in s for s in shown) == 3  # both overlays and the side-by-side video
    table = next(s for s in shown if "change [CI]" in s)
    for label in LABELS.values():  # the comparison table has every measure, cadence included
        assert label in table or label.replace("<", "&lt;") in table
    assert sum(s.count("image/png") for s in shown) == 2  # both comparison plots
    assert (tmp_path / "comparison" / "compare.html").is_file()
    assert (tmp_path / "comparison" / "side_by_side.mp4").is_file()
