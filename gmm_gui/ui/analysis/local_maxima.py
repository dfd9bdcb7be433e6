"""Analyse menu tools for local maxima (issue 5): restarts, and the map of where starts lead.

The tools live in :mod:`gmm_gui.ui.analysis.restarts_dock` and
:mod:`gmm_gui.ui.analysis.basins_dock`; each is a dock made the first time its action is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gmm_gui.ui.analysis.basins_dock import BasinsDock, install_basins
from gmm_gui.ui.analysis.restarts_dock import RestartsDock, install_restarts

if TYPE_CHECKING:
    from gmm_gui.ui.main_window import MainWindow

__all__ = ["BasinsDock", "RestartsDock", "install"]


def install(window: MainWindow) -> None:
    """Add Analyse > Restarts… and Analyse > Map of where starts lead… to ``window``."""
    install_restarts(window)
    install_basins(window)
