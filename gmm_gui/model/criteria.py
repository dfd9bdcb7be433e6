"""Information criteria for choosing the number of components, with scikit-learn's formulas."""

from __future__ import annotations

import math

from numpy.typing import ArrayLike

from gmm_gui.model._checks import check_data
from gmm_gui.model.covariance import COVARIANCE, check_covariance_type
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.steps import score_samples

__all__ = ["aic", "bic", "n_parameters"]


def n_parameters(n_components: int, n_features: int, covariance_type: str = "full") -> int:
    """Number of free parameters of a Gaussian mixture.

    Parameters
    ----------
    n_components : int
    n_features : int
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    int
        ``n_components - 1`` weights, ``n_components * n_features`` mean entries, and the
        covariance parameters: ``K d (d + 1) / 2`` (full), ``d (d + 1) / 2`` (tied), ``K d``
        (diag) or ``K`` (spherical).
    """
    check_covariance_type(covariance_type)
    k, d = int(n_components), int(n_features)
    if k < 1 or d < 1:
        raise ValueError("n_components and n_features must be >= 1.")
    cov_params = COVARIANCE[covariance_type].n_parameters(k, d)
    return cov_params + k * d + k - 1


def _total_log_likelihood(X: ArrayLike, mixture: Mixture) -> tuple[float, int]:
    Xa = check_data(X, n_features=mixture.n_features)
    return float(score_samples(Xa, mixture).sum()), Xa.shape[0]


def bic(X: ArrayLike, mixture: Mixture) -> float:
    """Bayesian information criterion, ``-2 log L + p log n`` (lower is better).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    mixture : Mixture
        Its ``covariance_type`` decides the parameter count ``p``.

    Returns
    -------
    float
    """
    total, n = _total_log_likelihood(X, mixture)
    p = n_parameters(mixture.n_components, mixture.n_features, mixture.covariance_type)
    return -2.0 * total + p * math.log(n)


def aic(X: ArrayLike, mixture: Mixture) -> float:
    """Akaike information criterion, ``-2 log L + 2 p`` (lower is better).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    mixture : Mixture

    Returns
    -------
    float
    """
    total, _ = _total_log_likelihood(X, mixture)
    p = n_parameters(mixture.n_components, mixture.n_features, mixture.covariance_type)
    return -2.0 * total + 2.0 * p
