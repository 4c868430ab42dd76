"""Every tunable number in formcheck, documented, in frozen dataclasses; loadable from TOML.

A TOML file names only what it changes, by section, e.g.::

    [smoothing]
    cutoff_hz = 5.0

Unknown sections or keys, and values of the wrong type, are a :class:`ConfigError` that names them.
See ``formcheck.example.toml`` in the repository for every key with its meaning.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.errors import ConfigError


@dataclass(frozen=True)
class PoseConfig:
    """How landmarks are found.

    ``model``: "holistic" (pose + 21-point hands, needed for the hand-tension metric) or "pose"
    (about twice as fast, no finger landmarks). ``max_height``: analyse frames scaled down to at most
    this many pixels high (None = full size); landmarks are still reported in full-size pixels.
    ``min_detection_confidence`` / ``min_tracking_confidence``: MediaPipe's thresholds in [0, 1].
    """

    model: str = "holistic"
    max_height: int | None = None
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


@dataclass(frozen=True)
class SmoothingConfig:
    """How raw landmarks become a clean track (see :mod:`formcheck.smoothing`).

    ``min_visibility``: landmarks the model sees with a lower visibility score (0-1) become NaN.
    ``max_gap_s``: gaps up to this long (seconds) are filled by linear interpolation; longer gaps
    stay NaN. ``cutoff_hz``: cut-off of the zero-phase 4th-order Butterworth low-pass (Hz); arm swing
    and head bob in running sit at 1.3-3.5 Hz, so 6 Hz keeps them and removes frame-to-frame jitter.
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.15
    cutoff_hz: float = 6.0
    order: int = 4


@dataclass(frozen=True)
class Config:
    """All settings. Build with defaults, or :func:`load_config` from a TOML file."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)

    def as_dict(self) -> dict:
        """Plain nested dict of every setting (for summary.json)."""
        return dataclasses.asdict(self)


def load_config(path: str | Path | None) -> Config:
    """Defaults overridden by the sections and keys found in the TOML file at ``path`` (None: defaults)."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such config file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict, source: str = "config") -> Config:
    """Defaults overridden by a nested dict {section: {key: value}}; unknown names are an error."""
    sections = {f.name: f for f in dataclasses.fields(Config)}
    changes = {}
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"{source}: unknown section [{section}]; expected one of {sorted(sections)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table of keys")
        default = sections[section].default_factory()
        changes[section] = _override(default, values, f"{source} [{section}]")
    return Config(**changes)


def _override(default, values: dict, where: str):
    known = {f.name: f for f in dataclasses.fields(default)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {sorted(known)}")
        current = getattr(default, key)
        if isinstance(current, bool) != isinstance(value, bool) or (
            isinstance(current, (int, float)) and not isinstance(value, (int, float))
        ) or (isinstance(current, str) and not isinstance(value, str)):
            raise ConfigError(f"{where}: {key} expected {type(current).__name__}, got {value!r}")
    return dataclasses.replace(default, **values)
