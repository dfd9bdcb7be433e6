"""The density map's colours and its colour bar (the 2-D view's heat map of the mixture)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gmm_gui.ui.views.axes import GridAxisItem
from gmm_gui.ui.views.base import AXIS_COLOR, TEXT_COLOR, label_style

__all__ = ["DENSITY_BAR_LABEL", "DENSITY_STOPS", "DensityColorBar", "density_colormap"]

#: The heat map's colours, from zero density (white) to the highest (a dusky purple).
DENSITY_STOPS = np.array([[255, 255, 255], [232, 229, 244], [196, 188, 226], [150, 138, 200]])
#: The colour bar's title.
DENSITY_BAR_LABEL = "mixture density"
_STRETCH_STOPS = 33  # colour map stops along the square-root stretch


def density_colormap() -> pg.ColorMap:
    """The heat map's colours as a map of the density itself, 0 (white) to 1 (its highest).

    The colours follow the square root of the density (the tails stay seen beside a sharp
    peak): a colour that the stretch puts at ``s`` sits at density ``s**2``, so the colour bar
    beside the map, drawn from the same map on a linear axis of densities, reads true.
    """
    s = np.linspace(0.0, 1.0, _STRETCH_STOPS)
    stops = np.linspace(0.0, 1.0, len(DENSITY_STOPS))
    rgb = np.column_stack([np.interp(s, stops, DENSITY_STOPS[:, c]) for c in range(3)])
    return pg.ColorMap(s**2, np.round(rgb).astype(np.uint8))


class DensityColorBar(pg.ColorBarItem):
    """The density map's colour bar: its values on a :class:`GridAxisItem` (one tick format,
    the power of ten in the title), titled :data:`DENSITY_BAR_LABEL`, not interactive."""

    def __init__(self) -> None:
        super().__init__(
            values=(0.0, 1.0), colorMap=density_colormap(), interactive=False, width=14
        )
        axis = GridAxisItem("right")
        self.setAxisItems({"right": axis})
        axis.setStyle(showValues=True)
        axis.enableAutoSIPrefix(False)
        axis.unlinkFromView()
        axis.setTextPen(pg.mkPen(TEXT_COLOR))
        axis.setPen(pg.mkPen(AXIS_COLOR))
        axis.setLabel(DENSITY_BAR_LABEL, **label_style())
        self.axis = axis
        for name in ("left", "top", "bottom"):
            self.getAxis(name).setPen(pg.mkPen(AXIS_COLOR))
        self.setLevels((0.0, 1.0))
