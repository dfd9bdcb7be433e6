"""The Analyse menu: local maxima, the choice of K and the explore tools (issue 5).

Every tool is given the workspace (the data, the session, the start options) and the overlay API
of the main plot (:class:`~gmm_gui.ui.overlay.ViewOverlay`), never the window. A new tool is one
module plus one line in :data:`TOOLS`; the window installs them all with :func:`install_tools`.

- A :class:`DockTool` is a dock (usually an :class:`~gmm_gui.ui.analysis.dock.AnalysisDock`)
  shown by its own Analyse-menu entry, made the first time it is asked for (or at once, hidden,
  when ``eager``), docked on the right and tabbed with the dock shown there (the one named
  ``tab_with`` first), never squeezed beside it; any dock can be dragged out to float.
- A :class:`MenuTool` adds its own entries to the Analyse menu (the explore tools).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTabWidget, QWidget

from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.analysis.ascent_dock import AscentDock
from gmm_gui.ui.analysis.basins_dock import BasinsDock
from gmm_gui.ui.analysis.explore import ExploreTools
from gmm_gui.ui.analysis.kselect import ChooseKDock
from gmm_gui.ui.analysis.restarts_dock import RestartsDock
from gmm_gui.ui.overlay import ViewOverlay

__all__ = [
    "TOOLS",
    "DockTool",
    "InstalledTools",
    "MenuTool",
    "install_tools",
    "tab_beside_shown",
]


@dataclass(frozen=True)
class DockTool:
    """An analysis dock and its Analyse-menu entry.

    ``make(workspace, overlay, parent)`` builds the dock; its object name must be
    ``f"{name}_dock"`` (the action is named ``f"action_{name}"``).
    """

    name: str
    make: Callable[[Workspace, ViewOverlay, QWidget], QDockWidget]
    text: str
    shortcut: str = ""
    tip: str = ""
    tab_with: str | None = None
    #: Made (hidden) when the window is built, not when first asked for.
    eager: bool = False
    #: A separator in the menu before the entry.
    separated: bool = False


@dataclass(frozen=True)
class MenuTool:
    """A tool that adds its own entries: ``make(workspace, overlay, menu, parent)``."""

    name: str
    make: Callable[[Workspace, ViewOverlay, QMenu, QWidget], QObject]


#: The Analyse menu, in order.
TOOLS: tuple[DockTool | MenuTool, ...] = (
    DockTool(
        "restarts",
        RestartsDock,
        "&Restarts…",
        "Ctrl+Shift+R",
        "Run EM from many random starts and see which local maxima they reach, ranked and "
        "counted; load any of them or keep the best.",
    ),
    DockTool(
        "basins",
        BasinsDock,
        "&Map of where starts lead…",
        "Ctrl+Shift+M",
        "Run EM from a whole grid of starts and colour each start by the maximum it reaches: "
        "the basins of attraction of the likelihood's local maxima.",
        tab_with="restarts_dock",
    ),
    DockTool(
        "choose_k",
        ChooseKDock,
        "Choose K…",
        tip="BIC, AIC and held-out log-likelihood against K",
        eager=True,
        separated=True,
    ),
    DockTool(
        "ascent",
        AscentDock,
        "EM as coordinate &ascent…",
        "Ctrl+Shift+B",
        "For 1-D data: the log-likelihood along one parameter and the lower bound of the "
        "current E-step, which touches it; the M-step climbs to the bound's peak.",
        tab_with="choose_k_dock",
    ),
    MenuTool("explore", ExploreTools),
)


@dataclass
class InstalledTools:
    """What :func:`install_tools` made: the menu entries of the docks, and the tools made so far
    (docks appear here when first shown), both by tool name."""

    actions: dict[str, QAction]
    tools: dict[str, QObject]


def install_tools(
    window: QMainWindow,
    menu: QMenu,
    workspace: Workspace,
    overlay: ViewOverlay,
    tools: tuple[DockTool | MenuTool, ...] = TOOLS,
) -> InstalledTools:
    """Add every tool of ``tools`` to ``menu``; docks are docked in ``window``.

    Parameters
    ----------
    window : QMainWindow
        Where the docks are docked (and the parent of the tools).
    menu : QMenu
        The Analyse menu.
    workspace : Workspace
    overlay : ViewOverlay
    tools : tuple of DockTool or MenuTool
    """
    installed = InstalledTools({}, {})
    window.setDockOptions(
        QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
    )
    window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
    for tool in tools:
        if isinstance(tool, MenuTool):
            installed.tools[tool.name] = tool.make(workspace, overlay, menu, window)
            continue
        if tool.separated:
            menu.addSeparator()
        installed.actions[tool.name] = _add_dock_action(
            window, menu, workspace, overlay, tool, installed.tools
        )
    return installed


def tab_beside_shown(window: QMainWindow, dock: QDockWidget, first: str | None = None) -> bool:
    """Tab ``dock`` with a dock already shown in its area (``first`` by name if shown).

    Docks side by side would squeeze the plot and the component table into unreadable
    columns (issue 13): every analysis dock shares one column as a tab; any can still be
    dragged out to float. Returns True if ``dock`` was tabbed.
    """
    if dock.isFloating():
        return False
    area = window.dockWidgetArea(dock)
    shown = [
        d
        for d in window.findChildren(QDockWidget)
        if d is not dock and d.isVisible() and not d.isFloating()
        and window.dockWidgetArea(d) == area
    ]
    shown.sort(key=lambda d: d.objectName() != first)  # ``first`` first, if shown
    if not shown or dock in window.tabifiedDockWidgets(shown[0]):
        return False
    window.tabifyDockWidget(shown[0], dock)
    return True


def _add_dock_action(
    window: QMainWindow,
    menu: QMenu,
    workspace: Workspace,
    overlay: ViewOverlay,
    tool: DockTool,
    made: dict[str, QObject],
) -> QAction:
    dock_name = f"{tool.name}_dock"
    action = menu.addAction(tool.text)
    action.setObjectName(f"action_{tool.name}")
    if tool.shortcut:
        action.setShortcut(tool.shortcut)
    action.setToolTip(tool.tip)
    action.setStatusTip(tool.tip)

    def make() -> QDockWidget:
        dock = tool.make(workspace, overlay, window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        made[tool.name] = dock
        return dock

    if tool.eager:
        make().hide()

    def show() -> None:
        dock = window.findChild(QDockWidget, dock_name)
        if dock is None:
            dock = make()
        if not dock.isVisible():
            tab_beside_shown(window, dock, tool.tab_with)
        about_to_show = getattr(dock, "about_to_show", None)
        if about_to_show is not None:
            about_to_show()
        dock.show()
        dock.raise_()

    action.triggered.connect(show)
    return action
