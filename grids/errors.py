"""Errors raised for bad input, before any work is done."""

from __future__ import annotations


class InvalidInput(ValueError):
    """A setting, distribution or grid that cannot be solved as asked.

    The message names the offending value and, where possible, what would work.
    The CLI maps it to exit code 2.
    """
