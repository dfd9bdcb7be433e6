"""The responsibilities CSV: each point's share in each component, joined back to its file row.

One row per kept data row::

    index,component_1,component_2,label
    0,0.99999,1.2e-05,1
    1,0.0031,0.9969,2

``index`` is the row's 0-based position among the data rows of the original file
(:attr:`gmm_gui.io.Dataset.row_index`), ``component_k`` the responsibility of component ``k``
(numbered from 1, as on screen), ``label`` the component with the largest responsibility
(numbered from 1; ties go to the lower number).
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.io.atomic import atomic_write

__all__ = ["responsibilities_csv", "write_responsibilities"]


def responsibilities_csv(
    resp: ArrayLike, row_index: ArrayLike, labels: ArrayLike | None = None
) -> str:
    """The text of a responsibilities CSV.

    Parameters
    ----------
    resp : array-like of shape (n_samples, n_components)
        Responsibilities; each row sums to one.
    row_index : array-like of shape (n_samples,)
        0-based index of each point's row in the original file.
    labels : array-like of shape (n_samples,), optional
        Hard labels, 0-based component indices (written plus one). Default: ``argmax`` of
        ``resp``.

    Returns
    -------
    str
        CSV text with a header ``index,component_1,...,component_K,label``. Responsibilities are
        written with Python's shortest round-trip representation.
    """
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim != 2 or resp.shape[1] < 1:
        raise ValueError(f"resp must have shape (n_samples, n_components); got {resp.shape}")
    index = np.asarray(row_index)
    if index.shape != (resp.shape[0],) or index.dtype.kind not in "iu":
        raise ValueError(
            f"row_index must be {resp.shape[0]} integers; got {index.dtype} of shape {index.shape}"
        )
    hard = np.argmax(resp, axis=1) if labels is None else np.asarray(labels)
    if hard.shape != (resp.shape[0],) or hard.dtype.kind not in "iu":
        raise ValueError(f"labels must be {resp.shape[0]} integers")
    header = ",".join(
        ["index", *(f"component_{k + 1}" for k in range(resp.shape[1])), "label"]
    )
    lines = [header]
    lines.extend(
        ",".join([str(i), *map(repr, row), str(label + 1)])
        for i, row, label in zip(index.tolist(), resp.tolist(), hard.tolist(), strict=True)
    )
    return "\n".join(lines) + "\n"


def write_responsibilities(
    path: str | os.PathLike[str],
    resp: ArrayLike,
    row_index: ArrayLike,
    labels: ArrayLike | None = None,
) -> None:
    """Write a responsibilities CSV atomically; see :func:`responsibilities_csv`."""
    atomic_write(path, responsibilities_csv(resp, row_index, labels))
