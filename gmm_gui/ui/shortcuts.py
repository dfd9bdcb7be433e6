"""The window's shortcuts keep working after a dialog closes (issue 13).

When a modal dialog (a message, a file dialog, the Help texts) closes, some window managers,
and Qt's offscreen platform, leave no window active: every shortcut of the window (E, M, N,
Space, Ctrl+Z ...) is then ignored until the user clicks into the window. A
:class:`ShortcutKeeper` hears when a modal dialog stops blocking the window (Qt's
``WindowUnblocked``), and makes the window active again with the keyboard focus where it
was (or on the plot). It steals nothing: the window is activated only when no window of the
application is active and no other dialog is open.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["ShortcutKeeper"]


class ShortcutKeeper(QObject):
    """Make ``window`` active again after a dialog above it closes.

    Parameters
    ----------
    window : QWidget
        The main window (the owner of the shortcuts); the keeper is its child.
    focus_target : callable () -> QWidget or None, optional
        The widget to give the keyboard focus when the window had none (the plot).
    """

    def __init__(
        self, window: QWidget, focus_target: Callable[[], QWidget | None] | None = None
    ) -> None:
        super().__init__(window)
        self._window = window
        self._focus_target = focus_target
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A modal dialog stopped blocking the window: activate it once the dialog has gone."""
        if watched is self._window and event.type() == QEvent.Type.WindowUnblocked:
            QTimer.singleShot(0, self, self.restore)
        return False

    def restore(self) -> bool:
        """Make the window active again if nothing else of the application is; True if done."""
        window = self._window
        if not shiboken6.isValid(window) or not window.isVisible():
            return False
        if QApplication.activeModalWidget() is not None or QApplication.activePopupWidget():
            return False
        active = QApplication.activeWindow()
        if active is not None and active.isVisible():
            return False  # the window itself, or another window the user went to
        window.activateWindow()
        if window.focusWidget() is None and self._focus_target is not None:
            target = self._focus_target()
            if target is not None:
                target.setFocus()
        return True
