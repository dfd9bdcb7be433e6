"""The View menu (points as pies, presentation mode) and the window's keyboard upkeep.

:func:`install_view_menu` adds to a main window what issue 13 asks of its behaviour: the View
menu before Analyse, with :class:`PieMarkers` (each point drawn as a pie of its
responsibilities) and :class:`~gmm_gui.ui.presentation.PresentationMode`, and a
:class:`~gmm_gui.ui.shortcuts.ShortcutKeeper` (shortcuts work again as soon as a dialog closes).
The window's own module only calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from gmm_gui.ui.colors import component_colors
from gmm_gui.ui.presentation import PresentationMode
from gmm_gui.ui.shortcuts import ShortcutKeeper
from gmm_gui.ui.views.pies import PIE_MAX_POINTS, PieMarkersItem

__all__ = ["PieMarkers", "ViewMenu", "install_view_menu"]

_PIE_TIP = (
    "Draw each point as a small pie of its responsibilities: each Gaussian's slice, in its "
    "colour, is the share of the point it claims (as the lecture notes draw them). Off: the "
    "point is drawn in the blend of those colours. Hidden while an Analyse tool colours the "
    "points (e.g. Show uncertainty)."
)


class PieMarkers(QObject):
    """View > Points as pies: a :class:`~gmm_gui.ui.views.pies.PieMarkersItem` over the points.

    Shown while the action is checked, the data has at most
    :data:`~gmm_gui.ui.views.pies.PIE_MAX_POINTS` points (else the action is disabled and its
    tooltip says why), the state shown has responsibilities (before the first E-step every
    point is the grey of "no E-step yet") and no Analyse tool colours the points (the view's
    colour override: the pies would hide it).

    While the view glides to new responsibilities the pies glide with the points' colours: the
    responsibilities drawn are ``(1 - s) * shown + s * new`` at the view's progress ``s`` (the
    points' colours blend the same mix), ending exactly at the new ones.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._item: PieMarkersItem | None = None
        self._view: object = None
        self._followed: object = None  # the view whose frames and overrides are heard
        # the responsibilities drawn now, and the two ends of a running glide
        self._resp_shown: np.ndarray | None = None
        self._resp_from: np.ndarray | None = None
        self._resp_to: object = None
        self.action = QAction("Points as &pies", window)
        self.action.setObjectName("action_pies")
        self.action.setCheckable(True)
        self.action.setToolTip(_PIE_TIP)
        self.action.setStatusTip(_PIE_TIP)
        self.action.toggled.connect(lambda _on: self.refresh())
        window.session.snapshot_changed.connect(self.refresh)
        window.session.preview_changed.connect(self.refresh)
        window.workspace.data_changed.connect(self._on_data)

    @property
    def item(self) -> PieMarkersItem | None:
        """The pies drawn on the plot now (None when none)."""
        return self._item if self._item is not None and self._item.count else None

    def _on_data(self, *_args: object) -> None:
        dataset = self._window.dataset
        n = 0 if dataset is None else dataset.n_samples
        allowed = n <= PIE_MAX_POINTS
        self.action.setEnabled(allowed)
        if allowed:
            self.action.setToolTip(_PIE_TIP)
        else:
            self.action.setToolTip(
                f"Pies are drawn for data of up to {PIE_MAX_POINTS:,} points; this data has "
                f"{n:,}, so each pie would be too small to read and too many to draw smoothly. "
                "The points show the blend of the Gaussians' colours instead."
            )
        self.refresh()

    def refresh(self, *_args: object) -> None:
        """Draw the pies of the state the plot shows (or remove them)."""
        view = self._window.view
        self._follow(view)
        snap = None if view is None else view.snapshot()
        wanted = (
            self.action.isChecked()
            and self.action.isEnabled()
            and snap is not None
            and snap.resp is not None
            and snap.mixture is not None
            and view.color_override() is None
        )
        if self._item is not None and (not wanted or self._view is not view):
            if shiboken6.isValid(self._item) and self._item.scene() is not None:
                self._item.scene().removeItem(self._item)
            self._item = None
        if not wanted:
            self._resp_shown = self._resp_from = self._resp_to = None
            return
        points = view.points_item
        if self._item is None:
            self._item = PieMarkersItem(parent=points.parentItem())
            self._item.setZValue(points.zValue() + 0.5)
            self._view = view
            self._resp_shown = self._resp_from = self._resp_to = None
        if snap.resp is not self._resp_to:
            # new responsibilities: glide from those drawn when the view glides, else jump
            target = np.asarray(snap.resp, dtype=np.float64)
            shown = self._resp_shown
            glide = view.is_animating() and shown is not None and shown.shape == target.shape
            self._resp_from = shown if glide else None
            self._resp_to = snap.resp
            self._resp_shown = shown if glide else target
        elif self._resp_from is not None and not view.is_animating():
            # the view's glide was cut short (a state shown without one): so is this
            self._resp_shown, self._resp_from = np.asarray(snap.resp, dtype=np.float64), None
        style = points.style
        self._item.set_radius(max(5.0, 1.6 * style.radius), max(0.8, style.rim))
        self._draw()

    def _draw(self) -> None:
        view = self._view
        snap = view.snapshot()
        colors = component_colors(snap.mixture.n_components)
        self._item.set_pies(view.points_item.positions, self._resp_shown, colors)

    def _follow(self, view: object) -> None:
        """Hear ``view``'s transition frames and colour overrides (once per view)."""
        if view is self._followed:
            return
        self._followed = view
        if view is not None:
            view.frame_shown.connect(self._on_frame)
            view.color_override_changed.connect(self.refresh)

    def _on_frame(self, s: float) -> None:
        """A frame of the view's glide at progress ``s``: the pies' responsibilities follow."""
        start, item, view = self._resp_from, self._item, self._view
        if start is None or item is None or view is not self._window.view:
            return
        snap = view.snapshot()
        if snap is None or snap.resp is not self._resp_to:
            return  # the first frame of a glide to a state not heard of yet
        target = np.asarray(snap.resp, dtype=np.float64)
        if s >= 1.0:
            self._resp_shown, self._resp_from = target, None
        else:
            self._resp_shown = start + s * (target - start)
        self._draw()


@dataclass(frozen=True)
class ViewMenu:
    """What :func:`install_view_menu` made."""

    menu: QMenu
    pies: PieMarkers
    presentation: PresentationMode
    keeper: ShortcutKeeper


def install_view_menu(window: QMainWindow, before: QMenu | None = None) -> ViewMenu:
    """Add the View menu to ``window``'s menu bar (before the menu ``before``).

    Returns
    -------
    ViewMenu
    """
    menu = QMenu("&View", window)
    menu.setObjectName("view_menu")
    menu.setToolTipsVisible(True)
    bar = window.menuBar()
    if before is not None:
        bar.insertMenu(before.menuAction(), menu)
    else:
        bar.addMenu(menu)
    pies = PieMarkers(window)
    presentation = PresentationMode(window)
    presentation.toggled.connect(lambda _on: pies.refresh())
    menu.addAction(pies.action)
    menu.addSeparator()
    menu.addAction(presentation.action)
    window.addAction(presentation.action)  # F5 also while the menu bar is hidden
    keeper = ShortcutKeeper(window, lambda: window.view)
    pies._on_data()
    return ViewMenu(menu, pies, presentation, keeper)
