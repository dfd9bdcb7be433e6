"""Export of a plot view as PNG or SVG, and escaping of text shown as rich text.

PNG is the view rendered at twice the screen resolution; SVG is written by pyqtgraph's
exporter (which clips each ViewBox's children itself, as Qt's SVG generator does not, and writes
curves and text as vectors), with a fix for the closed paths Qt 6 writes.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import SVGExporter
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from gmm_gui.io.atomic import atomic_path

__all__ = ["PNG_SCALE", "escape_markup", "export_image"]

#: A PNG export has this many pixels per screen pixel.
PNG_SCALE = 2.0


def render_image(view: pg.GraphicsView, scale: float) -> QImage:
    """The view drawn on white at ``scale`` times its size (antialiased), for PNG figures.

    Returns
    -------
    QImage
        ``Format_ARGB32_Premultiplied``, ``scale`` times the view's viewport size.
    """
    size = view.viewport().size()
    image = QImage(
        round(size.width() * scale),
        round(size.height() * scale),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(scale)
    image.fill(QColor(255, 255, 255))
    # Items cached as pixmaps (the axes: DeviceCoordinateCache) would be drawn from a cache
    # made for the screen, which a view never shown (figures, recordings) does not refresh
    # after its range changes: stale tick labels. Drawn afresh for the image.
    scene = view.scene()
    cached = [
        (item, item.cacheMode())
        for item in (scene.items() if scene is not None else [])
        if item.cacheMode() != QGraphicsItem.CacheMode.NoCache
    ]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        view.render(painter, QRectF(0, 0, size.width(), size.height()), view.viewport().rect())
    finally:
        painter.end()
        for item, mode in cached:
            item.setCacheMode(mode)
    return image


def export_image(view: pg.GraphicsLayoutWidget, path: str | os.PathLike) -> None:
    """Save ``view`` as PNG (twice the screen resolution) or SVG, chosen by the suffix.

    The file is written under a temporary name in the same folder and then renamed, so an
    existing file is never left half-written. A running transition should be finished first
    (:meth:`~gmm_gui.ui.views.base.PlotViewBase.export_image` does).

    Parameters
    ----------
    view : pg.GraphicsLayoutWidget
        The plot view (its central layout ``view.ci`` is what SVG export writes).
    path : str or Path
        Ends in ``.png`` or ``.svg``.

    Raises
    ------
    ValueError
        For another suffix.
    OSError
        When the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"Export as .png or .svg, not {path.suffix or 'no suffix'!r}.")
    with atomic_path(path) as tmp_path:
        tmp = str(tmp_path)
        if suffix == ".png":
            if not render_image(view, PNG_SCALE).save(tmp, "PNG"):
                raise OSError(f"Could not write {path}.")
        else:
            exporter = SVGExporter(view.ci)
            exporter.parameters()["background"] = QColor(255, 255, 255)
            with _svg_closed_paths_fix():
                exporter.export(fileName=tmp)


@contextlib.contextmanager
def _svg_closed_paths_fix() -> Iterator[None]:
    """Let pyqtgraph's SVG exporter read the paths Qt 6 writes, for the duration of one export.

    pyqtgraph 0.14 re-parses every ``<path d="...">`` Qt's SVG generator writes as a list of
    ``x,y`` pairs; Qt 6 ends closed paths (the clip rectangle of every ViewBox) with ``Z``, on
    which the parser fails. Each path's ``Z`` is dropped before the parse: every such path Qt
    writes returns to its first point explicitly, so nothing visible changes.
    """
    module = sys.modules.get(SVGExporter.__module__)
    original = getattr(module, "correctCoordinates", None)
    if original is None:  # another pyqtgraph version: nothing to fix
        yield
        return

    def correct(node, defs, item, options):  # noqa: ANN001, ANN202
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", " ".join(d.replace("Z", " ").replace("z", " ").split()))
        return original(node, defs, item, options)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def escape_markup(text: object) -> str:
    """``text`` as plain text inside Qt rich text (tooltips, legends, exported SVG labels)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
