"""Checks on values read from a parameter file's JSON, shared by its parts.

Each check raises the exception that ``fail(problem)`` builds, so every complaint is one line
naming the file (see :mod:`gmm_gui.io.mixture_file`).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from gmm_gui.io.errors import shorten

__all__ = ["Fail", "number_array"]

#: Builds the exception for one problem, e.g. ``ParameterFileError(f"{path}: {problem}")``.
Fail = Callable[[str], Exception]

_SHAPE_WORDS = {
    1: "a list of numbers",
    2: "a list of lists of numbers",
    3: "a list of matrices (lists of lists of numbers)",
}


def number_array(value: object, name: str, ndim: int, fail: Fail) -> np.ndarray:
    """A nested JSON list of numbers as a float64 array of exactly ``ndim`` dimensions.

    Parameters
    ----------
    value : object
        The value read from the JSON.
    name : str
        Its key, named in complaints (``"means"``, ``"fit.prior.scale"``).
    ndim : {1, 2, 3}
        Required nesting depth.
    fail : callable(str) -> Exception
        Builds the exception raised for a problem.

    Returns
    -------
    array of ndim dimensions
        Finite float64 values.
    """

    def check(item: object, depth: int) -> None:
        if depth == ndim:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                found = shorten(json.dumps(item))
                raise fail(f"{name} must be {_SHAPE_WORDS[ndim]}; found {found}")
            return
        if not isinstance(item, list):
            raise fail(f"{name} must be {_SHAPE_WORDS[ndim]}")
        for sub in item:
            check(sub, depth + 1)

    check(value, 0)
    try:
        array = np.array(value, dtype=np.float64)
    except ValueError:
        raise fail(f"{name} has rows of different lengths") from None
    if array.ndim != ndim:
        raise fail(f"{name} has rows of different lengths")
    if not np.all(np.isfinite(array)):
        raise fail(f"{name} holds a number too large to be finite")
    return array
