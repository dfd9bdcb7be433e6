"""Exceptions raised when a user's file cannot be used.

Every message is one line that names the file and says what is wrong with it, so the command line
can print it after ``gmm-fit: error:`` and the window can show it in a message box as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Longest piece of a file's own text (a cell, a name, a list of names) quoted in a message.
MAX_QUOTED_CHARS = 200


_LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\x0b": "\\v", "\x0c": "\\f",
                              "\x1c": " ", "\x1d": " ", "\x1e": " ", "\x85": " ",
                              "\u2028": " ", "\u2029": " "})


def shorten(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """``text`` on one line (line breaks shown as ``\\n``), cut to at most ``limit`` characters.

    A cut text ends in ``...``.
    """
    text = text.translate(_LINE_BREAKS)
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


def quoted(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """``repr`` of ``text`` shortened for a message (see :func:`shorten`)."""
    return repr(shorten(text, limit))


def name_list(items: Iterable[str], limit: int = MAX_QUOTED_CHARS) -> str:
    """Names separated by commas for a message, ``"(none)"`` if none; long lists are cut.

    A cut list ends with how many names there are, e.g. ``"a, b, c, ... (100000 in all)"``.
    """
    items = [str(item) for item in items]
    text = (", ".join(items) or "(none)").translate(_LINE_BREAKS)
    if len(text) <= limit:
        return text
    return f"{shorten(text, limit)} ({len(items)} in all)"


class DataError(ValueError):
    """A data or parameter file cannot be used; the message names the file and the problem."""


class ColumnChoiceRequired(DataError):
    """The table has more than two numeric columns and the caller must choose one or two.

    Parameters
    ----------
    path : str
        The file, as given by the user.
    numeric_columns : sequence of str
        The names of the numeric columns the user can choose from, in file order.
    """

    def __init__(self, path: str, numeric_columns: Sequence[str]) -> None:
        self.path = path
        self.numeric_columns = tuple(numeric_columns)
        names = name_list(self.numeric_columns)
        super().__init__(
            f"{path}: {len(self.numeric_columns)} numeric columns ({names}); "
            "choose one or two of them"
        )


class ParameterFileError(DataError):
    """A mixture parameter file (JSON) is malformed or does not fit the data."""
