"""What the analysis tools may draw on the main plot, whichever view shows it now.

The window replaces its plot view when the data's dimension changes (1-D and 2-D views).
:class:`ViewOverlay` follows the current view, so a tool never holds a view: it adds images and
markers through :meth:`ViewOverlay.add_image` / :meth:`ViewOverlay.add_markers`, removes them by
the handle it got (also after the view was replaced), reads the visible range and the selected
Gaussian, and sets the view's decorations (colour override, marker points, point symbols,
overlay points, density map, caption). Messages to the user (status bar, message boxes) go
through it too: they are the window's, not the workspace's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, QRectF, Signal, Slot

if TYPE_CHECKING:
    from gmm_gui.ui.views import PlotView1D, PlotView2D

__all__ = ["Messages", "ViewOverlay"]

#: A handle of something added to the plot: the item itself (for reading it back in tests).
Handle = pg.GraphicsObject


class Messages(Protocol):
    """Where messages to the user go (the window: status bar and message boxes)."""

    def show_message(self, text: str) -> None:
        """A short confirmation."""

    def show_problem(self, text: str) -> None:
        """A short problem, shown for a few seconds."""

    def show_error(self, title: str, text: str, interactive: bool = True) -> None:
        """A problem the user must read (a message box)."""


class ViewOverlay(QObject):
    """The current plot view as the analysis tools see it, and the window's messages.

    Parameters
    ----------
    messages : Messages, optional
        Where :meth:`show_message`, :meth:`show_problem` and :meth:`show_error` go (nowhere
        when not given).
    parent : QObject, optional

    Signals
    -------
    view_changed(object)
        Another view now shows the data (or ``None``); items added before are gone with the
        old view.
    range_changed()
        The visible range of the current 2-D view changed (zoom, pan).
    """

    view_changed = Signal(object)
    range_changed = Signal()

    def __init__(self, messages: Messages | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messages = messages
        self._view: PlotView1D | PlotView2D | None = None
        self._columns: tuple[str, ...] = ()
        self._items: dict[int, tuple[Handle, object]] = {}  # id(item) -> (item, its view)

    # ------------------------------------------------------------------ following the view
    @property
    def view(self) -> PlotView1D | PlotView2D | None:
        """The view shown now (for the window and exports; tools use the methods below)."""
        return self._view

    def set_view(self, view: PlotView1D | PlotView2D | None) -> None:
        """The window shows ``view`` from now on (the old view is being deleted)."""
        if view is self._view:
            return
        # Items stay known until removed (their own view removes them); those of views
        # already deleted are forgotten.
        self._items = {
            key: (item, v) for key, (item, v) in self._items.items() if shiboken6.isValid(v)
        }
        self._view = view
        if view is not None and hasattr(view, "set_density_map"):
            view.view_box.sigRangeChanged.connect(self._on_range_changed)
        self.view_changed.emit(view)

    def set_axis_labels(self, columns: Sequence[str]) -> None:
        """Name the axes after the data's ``columns``."""
        self._columns = tuple(str(c) for c in columns)
        if self._view is not None:
            self._view.set_axis_labels(list(self._columns))

    def columns(self) -> tuple[str, ...]:
        """The names of the data's columns (the axes), ``()`` before any data."""
        return self._columns

    def has_view(self) -> bool:
        """True once a view shows data."""
        return self._view is not None

    def is_2d(self) -> bool:
        """True when the current view is a 2-D scatter view."""
        return self._view is not None and hasattr(self._view, "set_density_map")

    def view_key(self) -> int:
        """A number that changes when the view is replaced (0 without a view)."""
        return 0 if self._view is None else id(self._view)

    # ------------------------------------------------------------------ adding items
    def add_image(
        self, rgba: np.ndarray, rect: QRectF, *, opacity: float = 1.0, z: float = 0.0
    ) -> Handle | None:
        """Draw an image over the data rectangle ``rect``, not counted in auto-range.

        Parameters
        ----------
        rgba : uint8 array of shape (n_x, n_y, 4)
            Column-major: ``rgba[i, j]`` is the pixel ``i`` along x and ``j`` along y.
        rect : QRectF
            The image's extent in data coordinates.
        opacity : float
        z : float
            Stacking order (the view's fills are at -10, points at 0).

        Returns
        -------
        The handle for :meth:`remove`, or ``None`` without a view.
        """
        if self._view is None:
            return None
        item = pg.ImageItem(rgba, levels=(0, 255), axisOrder="col-major")
        item.setRect(rect)
        item.setOpacity(opacity)
        item.setZValue(z)
        return self._add(item)

    def add_markers(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        symbol: str = "o",
        size: float = 10,
        pen: object = None,
        brushes: Sequence[object] | None = None,
        z: float = 0.0,
    ) -> Handle | None:
        """Draw markers at data coordinates ``(x[i], y[i])``, not counted in auto-range.

        Parameters
        ----------
        x, y : arrays of shape (n_markers,)
        symbol, size, pen :
            As pyqtgraph's ``ScatterPlotItem`` takes them.
        brushes : sequence of brushes of length n_markers, optional
        z : float

        Returns
        -------
        The handle for :meth:`remove`, or ``None`` without a view.
        """
        if self._view is None:
            return None
        options: dict[str, object] = {"symbol": symbol, "size": size}
        if pen is not None:
            options["pen"] = pen
        if brushes is not None:
            options["brush"] = list(brushes)
        item = pg.ScatterPlotItem(x=np.asarray(x), y=np.asarray(y), **options)
        item.setZValue(z)
        return self._add(item)

    def _add(self, item: Handle) -> Handle:
        view = self._view
        assert view is not None
        view.plot.getViewBox().addItem(item, ignoreBounds=True)
        self._items[id(item)] = (item, view)
        return item

    def remove(self, handle: Handle | None) -> None:
        """Remove what :meth:`add_image` or :meth:`add_markers` added (safe at any time)."""
        if handle is None:
            return
        entry = self._items.pop(id(handle), None)
        if entry is None or entry[0] is not handle:
            return  # not ours, or removed already
        view = entry[1]
        if shiboken6.isValid(view) and shiboken6.isValid(handle):
            view.plot.getViewBox().removeItem(handle)

    # ------------------------------------------------------------------ reading
    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """``((x0, x1), (y0, y1))`` visible now, or ``None`` without a view."""
        if self._view is None:
            return None
        (x0, x1), (y0, y1) = self._view.plot.getViewBox().viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def selected_component(self) -> int:
        """The Gaussian selected on the plot (-1: none)."""
        return -1 if self._view is None else self._view.selected_component()

    # ------------------------------------------------------------------ decorations
    def set_color_override(self, argb: np.ndarray | None) -> None:
        """Colour the points with ``argb`` (packed ARGB32 per point; None: by the fit)."""
        if self._view is not None:
            self._view.set_color_override(argb)

    def color_override(self) -> np.ndarray | None:
        """The colours set by :meth:`set_color_override`, or None."""
        return None if self._view is None else self._view.color_override()

    def set_marker_points(self, points: np.ndarray | None) -> None:
        """Star markers at ``points`` (array of shape (n, n_features)); None removes them."""
        if self._view is not None:
            self._view.set_marker_points(points)

    def set_overlay_points(self, points: np.ndarray | None) -> None:
        """Crosses at ``points`` (array of shape (n, n_features)); None removes them."""
        if self._view is not None:
            self._view.set_overlay_points(points)

    def set_point_symbols(
        self, codes: np.ndarray | None, names: Sequence[str] = (), title: str = ""
    ) -> None:
        """Marker shapes per point (int array of shape (n_samples,)); None: plain discs."""
        if self._view is None:
            return
        if codes is None:
            self._view.set_point_symbols(None)
        else:
            self._view.set_point_symbols(codes, list(names), title=title)

    def point_symbols_shown(self) -> bool:
        """True while the view draws marker shapes per point."""
        return self._view is not None and self._view.points_item.symbol_codes is not None

    def points_drawn_as_squares(self) -> bool:
        """True when there are too many points to draw shapes (they are squares)."""
        return self._view is not None and bool(self._view.points_item.style.square)

    def set_density_map(
        self,
        xs: np.ndarray | None,
        ys: np.ndarray | None = None,
        density: np.ndarray | None = None,
    ) -> None:
        """A 2-D view's density heat map on the grid ``xs`` × ``ys`` (None removes it)."""
        if self.is_2d():
            if xs is None:
                self._view.set_density_map(None)  # type: ignore[union-attr]
            else:
                self._view.set_density_map(xs, ys, density)  # type: ignore[union-attr]

    def set_caption(self, text: str) -> None:
        """The note in the plot's corner (what the colours and shapes mean now)."""
        if self._view is not None:
            self._view.set_caption(text)

    # ------------------------------------------------------------------ messages
    @Slot(str)
    def show_message(self, text: str) -> None:
        """A short confirmation in the window's status bar."""
        if self._messages is not None:
            self._messages.show_message(text)

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """A short problem in the window's status bar."""
        if self._messages is not None:
            self._messages.show_problem(text)

    def show_error(self, title: str, text: str, interactive: bool = True) -> None:
        """A problem in a message box (kept as the last problem when not ``interactive``)."""
        if self._messages is not None:
            self._messages.show_error(title, text, interactive)

    @Slot()
    def _on_range_changed(self, *args: object) -> None:
        self.range_changed.emit()
