"""What a cell of a text table means: a number as CSV readers read one, a missing value, or text.

Python's ``float()`` reads more than CSV readers (R, pandas, spreadsheets) do: ``"1_000"`` as
1000, Arabic-Indic or full-width digits, ``"iNfInItY"``. Such cells are text here, so a file is
never silently misread. In a semicolon-separated file a decimal comma is read (``1,5``), and a
column whose commas may as well separate thousands (``1,250``) gets a note for the user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from gmm_gui.io.columns import NumericColumn
from gmm_gui.io.errors import shorten

__all__ = [
    "DECIMAL_COMMA",
    "MISSING_VALUES",
    "is_missing",
    "is_number",
    "odd_infinity",
    "strict_float",
    "to_numbers",
]

#: Cell contents (after stripping spaces) read as a missing value. Any spelling of NaN is too.
MISSING_VALUES: frozenset[str] = frozenset({"", "NA", "N/A", "#N/A", "NULL", "null", "NaN", "nan"})

#: A number written with a decimal comma, as in ``1,5`` or ``-2,5e3``.
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$", re.ASCII)


# A number as CSV readers (R, pandas, spreadsheets) read one: ASCII digits with an optional sign,
# decimal point and exponent, or inf / Inf / INF / infinity / Infinity / INFINITY, or any case of
# nan. Python's float() takes more ("1_000", Arabic-Indic or full-width digits, "iNfInItY"),
# which a table must not silently turn into numbers.
_NUMBER = re.compile(
    r"[ \t\r\f\v]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|inf|Inf|INF|infinity|Infinity|INFINITY|[nN][aA][nN])[ \t\r\f\v]*",
    re.ASCII,
)
# What float() might read beyond _NUMBER: where none of it appears, float() is safe (and fast).
_BEYOND_CSV = re.compile(r"[_\x80-\U0010ffff]|[iI][nN][fF]|\n")
_INFINITIES = frozenset({"inf", "Inf", "INF", "infinity", "Infinity", "INFINITY"})
_INF_WORD = re.compile(r"[iI][nN][fF][a-zA-Z]*")


def strict_float(text: str) -> float:
    """``float(text)`` for what CSV readers read as a number; ValueError for anything else."""
    if _NUMBER.fullmatch(text) is None:
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def _float_reader(cells: Sequence[str]) -> Callable[[str], float]:
    """``float`` when no cell holds what float() would read too generously, else the strict one."""
    return strict_float if _BEYOND_CSV.search("\x1f".join(cells)) else float


def odd_infinity(body: str) -> bool:
    """True if the text spells infinity in a way CSV readers do not (NumPy's reader would)."""
    # a one-character search is a memchr over the text, many times faster than the regex over
    # a large table of plain numbers, which holds no "f" in either case at all
    if "f" not in body and "F" not in body:
        return False
    return any(m.group() not in _INFINITIES for m in _INF_WORD.finditer(body))


def is_number(text: str) -> bool:
    """Whether ``text`` is a number as CSV readers read one (see :func:`strict_float`)."""
    try:
        strict_float(text)
    except ValueError:
        return False
    return True


def is_missing(text: str) -> bool:
    """Whether a stripped cell is a missing value (:data:`MISSING_VALUES` or any case of NaN)."""
    return text in MISSING_VALUES or (text.lower() == "nan")


def to_numbers(
    cells: Sequence[str], decimal_comma: bool, line_numbers: np.ndarray, name: str = ""
) -> NumericColumn | None:
    """Cells to float64, or None if the column is mostly text (a label column).

    Parameters
    ----------
    cells : sequence of str, length n_rows
        The column's cells as split from the file.
    decimal_comma : bool
        Read ``1,5`` as 1.5 (a semicolon-separated file that writes numbers so).
    line_numbers : array of shape (n_rows,)
        Each cell's 1-based line in the file, for the notes and the first text cell.
    name : str
        The column, for the note.

    Returns
    -------
    NumericColumn or None
        NaN for missing and text cells (text cells flagged in ``invalid``); ``note`` set when
        every comma number of the column reads as well with a thousands separator.
    """
    n = len(cells)
    to_float = _float_reader(cells)
    if not decimal_comma:
        try:
            return NumericColumn(np.fromiter(map(to_float, cells), dtype=np.float64, count=n))
        except ValueError:
            pass
        cleaned = ["nan" if cell in MISSING_VALUES else cell for cell in cells]
        try:
            values = np.fromiter(map(to_float, cleaned), dtype=np.float64, count=n)
        except ValueError:
            pass
        else:
            return NumericColumn(values)
    values = np.empty(n, dtype=np.float64)
    invalid = np.zeros(n, dtype=bool)
    doubtful: list[int] = []  # "1,250": a decimal comma, or a thousands separator?
    decided = False  # a comma that can only be a decimal comma ("1,5", "0,250", "12,3456")
    for i, cell in enumerate(cells):
        try:
            values[i] = to_float(cell)
            continue
        except ValueError:
            pass
        text = cell.strip()
        if is_missing(text):
            values[i] = np.nan
            continue
        if decimal_comma and "," in text:
            try:
                values[i] = strict_float(text.replace(",", "."))
            except ValueError:
                pass
            else:
                if _THOUSANDS.match(text):
                    doubtful.append(i)
                else:
                    decided = True
                continue
        values[i] = np.nan
        invalid[i] = True
    n_invalid = int(invalid.sum())
    n_numbers = n - int(np.isnan(values).sum())
    if n_invalid and n_invalid >= n_numbers:
        return None
    note = None
    if doubtful and not decided:
        first = doubtful[0]
        example = shorten(cells[first].strip())
        count = len(doubtful)
        such = f"{count} values such as {example!r} were" if count > 1 else f"{example!r} was"
        note = (
            f"column {shorten(name)}: {such} read with a decimal comma ({values[first]:g}, "
            f"first on line {int(line_numbers[first])}); if the comma separates thousands "
            f"({values[first] * 1000:g}), convert the file"
        )
    if n_invalid == 0:
        return NumericColumn(values, note=note)
    first = int(np.argmax(invalid))
    return NumericColumn(
        values, invalid, (int(line_numbers[first]), cells[first].strip()), note=note
    )


# A number that reads as well with a thousands separator as with a decimal comma: "1,250".
_THOUSANDS = re.compile(r"^[+-]?[1-9][0-9]{0,2},[0-9]{3}$", re.ASCII)
