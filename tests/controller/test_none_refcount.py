"""The PySide6 6.12 reference-count bug must not be able to abort the app (see _none_refcount)."""

from __future__ import annotations

import subprocess
import sys


def test_many_void_calls_and_bool_signals_do_not_abort():
    code = (
        "import gmm_gui.controller\n"
        "from PySide6.QtCore import QObject, Signal, Slot\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "label = QLabel()\n"
        "class A(QObject):\n"
        "    b = Signal(bool)\n"
        "    @Slot(bool)\n"
        "    def on_b(self, v): pass\n"
        "a = A(); a.b.connect(a.on_b)\n"
        "for i in range(200_000):\n"
        "    label.setText('x')\n"
        "    a.b.emit(i % 2 == 0)\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
