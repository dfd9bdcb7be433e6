"""The Help menu (the key map from the actions' table, what each part shows, About) and the File
menu's entries for the figures."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QPlainTextEdit

from gmm_gui import __version__
from gmm_gui.resources import SAMPLES
from gmm_gui.ui.actions import ACTIONS
from gmm_gui.ui.help import SAMPLE_SOURCES, key_map_text, show_text
from gmm_gui.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    yield w
    w.close()


@pytest.fixture
def shown(monkeypatch):
    """The dialogs the Help menu opens: (title, text) of each, instead of blocking."""
    seen: list[tuple[str, str]] = []

    def fake_exec(dialog):
        view = dialog.findChild(QPlainTextEdit, "help_text")
        assert view is not None and view.isReadOnly()
        seen.append((dialog.windowTitle(), view.toPlainText()))
        return 0

    monkeypatch.setattr(QDialog, "exec", fake_exec)
    return seen


def trigger(window: MainWindow, name: str) -> None:
    action = next(a for a in window.help_menu.actions() if a.objectName() == f"action_{name}")
    action.trigger()


def test_help_menu_is_last_with_its_three_entries(window):
    menus = [a.menu() for a in window.menuBar().actions()]
    assert menus[-1] is window.help_menu
    names = [a.objectName() for a in window.help_menu.actions()]
    assert names == ["action_help_keys", "action_help_views", "action_help_about"]


def test_key_map_lists_every_shortcut_the_window_has(window, shown):
    trigger(window, "help_keys")
    [(title, text)] = shown
    assert title == "Keys"
    assert text == key_map_text()
    for spec in ACTIONS:
        action = window.actions_by_name[spec.name]
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            line = next(row for row in text.splitlines() if row.startswith(keys + " "))
            assert spec.text.replace("&", "").replace("…", "") in line
    for name, action in window.analysis_actions.items():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            assert any(row.startswith(keys + " ") for row in text.splitlines()), name


def test_what_am_i_looking_at_names_each_part(window, shown):
    trigger(window, "help_views")
    [(title, text)] = shown
    assert title == "What am I looking at?"
    for part in ("The 1-D view", "The 2-D view", "The log-likelihood panel", "The component table"):
        assert part in text


def test_about_gives_version_licence_and_every_sample_source(window, shown):
    trigger(window, "help_about")
    [(title, text)] = shown
    assert title == "About gmm-gui"
    assert f"gmm-gui {__version__}" in text
    assert "Licence" in text
    for sample in SAMPLES:
        assert sample.filename in text
        assert SAMPLE_SOURCES[sample.filename] in text


def test_help_text_is_plain_text(window, shown):
    show_text(window, "t", "<b>not bold</b> & <i>")
    assert shown[-1][1] == "<b>not bold</b> & <i>"


def test_file_menu_records_a_run_and_exports_small_multiples(shown_window, monkeypatch, tmp_path):
    window = shown_window("davis")
    file_menu = window.menuBar().actions()[0].menu()
    entries = {a.objectName(): a for a in file_menu.actions()}
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (1, True)))
    target = {"path": tmp_path / "run.gif"}
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target["path"]), ""))
    )
    entries["action_record_run"].trigger()
    with Image.open(tmp_path / "run.gif") as image:
        assert image.n_frames == 3  # the start and the two half-steps of one iteration
    target["path"] = tmp_path / "panels.png"
    entries["action_small_multiples"].trigger()
    with Image.open(tmp_path / "panels.png") as image:
        assert image.size[0] > image.size[1] > 100
