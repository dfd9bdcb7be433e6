"""Helpers of the view tests: the mouse as a person uses it, snapshots, pixel sizes.

A module, not a conftest, so that the view test files can import it by name.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import e_step

LEFT = Qt.MouseButton.LeftButton
RIGHT = Qt.MouseButton.RightButton
NO_BUTTON = Qt.MouseButton.NoButton


def send_mouse(widget, kind, pos, button, buttons) -> None:
    local = QPointF(pos)
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def click(view, pos: QPoint, button=LEFT) -> None:
    """Move there, press and release, as a mouse would (QTest warns that pyqtgraph's scene
    leaves the press unaccepted: it handles clicks on release)."""
    vp = view.viewport()
    send_mouse(vp, QMouseEvent.Type.MouseMove, pos, NO_BUTTON, NO_BUTTON)
    send_mouse(vp, QMouseEvent.Type.MouseButtonPress, pos, button, button)
    send_mouse(vp, QMouseEvent.Type.MouseButtonRelease, pos, button, NO_BUTTON)


def drag(view, start: QPoint, end: QPoint, steps: int = 6) -> None:
    """Press at ``start``, move in steps to ``end`` and release, as a mouse would."""
    vp = view.viewport()
    send_mouse(vp, QMouseEvent.Type.MouseMove, start, NO_BUTTON, NO_BUTTON)
    send_mouse(vp, QMouseEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        p = QPointF(start) + (QPointF(end) - QPointF(start)) * float(t)
        send_mouse(vp, QMouseEvent.Type.MouseMove, p.toPoint(), NO_BUTTON, LEFT)
    send_mouse(vp, QMouseEvent.Type.MouseButtonRelease, end, LEFT, NO_BUTTON)


def pixel_size(view_box) -> np.ndarray:
    return np.abs(np.asarray(view_box.viewPixelSize()))


def snapshot(X, mixture, resp="e", editable=True, phase="E") -> Snapshot:
    if isinstance(resp, str):
        resp = None if mixture is None else e_step(X, mixture)[0]
    return Snapshot(X=X, mixture=mixture, resp=resp, phase=phase, editable=editable)


def draggable(handle) -> bool:
    """Whether a view's handle offers a drag: its cursor says so (a pointing hand: click only)."""
    return handle.cursor().shape() != Qt.CursorShape.PointingHandCursor


def record_edits(view) -> list[tuple]:
    """Every drag signal of ``view`` as ``(k, mean, cov, finished)``: the moves
    (``component_dragged``) with ``False``, the end (``component_drag_finished``) with ``True``."""
    edits: list[tuple] = []
    view.component_dragged.connect(lambda k, mean, cov: edits.append((k, mean, cov, False)))
    view.component_drag_finished.connect(lambda k, mean, cov: edits.append((k, mean, cov, True)))
    return edits
