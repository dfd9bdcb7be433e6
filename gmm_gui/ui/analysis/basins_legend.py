"""The colours, legend and summary of a map of where starts lead (for the basins dock)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QColor

from gmm_gui.model import BasinMap
from gmm_gui.ui.analysis.restarts_dock import GROUP_COLORS, group_color

__all__ = [
    "DEGENERATE",
    "LEGEND_SOLUTIONS",
    "LegendRow",
    "basin_colors",
    "legend_rows",
    "map_summary",
    "solution_numbers",
]

#: Solutions named one per legend row (as many as there are distinct colours); the rest share
#: one grey row.
LEGEND_SOLUTIONS = len(GROUP_COLORS)
#: How far towards white the worst log-likelihood of the map is drawn (the best: not at all).
_SHADE = 0.55
NOT_COMPUTED = (235, 235, 235, 255)
FAILED = (60, 60, 60, 255)
#: Cells whose run collapsed (a degenerate solution): this colour alternating with white,
#: cell by cell, a hatch that no solution's shade can be mistaken for.
DEGENERATE = (200, 0, 120, 255)
_HATCH_LIGHT = (255, 255, 255, 255)


def _degenerate_cells(bmap: BasinMap) -> np.ndarray:
    ids = bmap.solution_id
    if bmap.degenerate is None:
        return np.zeros(ids.shape, dtype=bool)
    return np.asarray(bmap.degenerate, dtype=bool) & (ids >= 0)


def solution_numbers(bmap: BasinMap) -> list[int | None]:
    """The number each solution of ``bmap`` is shown by: its solutions that are not degenerate
    count 1, 2, ... best first; a degenerate one (a collapse, not a maximum) has none.

    Returns
    -------
    list of int or None, one per ``bmap.solutions``
    """
    numbers: list[int | None] = []
    n = 0
    for solution in bmap.solutions:
        if solution.degenerate:
            numbers.append(None)
        else:
            n += 1
            numbers.append(n)
    return numbers


def _palette(n: int) -> np.ndarray:
    """Colours of solutions 0..n-1 as in the restarts dock (grey beyond its palette)."""
    rgb = [group_color(i).getRgb()[:3] for i in range(n)]
    return np.array(rgb, dtype=float).reshape(n, 3)


def basin_colors(bmap: BasinMap) -> np.ndarray:
    """RGBA colour of every cell of a map: its solution's colour, paler the lower its likelihood.

    Parameters
    ----------
    bmap : BasinMap

    Returns
    -------
    rgba : uint8 array of shape (n_rows, n_cols, 4)
        Solution ``s`` has colour ``group_color(s)`` (0 the best); cells not computed are light
        grey, cells whose run broke down dark grey, cells whose run ended degenerate (a
        Gaussian collapsed) hatched: :data:`DEGENERATE` and white in alternate cells.
    """
    ids = bmap.solution_id
    ll = bmap.mean_log_likelihood
    rgba = np.empty(ids.shape + (4,), dtype=np.uint8)
    rgba[...] = NOT_COMPUTED
    rgba[ids < -1] = FAILED
    known = ids >= 0
    if not known.any():
        return rgba
    # a solution's colour is that of its number (degenerate ones are hatched over below)
    numbers = solution_numbers(bmap)
    palette = _palette(max(1, sum(n is not None for n in numbers)))
    index = np.array([0 if n is None else n - 1 for n in numbers], dtype=np.intp)
    base = palette[index[ids[known]]]
    values = ll[known]
    finite = np.isfinite(values)
    low = float(values[finite].min()) if finite.any() else 0.0
    high = float(values[finite].max()) if finite.any() else 0.0
    t = np.ones_like(values) if high <= low else (values - low) / (high - low)
    t = np.where(finite, t, 0.0)
    fade = (_SHADE * (1.0 - t))[:, None]
    rgba[known, :3] = np.clip(np.round(base + (255.0 - base) * fade), 0, 255).astype(np.uint8)
    rgba[known, 3] = 255
    degenerate = _degenerate_cells(bmap)
    if degenerate.any():
        rows, cols = np.indices(ids.shape)
        dark = (rows + cols) % 2 == 0
        rgba[degenerate & dark] = DEGENERATE
        rgba[degenerate & ~dark] = _HATCH_LIGHT
    return rgba


#: One row of the legend: swatch colour, name, log-likelihood text, cells text, tooltip.
LegendRow = tuple[QColor, str, str, str, str]


def legend_rows(bmap: BasinMap, columns: Sequence[str]) -> list[LegendRow]:
    """The legend of ``bmap``: its solutions best first, then the grey, broken and missing cells.

    Parameters
    ----------
    bmap : BasinMap
    columns : sequence of str
        The data's column names (named in the tooltips).
    """
    rows: list[LegendRow] = []
    total = bmap.shape[0] * bmap.shape[1]
    proper = [sol for sol in bmap.solutions if not sol.degenerate]
    palette = _palette(max(1, len(proper)))
    named = min(len(proper), LEGEND_SOLUTIONS)
    for s, solution in enumerate(proper[:named]):
        color = QColor(*[int(c) for c in palette[s]])
        means = "; ".join(
            "(" + ", ".join(f"{v:.4g}" for v in mean) + ")" for mean in solution.mixture.means
        )
        name = f"{s + 1}" + ("  best" if s == 0 else "")
        if not solution.converged:
            name += " (max_iter)"
        tip = (
            f"Solution {s + 1}: means {means} ({', '.join(columns)}); reached from "
            f"{solution.count} of {total} starts."
        )
        if not solution.converged:
            tip += " Its runs stopped at max_iter before converging: not a maximum yet."
        rows.append((color, name, f"{solution.mean_log_likelihood:.4f}", f"{solution.count}", tip))
    others = proper[named:]
    if others:
        lls = [o.mean_log_likelihood for o in others]
        rows.append(
            (
                group_color(named),
                f"{named + 1}–{len(proper)}",
                f"{min(lls):.4f} … {max(lls):.4f}",
                f"{sum(o.count for o in others)}",
                f"{len(others)} more solutions, each reached from few starts, drawn in grey "
                "(often a Gaussian left with almost no points).",
            )
        )
    collapsed = [sol for sol in bmap.solutions if sol.degenerate]
    degenerate = int(np.count_nonzero(_degenerate_cells(bmap)))
    if degenerate:
        rows.append(
            (
                QColor(*DEGENERATE[:3]),
                "degenerate (collapsed)",
                "",
                f"{degenerate}",
                f"{degenerate} starts from which a Gaussian collapsed onto a point "
                f"({len(collapsed)} different collapses): degenerate solutions, singularities "
                "rather than maxima, so they are not numbered (drawn hatched).",
            )
        )
    failed = int(np.count_nonzero(bmap.solution_id < -1))
    if failed:
        rows.append(
            (
                QColor(*FAILED[:3]),
                "broke down",
                "",
                f"{failed}",
                "Starts from which EM broke down (a Gaussian collapsed).",
            )
        )
    missing = total - bmap.n_done
    if missing:
        rows.append(
            (
                QColor(*NOT_COMPUTED[:3]),
                "not computed",
                "",
                f"{missing}",
                "Cells not computed: the map was cancelled first.",
            )
        )
    return rows


def map_summary(bmap: BasinMap) -> str:
    """One sentence on what the map found (and whether it was cancelled)."""
    total = bmap.shape[0] * bmap.shape[1]
    head = f"Cancelled: {bmap.n_done} of {total} cells done. " if bmap.cancelled else ""
    proper = [sol for sol in bmap.solutions if not sol.degenerate]
    degenerate = int(np.count_nonzero(_degenerate_cells(bmap)))
    collapsed = (
        f" {degenerate} of {total} starts collapsed (degenerate: a singularity, not a maximum)."
        if degenerate
        else ""
    )
    unconverged = sum(sol.count for sol in proper if not sol.converged)
    if unconverged:
        collapsed += f" {unconverged} stopped at max_iter before converging (not maxima yet)."
    n = len(proper)
    if n == 0:
        return head + "No start reached a maximum." + collapsed
    if n == 1 and not degenerate and proper[0].count == bmap.n_done:
        return head + "Every start reached the same solution. Click a cell to watch EM."
    best = proper[0]
    what = "1 solution" if n == 1 else f"{n} solutions"
    text = head + f"{what}; the best is reached from {best.count} of {total} starts"
    common = max(range(n), key=lambda i: proper[i].count)
    if common != 0:
        text += f", solution {common + 1} from the most ({proper[common].count})"
    return text + "." + collapsed + " Click a cell to start EM there and watch where it goes."
