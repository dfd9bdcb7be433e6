"""The bundled samples ship in the wheel, so `pip install .` (not only editable) finds them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from gmm_gui.resources import SAMPLES

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contains_package_samples_and_commands(tmp_path):
    # Build from a copy of the sources: an in-tree build writes build/ and *.egg-info into the
    # working tree (racing with other runs), and a stale build/lib could hide a missing file.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "gmm_gui",
        source / "gmm_gui",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "--quiet", "-w", str(dist), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    wheels = list(dist.glob("gmm_gui-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        entry_points = next(
            wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")
        )
        for sample in SAMPLES:
            member = f"gmm_gui/resources/samples/{sample.filename}"
            assert member in names, f"{sample.filename} is missing from the wheel"
            assert wheel.read(member) == sample.path.read_bytes()
    assert len(SAMPLES) == 5
    for module in ("gmm_gui/cli.py", "gmm_gui/io/dataset.py", "gmm_gui/model/__init__.py"):
        assert module in names
    assert "gmm-fit = gmm_gui.cli:main" in entry_points
    assert "gmm-gui = gmm_gui.ui.app:main" in entry_points
