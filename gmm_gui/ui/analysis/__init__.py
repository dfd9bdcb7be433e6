"""The Analyse menu: local maxima and the choice of K, made visible (issue 5).

Each module adds its actions, docks and dialogs through ``install(window)``, using only the main
window's public attributes (``session``, ``view``, ``dataset``, ``analysis_menu``, ...), so the
main window stays composition and wiring only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gmm_gui.ui.analysis import explore, local_maxima

if TYPE_CHECKING:
    from gmm_gui.ui.main_window import MainWindow


def install_analysis(window: MainWindow) -> None:
    """Add every analysis tool to ``window.analysis_menu``."""
    local_maxima.install(window)
    window.analysis_menu.addSeparator()
    explore.install(window)
