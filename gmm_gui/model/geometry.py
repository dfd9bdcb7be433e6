"""Shapes drawn for Gaussians: sigma ellipses in 2-D.

The ``n_sigma`` ellipse of a 2-D Gaussian is ``mean + n_sigma * L @ [cos t, sin t]`` with
``L = cholesky(cov)``: every point on it lies at Mahalanobis distance exactly ``n_sigma`` from
the mean, because ``(L u)^T (L L^T)^{-1} (L u) = u^T u = 1`` for a unit vector ``u``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model.mixture import Mixture

__all__ = ["ellipse", "ellipses"]


def ellipse(
    mean: ArrayLike, cov: ArrayLike, n_sigma: float = 1.0, n_points: int = 64
) -> np.ndarray:
    """Outline of a Gaussian's ``n_sigma`` ellipse.

    Parameters
    ----------
    mean : array-like of shape (2,)
    cov : array-like of shape (2, 2)
        Symmetric positive definite.
    n_sigma : float
        Mahalanobis radius, > 0.
    n_points : int, default 64
        Number of vertices; the first is repeated as the last so the outline closes.

    Returns
    -------
    array of shape (n_points, 2)
    """
    m = np.asarray(mean, dtype=np.float64).reshape(-1)
    c = np.asarray(cov, dtype=np.float64)
    if m.shape != (2,) or c.shape != (2, 2):
        raise ValueError(
            f"ellipse needs a 2-D mean and a 2x2 covariance; got {m.shape}, {c.shape}."
        )
    if not n_sigma > 0:
        raise ValueError(f"n_sigma must be > 0; got {n_sigma}.")
    if int(n_points) < 3:
        raise ValueError("an ellipse needs at least 3 points.")
    try:
        chol = np.linalg.cholesky(0.5 * (c + c.T))
    except np.linalg.LinAlgError:
        raise ValueError(
            "the covariance is not positive definite; no ellipse can be drawn."
        ) from None
    t = np.linspace(0.0, 2.0 * np.pi, int(n_points))
    circle = np.stack([np.cos(t), np.sin(t)])
    circle[:, -1] = circle[:, 0]
    return m + float(n_sigma) * (chol @ circle).T


def ellipses(mixture: Mixture, n_sigma: float = 1.0, n_points: int = 64) -> np.ndarray:
    """All components' ellipses as one NaN-separated outline (for one ``connect="finite"`` curve).

    Parameters
    ----------
    mixture : Mixture
        Two features.
    n_sigma : float
    n_points : int

    Returns
    -------
    array of shape (n_components * (n_points + 1), 2)
        Each ellipse followed by a row of NaN.
    """
    if mixture.n_features != 2:
        raise ValueError(f"ellipses are drawn in 2-D; this mixture has {mixture.n_features}.")
    out = np.full((mixture.n_components * (n_points + 1), 2), np.nan)
    for k in range(mixture.n_components):
        s = k * (n_points + 1)
        out[s : s + n_points] = ellipse(mixture.means[k], mixture.covariances[k], n_sigma, n_points)
    return out
