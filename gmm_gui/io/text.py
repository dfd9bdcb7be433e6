"""Text tables: decoding, sniffing the layout, tokenising and parsing into columns.

Files are read as users have them: separated by commas, tabs, semicolons or runs of whitespace
(sniffed from the first lines), with or without a header, UTF-8 with or without a byte-order mark
(UTF-16 with a BOM and, failing UTF-8, Windows-1252 are accepted too), LF, CRLF or CR line ends;
blank lines and lines starting with ``#`` are skipped. R exports (``write.csv``): a quoted header
whose first name is empty marks a row-name column, which is skipped (so is the row-name column of
``write.table``, whose header has one name fewer than the rows); ``NA`` and empty cells are
missing values.

What a cell means (a number, a missing value) is in :mod:`gmm_gui.io.cells`; see
:mod:`gmm_gui.io.dataset` for which columns count as numbers and how rows are numbered.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

import numpy as np

from gmm_gui.io.cells import DECIMAL_COMMA as _DECIMAL_COMMA
from gmm_gui.io.cells import MISSING_VALUES, to_numbers
from gmm_gui.io.cells import is_missing as _is_missing
from gmm_gui.io.cells import is_number as _is_number
from gmm_gui.io.cells import odd_infinity as _odd_infinity
from gmm_gui.io.columns import Columns, NumericColumn, read_only
from gmm_gui.io.columns import fields as _fields
from gmm_gui.io.columns import names as _names
from gmm_gui.io.errors import DataError

__all__ = ["decode", "parse_text"]

_SNIFF_LINES = 200  # lines after the first used to find the delimiter, header and quoting
_DELIMITERS = ("\t", ";", ",")  # in order of preference; whitespace (None) is tried last
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", None: "whitespace"}


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


def decode(raw: bytes, shown: str) -> str:
    """Bytes to text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252; refuse binary.

    ``shown`` names the file in the :class:`DataError` raised for binary data.
    """
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


def _quote_open_after(line: str, inside: bool = False) -> bool:
    """Whether a quoted field is still open at the end of ``line`` (given the state before it).

    As CSV has it: a quote opens a field only at its start (after a separator and spaces), a
    doubled quote inside is a quote, and a quote elsewhere in an unquoted field is a character.
    """
    i, n = 0, len(line)
    at_start = not inside
    while i < n:
        c = line[i]
        if inside:
            if c == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 2
                    continue
                inside = False
            at_start = False
        else:
            if c == '"' and at_start:
                inside = True
            at_start = c in ",;\t "
        i += 1
    return inside


def _join_quoted_lines(
    lines: list[str], numbers: list[int] | None = None
) -> tuple[list[str], list[int]] | None:
    """Lines joined into records where a quoted field holds a line break; None if none does.

    ``numbers`` are the lines' 1-based numbers (default 1, 2, ...); a record keeps the number
    of its first line. A quote still open at the end of the text joins nothing (the careful
    reader then reports the line where it opened).
    """
    odd = [i for i, line in enumerate(lines) if line.count('"') & 1]
    if not odd or not any(_quote_open_after(lines[i]) for i in odd):
        return None
    numbers = list(range(1, len(lines) + 1)) if numbers is None else numbers
    records: list[str] = []
    record_numbers: list[int] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        j = i
        if line.count('"') & 1 and _quote_open_after(line):
            inside, parts = True, [line]
            while inside and j + 1 < n:
                j += 1
                parts.append(lines[j])
                inside = _quote_open_after(lines[j], inside)
            if inside:  # never closed: leave the lines as they are
                j = i
            else:
                line = "\n".join(parts)
        records.append(line)
        record_numbers.append(numbers[i])
        i = j + 1
    return records, record_numbers


def _head_lines(text: str, limit: int) -> list[tuple[int, int, str]]:
    """The first ``limit`` records holding data: (1-based line number, end offset, text).

    A record is a line, or several when a quoted field holds a line break.
    """
    found: list[tuple[int, int, str]] = []
    start = 0
    number = 0
    size = len(text)
    while start < size and len(found) < limit:
        end = text.find("\n", start)
        end = size if end < 0 else end
        number += 1
        first = number
        line = text[start:end]
        if line.count('"') & 1 and _quote_open_after(line):
            inside, stop, extra = True, end, 0
            while inside and stop < size:
                nxt = text.find("\n", stop + 1)
                nxt = size if nxt < 0 else nxt
                inside = _quote_open_after(text[stop + 1 : nxt], inside)
                stop, extra = nxt, extra + 1
            if not inside:
                end, number = stop, number + extra
                line = text[start:end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append((first, min(end + 1, size), line))
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


def parse_text(text: str, shown: str) -> Columns:
    """Parse the text of a table into its columns.

    Parameters
    ----------
    text : str
        The decoded file (see :func:`decode`).
    shown : str
        The file, for messages.

    Raises
    ------
    DataError
        Empty file, header only, ragged rows (with the line number), an unclosed quote, no
        numeric column.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = _layout(text, shown)
    names = _column_names(layout)
    body = text[layout.data_start :]
    where = "with a header" if layout.header is not None else "without a header"
    description = f"{_DELIMITER_NAMES[layout.delimiter]}-separated text {where}"
    fast = _fast_numeric(body, layout, names)
    numeric: dict[str, NumericColumn] = {}
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
                numeric[name] = NumericColumn(values)
    else:
        n_rows, numeric, labels, empty = _slow_parse(body, layout, names, shown)
    if n_rows == 0:
        raise DataError(f"{shown}: has a header but no data rows")
    if not numeric:
        what = f"every column holds text ({_names(labels)})" if labels else "every cell is missing"
        raise DataError(f"{shown}: no numeric column; {what}")
    return Columns(n_rows, numeric, labels, description, tuple(empty))


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
    if _odd_infinity(body):
        return None  # NumPy reads "iNfInItY"; the careful reader refuses it
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


def _data_lines(
    body: str, lines: list[str], first_line: int, numbers: list[int] | None = None
) -> tuple[list[str], np.ndarray]:
    """The lines (or records) that hold data, blank and comment lines left out, and their numbers.

    ``numbers`` are the 1-based line numbers of ``lines`` (default: consecutive from
    ``first_line``).
    """
    # Filter blank and comment lines only if there may be some (a quick test on the text).
    if numbers is None and not (
        "#" in body or "" in lines or "\n " in body or "\n\t" in body or body[:1] in " \t"
    ):
        return lines, np.arange(first_line, first_line + len(lines), dtype=np.int64)
    if numbers is None:
        numbers = list(range(first_line, first_line + len(lines)))
    kept = [
        (number, line)
        for number, line in zip(numbers, lines, strict=True)
        if line.strip() and line.lstrip()[0] != "#"
    ]
    return [line for _, line in kept], np.array([n for n, _ in kept], dtype=np.int64)


def _slow_parse(
    body: str, layout: _Layout, names: list[str], shown: str
) -> tuple[int, dict[str, NumericColumn], dict[str, np.ndarray], list[str]]:
    """Parse any text table cell by cell, with line numbers for every complaint."""
    first_line = layout.header_line + 1
    with _no_gc():
        if body.endswith("\n"):
            body = body[:-1]
        raw_lines = body.split("\n")
        lines, numbers = _data_lines(body, raw_lines, first_line)
        try:
            rows = _split_rows(lines, layout.delimiter)
        except csv.Error as exc:
            raise DataError(f"{shown}: cannot be split into fields ({exc})") from None
        if len(rows) != len(lines):
            # A quoted field holds a line break (csv joined lines), or a quote is not closed:
            # make records of the lines first, then split again.
            joined = _join_quoted_lines(
                raw_lines, list(range(first_line, first_line + len(raw_lines)))
            )
            if joined is not None:
                lines, numbers = _data_lines(body, joined[0], first_line, joined[1])
                try:
                    rows = _split_rows(lines, layout.delimiter)
                except csv.Error as exc:
                    raise DataError(f"{shown}: cannot be split into fields ({exc})") from None
        del raw_lines
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
    numeric: dict[str, NumericColumn] = {}
    labels: dict[str, np.ndarray] = {}
    empty: list[str] = []
    for j, name in enumerate(names):
        if not name:
            continue  # the row-name column
        cells = columns[j]
        if j not in layout.quoted_columns:
            column = to_numbers(cells, layout.decimal_comma, numbers, name)
            if column is not None:
                if column.invalid is None and np.isnan(column.values).all():
                    empty.append(name)
                else:
                    numeric[name] = column
                continue
        text = ["" if _is_missing(c.strip()) else c for c in cells]
        if any(text):
            labels[name] = read_only(np.array(text, dtype=str))
        else:
            empty.append(name)
    return len(numbers), numeric, labels, empty
