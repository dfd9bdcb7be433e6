"""Small linear-algebra kernels shared by the mixture and the EM steps."""

from __future__ import annotations

import numpy as np

__all__ = ["inv_lower"]


def inv_lower(chol: np.ndarray) -> np.ndarray:
    """Inverses of a stack of lower-triangular matrices, by forward substitution.

    Parameters
    ----------
    chol : array of shape (n_matrices, n_features, n_features)
        Lower triangular with positive diagonal.

    Returns
    -------
    array of shape (n_matrices, n_features, n_features)
        Lower triangular.
    """
    n = chol.shape[-1]
    inv = np.zeros_like(chol)
    diag_inv = 1.0 / np.diagonal(chol, axis1=-2, axis2=-1)
    for i in range(n):
        inv[..., i, i] = diag_inv[..., i]
        for j in range(i):
            acc = chol[..., i, j] * inv[..., j, j]
            for m in range(j + 1, i):
                acc = acc + chol[..., i, m] * inv[..., m, j]
            inv[..., i, j] = -acc * diag_inv[..., i]
    return inv
