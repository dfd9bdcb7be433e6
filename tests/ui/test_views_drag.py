"""A drag's moves and its end as two signals: component_dragged and component_drag_finished."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QMouseEvent
from view_helpers import LEFT, NO_BUTTON, drag, pixel_size, send_mouse, snapshot

from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture, init_mixture
from gmm_gui.ui.views import PlotView1D, PlotView2D


@pytest.fixture(autouse=True)
def _every_mouse_move_counts(monkeypatch):
    # pyqtgraph drops mouse moves closer than 10 ms apart; synthetic moves come faster.
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", 0)


def shown_view(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(720, 540)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def view2d(qtbot):
    view = shown_view(qtbot, PlotView2D)
    yield view
    view.close()


@pytest.fixture
def view1d(qtbot):
    view = shown_view(qtbot, PlotView1D)
    yield view
    view.close()


@pytest.fixture
def faithful(datasets_dir):
    return load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values


@pytest.fixture
def mixture2(faithful):
    return init_mixture(faithful, 2, "kmeans", seed=0)


def record(view) -> list[tuple]:
    """Every drag signal the view emits, in order, tagged with its name."""
    events: list[tuple] = []
    view.component_dragged.connect(lambda *a: events.append(("dragged", *a)))
    view.component_drag_finished.connect(lambda *a: events.append(("finished", *a)))
    return events


def test_a_drag_is_moves_then_one_end(view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    events = record(view2d)
    end_data = np.array([3.1, 70.0])
    drag(view2d, view2d.data_to_viewport(mixture2.means[0]), view2d.data_to_viewport(end_data))
    kinds = [e[0] for e in events]
    assert len(kinds) >= 3
    assert kinds == ["dragged"] * (len(kinds) - 1) + ["finished"]
    new = events
    assert all(k == 0 for _, k, _mean, _cov in new)
    _, k, mean, cov = new[-1]
    assert mean.shape == (2,) and cov.shape == (2, 2)
    np.testing.assert_allclose(mean, end_data, atol=2 * pixel_size(view2d.view_box).max())
    np.testing.assert_array_equal(cov, mixture2.covariances[0])
    np.testing.assert_allclose(view2d.shown_params().means[0], mean)


def test_no_drag_signals_when_not_editable(view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2, editable=False))
    events = record(view2d)
    drag(view2d, view2d.data_to_viewport(mixture2.means[0]), view2d.data_to_viewport((3, 70)))
    assert events == []


def test_a_new_data_set_mid_drag_ends_it_without_a_finish(view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    events = record(view2d)
    vp = view2d.viewport()
    start = view2d.data_to_viewport(mixture2.means[0])
    end = view2d.data_to_viewport((3.1, 70.0))
    send_mouse(vp, QMouseEvent.Type.MouseMove, start, NO_BUTTON, NO_BUTTON)
    send_mouse(vp, QMouseEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    send_mouse(vp, QMouseEvent.Type.MouseMove, end, NO_BUTTON, LEFT)
    assert [e[0] for e in events] == ["dragged"]
    other = faithful[:100] + 1.0
    view2d.set_snapshot(snapshot(other, mixture2))  # what the mouse holds is gone
    send_mouse(vp, QMouseEvent.Type.MouseMove, start, NO_BUTTON, LEFT)
    send_mouse(vp, QMouseEvent.Type.MouseButtonRelease, start, LEFT, NO_BUTTON)
    assert [e[0] for e in events] == ["dragged"]


def test_1d_width_drag_finishes_with_a_1x1_covariance(view1d, datasets_dir):
    heights = load_dataset(datasets_dir / "Davis.csv", ["height"]).values
    mix = Mixture([0.5, 0.5], [[160.0], [178.0]], [[[40.0]], [[40.0]]])
    view1d.set_snapshot(snapshot(heights, mix))
    events = record(view1d)
    _, _, hi = view1d.handles()[1]
    start = view1d.data_to_viewport((hi.pos().x(), hi.pos().y()))
    drag(view1d, start, view1d.data_to_viewport((178 + 12.0, hi.pos().y())))
    new = events
    assert [e[0] for e in new] == ["dragged"] * (len(new) - 1) + ["finished"]
    _, k, mean, cov = new[-1]
    assert k == 1 and mean.shape == (1,) and cov.shape == (1, 1) and mean[0] == 178.0
    assert np.sqrt(cov[0, 0]) == pytest.approx(12.0, abs=2 * pixel_size(view1d.view_box)[0])
