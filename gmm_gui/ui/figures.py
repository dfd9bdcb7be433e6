"""Figures a teacher can take away: the states of a run drawn offscreen, and small multiples.

Every figure is drawn by the plot views themselves (:class:`~gmm_gui.ui.views.PlotView1D`,
:class:`~gmm_gui.ui.views.PlotView2D`), each made for the figure and never shown on screen, so
a figure looks as the window does. The states come from the session's history (the same
snapshots the window shows), and the half-steps not computed yet are computed by the stepper
without changing it (:meth:`~gmm_gui.controller.stepper.Stepper.compute_run`).

:func:`small_multiples` is Bishop's *Pattern Recognition and Machine Learning*, figure 9.8: the
start, the first E-step, the first M-step, and the state after 2, 5 and 20 EM iterations, six
panels in a 3 x 2 grid, as PNG (twice the screen resolution) or SVG (vectors). ``L`` in a
panel's title counts complete EM iterations, as in that figure, and the title says so ("after
L = 5 EM iterations"); a panel's title describes the state it shows, so when the run converged
sooner the later panels say "converged after L = 12 EM iterations", and a panel that repeats
an earlier one says which ("as (e): ...").
"""

from __future__ import annotations

import contextlib
import os
import re
import xml.dom.minidom
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import Stepper
from gmm_gui.io.atomic import atomic_path
from gmm_gui.ui.plot_area import stop_words
from gmm_gui.ui.views import PlotView1D, PlotView2D, PlotViewBase
from gmm_gui.ui.views.export import escape_markup, render_image
from gmm_gui.ui.views.hover import format_sig

__all__ = [
    "PANEL_SIZE",
    "PANEL_TITLE_HEIGHT",
    "PNG_SCALE",
    "SMALL_MULTIPLES",
    "Cancelled",
    "ProgressCallback",
    "offscreen_view",
    "render_view",
    "run_states",
    "draw_symbols",
    "figure_state",
    "small_multiples",
    "source_of",
    "symbols_of",
    "state_caption",
]

#: Logical size of one panel's plot in :func:`small_multiples` (width, height).
PANEL_SIZE = QSize(460, 360)
#: Logical height of the two title lines above each panel.
PANEL_TITLE_HEIGHT = 44
#: Pixels per logical pixel of a PNG figure.
PNG_SCALE = 2.0
#: The panels of :func:`small_multiples`: (EM iterations done, phase) of each, as in PRML 9.8.
SMALL_MULTIPLES: tuple[tuple[int, str], ...] = (
    (0, "start"),
    (0, "E"),
    (1, "M"),
    (2, "M"),
    (5, "M"),
    (20, "M"),
)

#: ``progress(done, total)``, called as the work goes on.
ProgressCallback = Callable[[int, int], None]


class Cancelled(Exception):
    """The user cancelled; nothing was written."""


def _process_events() -> None:
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def source_of(target: object) -> tuple[Stepper, tuple[str, ...], int]:
    """The stepper, column names and data dimension of a window, a plot view or a stepper.

    Parameters
    ----------
    target : MainWindow, PlotViewBase or Stepper
        A window (its session's stepper, its data's column names); a plot view (a stepper
        started from what the view shows); or a stepper.

    Raises
    ------
    ValueError
        If there is no data or no Gaussians to run EM with.
    """
    names: tuple[str, ...] = ()
    session = getattr(target, "session", None)
    if isinstance(target, Stepper):
        stepper = target
    elif session is not None:
        stepper = getattr(session, "stepper", None)
        dataset = getattr(target, "dataset", None)
        if dataset is not None:
            names = tuple(str(c) for c in dataset.columns)
    elif isinstance(target, PlotViewBase):
        snap = target.snapshot()
        if snap is None:
            raise ValueError("the view shows no data")
        stepper = Stepper(np.asarray(snap.X), snap.mixture)
        names = tuple(getattr(target, "_names", ()) or ())
    else:
        raise TypeError(f"cannot record from {type(target).__name__}")
    if stepper is None:
        raise ValueError("no data open")
    if stepper.start is None:
        raise ValueError("there are no Gaussians yet: place some or press New start")
    return stepper, names, stepper.n_features


def run_states(
    stepper: Stepper,
    n_iterations: int,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> list[Snapshot]:
    """The start and every half-step of the first ``n_iterations`` EM iterations.

    The states already in the stepper's history are used as they are (their responsibilities
    brought back if they were let go); the rest are computed without changing the stepper.
    A run that converges sooner ends sooner.

    Parameters
    ----------
    stepper : Stepper
    n_iterations : int
        Number of EM iterations (each an E-step and an M-step).
    progress : callable(done, total), optional
        Called after each half-step computed, ``total = 2 * n_iterations``.
    should_cancel : callable() -> bool, optional
        Polled between half-steps.

    Returns
    -------
    list of Snapshot
        ``[start, E1, M1, E2, M2, ...]``, at most ``2 * n_iterations + 1`` states, each with
        the responsibilities its points are coloured by (``None`` at the start).

    Raises
    ------
    Cancelled
        If ``should_cancel`` said so.
    """
    total = 2 * max(0, int(n_iterations))
    states: list[Snapshot] = []
    for snap in stepper.history:
        if len(states) > total or (states and snap.phase == "start"):
            break
        states.append(snap)
    # Responsibilities of past states may have been let go to save memory: bring them back.
    last_resp: np.ndarray | None = None
    for i, snap in enumerate(states):
        if snap.phase == "E":
            last_resp = snap.resp if snap.resp is not None else stepper.responsibilities(snap)
            if snap.resp is None:
                states[i] = replace(snap, resp=last_resp)
        elif snap.phase == "M" and snap.resp is None and last_resp is not None:
            states[i] = replace(snap, resp=last_resp)
    done = len(states) - 1
    if progress is not None:
        progress(min(done, total), total)
    while len(states) <= total:
        if should_cancel is not None and should_cancel():
            raise Cancelled
        new = stepper.compute_run(states[-1], 1)
        if not new:
            break  # converged, or the engine cannot go on
        states.extend(new)
        if progress is not None:
            progress(len(states) - 1, total)
    return states


def symbols_of(target: object) -> tuple[np.ndarray, tuple[str, ...] | None, str] | None:
    """The marker shapes the points of ``target``'s plot view are drawn as, or None.

    A figure of the window shows the points as the window does: when a column of labels is
    shown as shapes (Analyse > Explore), the panels and frames draw the same shapes, in PNG
    and in SVG, rather than plain discs.
    """
    view = target if isinstance(target, PlotViewBase) else getattr(target, "view", None)
    if not isinstance(view, PlotViewBase):
        return None
    return view.point_symbols()


def draw_symbols(
    view: PlotViewBase, symbols: tuple[np.ndarray, tuple[str, ...] | None, str] | None
) -> None:
    """Give ``view`` (showing the same data) the shapes of :func:`symbols_of`, once."""
    if symbols is None or view.point_symbols() is not None:
        return
    codes, names, title = symbols
    snap = view.snapshot()
    if snap is None or len(codes) != len(snap.X):
        return
    view.set_point_symbols(codes, names, title)


def figure_state(snap: Snapshot) -> Snapshot:
    """``snap`` as a figure draws it: not editable, so no handles to drag are drawn."""
    return replace(snap, editable=False) if snap.editable else snap


def state_caption(snap: Snapshot) -> str:
    """What a frame shows: the half-step and the mean log-likelihood per point."""
    if snap.phase == "start":
        what = "start (no E-step yet)"
    elif snap.phase == "E":
        what = f"iteration {snap.iteration + 1}, E-step: points coloured by responsibility"
    else:
        what = f"iteration {snap.iteration}, M-step: Gaussians moved to their points"
        outcome = stop_words(snap)
        if outcome:
            what += f" ({outcome})"
    ll = snap.mean_log_likelihood
    if ll is not None and np.isfinite(ll):
        what += f" · log-likelihood per point {format_sig(ll, 4)}"
    return what


@contextlib.contextmanager
def offscreen_view(
    n_features: int, size: QSize, names: Sequence[str] = ()
) -> Iterator[PlotViewBase]:
    """A plot view that is laid out and drawn but never shown on screen; closed afterwards.

    Parameters
    ----------
    n_features : int
        1 or 2: which view.
    size : QSize
        Its logical size.
    names : sequence of str
        Axis labels (the data's column names).
    """
    view: PlotViewBase = PlotView1D() if n_features == 1 else PlotView2D()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.set_animation_ms(0)
    view.resize(size)
    view.show()
    if names:
        view.set_axis_labels(list(names))
    try:
        yield view
    finally:
        view.close()
        view.deleteLater()
        _process_events()


def render_view(view: PlotViewBase, scale: float = 1.0) -> QImage:
    """The view as it is drawn now, on white.

    Parameters
    ----------
    view : PlotViewBase
    scale : float
        Pixels per logical pixel.

    Returns
    -------
    QImage
        ``Format_ARGB32_Premultiplied``, ``scale`` times the view's size.
    """
    _process_events()  # let the layout and the deferred updates of the plot happen
    return render_image(view, scale)


# ---------------------------------------------------------------------- small multiples
def _panel_title(snap: Snapshot, last: Snapshot) -> str:
    """What one panel shows, from its state itself (so a run that ended sooner is not said to
    have run on): L counts the complete EM iterations, as in PRML figure 9.8."""
    if snap.phase == "start":
        return "start (no E-step yet)"
    if snap.phase == "E":
        return f"E-step of iteration {snap.iteration + 1}"
    k = snap.iteration
    done = f"after L = {k} EM iteration" + ("" if k == 1 else "s")
    if snap.degenerate:  # a collapse is never called converged alone
        return f"degenerate {done}"
    if snap.converged:
        return f"converged {done}"
    if snap is last and snap.stopped_at_max_iter:
        return f"stopped at max_iter {done}"
    return done


def _panel_states(states: Sequence[Snapshot]) -> list[tuple[str, str, Snapshot]]:
    """(title, subtitle, state) of each of the six panels.

    A panel whose state is the same as an earlier panel's (the run converged before its
    iteration) says so: "(f) as (e): converged after L = 5 EM iterations".
    """
    last = states[-1]
    out: list[tuple[str, str, Snapshot]] = []
    first_of: dict[int, str] = {}  # index of a state -> letter of the first panel showing it
    for letter, (iteration, phase) in zip("abcdef", SMALL_MULTIPLES, strict=True):
        index = {"start": 0, "E": 1}.get(phase, 2 * iteration)  # [start, E1, M1, E2, M2, ...]
        index = min(index, len(states) - 1)
        snap = states[index]
        title = _panel_title(snap, last)
        if index in first_of:
            title = f"as ({first_of[index]}): {title}"
        else:
            first_of[index] = letter
        ll = snap.mean_log_likelihood
        subtitle = (
            f"log-likelihood per point {format_sig(ll, 4)}"
            if ll is not None and np.isfinite(ll)
            else ""
        )
        out.append((f"({letter}) {title}", subtitle, snap))
    return out


def _title_fonts() -> tuple[QFont, QFont]:
    bold = QFont()
    bold.setPointSizeF(11.0)
    bold.setBold(True)
    plain = QFont()
    plain.setPointSizeF(9.5)
    return bold, plain


def small_multiples(
    target: object,
    path: str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    *,
    panel_size: QSize = PANEL_SIZE,
) -> list[Snapshot]:
    """Write Bishop's figure 9.8 for the run: six panels of the EM run, as PNG or SVG.

    The panels are the start, the first E-step, the first M-step (L = 1) and the state after
    L = 2, 5 and 20 iterations; a run that converges sooner shows its last state in the later
    panels, titled with the iterations it took ("converged after L = 12 EM iterations", "as
    (e): ..." for a panel that repeats another). Each panel is titled with L, the number of EM
    iterations, and the mean log-likelihood per point. The file is written atomically
    (:func:`gmm_gui.io.atomic.atomic_path`).

    Parameters
    ----------
    target : MainWindow, PlotViewBase or Stepper
        Where the run comes from (see :func:`source_of`).
    path : str or Path
        Ends in ``.png`` (``3 * width`` by ``2 * (height + title)`` logical pixels, at
        :data:`PNG_SCALE`) or ``.svg``.
    progress : callable(done, total), optional
    should_cancel : callable() -> bool, optional
    panel_size : QSize
        Logical size of each panel's plot.

    Returns
    -------
    list of Snapshot
        The six states drawn.

    Raises
    ------
    ValueError
        For another suffix, or nothing to run.
    Cancelled
        If cancelled; nothing is written.
    OSError
        If the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"Write the figure as .png or .svg, not {path.suffix or 'no suffix'!r}.")
    stepper, names, n_features = source_of(target)
    symbols = symbols_of(target)
    top = max(iteration for iteration, _ in SMALL_MULTIPLES)
    total = 2 * top + 6

    def computed(done: int, _total: int) -> None:
        if progress is not None:
            progress(done, total)

    states = run_states(stepper, top, computed, should_cancel)
    panels = [(a, b, figure_state(snap)) for a, b, snap in _panel_states(states)]
    w, h, t = panel_size.width(), panel_size.height(), PANEL_TITLE_HEIGHT
    with offscreen_view(n_features, panel_size, names) as view:
        if suffix == ".png":
            pictures = []
            for i, (_, _, snap) in enumerate(panels):
                if should_cancel is not None and should_cancel():
                    raise Cancelled
                view.set_snapshot(snap, animate=False)
                draw_symbols(view, symbols)
                pictures.append(render_view(view, PNG_SCALE))
                if progress is not None:
                    progress(2 * top + i + 1, total)
            figure = _compose_png(panels, pictures, w, h, t)
            with atomic_path(path) as tmp:
                if not figure.save(str(tmp), "PNG"):
                    raise OSError(f"{path}: cannot write the figure")
        else:
            parts = []
            for i, (_, _, snap) in enumerate(panels):
                if should_cancel is not None and should_cancel():
                    raise Cancelled
                view.set_snapshot(snap, animate=False)
                draw_symbols(view, symbols)
                _process_events()
                parts.append(_svg_of(view))
                if progress is not None:
                    progress(2 * top + i + 1, total)
            text = _compose_svg(panels, parts, w, h, t)
            with atomic_path(path) as tmp:
                Path(tmp).write_text(text, encoding="utf-8")
    return [snap for _, _, snap in panels]


def _compose_png(
    panels: Sequence[tuple[str, str, Snapshot]],
    pictures: Sequence[QImage],
    w: int,
    h: int,
    t: int,
) -> QImage:
    figure = QImage(
        round(3 * w * PNG_SCALE),
        round(2 * (h + t) * PNG_SCALE),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    figure.setDevicePixelRatio(PNG_SCALE)
    figure.fill(QColor(255, 255, 255))
    bold, plain = _title_fonts()
    painter = QPainter(figure)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    for i, ((title, subtitle, _), picture) in enumerate(zip(panels, pictures, strict=True)):
        x, y = (i % 3) * w, (i // 3) * (h + t)
        painter.setPen(QColor(34, 34, 34))
        painter.setFont(bold)
        painter.drawText(QRectF(x, y + 4, w, 20), Qt.AlignmentFlag.AlignHCenter, title)
        painter.setPen(QColor(85, 85, 85))
        painter.setFont(plain)
        painter.drawText(QRectF(x, y + 24, w, 18), Qt.AlignmentFlag.AlignHCenter, subtitle)
        painter.drawImage(QRectF(x, y + t, w, h), picture)
    painter.end()
    return figure


def _svg_of(view: PlotViewBase) -> str:
    """The view as SVG text (pyqtgraph's exporter, as File > Export plot writes it)."""
    from pyqtgraph.exporters import SVGExporter

    from gmm_gui.ui.views.export import _svg_closed_paths_fix

    exporter = SVGExporter(view.ci)
    exporter.parameters()["background"] = QColor(255, 255, 255)
    with _svg_closed_paths_fix():
        data = exporter.export(toBytes=True)
    return bytes(data).decode("utf-8")


_ID = re.compile(r"""\bid=(["'])([^"']+)\1""")


def _compose_svg(
    panels: Sequence[tuple[str, str, Snapshot]],
    parts: Sequence[str],
    w: int,
    h: int,
    t: int,
) -> str:
    """Six panel SVGs side by side in one document, their ids made unique, titles as text."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'version="1.2" width="{3 * w}" height="{2 * (h + t)}" '
        f'viewBox="0 0 {3 * w} {2 * (h + t)}">',
        f'<rect x="0" y="0" width="{3 * w}" height="{2 * (h + t)}" fill="#ffffff"/>',
    ]
    for i, ((title, subtitle, _), part) in enumerate(zip(panels, parts, strict=True)):
        x, y = (i % 3) * w, (i // 3) * (h + t)
        out.append(
            f'<text x="{x + w / 2}" y="{y + 19}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="14.5" font-weight="bold" fill="#222222">{escape_markup(title)}</text>'
        )
        out.append(
            f'<text x="{x + w / 2}" y="{y + 37}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="12.5" fill="#555555">{escape_markup(subtitle)}</text>'
        )
        out.append(_panel_group(part, f"p{i}-", x, y + t, w, h))
    out.append("</svg>")
    return "\n".join(out)


def _panel_group(text: str, prefix: str, x: float, y: float, w: int, h: int) -> str:
    """One exported panel as a ``<g>`` moved to (x, y), its ids prefixed (no nested ``<svg>``,
    which SVG Tiny readers such as Qt's skip)."""
    ids = {m.group(2) for m in _ID.finditer(text)}
    for name in sorted(ids, key=len, reverse=True):
        text = re.sub(rf"""(\bid=["']){re.escape(name)}(["'])""", rf"\g<1>{prefix}{name}\2", text)
        text = text.replace(f"url(#{name})", f"url(#{prefix}{name})")
        text = text.replace(f'href="#{name}"', f'href="#{prefix}{name}"')
    doc = xml.dom.minidom.parseString(text.encode("utf-8"))
    root = doc.documentElement
    scale = 1.0
    box = root.getAttribute("viewBox").split()
    if len(box) == 4 and float(box[2]) > 0:
        scale = w / float(box[2])
    group = doc.createElement("g")
    transform = f"translate({x},{y})" + (f" scale({scale:.6g})" if abs(scale - 1) > 1e-9 else "")
    group.setAttribute("transform", transform)
    for child in list(root.childNodes):
        if child.nodeType == child.ELEMENT_NODE and child.tagName in ("title", "desc"):
            continue
        if child.nodeType == child.ELEMENT_NODE and child.tagName == "rect":
            # the export's background, "100%" of the whole figure once inside a group
            if child.getAttribute("width") == "100%":
                child.setAttribute("width", f"{w / scale:.6g}")
                child.setAttribute("height", f"{h / scale:.6g}")
        group.appendChild(child)
    return group.toxml()
