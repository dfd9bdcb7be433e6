"""File > Open recent: the files opened last, with the columns chosen for each (QSettings).

An entry is named by its file name; files of the same name in different folders also show as
much of their folder as tells them apart (``data.csv — …/projA``, :func:`menu_labels`). Each
entry's tooltip and status tip give the full path, as plain text.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMenu

from gmm_gui.resources import SAMPLES, sample_path
from gmm_gui.ui.dialogs.messages import plain_tooltip

__all__ = ["MAX_RECENT", "RecentFiles", "menu_labels", "settings"]

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


def menu_labels(paths: Sequence[str]) -> list[str]:
    """How the menu names each of ``paths``: the file name, and for names shared by several,
    the last folders of each path, as few as tell them all apart.

    Parameters
    ----------
    paths : sequence of str, length n
        Distinct paths.

    Returns
    -------
    list of str, length n
        ``"data.csv"``, or ``"data.csv — …/projA"`` (``…`` stands for the folders left out; a
        folder shown whole has none).
    """
    pure = [PurePath(p) for p in paths]
    labels = [p.name for p in pure]
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pure):
        by_name[p.name].append(i)
    for group in by_name.values():
        if len(group) < 2:
            continue
        parents = [pure[i].parent.parts for i in group]
        depth = max(len(parts) for parts in parents)
        shown = 1
        while shown < depth and len({parts[-shown:] for parts in parents}) < len(group):
            shown += 1
        for i, parts in zip(group, parents, strict=True):
            tail = parts[-shown:]
            if len(parts) == shown + 1 and parts[0] == pure[i].anchor:
                tail = parts  # only the root left out: shown whole
            folder = str(PurePath(*tail)) if tail else ""
            if len(parts) > len(tail):
                folder = f"…{os.sep}{folder}"
            labels[i] = f"{pure[i].name} — {folder}"
    return labels


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
        for path, label in zip(recent, menu_labels(recent), strict=True):
            # "&" would mark a shortcut key: doubled, the name shows as it is
            action = self.menu.addAction(label.replace("&", "&&"))
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
