"""The Restarts dock's groups as they are shown: their colours, the table of groups and the
chart's count labels (split from :mod:`gmm_gui.ui.analysis.restarts_dock`)."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from gmm_gui.model import RestartsResult

__all__ = ["GROUP_COLORS", "fill_groups_table", "group_color", "place_count_labels"]

#: Colours of the maxima (Paul Tol's muted palette, colour-blind safe), distinct from the
#: components' colours so that "solution 2" is not read as "component 2".
GROUP_COLORS: tuple[str, ...] = (
    "#332288",
    "#117733",
    "#CC6677",
    "#88CCEE",
    "#999933",
    "#AA4499",
    "#44AA99",
    "#882255",
    "#DDCC77",
)
_OTHER_COLOR = "#9a9a9a"


def group_color(position: int) -> QColor:
    """Colour of the maximum ranked ``position`` (0 = best); grey beyond the palette."""
    if 0 <= position < len(GROUP_COLORS):
        return QColor(GROUP_COLORS[position])
    return QColor(_OTHER_COLOR)


def fill_groups_table(table: QTableWidget, result: RestartsResult | None) -> None:
    """One row per group of ``result``, best first: rank (its colour), log-likelihood, runs
    and iterations, with the runs that stopped at max_iter said, and tooltips."""
    groups = () if result is None else result.groups
    runs = {} if result is None else {r.index: r for r in result.runs}
    table.setRowCount(len(groups))
    best = None if result is None else result.best
    best_position = -1 if best is None or result is None else result.group_of(best.index)
    for position, group in enumerate(groups):
        iters = [runs[i].n_iter for i in group.members]
        low, high = min(iters), max(iters)
        not_converged = sum(not runs[i].converged for i in group.members)
        rank = f"{position + 1}"
        if position == best_position:
            rank += " (best)"
        if group.degenerate:
            rank += " degenerate"
        texts = [
            rank,
            f"{group.best_log_likelihood:.4f}",
            f"×{group.count}",
            f"{low}" if low == high else f"{low}–{high}",
        ]
        if not_converged:
            texts[3] += f" ({not_converged} stopped)"
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if column == 0:
                swatch = QPixmap(14, 14)
                swatch.fill(group_color(position))
                item.setIcon(swatch)
            if group.degenerate:
                what = "a degenerate solution (a Gaussian collapsed: not a maximum)"
            elif not group.converged:
                what = "where max_iter stopped them, without converging"
            else:
                what = "this maximum"
            stopped = (
                f"; {not_converged} stopped at max_iter = {result.max_iter} without "
                "converging"
                if not_converged and result is not None
                else ""
            )
            item.setToolTip(
                f"{group.count} run(s) ended at {what}: "
                + ", ".join(f"#{i + 1}" for i in group.members[:20])
                + ("…" if group.count > 20 else "")
                + stopped
            )
            table.setItem(position, column, item)


def place_count_labels(vb: pg.ViewBox, labels: Sequence[pg.TextItem]) -> None:
    """Each count above and right of its group's first dot, or left of it (below it) where
    the chart ends sooner: inside the chart, whatever its size."""
    if vb.width() <= 0 or vb.height() <= 0:
        return
    (_, x1), (_, y1) = vb.viewRange()
    px, py = vb.viewPixelSize()
    for label in labels:
        rect = label.boundingRect()  # pixels
        pos = label.pos()
        right_px = (x1 - pos.x()) / px if px > 0 else float("inf")
        above_px = (y1 - pos.y()) / py if py > 0 else float("inf")
        anchor = (
            0.0 if right_px >= rect.width() + 2 else 1.0,
            1.1 if above_px >= 1.1 * rect.height() + 2 else -0.1,
        )
        if tuple(label.anchor) != anchor:
            label.setAnchor(anchor)
