"""Placeholder replaced by the analysis work of issue 5."""

from __future__ import annotations

from typing import Any


def install(window: Any) -> None:
    """Add this module's tools to the window (nothing yet)."""
