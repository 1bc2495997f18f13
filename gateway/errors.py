"""Errors the CLI maps to exit codes: bad input (2) and failure (1)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input; exit code 2 with this one-line message."""


class CommandFailed(Exception):
    """The command could not do its job; exit code 1 with this one-line message."""
