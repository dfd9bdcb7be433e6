"""Exceptions raised when a user's file cannot be used.

Every message is one line that names the file and says what is wrong with it, so the command line
can print it after ``gmm-fit: error:`` and the window can show it in a message box as it is.
"""

from __future__ import annotations

from collections.abc import Sequence


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
        names = ", ".join(self.numeric_columns)
        super().__init__(
            f"{path}: {len(self.numeric_columns)} numeric columns ({names}); "
            "choose one or two of them"
        )


class ParameterFileError(DataError):
    """A mixture parameter file (JSON) is malformed or does not fit the data."""
