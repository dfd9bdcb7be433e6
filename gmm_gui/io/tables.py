"""Reading a user's data file into a :class:`Dataset`.

Files are read as users have them:

* text tables separated by commas, tabs, semicolons or runs of whitespace (sniffed from the first
  lines), with or without a header, UTF-8 with or without a byte-order mark (UTF-16 with a BOM
  and, failing UTF-8, Windows-1252 are accepted too), LF, CRLF or CR line ends; blank lines and
  lines starting with ``#`` are skipped;
* R exports (``write.csv``): a quoted header whose first name is empty marks a row-name column,
  which is skipped (so is the row-name column of ``write.table``, whose header has one name fewer
  than the rows); ``NA`` and empty cells are missing values;
* NumPy ``.npy`` and ``.npz`` files, recognised by their content, always loaded with
  ``allow_pickle=False``: a user's file is data and is never unpickled.

Which columns are numbers
-------------------------
A column is *numeric* when most of its non-missing cells are numbers; a cell that is text in a
numeric column (a typo such as ``7O``) makes its row unusable, and the row is dropped and reported
if that column is chosen. Every other column is a *label* column, kept as text aside the data.
When a file quotes some cells and not others (R, Python's ``QUOTE_NONNUMERIC``), the quotes carry
the type: a quoted column is a label column even if its values look like numbers, such as
``"001"`` in Galton's ``family`` column. When every cell is quoted, the quotes say nothing and the
content decides.

Rows and their index
--------------------
A data row is a line after the header that is neither blank nor a comment. Rows are numbered from
0 in file order; :attr:`Dataset.row_index` gives that number for each kept row (for an R export it
is the row name minus one), so results can be joined back to the file.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from gmm_gui.io.errors import ColumnChoiceRequired, DataError

__all__ = [
    "MISSING_VALUES",
    "Dataset",
    "Table",
    "TableInfo",
    "inspect_table",
    "load_dataset",
    "read_table",
]

#: Cell contents (after stripping spaces) read as a missing value. Any spelling of NaN is too.
MISSING_VALUES: frozenset[str] = frozenset({"", "NA", "N/A", "#N/A", "NULL", "null", "NaN", "nan"})

_SNIFF_LINES = 200  # lines after the first used to find the delimiter, header and quoting
_DELIMITERS = ("\t", ";", ",")  # in order of preference; whitespace (None) is tried last
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", None: "whitespace"}
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


# --------------------------------------------------------------------------------------------
# Public results


@dataclass(frozen=True)
class TableInfo:
    """What a file offers, before any column is chosen (for a column picker).

    Attributes
    ----------
    path : str
        The file, as given.
    numeric_columns : tuple of str
        Names of the columns that can be fitted, in file order.
    label_columns : tuple of str
        Names of the text columns (species, sex, ...), in file order.
    n_rows : int
        Number of data rows in the file, before any is dropped.
    """

    path: str
    numeric_columns: tuple[str, ...]
    label_columns: tuple[str, ...]
    n_rows: int


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (it holds arrays)
class Dataset:
    """The data chosen from a file, ready to fit.

    Attributes
    ----------
    values : array of shape (n_samples, n_features)
        The chosen columns as float64, rows with a missing, infinite or non-numeric value in any
        chosen column removed. Read-only.
    columns : tuple of str
        Names of the chosen columns; ``len(columns) == n_features``.
    all_numeric_columns : tuple of str
        Every numeric column of the file (what a column picker offers).
    labels : mapping of str to array of shape (n_samples,)
        Each label (text) column of the file, as strings, aligned with ``values``; a missing
        label is ``""``.
    row_index : array of shape (n_samples,)
        0-based position of each kept row among the file's data rows (header, blank and comment
        lines not counted). Read-only.
    n_rows : int
        Number of data rows in the file.
    n_dropped : int
        Number of rows removed (``n_rows - n_samples``).
    drop_reasons : tuple of str
        Sentences saying why rows were removed, e.g.
        ``"3 rows with a missing value (NA or empty) in height"``. A row may be counted under
        several reasons; ``n_dropped`` counts it once.
    path : str
        The file, as given.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    all_numeric_columns: tuple[str, ...]
    labels: Mapping[str, np.ndarray]
    row_index: np.ndarray
    n_rows: int
    n_dropped: int
    drop_reasons: tuple[str, ...]
    path: str

    @property
    def n_samples(self) -> int:
        """Number of usable rows."""
        return int(self.values.shape[0])

    @property
    def n_features(self) -> int:
        """Number of chosen columns (1 or 2 for the window, any for the command line)."""
        return int(self.values.shape[1])

    @property
    def name(self) -> str:
        """The file name without its folder, for titles."""
        return Path(self.path).name


@dataclass(frozen=True)
class _Numeric:
    """One numeric column: values with NaN where a cell is missing or text."""

    values: np.ndarray  # (n_rows,) float64
    invalid: np.ndarray | None = None  # (n_rows,) bool: text in a numeric column, or None
    first_invalid: tuple[int, str] | None = None  # (line number, text) of the first such cell


@dataclass(frozen=True, eq=False)
class Table:
    """A file read in full: every numeric and label column, nothing chosen or dropped yet.

    Use :func:`read_table` to make one, :meth:`info` to list what it offers and :meth:`select`
    to choose columns, so a window that shows a column picker reads the file only once.
    """

    path: str
    n_rows: int
    numeric_columns: tuple[str, ...]
    label_columns: tuple[str, ...]
    _numeric: Mapping[str, _Numeric] = field(repr=False)
    _labels: Mapping[str, np.ndarray] = field(repr=False)
    description: str = ""  # e.g. "comma-separated text with a header"
    empty_columns: tuple[str, ...] = ()  # columns where every cell is missing

    def info(self) -> TableInfo:
        """Return the columns the file offers and its number of rows."""
        return TableInfo(self.path, self.numeric_columns, self.label_columns, self.n_rows)

    def resolve_columns(self, columns: Sequence[str] | None) -> tuple[str, ...]:
        """Check a choice of columns against the file and return the names it refers to.

        Parameters
        ----------
        columns : sequence of str or None
            Column names. A number ``j`` also refers to ``"column j"`` (the names a file without
            a header gets). ``None`` chooses all numeric columns when there are one or two.

        Raises
        ------
        ColumnChoiceRequired
            If ``columns`` is None and the file has more than two numeric columns.
        DataError
            If a name is unknown, not numeric, repeated, or no column is chosen.
        """
        known = self.numeric_columns
        if columns is None:
            if len(known) > 2:
                raise ColumnChoiceRequired(self.path, known)
            return known
        if isinstance(columns, str):
            raise TypeError("columns must be a sequence of names, not one string")
        if len(columns) == 0:
            raise DataError(f"{self.path}: no column chosen; numeric columns: {_names(known)}")
        chosen: list[str] = []
        for name in columns:
            resolved = self._resolve_one(str(name))
            if resolved in chosen:
                raise DataError(f"{self.path}: column {resolved!r} is chosen twice")
            chosen.append(resolved)
        return tuple(chosen)

    def _resolve_one(self, name: str) -> str:
        known = self.numeric_columns
        if name in known:
            return name
        stripped = name.strip()
        if stripped in known:
            return stripped
        if stripped.isdigit() and f"column {int(stripped)}" in known:
            return f"column {int(stripped)}"
        if stripped in self.empty_columns:
            raise DataError(
                f"{self.path}: column {stripped!r} has no values (every cell is missing); "
                f"numeric columns: {_names(known)}"
            )
        if stripped in self.label_columns:
            raise DataError(
                f"{self.path}: column {stripped!r} holds text, not numbers; "
                f"numeric columns: {_names(known)}"
            )
        folded = [k for k in known if k.casefold() == stripped.casefold()]
        hint = f" (did you mean {folded[0]!r}?)" if folded else ""
        raise DataError(
            f"{self.path}: no numeric column {stripped!r}{hint}; numeric columns: {_names(known)}"
        )

    def select(self, columns: Sequence[str] | None = None) -> Dataset:
        """Choose columns and drop the rows that cannot be used.

        Parameters
        ----------
        columns : sequence of str or None
            See :meth:`resolve_columns`.

        Returns
        -------
        Dataset

        Raises
        ------
        ColumnChoiceRequired, DataError
            See :meth:`resolve_columns`; also ``DataError`` when fewer than 2 rows are usable.
        """
        chosen = self.resolve_columns(columns)
        n_rows = self.n_rows
        values = np.empty((n_rows, len(chosen)), dtype=np.float64)
        drop = np.zeros(n_rows, dtype=bool)
        reasons: list[str] = []
        for j, name in enumerate(chosen):
            column = self._numeric[name]
            values[:, j] = column.values
            invalid = column.invalid
            nan = np.isnan(column.values)
            missing = nan if invalid is None else nan & ~invalid
            infinite = np.isinf(column.values)
            if (count := int(missing.sum())) > 0:
                reasons.append(f"{_rows(count)} with a missing value (NA or empty) in {name}")
            if (count := int(infinite.sum())) > 0:
                reasons.append(f"{_rows(count)} with an infinite value in {name}")
            if invalid is not None and (count := int(invalid.sum())) > 0:
                line, text = column.first_invalid or (0, "")
                reasons.append(
                    f"{_rows(count)} with text instead of a number in {name} "
                    f"(first on line {line}: {text!r})"
                )
            drop |= nan | infinite
        keep = ~drop
        n_kept = int(keep.sum())
        if n_kept < 2:
            why = f" ({'; '.join(reasons)})" if reasons else ""
            raise DataError(
                f"{self.path}: fewer than 2 usable rows in {_names(chosen)}: "
                f"{n_kept} of {n_rows}{why}"
            )
        if n_kept == n_rows:
            kept_values = values
            row_index = np.arange(n_rows, dtype=np.int64)
            labels = dict(self._labels)
        else:
            kept_values = values[keep]
            row_index = np.flatnonzero(keep).astype(np.int64)
            labels = {name: _read_only(text[keep]) for name, text in self._labels.items()}
        return Dataset(
            values=_read_only(kept_values),
            columns=chosen,
            all_numeric_columns=self.numeric_columns,
            labels=labels,
            row_index=_read_only(row_index),
            n_rows=n_rows,
            n_dropped=n_rows - n_kept,
            drop_reasons=tuple(reasons),
            path=self.path,
        )


def read_table(path: str | Path, *, array: str | None = None) -> Table:
    """Read a whole data file, without choosing columns.

    Parameters
    ----------
    path : str or path-like
        A text table, ``.npy`` or ``.npz`` file (recognised by content, not by name).
    array : str, optional
        For an ``.npz`` file, the name of the array to read; by default the first numeric one.

    Returns
    -------
    Table

    Raises
    ------
    DataError
        One line naming the file and the problem: missing file, empty file, header only, no
        numeric column, binary data, ragged rows (with the line number), pickled objects, ...
    """
    shown = str(path)
    raw = _read_bytes(Path(path), shown)
    if raw.startswith(_NPY_MAGIC):
        return _table_from_array(_load_npy(raw, shown), shown, "NumPy .npy array")
    if raw.startswith(_ZIP_MAGICS):
        arr, name = _load_npz(raw, shown, array)
        return _table_from_array(arr, shown, f"array {name!r} of a NumPy .npz file")
    if array is not None:
        raise DataError(f"{shown}: is not an .npz file, so it has no array {array!r}")
    return _parse_text(_decode(raw, shown), shown)


def inspect_table(path: str | Path, *, array: str | None = None) -> TableInfo:
    """List the numeric and label columns of a file without choosing any.

    See :func:`read_table` for the parameters and errors.
    """
    return read_table(path, array=array).info()


def load_dataset(
    path: str | Path, columns: Sequence[str] | None = None, *, array: str | None = None
) -> Dataset:
    """Read a data file and return the chosen numeric columns, unusable rows dropped.

    Parameters
    ----------
    path : str or path-like
        A text table, ``.npy`` or ``.npz`` file.
    columns : sequence of str, optional
        Names of the columns to fit. By default the file's numeric columns if there are one or
        two (one gives 1-D data, two give 2-D data).
    array : str, optional
        For an ``.npz`` file, the array to read (default: the first numeric one).

    Returns
    -------
    Dataset

    Raises
    ------
    ColumnChoiceRequired
        If ``columns`` is not given and the file has more than two numeric columns; it carries
        their names in ``numeric_columns``.
    DataError
        If the file cannot be read or used; the message names the file and the problem.
    """
    return read_table(path, array=array).select(columns)


# --------------------------------------------------------------------------------------------
# Small helpers


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _fields(count: int) -> str:
    return f"{count} field" if count == 1 else f"{count} fields"


def _names(names: Iterable[str]) -> str:
    return ", ".join(names) or "(none)"


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector while millions of small lists are made (several times faster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{shown}: is a folder, not a file") from None
    except PermissionError:
        raise DataError(f"{shown}: permission denied") from None
    except OSError as exc:
        raise DataError(f"{shown}: cannot be read ({exc.strerror or exc})") from None


def _decode(raw: bytes, shown: str) -> str:
    """Bytes to text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252; refuse binary."""
    try:
        if raw.startswith(codecs.BOM_UTF8):
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise DataError(f"{shown}: not readable as text (bad byte at offset {exc.start})") from None
    head = raw[:65536]
    if b"\x00" in head:
        raise DataError(f"{shown}: binary data, not a text table, .npy or .npz file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        control = len(head.translate(None, _TEXT_BYTES))
        if control > 0.01 * len(head):
            raise DataError(f"{shown}: binary data, not a text table, .npy or .npz file") from None
        return raw.decode("cp1252", errors="replace")


# Bytes that plain text may hold; whatever is left after deleting them counts as "control".
_TEXT_BYTES = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13))


# --------------------------------------------------------------------------------------------
# NumPy files


def _load_npy(raw: bytes, shown: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{shown}: holds Python objects, which gmm-gui does not unpickle; "
                "save a numeric array instead"
            ) from None
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None


def _load_npz(raw: bytes, shown: str, array: str | None) -> tuple[np.ndarray, str]:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            names = list(archive.files)
            if not names:
                raise DataError(f"{shown}: holds no arrays")
            if array is not None:
                if array not in names:
                    raise DataError(f"{shown}: has no array {array!r}; arrays: {_names(names)}")
                return _npz_member(archive, array, shown), array
            for name in names:
                try:
                    candidate = archive[name]
                except ValueError:  # an object array: never unpickled, skipped
                    continue
                if candidate.dtype.kind in "biuf" or candidate.dtype.names:
                    return candidate, name
            raise DataError(f"{shown}: holds no numeric array; arrays: {_names(names)}")
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"{shown}: not a valid .npz file ({exc})") from None


def _npz_member(archive: Mapping[str, np.ndarray], name: str, shown: str) -> np.ndarray:
    try:
        return archive[name]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{shown}: array {name!r} holds Python objects, which gmm-gui does not unpickle"
            ) from None
        raise


def _table_from_array(arr: np.ndarray, shown: str, what: str) -> Table:
    numeric: dict[str, _Numeric] = {}
    labels: dict[str, np.ndarray] = {}
    if arr.dtype.names:  # a structured array: its fields are named columns
        if arr.ndim != 1:
            raise DataError(f"{shown}: {what} has shape {arr.shape}; expected one row per point")
        for name in arr.dtype.names:
            column = arr[name]
            if column.ndim != 1:
                continue
            if column.dtype.kind in "biuf":
                numeric[name] = _Numeric(column.astype(np.float64))
            elif column.dtype.kind in "US":
                labels[name] = _read_only(column.astype(str))
        n_rows = arr.shape[0]
    else:
        if arr.dtype.kind not in "biuf":
            raise DataError(f"{shown}: {what} holds {arr.dtype} values, not real numbers")
        if arr.ndim == 1:
            arr = arr[:, np.newaxis]
        if arr.ndim != 2:
            raise DataError(f"{shown}: {what} has shape {arr.shape}; expected 1-D or 2-D")
        n_rows = arr.shape[0]
        data = np.asarray(arr, dtype=np.float64)
        for j in range(data.shape[1]):
            numeric[f"column {j + 1}"] = _Numeric(np.ascontiguousarray(data[:, j]))
    if n_rows == 0:
        raise DataError(f"{shown}: {what} holds no rows (shape {arr.shape})")
    if not numeric:
        raise DataError(f"{shown}: {what} has no numeric column")
    return Table(shown, n_rows, tuple(numeric), tuple(labels), numeric, labels, what)


# --------------------------------------------------------------------------------------------
# Text tables


class _QuoteError(ValueError):
    pass


def _tokenize(line: str, delimiter: str | None) -> list[tuple[str, bool]]:
    """Split one line into ``(text, was_quoted)`` fields; ``delimiter=None`` is runs of spaces.

    Used only on the first lines, to learn the layout; the bulk is split by faster means.
    """
    fields: list[tuple[str, bool]] = []
    if delimiter is None:
        line = line.strip()
    n = len(line)
    i = 0
    while True:
        while i < n and line[i] in " \t" and line[i] != delimiter:
            i += 1
        if i < n and line[i] == '"':
            parts = []
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    raise _QuoteError("a quote is not closed")
                parts.append(line[j:k])
                if k + 1 < n and line[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                j = k + 1
                break
            if delimiter is not None:
                while j < n and line[j] in " \t" and line[j] != delimiter:
                    j += 1
            fields.append(("".join(parts), True))
            i = j
            if i < n and line[i] != delimiter and (delimiter is not None or line[i] not in " \t"):
                raise _QuoteError("text after a closing quote")
        else:
            if delimiter is None:
                match = _SPACE.search(line, i)
                k = match.start() if match else n
            else:
                k = line.find(delimiter, i)
                k = n if k < 0 else k
            fields.append((line[i:k].strip(), False))
            i = k
        if i >= n:
            return fields
        if delimiter is None:
            i = _SPACE.match(line, i).end()  # type: ignore[union-attr]
        else:
            i += 1
            if i == n:
                fields.append(("", False))
                return fields


_SPACE = re.compile(r"[ \t]+")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_missing(text: str) -> bool:
    return text in MISSING_VALUES or (text.lower() == "nan")


@dataclass
class _Layout:
    """What the first lines say about the file."""

    delimiter: str | None
    header: list[str] | None  # names as written, or None when the file has no header
    n_fields: int  # fields per data row
    header_line: int  # 1-based line number of the header (0: none)
    data_start: int  # offset in the text of the first line after the header
    row_names: bool  # first field of each row is a row name (R), skipped
    drop_last: bool  # a trailing delimiter on every row made an empty last field
    quoted_columns: frozenset[int]  # columns that are text because they are quoted
    decimal_comma: bool


def _head_lines(text: str, limit: int) -> list[tuple[int, int, str]]:
    """The first ``limit`` lines holding data: (1-based line number, end offset, text)."""
    found: list[tuple[int, int, str]] = []
    start = 0
    number = 0
    size = len(text)
    while start < size and len(found) < limit:
        end = text.find("\n", start)
        end = size if end < 0 else end
        number += 1
        line = text[start:end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append((number, min(end + 1, size), line))
        start = end + 1
    return found


def _sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that gives every data line the same number (> 1) of fields."""
    data = lines[1:] or lines
    best: tuple[float, str | None] = (-1.0, None)
    for delimiter in (*_DELIMITERS, None):
        try:
            counts = [len(_tokenize(line, delimiter)) for line in data]
            first = len(_tokenize(lines[0], delimiter))
        except _QuoteError:
            continue
        # The commonest field count; a tie (two data lines, one ragged) goes to the larger.
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        if mode < 2:
            continue
        agree = counts.count(mode) / len(counts)
        if agree == 1.0 and first in (mode, mode - 1):
            return delimiter
        if agree > best[0]:
            best = (agree, delimiter)
    return best[1]


def _layout(text: str, shown: str) -> _Layout:
    head = _head_lines(text, _SNIFF_LINES + 1)
    if not head:
        raise DataError(f"{shown}: empty file (no data lines)")
    lines = [line for _, _, line in head]
    delimiter = _sniff_delimiter(lines)
    try:
        rows = [_tokenize(line, delimiter) for line in lines]
    except _QuoteError as exc:
        bad = next(n for n, _, line in head if _quote_error(line, delimiter))
        raise DataError(f"{shown}: line {bad}: {exc}") from None
    data = rows[1:]
    cells = [cell for row in data for cell in row]
    typed_quotes = any(q for _, q in cells) and any(
        not q and not _is_missing(t) for t, q in cells
    )
    n_fields = max(set(map(len, data)), key=[len(r) for r in data].count) if data else len(rows[0])

    def column_cells(j: int) -> list[tuple[str, bool]]:
        return [row[j] for row in data if j < len(row)]

    quoted = frozenset(
        j for j in range(n_fields) if typed_quotes and any(q for _, q in column_cells(j))
    )
    decimal_comma = delimiter == ";" and any(
        _DECIMAL_COMMA.match(t) for t, q in cells if not q
    )

    def number(text: str) -> bool:
        return _is_number(text) or (decimal_comma and _is_number(text.replace(",", ".")))

    def looks_numeric(j: int) -> bool:
        if j in quoted:
            return False
        values = [t for t, _ in column_cells(j) if not _is_missing(t)]
        numbers = sum(map(number, values))
        return numbers > 0 and numbers > len(values) - numbers

    # The first line is a header when it has text above a numeric column, or when it holds
    # text and no number at all (a header over text columns only, or with no data below it).
    first = rows[0]
    first_is_text = [
        not _is_missing(t) and (not number(t) or (typed_quotes and q)) for t, q in first
    ]
    first_has_number = any(
        not _is_missing(t) and not text
        for (t, _), text in zip(first, first_is_text, strict=True)
    )
    header = (
        any(first_is_text[j] and looks_numeric(j) for j in range(min(len(first), n_fields)))
        or (any(first_is_text) and not first_has_number
            and not any(map(looks_numeric, range(n_fields))))
    )
    if header and not data:
        raise DataError(f"{shown}: has a header (line {head[0][0]}) but no data rows")

    row_names = drop_last = False
    names: list[str] | None = None
    if header:
        names = [t for t, _ in first]
        data_fields = len(data[0])
        if len(names) == data_fields - 1:
            last = column_cells(data_fields - 1)
            if all(t == "" for t, _ in last):
                drop_last = True
            else:
                row_names = True
                names = ["", *names]
        elif names and names[0] == "":
            row_names = True
    header_line = head[0][0] if header else 0
    data_start = head[0][1] if header else 0
    return _Layout(
        delimiter=delimiter,
        header=names,
        n_fields=len(first) if names is None else len(names) + drop_last,
        header_line=header_line,
        data_start=data_start,
        row_names=row_names,
        drop_last=drop_last,
        quoted_columns=quoted,
        decimal_comma=decimal_comma,
    )


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$")


def _quote_error(line: str, delimiter: str | None) -> bool:
    try:
        _tokenize(line, delimiter)
    except _QuoteError:
        return True
    return False


def _column_names(layout: _Layout) -> list[str]:
    """Final, unique names of the fields of a data row ('' for a skipped row-name field)."""
    count = layout.n_fields - layout.drop_last
    if layout.header is None:
        return [f"column {j + 1}" for j in range(count)]
    names: list[str] = []
    seen: set[str] = set()
    for j, raw in enumerate(layout.header[:count]):
        if j == 0 and layout.row_names:
            names.append("")
            continue
        name = raw.strip() or f"column {j + 1}"
        base, n = name, 2
        while name in seen:
            name = f"{base} ({n})"
            n += 1
        seen.add(name)
        names.append(name)
    return names


def _parse_text(text: str, shown: str) -> Table:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = _layout(text, shown)
    names = _column_names(layout)
    body = text[layout.data_start :]
    where = "with a header" if layout.header is not None else "without a header"
    description = f"{_DELIMITER_NAMES[layout.delimiter]}-separated text {where}"
    fast = _fast_numeric(body, layout, names)
    numeric: dict[str, _Numeric] = {}
    labels: dict[str, np.ndarray] = {}
    empty: list[str] = []
    if fast is not None:
        n_rows = fast.shape[0]
        for j, name in enumerate(names):
            if not name:
                continue  # the row-name column
            values = np.ascontiguousarray(fast[:, j])
            if np.isnan(values).all():
                empty.append(name)
            else:
                numeric[name] = _Numeric(values)
    else:
        n_rows, numeric, labels, empty = _slow_parse(body, layout, names, shown)
    if n_rows == 0:
        raise DataError(f"{shown}: has a header but no data rows")
    if not numeric:
        what = f"every column holds text ({_names(labels)})" if labels else "every cell is missing"
        raise DataError(f"{shown}: no numeric column; {what}")
    return Table(
        shown, n_rows, tuple(numeric), tuple(labels), numeric, labels, description, tuple(empty)
    )


def _fast_numeric(body: str, layout: _Layout, names: list[str]) -> np.ndarray | None:
    """All-numeric tables (the big ones) parsed by NumPy's C reader; None if it cannot.

    A table whose only non-numbers are missing-value cells (``NA``, empty, ...) gets them
    replaced by ``nan`` in the text first, with plain string replacements (fast), when its
    separator is a single character.
    """
    if layout.quoted_columns - ({0} if layout.row_names else set()) or layout.decimal_comma:
        return None
    if layout.drop_last or not body.strip():
        return None
    if layout.delimiter is not None:
        body = _fill_missing(body, layout.delimiter)
    data = _loadtxt(body, layout.delimiter)
    if data is None or (data.shape[0] and data.shape[1] != len(names)):
        return None  # text, blank-looking lines, ragged rows: the careful reader says which
    return data


def _loadtxt(body: str, delimiter: str | None) -> np.ndarray | None:
    try:
        return np.loadtxt(
            io.StringIO(body),
            dtype=np.float64,
            delimiter=delimiter,
            quotechar='"',
            comments=None,
            ndmin=2,
        )
    except ValueError:
        return None


def _fill_missing(body: str, delimiter: str) -> str:
    """Replace every missing-value cell that ``float()`` cannot read by ``nan``.

    Cells are delimited by ``delimiter``, a line end, or the start or end of the text.
    """
    d = delimiter
    for token in sorted(MISSING_VALUES - {"NaN", "nan"}, key=len, reverse=True):
        if token and token not in body:
            continue
        if not token and not (
            f"{d}{d}" in body or f"{d}\n" in body or f"\n{d}" in body
            or body.startswith(d) or body.endswith(d)
        ):
            continue
        for _ in range(2):  # a run like ",NA,NA," needs two passes (matches do not overlap)
            body = body.replace(f"{d}{token}{d}", f"{d}nan{d}")
        body = body.replace(f"{d}{token}\n", f"{d}nan\n").replace(f"\n{token}{d}", f"\nnan{d}")
        if body.startswith(f"{token}{d}"):
            body = "nan" + body[len(token) :]
        if body.endswith(f"{d}{token}"):
            body = body[: len(body) - len(token)] + "nan"
    return body


def _split_rows(lines: list[str], delimiter: str | None) -> list[list[str]]:
    quoted = any('"' in line for line in lines)
    if delimiter is None:
        if not quoted:
            return [line.split() for line in lines]
        lines = [line.replace("\t", " ").strip() for line in lines]
        return list(csv.reader(lines, delimiter=" ", skipinitialspace=True))
    if not quoted:
        return [line.split(delimiter) for line in lines]
    return list(csv.reader(lines, delimiter=delimiter, skipinitialspace=True))


def _slow_parse(
    body: str, layout: _Layout, names: list[str], shown: str
) -> tuple[int, dict[str, _Numeric], dict[str, np.ndarray], list[str]]:
    """Parse any text table cell by cell, with line numbers for every complaint."""
    first_line = layout.header_line + 1
    with _no_gc():
        if body.endswith("\n"):
            body = body[:-1]
        lines = body.split("\n")
        # Filter blank and comment lines only if there may be some (a quick test on the text).
        if "#" in body or "" in lines or "\n " in body or "\n\t" in body or body[:1] in " \t":
            kept = [
                (number, line)
                for number, line in enumerate(lines, start=first_line)
                if line.strip() and line.lstrip()[0] != "#"
            ]
            numbers = np.array([number for number, _ in kept], dtype=np.int64)
            lines = [line for _, line in kept]
            del kept
        else:
            numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
        try:
            rows = _split_rows(lines, layout.delimiter)
        except csv.Error as exc:
            raise DataError(f"{shown}: cannot be split into fields ({exc})") from None
        if len(rows) != len(lines):
            bad = next(n for n, line in zip(numbers, lines, strict=True) if line.count('"') % 2)
            raise DataError(f"{shown}: line {bad}: a quote is not closed on its line")
        expected = layout.n_fields
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        ragged = np.flatnonzero(lengths != expected)
        if ragged.size:
            i = int(ragged[0])
            if layout.header is not None and len(layout.header) == expected:
                like = f"the header (line {layout.header_line}) has {expected}"
            else:
                like = f"line {numbers[int(np.argmax(lengths == expected))]} has {expected}"
            raise DataError(
                f"{shown}: line {numbers[i]} has {_fields(int(lengths[i]))} but {like} "
                f"(ragged rows; read as {_DELIMITER_NAMES[layout.delimiter]}-separated)"
            )
        flat = list(chain.from_iterable(rows))
        del rows
        columns = [flat[j::expected] for j in range(expected)]
        del flat
    numeric: dict[str, _Numeric] = {}
    labels: dict[str, np.ndarray] = {}
    empty: list[str] = []
    for j, name in enumerate(names):
        if not name:
            continue  # the row-name column
        cells = columns[j]
        if j not in layout.quoted_columns:
            column = _to_numbers(cells, layout.decimal_comma, numbers)
            if column is not None:
                if column.invalid is None and np.isnan(column.values).all():
                    empty.append(name)
                else:
                    numeric[name] = column
                continue
        text = ["" if _is_missing(c.strip()) else c for c in cells]
        if any(text):
            labels[name] = _read_only(np.array(text, dtype=str))
        else:
            empty.append(name)
    return len(numbers), numeric, labels, empty


def _to_numbers(
    cells: Sequence[str], decimal_comma: bool, line_numbers: np.ndarray
) -> _Numeric | None:
    """Cells to float64, or None if the column is mostly text (a label column)."""
    n = len(cells)
    if not decimal_comma:
        try:
            return _Numeric(np.fromiter(map(float, cells), dtype=np.float64, count=n))
        except ValueError:
            pass
        cleaned = ["nan" if cell in MISSING_VALUES else cell for cell in cells]
        try:
            values = np.fromiter(map(float, cleaned), dtype=np.float64, count=n)
        except ValueError:
            pass
        else:
            return _Numeric(values)
    values = np.empty(n, dtype=np.float64)
    invalid = np.zeros(n, dtype=bool)
    for i, cell in enumerate(cells):
        try:
            values[i] = float(cell)
            continue
        except ValueError:
            pass
        text = cell.strip()
        if _is_missing(text):
            values[i] = np.nan
            continue
        if decimal_comma and "," in text:
            try:
                values[i] = float(text.replace(",", "."))
                continue
            except ValueError:
                pass
        values[i] = np.nan
        invalid[i] = True
    n_invalid = int(invalid.sum())
    n_numbers = n - int(np.isnan(values).sum())
    if n_invalid and n_invalid >= n_numbers:
        return None
    if n_invalid == 0:
        return _Numeric(values)
    first = int(np.argmax(invalid))
    return _Numeric(values, invalid, (int(line_numbers[first]), cells[first].strip()))
