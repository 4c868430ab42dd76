"""The package's imports run one way, down the flow, with no cycle: the import-linter contract of
``pyproject.toml`` (``[tool.importlinter]``: every import counts, inside functions and type-only
ones included), kept."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_imports_run_one_way_down_the_flow():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
