"""The plot views: 2-D (points and ellipses) and 1-D (strip, histogram and density curves)."""

from gmm_gui.ui.views._pyside_fix import protect_singletons

protect_singletons()

from gmm_gui.ui.views.base import PlotViewBase  # noqa: E402
from gmm_gui.ui.views.plot1d import PlotView1D  # noqa: E402
from gmm_gui.ui.views.plot2d import PlotView2D  # noqa: E402

__all__ = ["PlotView1D", "PlotView2D", "PlotViewBase", "protect_singletons"]
