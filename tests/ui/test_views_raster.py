"""The drawing path for very many points: exact blended colours, right under zoom and pan."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QTransform
from PySide6.QtWidgets import QApplication

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import Mixture, e_step
from gmm_gui.ui.colors import blend, component_colors
from gmm_gui.ui.views import PlotView2D
from gmm_gui.ui.views.raster import LARGE_DATA_THRESHOLD, PointStyle, Rasterizer, style_for

N_POINTS = 120_000


def screen_rgb(view) -> np.ndarray:
    """The viewport as an array of shape (height, width, 3), uint8 RGB."""
    image = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    h, w = image.height(), image.width()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(h, image.bytesPerLine())
    bgra = raw[:, : 4 * w].reshape(h, w, 4)
    return bgra[..., [2, 1, 0]]


def viewport_pixels(view, X) -> np.ndarray:
    """Viewport position (continuous, in pixels) of every data point, shape (n, 2)."""
    tr = view.view_box.childGroup.sceneTransform()  # data -> scene
    origin = view.mapFromScene(QPointF(0.0, 0.0))  # scene -> viewport is a translation
    px = tr.m11() * X[:, 0] + tr.m21() * X[:, 1] + tr.dx() + origin.x()
    py = tr.m12() * X[:, 0] + tr.m22() * X[:, 1] + tr.dy() + origin.y()
    # check the vectorised mapping against the view's own, for a few points
    for i in (0, len(X) // 2, len(X) - 1):
        q = view.data_to_viewport(X[i])
        assert abs(q.x() - px[i]) <= 1 and abs(q.y() - py[i]) <= 1
    return np.column_stack([px, py])


def assert_isolated_points_exact(view, X, expected, min_checked=300):
    """Every point that is the only one near its pixel is drawn in exactly its colour."""
    # Let the layout settle first: axis widths follow their tick labels, known after a paint.
    for _ in range(3):
        view.viewport().grab()
        QApplication.processEvents()
    before = viewport_pixels(view, X[:3])
    rgb = screen_rgb(view)
    pix = np.floor(viewport_pixels(view, X)).astype(int)
    np.testing.assert_array_equal(before, viewport_pixels(view, X[:3]))  # drawn as computed
    h, w = rgb.shape[:2]
    # only points well inside the plot area (the rest are clipped away, or under the axes)
    r = view.view_box.sceneBoundingRect()
    origin = view.mapFromScene(QPointF(0.0, 0.0))
    x0, y0 = r.left() + origin.x() + 3, r.top() + origin.y() + 3
    x1, y1 = r.right() + origin.x() - 3, r.bottom() + origin.y() - 3
    inside = (pix[:, 0] >= x0) & (pix[:, 0] < x1) & (pix[:, 1] >= y0) & (pix[:, 1] < y1)
    # how many points fall within one pixel of each pixel (any square mark reaches that far)
    counts = np.zeros((h + 2, w + 2), dtype=int)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            ys = np.clip(pix[:, 1] + dy + 1, 0, h + 1)
            xs = np.clip(pix[:, 0] + dx + 1, 0, w + 1)
            np.add.at(counts, (ys, xs), 1)
    alone = inside.copy()
    alone[inside] = counts[pix[inside, 1] + 1, pix[inside, 0] + 1] == 1
    idx = np.flatnonzero(alone)
    assert len(idx) >= min_checked, len(idx)
    got = rgb[pix[idx, 1], pix[idx, 0]]
    np.testing.assert_array_equal(got, expected[idx])
    return len(idx)


@pytest.fixture
def big_view(qtbot):
    view = PlotView2D()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(760, 560)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.close()


@pytest.fixture
def big_snapshot():
    rng = np.random.default_rng(7)
    X = rng.uniform(-9, 9, size=(N_POINTS, 2))
    # Components far outside the view: their ellipses, handles and labels are off screen while
    # the responsibilities still vary smoothly across it (every point is a genuine blend).
    mix = Mixture([0.4, 0.6], [[-100.0, 0.0], [100.0, 0.0]], [np.eye(2) * 1600.0] * 2)
    resp, _ = e_step(X, mix)
    assert 0.1 < resp[:, 0].min() < resp[:, 0].max() < 0.9
    return Snapshot(X=X, mixture=mix, resp=resp, editable=True)


def test_above_the_threshold_the_raster_style_is_used():
    assert style_for(N_POINTS).square > 0
    assert style_for(LARGE_DATA_THRESHOLD).square == 0
    assert style_for(LARGE_DATA_THRESHOLD + 1).square > 0


def test_raster_points_have_exact_blended_colours_and_follow_zoom_and_pan(
    qtbot, big_view, big_snapshot
):
    X = big_snapshot.X
    big_view.set_snapshot(big_snapshot)
    assert big_view.points_item.style.square > 0
    expected = blend(big_snapshot.resp, component_colors(2))
    np.testing.assert_array_equal(big_view.point_colors(), expected)
    assert_isolated_points_exact(big_view, X, expected)

    # zoom in: the points are re-rasterised at their new pixels
    big_view.view_box.setRange(xRange=(-3.0, 5.0), yRange=(-2.0, 4.0), padding=0)
    qtbot.waitUntil(lambda: np.allclose(big_view.view_box.viewRange()[0], (-3.0, 5.0)))
    assert_isolated_points_exact(big_view, X, expected, min_checked=30)

    # pan
    big_view.view_box.translateBy(x=2.5, y=-1.0)
    qtbot.waitUntil(lambda: np.allclose(big_view.view_box.viewRange()[0], (-0.5, 7.5)))
    assert_isolated_points_exact(big_view, X, expected, min_checked=30)


def test_large_colour_changes_cross_fade_and_end_exact(qtbot, big_view, big_snapshot):
    X = big_snapshot.X
    start = Snapshot(X=X, mixture=big_snapshot.mixture, resp=None)
    big_view.set_snapshot(start, animate=False)
    big_view.set_animation_ms(150)
    finished = []
    big_view.animation_finished.connect(lambda: finished.append(True))
    big_view.set_snapshot(big_snapshot, animate=True)
    assert big_view.is_animating()
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    expected = blend(big_snapshot.resp, component_colors(2))
    np.testing.assert_array_equal(big_view.point_colors(), expected)
    assert_isolated_points_exact(big_view, X, expected)


def test_rasterize_puts_each_lone_point_at_its_pixel():
    # The renderer alone, against an independent placement: pixel = floor(device position).
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1, size=(400, 2))
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    argb = rng.integers(0, 1 << 24, size=400, dtype=np.uint32) | np.uint32(0xFF000000)
    tr = QTransform(300.0, 0.0, 0.0, -200.0, 10.25, 205.5)  # y up, as in a plot
    frame = (0, 0, 320, 210, 1.0)
    for style in (style_for(100), style_for(500_000)):
        img = Rasterizer().rasterize(x, y, argb, None, style, tr, frame)
        assert img.shape == (210, 320)
        px = np.floor(xy[:, 0] * 300.0 + 10.25).astype(int)
        py = np.floor(xy[:, 1] * -200.0 + 205.5).astype(int)
        d = np.hypot(px[:, None] - px[None], py[:, None] - py[None])
        np.fill_diagonal(d, np.inf)
        lone = d.min(axis=1) > 2 * style.radius + 3
        assert lone.sum() > 20
        np.testing.assert_array_equal(img[py[lone], px[lone]], argb[lone])


@pytest.mark.parametrize("side", [1, 2, 3])
def test_square_markers_show_the_point_drawn_last_over_each_pixel(side):
    """The recolour-once raster of large data against painting the squares one by one."""
    rng = np.random.default_rng(side)
    n = 3000
    xy = rng.uniform(-0.1, 1.1, size=(n, 2))  # dense (many overlaps), some off the image
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    rasterizer = Rasterizer()
    style = PointStyle(radius=side / 2, square=side)
    tr = QTransform(40.0, 0.0, 0.0, -30.0, 2.5, 31.0)
    frame = (0, 0, 44, 33, 1.0)
    px = np.floor(xy[:, 0] * 40.0 + 2.5).astype(int)
    py = np.floor(xy[:, 1] * -30.0 + 31.0).astype(int)
    for colours in range(2):  # the second time, the pixel owners are reused
        argb = rng.integers(0, 1 << 24, size=n, dtype=np.uint32)
        img = rasterizer.rasterize(x, y, argb, None, style, tr, frame)
        expected = np.zeros((33, 44), dtype=np.uint32)
        lo = -(side // 2)
        for i in range(n):  # each point's square painted whole, in the order of the points
            for dy in range(lo, lo + side):
                for dx in range(lo, lo + side):
                    x, y = px[i] + dx, py[i] + dy
                    if 0 <= x < 44 and 0 <= y < 33:
                        expected[y, x] = argb[i] | 0xFF000000
        np.testing.assert_array_equal(img, expected, err_msg=f"colouring {colours}")
