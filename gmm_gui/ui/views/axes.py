"""An axis whose translucent grid and tick lines are drawn with opaque, pre-mixed pens.

pyqtgraph draws a plot's grid as part of its axes, in the tick pen's colour made translucent
(``showGrid(alpha=...)``), without antialiasing. Qt's raster engine draws such a line slowly when
it is horizontal: a one-pixel, 430-pixel line in black at alpha 38 takes about 0.18 ms, against
0.008 ms for the same line opaque (measured, offscreen, PySide6 6.11). The left axis of the
log-likelihood panel, 30 grid and tick lines, took 5.5 ms to paint, and the window painted that
panel and the view's axes on every EM half-step.

Every plot of the app has a white background under its grid, so the opaque colour that a
translucent pen makes over white is the same pixel; only where two grid lines cross (a darker
dot with alpha) does it differ. :class:`GridAxisItem` swaps the pens for those opaque ones after
pyqtgraph has worked out the ticks, so spacing, labels and alpha per tick level stay pyqtgraph's.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPainter, QPen

#: The colour the plots' grids are drawn over.
BACKGROUND = QColor(255, 255, 255)

AXIS_NAMES = ("left", "bottom", "top", "right")


def over(color: QColor, background: QColor = BACKGROUND) -> QColor:
    """The opaque colour of ``color`` (with its alpha) composited over ``background``."""
    a = color.alphaF()
    return QColor.fromRgbF(
        a * color.redF() + (1 - a) * background.redF(),
        a * color.greenF() + (1 - a) * background.greenF(),
        a * color.blueF() + (1 - a) * background.blueF(),
        1.0,
    )


class GridAxisItem(pg.AxisItem):
    """A :class:`pyqtgraph.AxisItem` that draws its lines with opaque pens (see the module).

    Opaque grid lines must lie under the data, so the axis stays at z = -1 (behind the plot's
    items) whatever z pyqtgraph gives it (0.5, above them, when it places the axis).
    """

    #: Where the axis and its grid are drawn: behind every item of the plot.
    Z = -1.0

    def __init__(self, orientation: str, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(orientation, **kwargs)
        self._opaque: dict[int, QPen] = {}
        self.setZValue(self.Z)

    def setZValue(self, z: float) -> None:  # noqa: N802 - Qt override
        """Keep the axis behind the data (see the class)."""
        super().setZValue(min(float(z), self.Z))

    def generateDrawSpecs(self, p: QPainter) -> tuple[Any, list, list] | None:  # noqa: N802
        """pyqtgraph's drawing specification, each translucent pen replaced by its opaque twin."""
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, [(self._opaque_pen(pen), a, b) for pen, a, b in tick_specs], text_specs

    def _opaque_pen(self, pen: QPen) -> QPen:
        color = pen.color()
        if color.alpha() == 255:
            return pen
        key = color.rgba()
        opaque = self._opaque.get(key)
        if opaque is None or opaque.widthF() != pen.widthF() or opaque.style() != pen.style():
            opaque = QPen(pen)
            opaque.setColor(over(color))
            self._opaque[key] = opaque
        return opaque


def grid_axes(names: tuple[str, ...] = ("left", "bottom")) -> dict[str, pg.AxisItem]:
    """:class:`GridAxisItem` for ``addPlot(axisItems=...)`` or ``PlotWidget(axisItems=...)``.

    pyqtgraph shows every axis it is given, so pass only those to be seen.
    """
    return {name: GridAxisItem(name) for name in names}
