"""Settings: defaults, TOML overrides, and clear errors for unknown names and wrong types."""

import pytest

from formcheck.config import Config, load_config
from formcheck.errors import ConfigError
from formcheck.settings import spec_of
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
    ("[smoothing]\ncutoff_hz = 'fast'\n", r"\[smoothing\] cutoff_hz = \"fast\": expected a number above 0 \(Hz\)"),
    ("[smoothing\n", "not valid TOML"),
    ("[pose]\nmodel = 'huge'\n", r'\[pose\] model \(--model\) = "huge": expected one of "holistic", "pose"'),
    ("[pose]\nmax_height = 10\n", r"max_height \(--max-height\) = 10: expected a whole number, 64 or more \(px\)"),
    ("[pose]\nmax_height = '720'\n", r'max_height \(--max-height\) = "720": expected a whole number'),
    ("[segments]\nnoise_factor = -3\n", r"\[segments\] noise_factor = -3: expected a number, 0 or more"),
    ("[follow]\nperson = 'left'\n", "--person"),
])
def test_bad_config_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_shipped_example_config_loads_and_shows_the_defaults():
    assert load_config(REPO / "formcheck.example.toml") == Config()


def test_the_example_file_is_what_formcheck_config_example_prints():
    import subprocess
    import sys

    printed = subprocess.run([sys.executable, "-m", "formcheck", "config", "--example"], capture_output=True, text=True)
    assert printed.returncode == 0
    assert printed.stdout == (REPO / "formcheck.example.toml").read_text()


def every_setting():
    """(section, key, default) of every setting."""
    import dataclasses

    config = Config()
    return [(section.name, f.name, getattr(getattr(config, section.name), f.name))
            for section in dataclasses.fields(config) for f in dataclasses.fields(getattr(config, section.name))]


@pytest.mark.parametrize("section, key", [(s, k) for s, k, default in every_setting()
                                          if spec_of(getattr(Config(), s), k)["kind"] != "str"])
def test_formcheck_config_check_refuses_a_string_in_any_numeric_or_true_false_setting(tmp_path, capsys, section, key):
    import typer

    from formcheck.cli import config_check

    path = tmp_path / "bad.toml"
    path.write_text(f'[{section}]\n{key} = "7"\n')
    with pytest.raises(typer.Exit) as stopped:
        config_check(path)
    assert stopped.value.exit_code == ConfigError.exit_code
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"[{section}] {key}" in lines[0] and '"7"' in lines[0] and "expected" in lines[0]


def test_formcheck_config_check_in_a_terminal_gives_one_line_and_exit_code_6(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.toml"
    path.write_text('[pose]\nmax_height = "720"\n')
    result = subprocess.run([sys.executable, "-m", "formcheck", "config", "check", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 6 and result.stdout == ""
    assert result.stderr.strip() == (f'formcheck: error: {path}: [pose] max_height (--max-height) = "720": '
                                     "expected a whole number, 64 or more (px), or left out")


def test_formcheck_config_check_and_show_read_a_valid_file(tmp_path, capsys):
    from formcheck.cli import config_check, config_show

    path = tmp_path / "mine.toml"
    path.write_text("[pose]\nmodel = 'pose'\n[segments]\nnoise_factor = 3.0\n")
    config_check(path)
    checked = capsys.readouterr().out
    assert "2 settings changed" in checked
    assert '[pose] model = "pose"' in checked and "[segments] noise_factor = 3.0" in checked
    config_show(path)
    assert load_config(path) == config_from_toml(capsys.readouterr().out, tmp_path)


def config_from_toml(text: str, folder):
    path = folder / "shown.toml"
    path.write_text(text)
    return load_config(path)


def test_a_bad_setting_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    import subprocess
    import sys

    from tests.conftest import RUN01, sample

    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(sample(RUN01)), "-o", str(out),
                             "--every", "0"], capture_output=True, text=True)
    assert result.returncode == 6 and not out.exists()
    assert result.stderr.strip() == "formcheck: error: [pose] every (--every) = 0: expected a whole number, 1 or more, or left out"


def test_a_limit_on_both_sides_is_checked_and_said(tmp_path):
    path = tmp_path / "share.toml"
    path.write_text("[segments]\nbaseline_share = 1.5\n")
    with pytest.raises(ConfigError, match=r"baseline_share = 1.5: expected a number above 0 and at most 1$"):
        load_config(path)


def test_a_whole_number_written_as_a_float_is_taken(tmp_path):
    path = tmp_path / "every.toml"
    path.write_text("[pose]\nevery = 2.0\n[segments]\nmin_strides = 4.0\n")
    config = load_config(path)
    assert config.pose.every == 2 and isinstance(config.pose.every, int) and config.segments.min_strides == 4
    path.write_text("[pose]\nevery = 2.5\n")
    with pytest.raises(ConfigError, match=r"\[pose\] every \(--every\) = 2.5: expected a whole number, 1 or more"):
        load_config(path)
