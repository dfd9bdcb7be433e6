"""Reshape handles follow the covariance type and read a drag per axis (issue #11)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint
from view_helpers import drag, pixel_size, record_edits, snapshot

from gmm_gui.controller.edits import moved
from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture
from gmm_gui.ui.views import PlotView2D


@pytest.fixture(autouse=True)
def _every_mouse_move_counts(monkeypatch):
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", 0)


@pytest.fixture
def view2d(qtbot):
    view = PlotView2D()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(720, 540)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.close()


@pytest.fixture
def faithful(datasets_dir):
    return load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values


def mixture(kind: str) -> Mixture:
    # Old Faithful's scales: eruptions sd about 0.3, waiting sd about 6.
    if kind == "spherical":
        covs = [0.3**2 * np.eye(2), 0.4**2 * np.eye(2)]
    else:
        covs = [np.diag([0.3**2, 6.0**2]), np.diag([0.4**2, 5.0**2])]
    return Mixture([0.4, 0.6], [[2.0, 55.0], [4.3, 80.0]], covs, kind)


def handle_on_axis(view, k: int, axis: int, mean: np.ndarray):
    """The reshape handle of Gaussian ``k`` that lies along coordinate ``axis``."""
    for handle in view.handles()[k][1:]:
        offset = np.array([handle.pos().x(), handle.pos().y()]) - mean
        if abs(offset[axis]) > 0 and abs(offset[1 - axis]) < 1e-9 * abs(offset[axis]):
            return handle, offset
    raise AssertionError("no handle along that axis")


def drag_by_pixels(view, handle, dx: int, dy: int) -> None:
    start = view.data_to_viewport((handle.pos().x(), handle.pos().y()))
    drag(view, start, start + QPoint(dx, dy))


def test_a_diag_handle_stretches_along_its_axis_in_that_axis_units(view2d, faithful):
    m = mixture("diag")
    view2d.set_snapshot(snapshot(faithful, m))
    edits = record_edits(view2d)
    handle, offset = handle_on_axis(view2d, 0, 0, m.means[0])
    sd0 = np.sqrt(m.covariances[0][0, 0])
    assert abs(offset[0]) == pytest.approx(sd0)
    # 20 pixels outwards along eruptions, with a 6-pixel drift along waiting (several minutes).
    outward = 20 if offset[0] > 0 else -20
    drag_by_pixels(view2d, handle, outward, -6)
    k, mean, cov, finished = edits[-1]
    assert k == 0 and finished
    np.testing.assert_array_equal(mean, m.means[0])
    px = pixel_size(view2d.view_box)
    # The sd of eruptions grew by 20 pixels' worth of eruptions; nothing turned, the other
    # variance is kept.
    assert np.sqrt(cov[0, 0]) - sd0 == pytest.approx(20 * px[0], abs=1.5 * px[0])
    assert cov[0, 1] == 0.0 and cov[1, 0] == 0.0
    assert cov[1, 1] == m.covariances[0][1, 1]
    # The mixture accepts it as a diag one.
    assert moved(m, 0, mean, cov).covariance_type == "diag"


def test_a_diag_drag_along_waiting_changes_only_waiting(view2d, faithful):
    m = mixture("diag")
    view2d.set_snapshot(snapshot(faithful, m))
    edits = record_edits(view2d)
    handle, offset = handle_on_axis(view2d, 1, 1, m.means[1])
    sd0 = np.sqrt(m.covariances[1][1, 1])
    outward = -20 if offset[1] > 0 else 20  # screen y grows downwards
    drag_by_pixels(view2d, handle, 6, outward)
    _, _, cov, _ = edits[-1]
    px = pixel_size(view2d.view_box)
    assert np.sqrt(cov[1, 1]) - sd0 == pytest.approx(20 * px[1], abs=1.5 * px[1])
    assert cov[0, 0] == m.covariances[1][0, 0] and cov[0, 1] == 0.0


def test_a_spherical_gaussian_stays_round_in_data_units(view2d, faithful):
    m = mixture("spherical")
    view2d.set_snapshot(snapshot(faithful, m))
    edits = record_edits(view2d)
    handle, offset = handle_on_axis(view2d, 0, 0, m.means[0])
    outward = 20 if offset[0] > 0 else -20
    drag_by_pixels(view2d, handle, outward, 5)
    _, _, cov, finished = edits[-1]
    assert finished
    px = pixel_size(view2d.view_box)
    sd = np.sqrt(cov[0, 0])
    assert sd - 0.3 == pytest.approx(20 * px[0], abs=1.5 * px[0])
    np.testing.assert_array_equal(cov, sd**2 * np.eye(2))
    assert moved(m, 0, None, cov).covariance_type == "spherical"


def test_a_tied_reshape_reshapes_every_gaussian(view2d, faithful):
    m = Mixture([0.4, 0.6], [[2.0, 55.0], [4.3, 80.0]], [np.diag([0.3**2, 6.0**2])] * 2, "tied")
    view2d.set_snapshot(snapshot(faithful, m))
    edits = record_edits(view2d)
    handle = view2d.handles()[0][1]
    drag_by_pixels(view2d, handle, 10, -15)
    _, mean, cov, _ = edits[-1]
    assert not np.allclose(cov, m.covariances[0])
    new = moved(m, 0, mean, cov)
    for k in range(2):
        np.testing.assert_allclose(new.covariances[k], cov)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_a_full_handle_on_faithful_scales_moves_by_the_pixels_dragged(
    view2d, faithful, covariance_type
):
    # The case: a full Gaussian with an eruptions sd of 0.28 and a waiting sd of 6;
    # its eruptions handle dragged 20 pixels outwards, the hand drifting 6 pixels along waiting
    # (about 0.7 minutes). Read in data units that drift swamped 0.28 and the sd became
    # several minutes; in the view's pixel metric it is 20 pixels' worth, a little turn.
    covs = [np.array([[0.28**2, 0.0], [0.0, 6.0**2]]), np.diag([0.4**2, 5.0**2])]
    if covariance_type == "tied":
        covs = [covs[0], covs[0]]
    m = Mixture([0.4, 0.6], [[2.0, 55.0], [4.3, 80.0]], covs, covariance_type)
    view2d.set_snapshot(snapshot(faithful, m))
    edits = record_edits(view2d)
    handle, offset = handle_on_axis(view2d, 0, 0, m.means[0])
    assert abs(offset[0]) == pytest.approx(0.28)
    outward = 20 if offset[0] > 0 else -20
    drag_by_pixels(view2d, handle, outward, -6)
    k, mean, cov, finished = edits[-1]
    assert k == 0 and finished
    np.testing.assert_array_equal(mean, m.means[0])
    px = pixel_size(view2d.view_box)
    sd = np.sqrt(np.diag(cov))
    # eruptions: about 20 pixels' worth more (0.12 minutes here, not ten times that) ...
    assert sd[0] - 0.28 == pytest.approx(20 * px[0], abs=2 * px[0])
    # ... waiting: within a pixel or two of where it was
    assert abs(sd[1] - 6.0) < 2 * px[1]
    # the handle followed the mouse; the ellipse turned a little towards the drift
    drawn = np.array([handle.pos().x(), handle.pos().y()]) - mean
    assert abs(drawn[0]) / px[0] == pytest.approx(abs(offset[0]) / px[0] + 20, abs=1.5)
    assert abs(drawn[1]) / px[1] == pytest.approx(6, abs=1.5)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    if covariance_type == "tied":
        new = moved(m, 0, mean, cov)
        np.testing.assert_allclose(new.covariances[1], cov)


def test_the_handles_sit_where_the_ellipse_ends_on_screen_and_follow_a_zoom(view2d, faithful):
    # A correlated Old Faithful Gaussian: its data-unit principal axes are not the ellipse's
    # ends on screen; the handles are, perpendicular on screen, on the 1-sigma ellipse.
    cov = np.array([[0.0693, 0.436], [0.436, 33.7]])
    m = Mixture([1.0], [[2.0, 54.5]], [cov], "full")
    view2d.set_snapshot(snapshot(faithful, m))

    def screen_offsets():
        px = pixel_size(view2d.view_box)
        out = []
        for handle in view2d.handles()[0][1:]:
            at = np.array([handle.pos().x(), handle.pos().y()])
            d = at - m.means[0]
            assert d @ np.linalg.solve(cov, d) == pytest.approx(1.0, rel=1e-9)
            out.append(d / px)
        return out

    a, b = screen_offsets()
    assert abs(a @ b) < 1e-6 * np.linalg.norm(a) * np.linalg.norm(b)
    view2d.view_box.setRange(xRange=(1.0, 6.0), yRange=(30.0, 100.0), padding=0)
    a2, b2 = screen_offsets()
    assert abs(a2 @ b2) < 1e-6 * np.linalg.norm(a2) * np.linalg.norm(b2)
    assert not np.allclose(a2, a)  # the zoom changed the ellipse on screen, and the handles
