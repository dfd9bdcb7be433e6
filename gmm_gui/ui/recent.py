"""File > Open recent: the files opened last, with the columns chosen for each (QSettings)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMenu

from gmm_gui.resources import SAMPLES, sample_path
from gmm_gui.ui.dialogs.messages import plain_tooltip

__all__ = ["MAX_RECENT", "RecentFiles", "settings"]

MAX_RECENT = 8

#: ``opener(path, columns)``: opens the file (columns None: as the file says); True if it did.
Opener = Callable[[str, "list[str] | None"], bool]


def settings() -> QSettings:
    """The app's settings; ``$GMM_GUI_SETTINGS_DIR/gmm-gui.ini`` when that variable is set.

    Qt reads ``XDG_CONFIG_HOME`` only once per process, so tests (and users who want portable
    settings) name the folder with ``GMM_GUI_SETTINGS_DIR`` instead.
    """
    folder = os.environ.get("GMM_GUI_SETTINGS_DIR")
    if folder:
        return QSettings(str(Path(folder) / "gmm-gui.ini"), QSettings.Format.IniFormat)
    return QSettings("gmm-gui", "gmm-gui")


class RecentFiles(QObject):
    """The recent files and their menu.

    Parameters
    ----------
    menu : QMenu
        The "Open recent" menu, filled (and disabled while empty) here.
    opener : callable ``(path, columns) -> bool``
        Opens a recent file; a file that cannot be opened and no longer exists is forgotten.
    """

    def __init__(self, menu: QMenu, opener: Opener) -> None:
        super().__init__(menu)
        self.menu = menu
        self._open = opener
        menu.setToolTipsVisible(True)
        self.rebuild()

    def files(self) -> list[str]:
        """Recently opened files, newest first."""
        value = settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str, columns: Sequence[str]) -> None:
        """Put ``path`` first (with its columns); the bundled samples have their own menu."""
        try:
            if any(Path(path) == sample_path(s.filename) for s in SAMPLES):
                return
        except FileNotFoundError:
            pass
        entry = str(Path(path).resolve())
        recent = [p for p in self.files() if p != entry]
        recent.insert(0, entry)
        store = settings()
        store.setValue("recent_files", recent[:MAX_RECENT])
        store.setValue(f"columns/{entry}", list(columns))
        store.sync()
        self.rebuild()

    def rebuild(self) -> None:
        """Fill the menu from the settings."""
        self.menu.clear()
        recent = self.files()
        for path in recent:
            action = self.menu.addAction(Path(path).name)
            action.setToolTip(plain_tooltip(path))
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        self.menu.setEnabled(bool(recent))

    def open(self, path: str) -> None:
        """Open the recent file ``path`` with its columns; forget it if it is gone."""
        columns = settings().value(f"columns/{path}", None)
        if isinstance(columns, str):
            columns = [columns]
        if not self._open(path, list(columns) if columns else None) and not Path(path).exists():
            store = settings()
            store.setValue("recent_files", [p for p in self.files() if p != path])
            store.remove(f"columns/{path}")
            store.sync()
            self.rebuild()
