"""Presentation mode (View > Presentation mode, F5, ``gmm-gui --presentation``), for a projector.

Larger fonts in the whole window and on the plots' axes and labels, thicker lines (the
Gaussians' outlines, the curves, the contours, the axes), larger points, and the clutter
hidden (the model settings bar, the start's K, method, seed and buttons, the table of numbers:
the plot takes two thirds of the width); the Run buttons and the speed stay. Toggling it again
restores every font, pen, size and toolbar as it was.

The plots draw their items afresh as EM moves (a 1-D curve gets a new pen every frame of a
glide), so the mode does not set pens once: each curve's ``setPen`` is wrapped to widen what it
is given while the mode is on, and the items made later (a new Gaussian, new data) are widened
when the session shows its next state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence, QPen
from PySide6.QtWidgets import QLabel, QMainWindow, QToolBar, QWidget, QWidgetAction

from gmm_gui.ui.views.items import EllipseSetItem
from gmm_gui.ui.views.points import PointCloudItem

__all__ = ["FONT_SCALE", "LINE_SCALE", "POINT_SCALE", "PresentationMode"]

#: Fonts are this many times larger.
FONT_SCALE = 1.6
#: Lines are this many times thicker.
LINE_SCALE = 2.0
#: Points are this many times larger.
POINT_SCALE = 1.6

_DONE = "_presentation_restore"


def _bigger(font: QFont, scale: float) -> QFont:
    out = QFont(font)
    if font.pointSizeF() > 0:
        out.setPointSizeF(font.pointSizeF() * scale)
    elif font.pixelSize() > 0:
        out.setPixelSize(round(font.pixelSize() * scale))
    return out


def _wider(pen: Any, scale: float) -> QPen:
    out = QPen(pg.mkPen(pen))
    out.setWidthF(max(1.0, out.widthF()) * scale)
    return out


class PresentationMode(QObject):
    """The presentation mode of a main window.

    Parameters
    ----------
    window : QMainWindow
        The main window (its ``view``, ``loglik_panel``, ``toolbar``, ``model_bar`` and
        ``session``).

    Attributes
    ----------
    action : QAction
        View > Presentation mode (F5), checkable.

    Signals
    -------
    toggled(bool)
        The mode was switched on or off.
    """

    toggled = Signal(bool)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._active = False
        self._font: QFont | None = None
        self._hidden: list[QAction | QToolBar] = []
        self._restores: list[Callable[[], None]] = []
        self.action = QAction("&Presentation mode", window)
        self.action.setObjectName("action_presentation")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("F5"))
        tip = (
            "Large fonts, thick lines and large points, without the toolbar's settings and the "
            "table, for a projector (F5 again: back)."
        )
        self.action.setToolTip(f"{tip} (F5)")
        self.action.setStatusTip(tip)
        self.action.toggled.connect(self.set_active)
        window.session.snapshot_changed.connect(self._follow)
        window.workspace.data_changed.connect(self._follow)

    @property
    def active(self) -> bool:
        """True while the mode is on."""
        return self._active

    def set_active(self, on: bool) -> None:
        """Switch the mode on or off (the action follows)."""
        on = bool(on)
        if on == self._active:
            return
        self._active = on
        if self.action.isChecked() != on:
            self.action.setChecked(on)
        w = self._window
        if on:
            self._font = QFont(w.font())
            w.setFont(_bigger(self._font, FONT_SCALE))
            self._enlarge_styled_labels()
            self._hide_clutter()
            self._give_the_plot_room()
            panel = getattr(w, "loglik_panel", None)
            if panel is not None:
                # undone last, after the notes have their fonts back (the restores run in turn
                # from the newest)
                self._restores.append(
                    lambda: shiboken6.isValid(panel) and panel.set_text_scale(1.0)
                )
            self._follow()
            if panel is not None:
                panel.set_text_scale(FONT_SCALE)  # the title; the notes fitted in their new fonts
        else:
            for restore in reversed(self._restores):
                restore()
            self._restores.clear()
            for thing in self._hidden:
                if shiboken6.isValid(thing):
                    thing.setVisible(True)
            self._hidden.clear()
            if self._font is not None:
                w.setFont(self._font)
        self.toggled.emit(on)

    # ------------------------------------------------------------------ window
    def _enlarge_styled_labels(self) -> None:
        """Labels with a style sheet of their own (the plot's title and hint, the status
        line's parts) take no font from the window: each is enlarged itself."""
        for label in self._window.findChildren(QLabel):
            if not label.styleSheet():
                continue
            before = QFont(label.font())
            label.setFont(_bigger(before, FONT_SCALE))

            def undo(label: QLabel = label, before: QFont = before) -> None:
                if shiboken6.isValid(label):
                    label.setFont(before)

            self._restores.append(undo)

    def _give_the_plot_room(self) -> None:
        """The plot takes about two thirds of the width, the log-likelihood panel the rest;
        the table of numbers is hidden (in large type it would need half the window, or be
        squeezed unreadable: the weights are on the plot, and F5 brings the table back)."""
        w = self._window
        splitter = getattr(w, "splitter", None)
        table = getattr(w, "component_table", None)
        if splitter is None:
            return
        sizes = splitter.sizes()
        if table is not None and not table.isHidden():
            table.setVisible(False)
            self._hidden.append(table)
        total = sum(sizes)
        splitter.setSizes([round(total * 0.64), total - round(total * 0.64)])

        def undo() -> None:
            if shiboken6.isValid(splitter):
                splitter.setSizes(sizes)

        self._restores.append(undo)

    # ------------------------------------------------------------------ toolbars
    def _hide_clutter(self) -> None:
        w = self._window
        bars = [getattr(w, "model_bar", None)]
        for bar in bars:
            if bar is not None and not bar.isHidden():
                bar.setVisible(False)
                self._hidden.append(bar)
        toolbar = getattr(w, "toolbar", None)
        if toolbar is None:
            return
        keep = {getattr(toolbar, "speed_slider", None), getattr(toolbar, "speed_label", None)}
        widgets = [toolbar.widgetForAction(a) for a in toolbar.actions()]
        speed_at = next(
            (i for i, wd in enumerate(widgets) if wd is getattr(toolbar, "speed_slider", None)),
            len(widgets),
        )
        for i, (action, widget) in enumerate(zip(toolbar.actions(), widgets, strict=True)):
            # the K, Start, Seed boxes and the start's buttons; the speed (and its label) stay
            if (
                not isinstance(action, QWidgetAction)
                or widget in keep
                or i == speed_at - 1
                or not action.isVisible()
            ):
                continue
            action.setVisible(False)
            self._hidden.append(action)

    # ------------------------------------------------------------------ plots
    def _follow(self, *_args: object) -> None:
        """Widen what the plots show now (items made since the mode went on too)."""
        if not self._active:
            return
        w = self._window
        for widget in (getattr(w, "view", None), getattr(w, "loglik_panel", None)):
            if widget is not None and shiboken6.isValid(widget):
                self._enlarge_scene(widget)

    def _enlarge_scene(self, widget: QWidget) -> None:
        scene = widget.scene() if hasattr(widget, "scene") else None
        if scene is None:
            return
        for item in scene.items():
            if getattr(item, _DONE, False):
                continue
            restore = self._enlarge(item)
            if restore is not None:
                setattr(item, _DONE, True)

                def undo(item: Any = item, restore: Callable[[], None] = restore) -> None:
                    if shiboken6.isValid(item):
                        restore()
                        setattr(item, _DONE, False)

                self._restores.append(undo)

    def _enlarge(self, item: Any) -> Callable[[], None] | None:
        """Enlarge one plot item; returns how to undo it (None: nothing to enlarge)."""
        if isinstance(item, EllipseSetItem):
            before = item.line_scale
            item.line_scale = before * LINE_SCALE
            item.update()
            return lambda: (setattr(item, "line_scale", before), item.update())
        if isinstance(item, PointCloudItem):
            before = item.size_scale
            item.set_size_scale(before * POINT_SCALE)
            return lambda: item.set_size_scale(before)
        if isinstance(item, pg.PlotCurveItem):
            return self._wrap_pen(item)
        if isinstance(item, pg.AxisItem):
            return self._enlarge_axis(item)
        if isinstance(item, pg.TextItem):
            before = QFont(item.textItem.font())
            item.setFont(_bigger(before, FONT_SCALE))
            return lambda: item.setFont(before)
        return None

    @staticmethod
    def _wrap_pen(curve: pg.PlotCurveItem) -> Callable[[], None]:
        base = [QPen(curve.opts["pen"])]
        plain = type(curve).setPen

        def set_pen(*args: Any, **kwargs: Any) -> None:
            base[0] = QPen(pg.mkPen(*args, **kwargs))
            plain(curve, _wider(base[0], LINE_SCALE))

        curve.setPen = set_pen  # the plot's later pens are widened too
        plain(curve, _wider(base[0], LINE_SCALE))

        def restore() -> None:
            del curve.setPen
            plain(curve, base[0])

        return restore

    @staticmethod
    def _enlarge_axis(axis: pg.AxisItem) -> Callable[[], None]:
        tick_font = axis.style.get("tickFont")
        label_font = QFont(axis.label.font())
        pen = QPen(axis.pen())
        base = tick_font if tick_font is not None else axis.font()
        axis.setStyle(tickFont=_bigger(base, FONT_SCALE))
        axis.label.setFont(_bigger(label_font, FONT_SCALE))
        axis.setPen(_wider(pen, LINE_SCALE))
        # the axis title is rich text with its own font-size: set again, larger, now and
        # whenever the view names its axes anew (other data) while the mode is on
        plain = type(axis).setLabel

        def set_label(text: Any = None, units: Any = None, unitPrefix: Any = None,  # noqa: N803
                      **style: Any) -> None:
            style = {**axis.labelStyle, **style}
            size = str(style.get("font-size", ""))
            if size.endswith("pt"):
                style["font-size"] = f"{float(size[:-2]) * FONT_SCALE:.1f}pt"
            plain(axis, text, units, unitPrefix, **style)
            axis.labelStyle = {**style, "font-size": size} if size else style

        label_style = dict(axis.labelStyle)
        axis.setLabel = set_label
        if axis.labelText:
            set_label(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)
        axis.resizeEvent()

        def restore() -> None:
            del axis.setLabel
            axis.setStyle(tickFont=tick_font)
            axis.label.setFont(label_font)
            axis.setPen(pen)
            if axis.labelText:
                plain(axis, axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **label_style)
            axis.resizeEvent()

        return restore
