"""Settings: defaults, TOML overrides, and clear errors for unknown names and wrong types."""

import pytest

from formcheck.config import Config, load_config
from formcheck.errors import ConfigError
from tests.conftest import REPO


def test_defaults_without_a_file():
    assert load_config(None) == Config()


def test_toml_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text("[smoothing]\ncutoff_hz = 5.0\n[pose]\nmodel = 'pose'\n")
    config = load_config(path)
    assert config.smoothing.cutoff_hz == 5.0 and config.pose.model == "pose"
    assert config.smoothing.max_gap_s == Config().smoothing.max_gap_s


@pytest.mark.parametrize("text, message", [
    ("[smoothing]\ncutof_hz = 5.0\n", "unknown key 'cutof_hz'"),
    ("[smothing]\n", "unknown section"),
    ("[smoothing]\ncutoff_hz = 'fast'\n", "expected float"),
    ("[smoothing\n", "not valid TOML"),
    ("[pose]\nmodel = 'huge'\n", "pose model"),
    ("[pose]\nmax_height = 10\n", "at least 64 pixels"),
])
def test_bad_config_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_shipped_example_config_loads_and_shows_the_defaults():
    assert load_config(REPO / "formcheck.example.toml") == Config()
