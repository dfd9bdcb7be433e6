"""The engine and file formats must be usable without Qt (notebooks, the CLI, worker processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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


# ------------------------------------------------------------------ the import contracts
def test_forbidden_submodule_imports_are_found_in_every_spelling():
    from layer_contracts import forbidden_imports

    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from PySide6.QtCore import QObject\n"  # allowed: QtCore
        "import PySide6.QtGui\n"
        "from PySide6 import QtCore, QtWidgets\n"
        "from . import QtWidgets as local\n"  # relative: not the package's
        "if TYPE_CHECKING:\n"
        "    from PySide6.QtWidgets import QWidget\n"
        "def later():\n"
        "    import PySide6.QtGui.QColor as c\n"
    )
    found = forbidden_imports(source, ["PySide6.QtWidgets", "PySide6.QtGui"])
    assert found == [
        ("PySide6.QtGui", 4),
        ("PySide6.QtWidgets", 5),
        ("PySide6.QtWidgets", 8),
        ("PySide6.QtGui.QColor", 10),
    ]


def test_contracts_fail_on_a_layer_break_even_under_type_checking(tmp_path):
    # A small package breaking each kind of contract once, checked by lint-imports itself.
    files = {
        "fakepkg/__init__.py": "",
        "fakepkg/model/__init__.py": "",
        "fakepkg/model/em.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fakepkg.ui.window\n"
        ),
        "fakepkg/controller/__init__.py": "from PySide6.QtCore import QObject\n",
        "fakepkg/controller/session.py": "from PySide6 import QtWidgets\n",
        "fakepkg/ui/__init__.py": "",
        "fakepkg/ui/window.py": "import fakepkg.ui.docks\n",
        "fakepkg/ui/docks.py": "import fakepkg.ui.window\n",
        "tests/layer_contracts.py": (Path(__file__).parent / "layer_contracts.py").read_text(),
        ".importlinter": (
            "[importlinter]\nroot_package = fakepkg\ninclude_external_packages = True\n"
            "contract_types =\n"
            "    subs: tests.layer_contracts.ForbiddenExternalSubmodulesContract\n"
            "[importlinter:contract:model]\nname = model pure\ntype = forbidden\n"
            "source_modules = fakepkg.model\nforbidden_modules =\n    fakepkg.ui\n    PySide6\n"
            "[importlinter:contract:qtcore]\nname = qtcore only\ntype = subs\n"
            "source_modules = fakepkg.controller\n"
            "forbidden_modules =\n    PySide6.QtWidgets\n    PySide6.QtGui\n"
            "[importlinter:contract:cycles]\nname = no cycles\ntype = acyclic_siblings\n"
            "ancestors = fakepkg\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "model pure BROKEN" in out.stdout
    assert "fakepkg.model.em -> fakepkg.ui.window" in out.stdout  # a TYPE_CHECKING import
    assert "qtcore only BROKEN" in out.stdout
    assert "fakepkg.controller.session -> PySide6.QtWidgets (l.1)" in out.stdout
    assert "fakepkg.controller -> " not in out.stdout  # QtCore is allowed
    assert "no cycles BROKEN" in out.stdout
