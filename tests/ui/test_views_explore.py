"""The views' hooks for the analysis tools: marker shapes, colour override, density map,
star markers, the caption line, and weight labels that do not cover the points by the mean."""

from __future__ import annotations

import xml.dom.minidom

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QTransform
from scipy.interpolate import RegularGridInterpolator
from scipy.stats import multivariate_normal

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture, density_grid, e_step, init_mixture
from gmm_gui.ui.colors import blend, component_colors, pack_argb32
from gmm_gui.ui.views import PlotView1D, PlotView2D
from gmm_gui.ui.views.plot2d import density_contours
from gmm_gui.ui.views.points import SYMBOLS, PointCloudItem, symbol_path
from gmm_gui.ui.views.raster import SYMBOL_SCALE


@pytest.fixture
def faithful(datasets_dir):
    return load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values


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


def snap(X, mixture) -> Snapshot:
    return Snapshot(X=X, mixture=mixture, resp=e_step(X, mixture)[0], phase="E")


def one_point_raster(codes):
    """Rasterise one point at the centre of a 41 x 41 device-pixel frame; alpha per pixel."""
    item = PointCloudItem()
    item.set_positions(np.array([[20.5, 20.5]]))
    item.set_symbols(codes)
    buf = item.rasterize(np.array([0xFF0000FF], dtype=np.uint32), QTransform(), (0, 0, 41, 41, 1.0))
    return buf >> 24


@pytest.mark.parametrize("code", range(len(SYMBOLS)))
def test_each_code_draws_its_own_shape(code):
    disc = one_point_raster(None)
    shape = one_point_raster(np.array([code]))
    assert shape.sum() > 0
    if code == 0:  # a disc, drawn larger
        assert (shape > 0).sum() > (disc > 0).sum()
    others = [one_point_raster(np.array([c])) for c in range(len(SYMBOLS)) if c != code]
    for other in others:
        assert not np.array_equal(shape, other)
    # a triangle pointing up ("t1") has its base, most of its ink, below the point; "t" above
    ink = shape.astype(float)
    below, above = ink[21:].sum(), ink[:20].sum()
    if SYMBOLS[code] == "t1":
        assert below > 1.5 * above
    if SYMBOLS[code] == "t":
        assert above > 1.5 * below
    # squares fill their corners, discs do not
    if SYMBOLS[code] == "s":
        corner = one_point_raster(np.array([0]))[20 - 5, 20 - 5]
        assert shape[20 - 4, 20 - 4] == 255 and corner < 128


def test_symbols_keep_the_colours_and_reset_with_new_data(view2d, faithful):
    mix = init_mixture(faithful, 2, "kmeans", seed=0)
    s = snap(faithful, mix)
    view2d.set_snapshot(s)
    codes = np.arange(len(faithful)) % 3
    view2d.set_point_symbols(codes, ["a", "b", "c"], title="group")
    np.testing.assert_array_equal(view2d.points_item.symbol_codes, codes)
    np.testing.assert_array_equal(view2d.point_colors(), blend(s.resp, component_colors(2)))
    labels = [label.text for _, label in view2d.symbol_legend().items]
    assert labels == ["<b>group</b>", "a", "b", "c"]
    assert "group: c" in view2d.tooltip_text(5)
    view2d.grab()  # paints with the shapes
    other = faithful[:100] + 1.0
    view2d.set_snapshot(snap(other, init_mixture(other, 2, "kmeans", seed=0)))
    assert view2d.points_item.symbol_codes is None and view2d.symbol_legend() is None


def test_colour_override_survives_snapshots_and_goes_with_new_data(view2d, faithful):
    mix = init_mixture(faithful, 2, "kmeans", seed=0)
    view2d.set_snapshot(snap(faithful, mix))
    labels = np.arange(len(faithful)) % 2
    argb = pack_argb32(component_colors(2)[labels])
    view2d.set_color_override(argb)
    np.testing.assert_array_equal(view2d.point_colors(), component_colors(2)[labels])
    moved = Mixture(mix.weights, mix.means + [0.3, 2.0], mix.covariances)
    s2 = snap(faithful, moved)
    view2d.set_animation_ms(200)
    view2d.set_snapshot(s2, animate=True)
    view2d.finish_animation()
    np.testing.assert_array_equal(view2d.point_colors(), component_colors(2)[labels])
    view2d.set_color_override(None)
    np.testing.assert_array_equal(view2d.point_colors(), blend(s2.resp, component_colors(2)))
    with pytest.raises(ValueError):
        view2d.set_color_override(argb[:-1])


def test_density_map_contours_lie_on_their_levels(view2d, faithful):
    mix = init_mixture(faithful, 2, "kmeans", seed=0)
    view2d.set_snapshot(snap(faithful, mix))
    xs = np.linspace(1.0, 6.0, 200)
    ys = np.linspace(35.0, 100.0, 220)
    dens = density_grid(mix, xs, ys)
    view2d.set_density_map(xs, ys, dens)
    xs_, ys_, d_ = view2d.density_map()
    np.testing.assert_array_equal(d_, dens)
    level = 0.3 * dens.max()
    lines = density_contours(xs, ys, dens, [level])
    assert np.isnan(lines).any() or len(lines) > 10
    pts = lines[np.isfinite(lines[:, 0])]
    exact = sum(
        w * multivariate_normal(m, c).pdf(pts)
        for w, m, c in zip(mix.weights, mix.means, mix.covariances, strict=True)
    )
    np.testing.assert_allclose(exact, level, rtol=0.03)
    # the grid interpolation agrees too (lines are in data coordinates, x then y)
    interp = RegularGridInterpolator((ys, xs), dens)
    np.testing.assert_allclose(interp(pts[:, ::-1]), level, rtol=0.01)
    view2d.set_density_map(None)
    assert view2d.density_map() is None


def test_weight_labels_sit_outside_the_one_sigma_ellipse(view2d, faithful):
    mix = init_mixture(faithful, 2, "kmeans", seed=0)
    view2d.set_snapshot(snap(faithful, mix))
    view2d.grab()
    for k, label in enumerate(view2d.weight_labels()):
        rect = label.mapRectToView(label.boundingRect())
        # every corner of the label's box is outside the 1-sigma ellipse
        corners = np.array(
            [
                [rect.left(), rect.top()],
                [rect.right(), rect.top()],
                [rect.left(), rect.bottom()],
                [rect.right(), rect.bottom()],
            ]
        )
        d = corners - mix.means[k]
        maha = np.sqrt(np.einsum("ij,jk,ik->i", d, np.linalg.inv(mix.covariances[k]), d))
        assert np.all(maha > 1.0), (k, maha)
        # and the mean's handle is not under it
        assert not rect.contains(*mix.means[k])


def test_markers_and_caption(view2d, faithful, qtbot):
    mix = init_mixture(faithful, 2, "kmeans", seed=0)
    view2d.set_snapshot(snap(faithful, mix))
    view2d.set_marker_points(mix.means, component_colors(2))
    np.testing.assert_array_equal(view2d.marker_points(), mix.means)
    view2d.set_marker_points(None)
    assert len(view2d.marker_points()) == 0
    view2d.set_caption("ARI = 0.50")
    assert view2d.caption() == "ARI = 0.50"
    view2d.set_caption("")
    assert view2d.caption() == ""

    view1d = PlotView1D()
    qtbot.addWidget(view1d)
    x = faithful[:, :1]
    mix1 = init_mixture(x, 2, "kmeans", seed=0)
    view1d.set_snapshot(snap(x, mix1))
    view1d.set_marker_points(mix1.means)
    pts = view1d.marker_points()
    np.testing.assert_array_equal(pts[:, 0], mix1.means[:, 0])
    view1d.set_point_symbols(np.arange(len(x)) % 2, ["a", "b"])
    assert view1d.symbol_legend() is not None
    view1d.close()


def svg_elements(view, path) -> dict[str, int]:
    """Export ``view`` as SVG to ``path``; how many discs and paths the file holds."""
    view.export_image(path)
    doc = xml.dom.minidom.parse(str(path))
    discs = doc.getElementsByTagName("circle") + doc.getElementsByTagName("ellipse")
    return {"discs": len(discs), "paths": len(doc.getElementsByTagName("path"))}


def test_svg_export_keeps_the_label_shapes(tmp_path, view2d, faithful):
    view2d.set_snapshot(snap(faithful, init_mixture(faithful, 2, "kmeans", seed=0)))
    plain = svg_elements(view2d, tmp_path / "plain.svg")
    codes = np.arange(len(faithful)) % len(SYMBOLS)
    view2d.set_point_symbols(codes)
    shaped = svg_elements(view2d, tmp_path / "shaped.svg")
    n_shapes = int(np.count_nonzero(codes % len(SYMBOLS)))  # every code but the disc's
    assert plain["discs"] - shaped["discs"] == n_shapes
    assert shaped["paths"] - plain["paths"] == n_shapes


@pytest.mark.parametrize("symbol", [s for s in SYMBOLS if s != "o"])
def test_vector_outline_of_each_shape_matches_its_raster(symbol):
    # The SVG outline covers the pixels the raster fills (a shape drawn in both ways alike).
    r = 10.0
    path = symbol_path(symbol, r)
    code = SYMBOLS.index(symbol)
    alpha = one_point_raster(np.array([code]))  # radius 4 * SYMBOL_SCALE at (20.5, 20.5)
    scale = 4.0 * SYMBOL_SCALE / r
    full = np.argwhere(alpha == 255)
    for row, col in full:
        centre = QPointF((col + 0.5 - 20.5) / scale, (row + 0.5 - 20.5) / scale)
        assert path.contains(centre), (symbol, row, col)
    assert len(full) > 10
