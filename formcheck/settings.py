"""Each setting declared once: its default, help, unit and allowed values, in the field's metadata.

The sections of :mod:`formcheck.config` declare every setting with :func:`setting`. From that one
declaration come the checks (:func:`check_section`: a wrong type or an out-of-range value is one
line naming the section, key, value and what is allowed), the commented example file
(:func:`example_toml`, shipped as ``formcheck.example.toml`` and printed by
``formcheck config --example``), the effective settings as TOML (:func:`settings_toml`) and the
command line's help for the options that set them (:func:`help_of`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from typing import Any

from formcheck.errors import ConfigError

_WIDTH = 100  # characters per comment line of the example file


def setting(default: Any, help: str, *, unit: str = "", low: float | None = None, high: float | None = None,
            above: float | None = None, choices: tuple[str, ...] = (), example: Any = None, flag: str = "",
            optional: bool | None = None) -> Any:
    """A dataclass field holding one setting. ``default``: its value when not set (None: optional,
    left out of a file); the default's type is the setting's type (a whole number for int, any
    number for float). ``help``: what it does, in plain words. ``unit``: e.g. "s", "px", "deg".
    ``low``/``high``: the smallest and largest allowed value (inclusive); ``above``: the value must
    be greater than this. ``choices``: the allowed strings. ``example``: a value shown (commented
    out) in the example file for an optional setting. ``flag``: the command-line option that sets it.
    ``optional``: None (left out) is allowed; by default only when the default is None."""
    kind = type(default).__name__ if default is not None else type(example).__name__
    spec = {"help": help, "unit": unit, "low": low, "high": high, "above": above, "choices": tuple(choices),
            "example": example, "flag": flag, "kind": kind,
            "optional": default is None if optional is None else optional}
    return dataclasses.field(default=default, metadata={"setting": spec})


def spec_of(section: Any, key: str) -> dict:
    """The declaration of setting ``key`` of a section (class or instance)."""
    return next(f.metadata["setting"] for f in dataclasses.fields(section) if f.name == key)


def allowed(spec: dict) -> str:
    """What a setting accepts, in words: "a whole number, 64 or more (px), or left out"."""
    if spec["choices"]:
        return "one of " + ", ".join(json.dumps(c) for c in spec["choices"])
    words = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "a string"}[spec["kind"]]
    low, high, above = spec["low"], spec["high"], spec["above"]
    if low is not None and high is not None:
        words += f" from {low:g} to {high:g}"
    elif above is not None and high is not None:
        words += f" above {above:g} and at most {high:g}"
    elif low is not None:
        words += f", {low:g} or more"
    elif above is not None:
        words += f" above {above:g}"
    elif high is not None:
        words += f", {high:g} or less"
    if spec["unit"]:
        words += f" ({spec['unit']})"
    return words + (", or left out" if spec["optional"] else "")


def _fits(value: Any, spec: dict) -> bool:
    if value is None:
        return spec["optional"]
    kind = spec["kind"]
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str) and (not spec["choices"] or value in spec["choices"])
    if isinstance(value, bool) or not isinstance(value, int if kind == "int" else (int, float)):
        return False
    if value != value:  # NaN
        return False
    return ((spec["low"] is None or value >= spec["low"]) and (spec["high"] is None or value <= spec["high"])
            and (spec["above"] is None or value > spec["above"]))


def check_section(section: Any, name: str) -> None:
    """Raise :class:`ConfigError` for the first setting of ``section`` (a dataclass instance, the
    ``[name]`` section) whose value is not allowed, in one line. A whole number written as a float
    (``every = 2.0``) is taken as the whole number."""
    for f in dataclasses.fields(section):
        spec = f.metadata.get("setting")
        value = getattr(section, f.name)
        if spec is not None and spec["kind"] == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
            object.__setattr__(section, f.name, value)  # the sections are frozen: this is their making
        if spec is not None and not _fits(value, spec):
            flag = f" ({spec['flag']})" if spec["flag"] else ""
            raise ConfigError(f"[{name}] {f.name}{flag} = {toml_value(value)}: expected {allowed(spec)}")


def help_of(section: Any, key: str) -> str:
    """A setting's help for the command line, with what it accepts."""
    spec = spec_of(section, key)
    value = getattr(section, key)
    default = "" if value is None else f"; default {toml_value(value)}"
    return f"{spec['help']} [{allowed(spec)}{default}]"


def toml_value(value: Any) -> str:
    """``value`` written as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH - 2, initial_indent="# ", subsequent_indent="# ")


def example_toml(config: Any, header: str, intros: dict[str, str]) -> str:
    """The commented example file: ``header`` (comment lines), then every section of ``config``
    (a dataclass of section dataclasses) with its intro from ``intros``, and every setting with its
    help, what it accepts and its value in ``config`` (optional ones left out, commented)."""
    lines = _comment(header)
    for section in dataclasses.fields(config):
        values = getattr(config, section.name)
        lines += ["", f"[{section.name}]"] + (_comment(intros[section.name]) if section.name in intros else [])
        for f in dataclasses.fields(values):
            spec = f.metadata["setting"]
            lines += _comment(f"{spec['help']} [{allowed(spec)}]")
            value = getattr(values, f.name)
            lines.append(f"# {f.name} = {toml_value(spec['example'])}" if value is None else f"{f.name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def settings_toml(config: Any) -> str:
    """Every setting of ``config`` as TOML, section by section (optional ones not set left out)."""
    lines: list[str] = []
    for section in dataclasses.fields(config):
        values = getattr(config, section.name)
        lines += ([""] if lines else []) + [f"[{section.name}]"]
        lines += [f"{f.name} = {toml_value(getattr(values, f.name))}" for f in dataclasses.fields(values)
                  if getattr(values, f.name) is not None]
    return "\n".join(lines) + "\n"
