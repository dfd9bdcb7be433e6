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
    palette = _palette(len(bmap.solutions))
    base = palette[ids[known]]
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
    palette = _palette(len(bmap.solutions))
    named = min(len(bmap.solutions), LEGEND_SOLUTIONS)
    for s, solution in enumerate(bmap.solutions[:named]):
        color = QColor(*[int(c) for c in palette[s]])
        means = "; ".join(
            "(" + ", ".join(f"{v:.4g}" for v in mean) + ")" for mean in solution.mixture.means
        )
        name = f"{s + 1}" + ("  best" if s == 0 else "")
        tip = (
            f"Solution {s + 1}: means {means} ({', '.join(columns)}); reached from "
            f"{solution.count} of {total} starts."
        )
        rows.append((color, name, f"{solution.mean_log_likelihood:.4f}", f"{solution.count}", tip))
    others = bmap.solutions[named:]
    if others:
        lls = [o.mean_log_likelihood for o in others]
        rows.append(
            (
                group_color(named),
                f"{named + 1}–{len(bmap.solutions)}",
                f"{min(lls):.4f} … {max(lls):.4f}",
                f"{sum(o.count for o in others)}",
                f"{len(others)} more solutions, each reached from few starts, drawn in grey "
                "(often a Gaussian left with almost no points).",
            )
        )
    degenerate = int(np.count_nonzero(_degenerate_cells(bmap)))
    if degenerate:
        rows.append(
            (
                QColor(*DEGENERATE[:3]),
                "degenerate (collapsed)",
                "",
                f"{degenerate}",
                "Starts from which a Gaussian collapsed onto a point: a degenerate solution, "
                "a singularity rather than a maximum (drawn hatched).",
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
    n = len(bmap.solutions)
    if n == 0:
        return head + "No start reached a maximum."
    if n == 1:
        return head + "Every start reached the same solution. Click a cell to watch EM."
    best = bmap.solutions[0]
    text = head + f"{n} solutions; the best is reached from {best.count} of {total} starts"
    common = max(range(n), key=lambda i: bmap.solutions[i].count)
    if common != 0:
        text += f", solution {common + 1} from the most ({bmap.solutions[common].count})"
    return text + ". Click a cell to start EM there and watch where it goes."
