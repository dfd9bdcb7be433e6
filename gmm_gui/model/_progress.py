"""The progress and cancel callables that long engine functions take, and their defaults."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, total)``: called as work advances.
Progress = Callable[[int, int], None]
#: ``should_cancel()``: polled between units of work; True stops early.
ShouldCancel = Callable[[], bool]


def no_progress(done: int, total: int) -> None:
    """The default ``progress``: report nothing."""
    return None


def never_cancel() -> bool:
    """The default ``should_cancel``: never stop early."""
    return False
