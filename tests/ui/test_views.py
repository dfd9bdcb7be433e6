"""The 2-D and 1-D plot views, driven by snapshots and used with the mouse like a person."""

from __future__ import annotations

import os
import xml.dom.minidom
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QToolTip
from scipy.stats import norm
from view_helpers import LEFT, RIGHT, click, drag, draggable, pixel_size, record_edits, snapshot

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture, e_step, ellipse, init_mixture, m_step
from gmm_gui.ui.colors import NEUTRAL, blend, component_colors
from gmm_gui.ui.views import PlotView1D, PlotView2D


def viewport_image(view) -> QImage:
    return view.viewport().grab().toImage()


def rgb_at(image: QImage, p: QPoint) -> tuple[int, int, int]:
    c = image.pixelColor(p)
    return (c.red(), c.green(), c.blue())


def mahalanobis(points, mean, cov) -> np.ndarray:
    d = np.atleast_2d(points) - mean
    return np.sqrt(np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d))


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True)
def _every_mouse_move_counts(monkeypatch):
    # pyqtgraph drops mouse moves closer than 10 ms apart; synthetic moves come faster.
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", 0)


@pytest.fixture
def faithful(datasets_dir):
    return load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values


@pytest.fixture
def heights(datasets_dir):
    return load_dataset(datasets_dir / "Davis.csv", ["height"]).values


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
def view1d(qtbot):
    view = PlotView1D()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(720, 540)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.close()


@pytest.fixture
def mixture2(faithful):
    return init_mixture(faithful, 2, "kmeans", seed=0)


# ------------------------------------------------------------------------------ 2-D drawing
@pytest.mark.parametrize("k", [1, 2, 3])
def test_ellipses_are_the_one_and_two_sigma_contours(view2d, faithful, k):
    mix = init_mixture(faithful, k, "kmeans", seed=1)
    view2d.set_snapshot(snapshot(faithful, mix))
    shapes = view2d.ellipse_item.shapes
    assert len(shapes) == k
    for j, shape in enumerate(shapes):
        assert len(shape.outlines) == 2
        for n_sigma, outline in zip((1.0, 2.0), shape.outlines, strict=True):
            dist = mahalanobis(outline, mix.means[j], mix.covariances[j])
            np.testing.assert_allclose(dist, n_sigma, rtol=1e-9)
            np.testing.assert_allclose(
                outline, ellipse(mix.means[j], mix.covariances[j], n_sigma), rtol=1e-12
            )
    handles = view2d.handles()
    assert len(handles) == k
    for j, (mean_h, ax0, ax1) in enumerate(handles):
        assert (mean_h.pos().x(), mean_h.pos().y()) == pytest.approx(tuple(mix.means[j]))
        axis_points = np.array([[h.pos().x(), h.pos().y()] for h in (ax0, ax1)])
        # each shape handle sits on the 1-sigma ellipse, at the end of a principal axis of the
        # ellipse as drawn (issue #11: perpendicular on screen, not in data units)
        np.testing.assert_allclose(
            mahalanobis(axis_points, mix.means[j], mix.covariances[j]), 1.0, rtol=1e-9
        )
        a0, a1 = (axis_points - mix.means[j]) / pixel_size(view2d.view_box)
        assert abs(a0 @ a1) < 1e-9 * np.linalg.norm(a0) * np.linalg.norm(a1) + 1e-12


def test_points_get_the_colours_blend_says_on_screen(view2d, faithful, mixture2):
    snap = snapshot(faithful, mixture2)
    view2d.set_snapshot(snap)
    expected = blend(snap.resp, component_colors(2))
    np.testing.assert_array_equal(view2d.point_colors(), expected)

    image = viewport_image(view2d)
    px = np.array(
        [[view2d.data_to_viewport(x).x(), view2d.data_to_viewport(x).y()] for x in faithful],
        dtype=float,
    )
    dist = np.linalg.norm(px[:, None] - px[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    maha = np.stack(
        [
            mahalanobis(faithful, m, c)
            for m, c in zip(mixture2.means, mixture2.covariances, strict=True)
        ]
    )
    mean_px = np.array(
        [[view2d.data_to_viewport(m).x(), view2d.data_to_viewport(m).y()] for m in mixture2.means],
        dtype=float,
    )
    away_from_means = np.min(np.linalg.norm(px[:, None] - mean_px[None], axis=2), axis=1) > 90
    label_rects = [
        view2d.mapFromScene(label.sceneBoundingRect()).boundingRect().adjusted(-8, -8, 8, 8)
        for label in view2d.weight_labels()
    ]
    under_label = np.array(
        [any(r.contains(QPoint(int(x), int(y))) for r in label_rects) for x, y in px]
    )
    clear = (
        ~under_label
        &
        (dist.min(axis=1) > 12)
        & np.all(np.abs(maha - 1) > 0.25, axis=0)
        & np.all(np.abs(maha - 2) > 0.25, axis=0)
        & away_from_means
    )
    assert clear.sum() >= 10
    for i in np.flatnonzero(clear):
        assert rgb_at(image, view2d.data_to_viewport(faithful[i])) == tuple(expected[i]), i


def test_points_are_neutral_without_responsibilities(view2d, faithful):
    view2d.set_snapshot(snapshot(faithful, None))
    assert view2d.ellipse_item.shapes == []
    assert view2d.handles() == []
    np.testing.assert_array_equal(view2d.point_colors(), np.tile(NEUTRAL, (len(faithful), 1)))


def test_grey_start_after_coloured_points_is_exact_and_made_once(view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, None), animate=False)
    grey = view2d._points.colors
    view2d.set_snapshot(snapshot(faithful, mixture2), animate=False)  # coloured by an E-step
    assert not np.array_equal(view2d.point_colors(), np.tile(NEUTRAL, (len(faithful), 1)))
    view2d.set_snapshot(snapshot(faithful, mixture2, resp=None), animate=False)  # a reset
    np.testing.assert_array_equal(view2d.point_colors(), np.tile(NEUTRAL, (len(faithful), 1)))
    assert view2d._points.colors is grey  # the grey of a million points is not made again
    view2d.set_snapshot(snapshot(faithful[:100], None), animate=False)  # other data
    np.testing.assert_array_equal(view2d.point_colors(), np.tile(NEUTRAL, (100, 1)))


@pytest.mark.parametrize("which", ["view1d", "view2d"])
def test_handles_follow_editability_during_a_glide_that_moves_nothing(request, which):
    """The first E-step keeps the Gaussians; with animation on, the handles must still lock."""
    view = request.getfixturevalue(which)
    X = request.getfixturevalue("heights" if which == "view1d" else "faithful")
    mix = init_mixture(X, 2, "kmeans", seed=0)
    view.set_animation_ms(150)
    view.set_snapshot(snapshot(X, mix, resp=None, editable=True, phase="start"), animate=False)
    assert all(draggable(h) for group in view.handles() for h in group)
    view.set_snapshot(snapshot(X, mix, editable=False, phase="E"), animate=True)
    assert view.is_animating()
    assert not any(draggable(h) for group in view.handles() for h in group)
    view.set_snapshot(snapshot(X, mix, resp=None, editable=True, phase="start"), animate=True)
    assert all(draggable(h) for group in view.handles() for h in group)  # back at the start


def test_an_e_step_does_not_redraw_the_unmoved_gaussians(view2d, faithful, mixture2, monkeypatch):
    view2d.set_snapshot(snapshot(faithful, mixture2, editable=False, phase="M"))
    calls = []
    original = view2d._show_params
    monkeypatch.setattr(view2d, "_show_params", lambda p: (calls.append(p), original(p)))
    view2d.set_snapshot(snapshot(faithful, mixture2, editable=False, phase="E"))
    assert calls == []
    moved = Mixture(mixture2.weights, mixture2.means + 0.5, mixture2.covariances)
    view2d.set_snapshot(snapshot(faithful, moved, editable=False, phase="M"))
    assert len(calls) == 1
    np.testing.assert_allclose(view2d.shown_params().means, moved.means)
    view2d.set_snapshot(snapshot(faithful, moved, editable=True, phase="start"))
    assert len(calls) == 2  # the handles unlock


def test_axis_labels_show_the_column_names(view2d):
    view2d.set_axis_labels(["eruptions", "waiting"])
    assert view2d.plot.getAxis("bottom").labelText == "eruptions"
    assert view2d.plot.getAxis("left").labelText == "waiting"
    with pytest.raises(ValueError):
        view2d.set_axis_labels(["only one"])


# ------------------------------------------------------------------------------ 2-D mouse
def test_click_on_empty_space_asks_to_add_there(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    target = np.array([3.0, 66.0])
    with qtbot.waitSignal(view2d.add_requested) as blocker:
        click(view2d, button=LEFT, pos=view2d.data_to_viewport(target))
    (got,) = blocker.args
    assert got.shape == (2,)
    np.testing.assert_allclose(got, target, atol=1.01 * pixel_size(view2d.view_box).max() + 1e-9)
    np.testing.assert_allclose(np.abs(got - target) / pixel_size(view2d.view_box), 0, atol=1.01)


def test_no_add_when_not_editable(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2, editable=False))
    with qtbot.assertNotEmitted(view2d.add_requested, wait=50):
        click(view2d, button=LEFT, pos=view2d.data_to_viewport((3.0, 66.0)))
    # the shape handles are gone and the means cannot be dragged
    assert all(not h.isVisible() for _, *axes in view2d.handles() for h in axes)
    edits = record_edits(view2d)
    drag(view2d, view2d.data_to_viewport(mixture2.means[0]), view2d.data_to_viewport((3, 70)))
    assert edits == []


def test_dragging_a_mean_moves_it_and_finishes(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    before = view2d.view_box.viewRange()
    edits = record_edits(view2d)
    start = view2d.data_to_viewport(mixture2.means[0])
    end_data = np.array([3.1, 70.0])
    drag(view2d, start, view2d.data_to_viewport(end_data))
    assert len(edits) >= 3
    assert [e[3] for e in edits[:-1]] == [False] * (len(edits) - 1)
    k, mean, cov, finished = edits[-1]
    assert k == 0 and finished is True
    np.testing.assert_allclose(mean, end_data, atol=2 * pixel_size(view2d.view_box).max())
    np.testing.assert_array_equal(cov, mixture2.covariances[0])  # moving keeps the shape
    # the ellipse followed the mouse at once, and the view did not pan
    shown = view2d.shown_params()
    np.testing.assert_allclose(shown.means[0], mean)
    np.testing.assert_allclose(view2d.view_box.viewRange(), before)


def test_dragging_an_axis_handle_stretches_and_turns(qtbot, view2d, faithful, mixture2):
    # Issue #11 changed the rule: the handles and the drag work in the view's pixel metric
    # (before: in data units, so that on Old Faithful's scales a few pixels of drift along
    # waiting turned and blew up the ellipse); the other axis keeps its length *on screen*.
    view2d.set_snapshot(snapshot(faithful, mixture2))
    mean_h, ax0, ax1 = view2d.handles()[1]
    mean = mixture2.means[1]
    cov0 = mixture2.covariances[1]
    px = pixel_size(view2d.view_box)
    other_px = np.linalg.norm((np.array([ax1.pos().x(), ax1.pos().y()]) - mean) / px)
    edits = record_edits(view2d)
    start = view2d.data_to_viewport((ax0.pos().x(), ax0.pos().y()))
    target = mean + np.array([0.9, 9.0])
    drag(view2d, start, view2d.data_to_viewport(target))
    k, new_mean, cov, finished = edits[-1]
    assert k == 1 and finished
    np.testing.assert_array_equal(new_mean, mean)
    tol = 3 * pixel_size(view2d.view_box)
    # the dragged handle ends where the mouse let go, on the new 1-sigma ellipse ...
    handle = np.array([ax0.pos().x(), ax0.pos().y()])
    np.testing.assert_allclose(handle, target, atol=tol.max())
    assert mahalanobis(handle, mean, cov)[0] == pytest.approx(1.0, rel=1e-9)
    # ... the ellipse turned towards it, and on screen the other axis kept its length
    lengths_px = np.sqrt(np.linalg.eigvalsh(cov / np.outer(px, px)))
    assert sorted([other_px, np.linalg.norm((handle - mean) / px)]) == pytest.approx(
        sorted(lengths_px), rel=1e-6
    )
    assert not np.allclose(cov, cov0)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_right_click_on_a_mean_asks_to_remove_and_click_selects(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    at = view2d.data_to_viewport(mixture2.means[1])
    with qtbot.waitSignal(view2d.remove_requested) as blocker:
        click(view2d, button=RIGHT, pos=at)
    assert blocker.args == [1]
    with qtbot.waitSignal(view2d.component_selected) as blocker:
        click(view2d, button=LEFT, pos=at)
    assert blocker.args == [1] and view2d.selected_component() == 1
    with qtbot.waitSignal(view2d.remove_requested) as blocker:
        qtbot.keyClick(view2d, Qt.Key.Key_Delete)
    assert blocker.args == [1]
    # a click on empty space clears the selection (and asks to add there)
    with qtbot.waitSignals([view2d.component_selected, view2d.add_requested]):
        click(view2d, button=LEFT, pos=view2d.data_to_viewport((3.0, 66.0)))
    assert view2d.selected_component() == -1



def test_hovering_a_point_shows_its_responsibilities(qtbot, view2d, faithful, mixture2):
    view2d.set_axis_labels(["eruptions", "waiting"])
    snap = snapshot(faithful, mixture2)
    view2d.set_snapshot(snap)
    i = int(np.argmax(np.abs(snap.resp[:, 0] - 0.5) < 0.45))  # a point both components share
    text = view2d.tooltip_text(i)
    assert f"eruptions = {faithful[i, 0]:.6g}" in text
    assert f"waiting = {faithful[i, 1]:.6g}" in text
    assert f"component 1: {snap.resp[i, 0]:.3f}" in text
    assert f"component 2: {snap.resp[i, 1]:.3f}" in text
    qtbot.mouseMove(view2d.viewport(), view2d.data_to_viewport(faithful[i]))
    qtbot.waitUntil(lambda: "responsibility" in QToolTip.text())
    assert f"eruptions = {faithful[i, 0]:.6g}" in QToolTip.text()


# ------------------------------------------------------------------------------ animation
def test_animation_glides_and_ends_at_the_target(qtbot, view2d, faithful, mixture2):
    start = snapshot(faithful, mixture2)
    resp, _ = e_step(faithful, mixture2)
    target_mix = m_step(faithful, resp)
    target = snapshot(faithful, target_mix, phase="M")
    view2d.set_snapshot(start, animate=False)
    view2d.set_animation_ms(200)
    finished = []
    view2d.animation_finished.connect(lambda: finished.append(True))
    view2d.set_snapshot(target, animate=True)
    assert view2d.is_animating()
    # on the way the means are strictly between the two snapshots' (a glide, not a jump)
    a, b = mixture2.means, target_mix.means

    def between():
        m = view2d.shown_params().means
        s = (m - a) / (b - a)
        return bool(np.all((s > 0.05) & (s < 0.95)) and np.allclose(s, s.flat[0]))

    qtbot.waitUntil(between, timeout=5000)
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert finished == [True]
    assert not view2d.is_animating()
    shown = view2d.shown_params()
    np.testing.assert_array_equal(shown.means, target_mix.means)
    np.testing.assert_array_equal(shown.covariances, target_mix.covariances)
    for j, shape in enumerate(view2d.ellipse_item.shapes):
        np.testing.assert_allclose(
            shape.outlines[0], ellipse(target_mix.means[j], target_mix.covariances[j], 1.0)
        )
    np.testing.assert_array_equal(view2d.point_colors(), blend(target.resp, component_colors(2)))


def test_a_new_snapshot_mid_animation_starts_from_the_screen(qtbot, view2d, faithful):
    m0 = Mixture([0.5, 0.5], [[2.0, 55.0], [4.5, 80.0]], [np.diag([0.1, 30.0])] * 2)
    m1 = Mixture([0.5, 0.5], [[2.0, 75.0], [4.5, 60.0]], [np.diag([0.3, 10.0])] * 2)
    m2 = Mixture([0.3, 0.7], [[3.0, 65.0], [4.0, 65.0]], [np.diag([0.2, 20.0])] * 2)
    view2d.set_snapshot(snapshot(faithful, m0), animate=False)
    view2d.set_animation_ms(400)
    finished = []
    view2d.animation_finished.connect(lambda: finished.append(True))
    view2d.set_snapshot(snapshot(faithful, m1), animate=True)

    def partway():
        y = view2d.shown_params().means[0, 1]
        return 58.0 < y < 72.0

    qtbot.waitUntil(partway, timeout=5000)
    on_screen = view2d.shown_params()
    view2d.set_snapshot(snapshot(faithful, m2), animate=True)
    # the glide to m2 starts where the glide to m1 was interrupted, not at m0 or m1
    np.testing.assert_allclose(view2d.shown_params().means, on_screen.means)
    np.testing.assert_allclose(view2d.shown_params().covariances, on_screen.covariances)
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert finished == [True]  # the interrupted glide never finished; the second did
    np.testing.assert_array_equal(view2d.shown_params().means, m2.means)
    # every covariance shown on the way was positive definite (linear interpolation)
    assert np.all(np.linalg.eigvalsh(view2d.shown_params().covariances) > 0)


def test_colours_fade_between_snapshots(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2, resp=None), animate=False)
    neutral = view2d.point_colors().copy()
    view2d.set_animation_ms(300)
    finished = []
    view2d.animation_finished.connect(lambda: finished.append(True))
    target = snapshot(faithful, mixture2)
    view2d.set_snapshot(target, animate=True)
    final = blend(target.resp, component_colors(2))
    qtbot.waitUntil(
        lambda: (
            not np.array_equal(view2d.point_colors(), neutral)
            and not np.array_equal(view2d.point_colors(), final)
        ),
        timeout=5000,
    )
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    np.testing.assert_array_equal(view2d.point_colors(), final)


def test_closing_stops_the_animation_timer(qtbot, view2d, faithful, mixture2):
    view2d.set_snapshot(snapshot(faithful, None), animate=False)
    view2d.set_animation_ms(5000)
    view2d.set_snapshot(snapshot(faithful, mixture2), animate=True)
    assert view2d.is_animating()
    view2d.close()
    assert not view2d.is_animating()


# ------------------------------------------------------------------------------ export
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_writes_png_and_svg(tmp_path, view2d, faithful, mixture2, suffix):
    view2d.set_axis_labels(["eruptions", "waiting"])
    view2d.set_snapshot(snapshot(faithful, mixture2))
    path = tmp_path / f"plot{suffix}"
    view2d.export_image(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not mkstemp's 0600
    if suffix == ".png":
        image = QImage(str(path))
        assert image.width() == 2 * view2d.viewport().width()
        assert image.height() == 2 * view2d.viewport().height()
    else:
        doc = xml.dom.minidom.parse(str(path))
        assert doc.documentElement.tagName == "svg"
        text = Path(path).read_text(encoding="utf-8")
        assert "eruptions" in text and "waiting" in text
        # the points are vector circles, one per point, plus the two mean handles
        circles = doc.getElementsByTagName("circle") + doc.getElementsByTagName("ellipse")
        assert len(circles) >= len(faithful)
    with pytest.raises(ValueError, match="png or .svg"):
        view2d.export_image(tmp_path / "plot.gif")


# ------------------------------------------------------------------------------ 1-D
def test_1d_curves_are_weighted_densities_adding_up(view1d, heights):
    mix = Mixture([0.3, 0.7], [[160.0], [176.0]], [[[30.0]], [[50.0]]])
    view1d.set_axis_labels(["height"])
    view1d.set_snapshot(snapshot(heights, mix))
    curves = view1d.curve_items()
    assert len(curves) == 2
    total = None
    for k, curve in enumerate(curves):
        x, y = curve.getData()
        expected = mix.weights[k] * norm.pdf(x, mix.means[k, 0], np.sqrt(mix.covariances[k, 0, 0]))
        np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-300)
        total = y if total is None else total + y
    xm, ym = view1d.mixture_item.getData()
    np.testing.assert_allclose(ym, total)
    # the x grid covers the whole view and passes through each mean (the peaks)
    x0, x1 = view1d.view_box.viewRange()[0]
    assert xm[0] == pytest.approx(x0) and xm[-1] == pytest.approx(x1)
    assert set(mix.means[:, 0]) <= set(xm)
    assert view1d.strip.getAxis("bottom").labelText == "height"
    np.testing.assert_array_equal(
        view1d.point_colors(), blend(e_step(heights, mix)[0], component_colors(2))
    )


def test_1d_curves_follow_zoom(view1d, heights):
    mix = Mixture([0.5, 0.5], [[160.0], [176.0]], [[[30.0]], [[50.0]]])
    view1d.set_snapshot(snapshot(heights, mix))
    view1d.view_box.setXRange(150, 170, padding=0)
    x, y = view1d.curve_items()[0].getData()
    assert x[0] == pytest.approx(150) and x[-1] == pytest.approx(170)
    np.testing.assert_allclose(y, 0.5 * norm.pdf(x, 160, np.sqrt(30)))


def test_1d_click_on_the_strip_adds_and_width_handle_widens(qtbot, view1d, heights):
    mix = Mixture([0.5, 0.5], [[160.0], [178.0]], [[[40.0]], [[40.0]]])
    view1d.set_snapshot(snapshot(heights, mix))
    with qtbot.waitSignal(view1d.add_requested) as blocker:
        click(view1d, button=LEFT, pos=view1d.data_to_viewport(120.0))
    (got,) = blocker.args
    assert got.shape == (1,)
    assert got[0] == pytest.approx(120.0, abs=1.01 * pixel_size(view1d.view_box)[0])

    edits = record_edits(view1d)
    _, lo, hi = view1d.handles()[1]
    sd = np.sqrt(40.0)
    assert hi.pos().x() == pytest.approx(178 + sd) and lo.pos().x() == pytest.approx(178 - sd)
    start = view1d.data_to_viewport((hi.pos().x(), hi.pos().y()))
    end = view1d.data_to_viewport((178 + 12.0, hi.pos().y()))
    drag(view1d, start, end)
    k, mean, cov, finished = edits[-1]
    assert k == 1 and finished and mean.shape == (1,) and cov.shape == (1, 1)
    assert mean[0] == 178.0
    assert np.sqrt(cov[0, 0]) == pytest.approx(12.0, abs=2 * pixel_size(view1d.view_box)[0])

    # the mean handle sits on the peak of its weighted density and moves sideways
    mean_h = view1d.handles()[0][0]
    assert mean_h.pos().y() == pytest.approx(0.5 * norm.pdf(0, scale=np.sqrt(40.0)))
    edits.clear()
    drag(
        view1d,
        view1d.data_to_viewport((160.0, mean_h.pos().y())),
        view1d.data_to_viewport((150.0, mean_h.pos().y())),
    )
    k, mean, cov, finished = edits[-1]
    assert k == 0 and finished
    assert mean[0] == pytest.approx(150.0, abs=2 * pixel_size(view1d.view_box)[0])
    np.testing.assert_array_equal(cov, [[40.0]])



def test_1d_outlier_is_in_view_and_hover_works(qtbot, view1d, heights):
    view1d.set_snapshot(snapshot(heights, Mixture([1.0], [[170.0]], [[[80.0]]])))
    x0, x1 = view1d.view_box.viewRange()[0]
    assert x0 < heights.min() <= 60 and x1 > heights.max()
    i = int(np.argmin(heights[:, 0]))
    x, jitter = view1d.points_item.positions[i]
    scene = view1d.strip_view_box.mapViewToScene(QPointF(x, jitter))
    qtbot.mouseMove(view1d.viewport(), view1d.mapFromScene(scene))
    qtbot.waitUntil(lambda: f"x = {heights[i, 0]:.6g}" in QToolTip.text())


def test_overlay_points_are_shown_and_removed(view2d, view1d, faithful, heights, mixture2):
    view2d.set_snapshot(snapshot(faithful, mixture2))
    samples = faithful[:25] + 0.1
    view2d.set_overlay_points(samples)
    x, y = view2d._overlay.getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), samples)
    view2d.set_overlay_points(None)
    assert len(view2d._overlay.getData()[0]) == 0
    view1d.set_snapshot(snapshot(heights, None))
    view1d.set_overlay_points(heights[:10, 0])
    np.testing.assert_array_equal(view1d._overlay.getData()[0], heights[:10, 0])


def test_point_locator_finds_the_nearest_point_in_pixels():
    from gmm_gui.ui.views.points import PointLocator

    rng = np.random.default_rng(5)
    xy = rng.normal(size=(3000, 2)) * [1.0, 50.0]
    locator = PointLocator(xy)
    pixel = (0.004, 0.5)  # very different x and y scales, as in faithful's view
    for q in rng.normal(size=(200, 2)) * [1.0, 50.0]:
        d_px = np.hypot((xy[:, 0] - q[0]) / pixel[0], (xy[:, 1] - q[1]) / pixel[1])
        best = int(np.argmin(d_px))
        got = locator.nearest(tuple(q), pixel, 6.0)
        if d_px[best] <= 6.0:
            assert got == best
        else:
            assert got is None


def test_view_uses_colours_blended_ahead_in_the_worker(qtbot, monkeypatch):
    from gmm_gui.model import Mixture, e_step
    from gmm_gui.ui import colors as colors_module
    from gmm_gui.ui.views import PlotView2D

    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(4, 1, (300, 2))])
    mixture = Mixture([0.5, 0.5], [[0.0, 0.0], [4.0, 4.0]], [np.eye(2), np.eye(2)])
    resp, _ = e_step(X, mixture)
    view = PlotView2D()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.set_snapshot(Snapshot(X, mixture, None, editable=False), animate=False)
    colors_module.BLEND_CACHE.prepare(resp)
    expected = colors_module.BLEND_CACHE.lookup(resp)[1]

    def no_blending(*args, **kwargs):
        raise AssertionError("blended on the UI thread although the worker had done it")

    monkeypatch.setattr(colors_module, "blend_mix", no_blending)
    monkeypatch.setattr(colors_module, "mix_to_argb32", no_blending)
    view.set_snapshot(Snapshot(X, mixture, resp, phase="E", editable=False), animate=False)
    np.testing.assert_array_equal(view.points_item.colors, expected)
