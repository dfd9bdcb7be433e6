"""The window's shortcuts keep working after a dialog closes (issue 13).

When a modal dialog (a message, a file dialog, the Help texts) closes, some window managers,
and Qt's offscreen platform, leave no window active: every shortcut of the window (E, M, N,
Space, Ctrl+Z ...) is then ignored until the user clicks into the window. A
:class:`ShortcutKeeper` watches each dialog that takes the keyboard from the window, and when it
hides, makes the window active again with the keyboard focus where it was (or on the plot).
It steals nothing: the window is activated only when no window of the application is active
and no other dialog is open.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication, QWindow
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
        self._handle: QWindow | None = None  # the window's own, known once it is shown
        window.installEventFilter(self)
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        app.focusWindowChanged.connect(self._on_focus_window)

    def _on_focus_window(self, qwindow: QWindow | None) -> None:
        """A window of the application took the keyboard: watch it if it is not the window.

        Only the ``QWindow`` handed over is touched (the main window may be being destroyed
        when its focus goes)."""
        if qwindow is None or qwindow == self._handle or not shiboken6.isValid(qwindow):
            return
        qwindow.installEventFilter(self)  # once: Qt does not install a filter twice

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """The window is shown (its handle is noted), or a watched dialog hides (the window
        is activated once the dialog has gone)."""
        kind = event.type()
        if watched is self._window:
            if kind == QEvent.Type.Show:
                self._handle = self._window.windowHandle()
        elif kind == QEvent.Type.Hide:
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
