"""Test-wide setup: Qt offscreen before anything imports it; settings in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture
def datasets_dir() -> Path:
    """The real R-exported data sets (``../shared/datasets``), or the bundled copies."""
    if SHARED_DATASETS.is_dir():
        return SHARED_DATASETS
    return REPO / "gmm_gui" / "resources" / "samples"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Point QSettings (if Qt is used) at a temporary folder so tests never touch the user's."""
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.setenv("GMM_GUI_SETTINGS_DIR", str(folder))
    yield
