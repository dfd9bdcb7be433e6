"""The engine and file formats must be usable without Qt (notebooks, the CLI, worker processes)."""

from __future__ import annotations

import subprocess
import sys


def test_model_and_io_load_no_qt_module():
    code = (
        "import sys\n"
        "import gmm_gui.model, gmm_gui.io, gmm_gui.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'shiboken6', 'pyqtgraph'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt modules loaded by the engine: {out.stdout.strip()}"


def test_bundled_samples_are_found():
    from gmm_gui.resources import SAMPLES

    for sample in SAMPLES:
        assert sample.path.is_file(), sample.filename
        assert sample.path.read_text(encoding="utf-8").startswith('""')
