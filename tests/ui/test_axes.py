"""The grid axis: opaque pens that paint the same grid as pyqtgraph's translucent ones."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QImage, QPainter

from gmm_gui.ui.views.axes import GridAxisItem, grid_axes, over


def test_over_white_is_the_translucent_colour_composited():
    c = over(QColor(0, 0, 0, 38))
    assert c.alpha() == 255
    assert abs(c.red() - 217) <= 1 and c.red() == c.green() == c.blue()
    assert over(QColor(200, 10, 30, 255)).getRgb() == (200, 10, 30, 255)


def grid_image(axis_items: dict | None, qtbot) -> np.ndarray:
    widget = pg.PlotWidget(background="w", axisItems=axis_items)
    qtbot.addWidget(widget)
    widget.resize(420, 320)
    widget.getPlotItem().showGrid(x=True, y=True, alpha=0.15)
    widget.setXRange(0, 10, padding=0)
    widget.setYRange(-4.4, -4.2, padding=0)
    # the grid alone: GridAxisItem writes its tick labels in its own format (issue #13)
    for name in ("left", "bottom"):
        widget.getPlotItem().getAxis(name).setStyle(showValues=False)
    return rendered_bgr(widget, qtbot)


def rendered_bgr(widget: pg.PlotWidget, qtbot) -> np.ndarray:
    """The widget shown and painted on white: (height, width, 3) bytes, blue first."""
    widget.show()
    qtbot.waitExposed(widget)
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    widget.render(painter)
    painter.end()
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.width(), 4)[..., :3].copy()


def test_grid_axis_draws_the_grid_pyqtgraph_draws(qtbot):
    ours = grid_image(grid_axes(), qtbot)
    theirs = grid_image(None, qtbot)
    diff = ours.astype(int) - theirs.astype(int)
    differ = np.abs(diff).max(axis=2) > 2
    grid_pixels = (theirs < 250).any(axis=2)
    assert grid_pixels.sum() > 2000  # there is a grid to compare
    # The same pixels, but where two translucent lines cross: darker there with alpha.
    assert (diff[differ] > 0).all()
    assert differ.sum() < 0.05 * grid_pixels.sum()


def test_grid_axis_hands_only_opaque_pens_to_the_painter(qtbot):
    widget = pg.PlotWidget(background="w", axisItems=grid_axes())
    qtbot.addWidget(widget)
    widget.getPlotItem().showGrid(x=True, y=True, alpha=0.3)
    widget.resize(300, 200)
    widget.show()
    qtbot.waitExposed(widget)
    axis = widget.getPlotItem().getAxis("left")
    assert isinstance(axis, GridAxisItem)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    _, ticks, _ = axis.generateDrawSpecs(painter)
    painter.end()
    assert ticks and all(pen.color().alpha() == 255 for pen, _, _ in ticks)


def test_the_opaque_grid_lies_under_the_data_in_any_plot(qtbot):
    """PlotWidget(axisItems=grid_axes()) with no other styling: the data stay on top."""

    def rendered(axis_items):
        widget = pg.PlotWidget(background="w", axisItems=axis_items)
        qtbot.addWidget(widget)
        widget.resize(400, 300)
        widget.showGrid(x=True, y=True, alpha=0.3)
        xs = np.linspace(0, 10, 400)
        for y in np.linspace(0, 10, 11):  # thick red lines right on the grid lines
            widget.plot(xs, np.full_like(xs, y), pen=pg.mkPen((200, 0, 0), width=9))
        widget.setXRange(0, 10, padding=0)
        widget.setYRange(0, 10, padding=0)
        bgr = rendered_bgr(widget, qtbot)
        return (bgr[..., 2] > 150) & (bgr[..., 1] < 90) & (bgr[..., 0] < 90)  # pure red

    ours = rendered(grid_axes())
    assert ours.sum() > 20_000
    assert not (rendered(None) & ~ours).any()  # no red pixel of pyqtgraph's is grey in ours
