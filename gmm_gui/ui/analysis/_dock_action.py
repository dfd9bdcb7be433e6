"""An Analyse-menu action that shows a tool's dock, made the first time it is asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

if TYPE_CHECKING:
    from gmm_gui.ui.main_window import MainWindow

D = TypeVar("D", bound=QDockWidget)


def add_dock_action(
    window: MainWindow,
    dock_type: Callable[[MainWindow], D],
    dock_name: str,
    text: str,
    shortcut: str,
    tip: str,
    *,
    tab_with: str | None = None,
    before_show: Callable[[D], None] | None = None,
) -> QAction:
    """Add ``text`` to ``window.analysis_menu``; triggering it shows the dock ``dock_name``.

    The dock (``dock_type(window)``, whose object name must be ``dock_name``) is made on first
    use, docked on the right and tabbed with the visible dock named ``tab_with``, if any.
    """
    action = window.analysis_menu.addAction(text)
    action.setObjectName(f"action_{dock_name.removesuffix('_dock')}")
    action.setShortcut(shortcut)
    action.setToolTip(tip)
    action.setStatusTip(tip)

    def show() -> None:
        dock = window.findChild(QDockWidget, dock_name)
        if dock is None:
            dock = dock_type(window)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            other = window.findChild(QDockWidget, tab_with) if tab_with else None
            if other is not None and other.isVisible():
                window.tabifyDockWidget(other, dock)
        if before_show is not None:
            before_show(dock)
        dock.show()
        dock.raise_()

    action.triggered.connect(show)
    return action
