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

The axis also writes its tick labels in one format (:func:`tick_strings`): pyqtgraph's own
writes each label by its size, so one density axis read "0.0001" beside "9e-05", and it drops a
label at either end whose text reaches past the plot (the "0" at the foot of every density axis).
Here every label of an axis has the same number of decimals, thousands are separated, and a
range below 0.001 or from a million up is written as plain numbers with the power of ten once, in
the axis title ("density (×10⁻⁴)"), or on every label of an axis without a title; the labels
at the ends may reach half a line past the plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

#: The colour the plots' grids are drawn over.
BACKGROUND = QColor(255, 255, 255)

AXIS_NAMES = ("left", "bottom", "top", "right")

#: Tick values below this magnitude, or from :data:`HUGE` up, are written with a power of ten.
TINY = 1e-3
HUGE = 1e6
#: Labels of an axis reaching this magnitude have their thousands separated.
GROUPED = 1e4
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def axis_exponent(lo: float, hi: float) -> int:
    """The power of ten an axis from ``lo`` to ``hi`` is written in (0: plain numbers)."""
    m = max(abs(float(lo)), abs(float(hi)))
    if not math.isfinite(m) or m == 0.0 or TINY <= m < HUGE:
        return 0
    return math.floor(math.log10(m))


def _decimals(values: Sequence[float], spacing: float) -> int:
    """The fewest decimals (0-12) that write every value and the spacing exactly enough."""
    places = max(0, math.ceil(-math.log10(spacing) - 1e-9)) if spacing > 0 else 0
    while places < 12:
        scale = 10.0**places
        if all(abs(v * scale - round(v * scale)) < 1e-6 for v in (*values, spacing)):
            break
        places += 1
    return places


def tick_strings(
    values: Sequence[float], spacing: float, exponent: int = 0, in_label: bool = True
) -> list[str]:
    """The labels of ticks at ``values``, all written alike.

    Parameters
    ----------
    values : sequence of float
        Tick positions (in the axis' units).
    spacing : float
        The finest spacing of the ticks labelled: it sets the decimals of every label.
    exponent : int
        The axis' power of ten (:func:`axis_exponent`): values are written divided by
        ``10**exponent``.
    in_label : bool
        The power of ten is said in the axis title; otherwise every label ends in
        ``e<exponent>``.

    Returns
    -------
    list of str
        E.g. ``["0.0", "0.5", "1.0"]`` for 0, 5e-5 and 1e-4 with exponent -4, or
        ``["-3,000", "-2,990"]``.
    """
    scale = 10.0**-exponent
    scaled = [float(v) * scale for v in values]
    step = abs(float(spacing)) * scale
    places = _decimals(scaled, step)
    grouped = exponent == 0 and any(abs(v) >= GROUPED for v in scaled)
    out = []
    for v in scaled:
        text = f"{v:{',' if grouped else ''}.{places}f}"
        zero = text.lstrip("-").strip("0.,") == ""
        if zero:
            text = text.lstrip("-")  # no "-0.0"
        if exponent and not in_label and not zero:
            text += f"e{exponent}"
        out.append(text)
    return out


def exponent_text(exponent: int) -> str:
    """``"×10⁻⁴"`` for -4: how an axis title says its labels' power of ten."""
    return f"×10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


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
        self._exponent = 0
        super().__init__(orientation, **kwargs)
        self._opaque: dict[int, QPen] = {}
        self.setZValue(self.Z)

    # ------------------------------------------------------------------ tick labels
    @property
    def exponent(self) -> int:
        """The power of ten the labels are written in (0: plain numbers)."""
        return self._exponent

    def setRange(self, mn: float, mx: float) -> None:  # noqa: N802 - pyqtgraph override
        """pyqtgraph's range, and the power of ten of the labels (the title says it)."""
        super().setRange(mn, mx)
        exponent = axis_exponent(mn * self.scale, mx * self.scale)
        if exponent != self._exponent:
            self._exponent = exponent
            self._updateLabel()

    def labelString(self) -> str:  # noqa: N802 - pyqtgraph override
        """The title, with the labels' power of ten when there is one."""
        text = super().labelString()
        if not self._exponent or not self._label_shown():
            return text
        suffix = f" ({exponent_text(self._exponent)})"
        if text.endswith("</span>"):
            return text[:-7].rstrip() + suffix + "</span>"
        return text.rstrip() + suffix

    def _label_shown(self) -> bool:
        return bool(getattr(self, "labelText", "")) and self.label.isVisible()

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802
        """Every label of the axis in one format (see :func:`tick_strings`)."""
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        return tick_strings(
            [v * scale for v in values], spacing * scale, self._exponent, self._label_shown()
        )

    def _same_decimals(self, p: QPainter, text_specs: list) -> list:
        """The labels drawn, rewritten with the decimals of the most precise of them.

        pyqtgraph writes each tick level apart (major ticks "1", minor ones "0.5") and decides
        only while drawing which levels have room for their labels; so the decimals are made
        equal here, among the labels that are drawn.
        """
        if self.logMode or not text_specs:
            return text_specs
        suffix = f"e{self._exponent}" if self._exponent and not self._label_shown() else ""
        places = 0
        for _, _, text in text_specs:
            number = text[: len(text) - len(suffix)] if suffix else text
            places = max(places, len(number.partition(".")[2]))
        out = []
        widest = 0.0
        for rect, flags, text in text_specs:
            number = text[: len(text) - len(suffix)] if suffix else text
            head, _, tail = number.partition(".")
            if len(tail) < places:
                number = f"{head}.{tail.ljust(places, '0')}"
                new = number + suffix
                width = p.boundingRect(QRectF(0, 0, 100, 100), 0, new).width()
                rect = QRectF(rect)
                if self.orientation == "left":
                    rect.setLeft(rect.right() - width)
                elif self.orientation == "right":
                    rect.setRight(rect.left() + width)
                else:
                    centre = rect.center().x()
                    rect.setLeft(centre - width / 2)
                    rect.setRight(centre + width / 2)
                text = new
            widest = max(widest, rect.width())
            out.append((rect, flags, text))
        if self.orientation in ("left", "right"):
            self._updateMaxTextSize(int(math.ceil(widest)))
        return out

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """pyqtgraph's, reaching half a label past the ends: no end label is dropped."""
        rect = super().boundingRect()
        metrics = QFontMetricsF(self.style["tickFont"] or self.font())
        if self.orientation in ("left", "right"):
            pad = 0.5 * metrics.height() + 1.0
            return rect.adjusted(0.0, -pad, 0.0, pad)
        pad = 3.0 * metrics.averageCharWidth() + 2.0
        return rect.adjusted(-pad, 0.0, pad, 0.0)

    def setZValue(self, z: float) -> None:  # noqa: N802 - Qt override
        """Keep the axis behind the data (see the class)."""
        super().setZValue(min(float(z), self.Z))

    def generateDrawSpecs(self, p: QPainter) -> tuple[Any, list, list] | None:  # noqa: N802
        """pyqtgraph's drawing specification, each translucent pen replaced by its opaque twin."""
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        pens = [(self._opaque_pen(pen), a, b) for pen, a, b in tick_specs]
        return axis_spec, pens, self._same_decimals(p, text_specs)

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


def range_showing(
    view: tuple[float, float], means: np.ndarray, sd: np.ndarray, most: float = 3.0
) -> tuple[float, float]:
    """``view`` (one axis' range) widened to every ``mean ± sd`` when some mean lies outside it,
    unless the range would grow past ``most`` times its width (a start placed far away: the data
    would shrink to a sliver); else ``view`` itself.

    Parameters
    ----------
    view : (float, float)
    means, sd : arrays of shape (n_components,)
        The Gaussians' means and standard deviations along this axis.
    most : float
    """
    a, b = float(view[0]), float(view[1])
    means = np.asarray(means, dtype=np.float64)
    if not np.any((means < a) | (means > b)):
        return (a, b)
    sd = np.asarray(sd, dtype=np.float64)
    wide = (min(a, float((means - sd).min())), max(b, float((means + sd).max())))
    return wide if wide[1] - wide[0] <= most * (b - a) else (a, b)
