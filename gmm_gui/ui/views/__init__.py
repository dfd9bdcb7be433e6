"""The plot views: 2-D (points and ellipses) and 1-D (strip, histogram and density curves)."""

from gmm_gui.ui.views.base import PlotViewBase
from gmm_gui.ui.views.plot1d import PlotView1D
from gmm_gui.ui.views.plot2d import PlotView2D

__all__ = ["PlotView1D", "PlotView2D", "PlotViewBase"]
