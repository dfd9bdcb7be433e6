"""The installed PySide6 must not leak references to None/True/False.

PySide6-Essentials 6.12.0 drops one reference to ``None`` on every Qt call that returns nothing
(and to ``True``/``False`` on bool signals); before Python 3.12 that aborts the interpreter with
"deallocating None" after a few minutes of use. pyproject.toml keeps such a version out; this
test fails if one is installed anyway.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    flag = Signal(bool)

    @Slot(bool)
    def on_flag(self, value: bool) -> None:
        self.last = value


def test_void_calls_and_bool_signals_keep_singleton_references(qapp):
    label = QLabel()
    emitter = _Emitter()
    emitter.flag.connect(emitter.on_flag)
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for i in range(5_000):
        label.setText("x")
        emitter.flag.emit(i % 2 == 0)
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    lost = [b - a for b, a in zip(before, after, strict=True)]
    assert max(lost) < 100, f"references lost to None/True/False over 5,000 calls: {lost}"
