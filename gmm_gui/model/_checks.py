"""Input checks shared by the engine's public functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["check_data", "check_fittable", "check_fittable_range", "check_resp"]

# Data beyond this magnitude would overflow when squared (and variances with it).
_LARGEST = 1e150
# A column spread over less than this has a variance that underflows (and a precision that
# overflows): the k-means++ distances are all 0 and every point looks the same.
_SMALLEST_SPREAD = 1e-150


def check_data(
    X: ArrayLike,
    *,
    n_features: int | None = None,
    min_samples: int = 1,
    name: str = "X",
) -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array of shape (n_samples, n_features).

    A 1-D array is read as ``n_samples`` points in one dimension.

    Raises
    ------
    ValueError
        When ``X`` is not 1-D or 2-D, holds NaN or infinity, has fewer than ``min_samples``
        rows, or has a number of columns other than ``n_features``.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features); got an array of {arr.ndim} "
            "dimensions."
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} has no columns.")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} columns but the mixture has {n_features} dimensions."
        )
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} point{'s' if arr.shape[0] != 1 else ''}; at least "
            f"{min_samples} are needed."
        )
    hi, lo = (float(arr.max()), float(arr.min())) if arr.size else (0.0, 0.0)
    largest = max(abs(hi), abs(lo))  # max and min are NaN when any value is
    if not (np.isfinite(hi) and np.isfinite(lo)):
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinite values ({bad.size} row"
            f"{'s' if bad.size != 1 else ''}, the first is row {bad[0] + 1}); remove or "
            "impute them first."
        )
    if largest > _LARGEST:
        raise ValueError(
            f"{name} holds values as large as {largest:.3g}, too large to square in double "
            "precision; rescale the data (for example, change its units)."
        )
    return np.ascontiguousarray(arr)


def check_resp(resp: ArrayLike, n_samples: int) -> np.ndarray:
    """Return ``resp`` as a float64 array of shape (n_samples, n_components), checked."""
    r = np.asarray(resp, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != n_samples or r.shape[1] < 1:
        raise ValueError(
            f"resp must have shape (n_samples, n_components) with n_samples = {n_samples}; "
            f"got {r.shape}."
        )
    # Two reductions and no temporary array: NaN fails both comparisons, infinity the second.
    if not (r.min() >= 0.0 and r.max() < np.inf):
        raise ValueError("resp must hold finite, non-negative responsibilities.")
    return r


def check_fittable(X: np.ndarray, n_components: int) -> None:
    """Refuse data that EM cannot fit with ``n_components`` components (ValueError)."""
    low = np.array([X[:, j].min() for j in range(X.shape[1])])
    high = np.array([X[:, j].max() for j in range(X.shape[1])])
    check_fittable_range(X.shape[0], low, high, n_components)


def check_fittable_range(
    n_samples: int, low: np.ndarray, high: np.ndarray, n_components: int
) -> None:
    """:func:`check_fittable` from the data's size and per-column minima and maxima.

    Parameters
    ----------
    n_samples : int
    low, high : arrays of shape (n_features,)
        Smallest and largest value of each column (chunked data are summarised in one pass).
    n_components : int
    """
    if n_components < 1:
        raise ValueError(f"n_components must be >= 1; got {n_components}.")
    if n_samples < n_components:
        raise ValueError(
            f"cannot fit {n_components} components to {n_samples} points: there must be at "
            "least as many points as components."
        )
    spread = high - low
    const = np.flatnonzero(spread == 0)
    if const.size:
        j = int(const[0])
        if low.shape[0] == 1:
            raise ValueError(
                f"all {n_samples} points are the same value ({low[0]:g}): there is no spread "
                "to fit a Gaussian to."
            )
        raise ValueError(
            f"column {j + 1} of the data is constant (every value is {low[j]:g}): a Gaussian "
            "would be flat along it; drop that column."
        )
    tiny = np.flatnonzero(spread < _SMALLEST_SPREAD)
    if tiny.size:
        j = int(tiny[0])
        where = "the data" if low.shape[0] == 1 else f"column {j + 1} of the data"
        raise ValueError(
            f"{where} spreads over only {spread[j]:.3g}, too little to square in double "
            "precision; rescale the data (for example, change its units)."
        )
