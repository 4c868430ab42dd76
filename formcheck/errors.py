"""Errors a user can cause. Each message says what was expected, what was found, and what to do.

The CLI turns any :class:`FormcheckError` into one line on stderr and a non-zero exit code;
anything else is a bug and shows a traceback only with ``--debug``.
"""


class FormcheckError(Exception):
    """Base class: a problem with the user's input or settings, not a bug."""

    exit_code = 2


class VideoError(FormcheckError):
    """The file is missing, is not a video, or cannot be decoded."""

    exit_code = 3


class NoPersonError(FormcheckError):
    """No person was found in the clip (or in too few frames to analyse)."""

    exit_code = 4


class TrackError(FormcheckError):
    """A saved landmark track is missing, malformed or inconsistent."""

    exit_code = 5


class ConfigError(FormcheckError):
    """A configuration value or file is invalid."""

    exit_code = 6


class OutputError(FormcheckError):
    """The output folder cannot be written there: something that is not formcheck's own is in the
    way, or writing failed (disk full, no permission)."""

    exit_code = 7
