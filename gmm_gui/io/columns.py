"""What a reader hands back: the columns of a file, before any is chosen.

The text reader (:mod:`gmm_gui.io.text`) and the NumPy reader (:mod:`gmm_gui.io.numpy_files`)
both produce :class:`Columns`; :mod:`gmm_gui.io.dataset` turns them into a ``Table``. Small
wording helpers shared by the readers' messages live here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from gmm_gui.io.errors import name_list

__all__ = ["Columns", "NumericColumn", "fields", "names", "read_only", "rows"]


@dataclass(frozen=True)
class NumericColumn:
    """One numeric column: values with NaN where a cell is missing or text.

    Attributes
    ----------
    values : array of shape (n_rows,)
        float64; NaN for a missing cell or for text in the column.
    invalid : array of shape (n_rows,) of bool, or None
        True where the cell holds text instead of a number; None when no cell does.
    first_invalid : tuple of (int, str), or None
        Line number and text of the first such cell.
    note : str or None
        A sentence about a doubtful reading of the column (e.g. ``1,250`` read with a decimal
        comma where it may be a thousands separator), for the user.
    """

    values: np.ndarray
    invalid: np.ndarray | None = None
    first_invalid: tuple[int, str] | None = None
    note: str | None = None


@dataclass(frozen=True, eq=False)
class Columns:
    """Every column a reader found in a file.

    Attributes
    ----------
    n_rows : int
        Number of data rows.
    numeric : mapping of str to NumericColumn
        The numeric columns, in file order.
    labels : mapping of str to array of shape (n_rows,)
        The text columns as strings, in file order.
    description : str
        How the file was read, e.g. ``"comma-separated text with a header"``.
    empty : tuple of str
        Columns where every cell is missing.
    """

    n_rows: int
    numeric: Mapping[str, NumericColumn]
    labels: Mapping[str, np.ndarray]
    description: str
    empty: tuple[str, ...] = ()


def rows(count: int) -> str:
    """``"1 row"`` or ``"3 rows"``."""
    return f"{count} row" if count == 1 else f"{count} rows"


def fields(count: int) -> str:
    """``"1 field"`` or ``"3 fields"``."""
    return f"{count} field" if count == 1 else f"{count} fields"


def names(items: Iterable[str]) -> str:
    """Names separated by commas, or ``"(none)"``; a long list is cut (see ``name_list``)."""
    return name_list(items)


def read_only(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only and return it."""
    array.setflags(write=False)
    return array
