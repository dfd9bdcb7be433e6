"""A drag of a handle while the session moves on under the mouse, and drags it refuses."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton


def send_mouse(widget, kind, pos: QPoint, button, buttons) -> None:
    local = QPointF(pos)
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


class Mouse:
    """The left button held on a plot view: press, move (in data coordinates), release."""

    def __init__(self, qtbot, view) -> None:
        self.qtbot = qtbot
        self.view = view
        self.pos: QPoint | None = None

    def press(self, data) -> None:
        self.pos = self.view.data_to_viewport(data)
        send_mouse(self.view.viewport(), QMouseEvent.Type.MouseButtonPress, self.pos, LEFT, LEFT)

    def move(self, data, steps: int = 4) -> None:
        a, b = self.pos, self.view.data_to_viewport(data)
        for i in range(1, steps + 1):
            p = QPoint(
                round(a.x() + (b.x() - a.x()) * i / steps),
                round(a.y() + (b.y() - a.y()) * i / steps),
            )
            send_mouse(self.view.viewport(), QMouseEvent.Type.MouseMove, p, NO_BUTTON, LEFT)
            self.qtbot.wait(1)
        self.pos = b

    def release(self) -> None:
        send_mouse(
            self.view.viewport(), QMouseEvent.Type.MouseButtonRelease, self.pos, LEFT, NO_BUTTON
        )


def assert_view_shows_the_session(window) -> None:
    """The view (and the table) draw the session's current state, not an old drag."""
    snap = window.session.snapshot
    shown = window.view.shown_params()
    np.testing.assert_array_equal(shown.means, snap.mixture.means)
    np.testing.assert_array_equal(shown.covariances, snap.mixture.covariances)
    table = window.component_table
    for k in range(snap.mixture.n_components):
        assert table.value(k, "mean0") == snap.mixture.means[k, 0]


@pytest.mark.parametrize("sample", ["faithful", "davis"])
def test_a_step_during_a_drag_ends_the_drag(shown_window, qtbot, sample):
    window = shown_window(sample)
    session = window.session
    mean = session.stepper.start.means[0].copy()
    handle = window.view.handles()[0][0]  # the mean of Gaussian 1 (2-D: (x, y); 1-D: (x, peak))
    p = np.array([handle.pos().x(), handle.pos().y()])
    shift = np.array([1.0, 10.0]) if sample == "faithful" else np.array([8.0, 0.0])
    mouse = Mouse(qtbot, window.view)
    mouse.press(p)
    mouse.move(p + shift)
    assert not np.array_equal(window.view.shown_params().means[0], mean)  # it follows
    window.actions_by_name["step_e"].trigger()  # the E-step (Play's timer, or E) comes mid-drag
    assert session.snapshot.phase == "E"
    assert_view_shows_the_session(window)
    mouse.move(p + 1.5 * shift)
    mouse.release()
    np.testing.assert_array_equal(session.stepper.start.means[0], mean)  # nothing was edited
    assert_view_shows_the_session(window)
    window.actions_by_name["step_m"].trigger()
    assert_view_shows_the_session(window)


def test_a_gaussian_undone_during_its_drag_does_not_haunt_the_next_one(shown_window, qtbot):
    window = shown_window("iris")
    session = window.session
    session.add_component(np.array([3.0, 1.0]))  # Gaussian 4
    assert session.stepper.start.n_components == 4
    mouse = Mouse(qtbot, window.view)
    mouse.press([3.0, 1.0])
    mouse.move([6.5, 0.3])
    window.actions_by_name["undo"].trigger()  # Ctrl+Z with the mouse held: Gaussian 4 is gone
    assert session.stepper.start.n_components == 3
    mouse.move([6.6, 0.3])
    mouse.release()
    session.add_component(np.array([2.0, 2.0]))  # a new Gaussian 4, placed by a click
    np.testing.assert_array_equal(session.stepper.start.means[3], [2.0, 2.0])
    assert_view_shows_the_session(window)
    window.actions_by_name["run"].trigger()
    assert_view_shows_the_session(window)


def test_a_drag_the_session_refuses_is_undrawn(shown_window, qtbot, tmp_path, monkeypatch):
    window = shown_window("faithful")
    doc = {
        "format": "gmm-gui/mixture",
        "version": 1,
        "covariance_type": "diag",
        "columns": ["eruptions", "waiting"],
        "weights": [0.5, 0.5],
        "means": [[2, 55], [4.3, 80]],
        "covariances": [[[0.1, 0], [0, 30]], [[0.2, 0], [0, 40]]],
    }
    path = tmp_path / "diag.json"
    path.write_text(json.dumps(doc))
    assert window.import_parameters(path)
    session = window.session
    before = session.stepper.start.covariances.copy()
    handle = window.view.handles()[0][1]  # an axis handle of Gaussian 1
    p = np.array([handle.pos().x(), handle.pos().y()])
    # A diag Gaussian's handles now stretch it along the axes only (issue #11), so the drag
    # itself is always diagonal: the session's refusal is injected where it was made.
    from gmm_gui.model import Mixture

    def refuse(self, k, mean=None, cov=None, weight=None):
        raise ValueError("a diag mixture's covariances must be diagonal")

    monkeypatch.setattr(Mixture, "with_component", refuse)
    errors = []
    session.error.connect(errors.append)
    mouse = Mouse(qtbot, window.view)
    mouse.press(p)
    mouse.move(p + [0.3, 3.0])
    mouse.release()
    assert errors and "diagonal" in errors[-1]
    np.testing.assert_array_equal(session.stepper.start.covariances, before)
    assert_view_shows_the_session(window)
