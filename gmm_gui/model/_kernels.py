"""Numerical kernels of the E- and M-steps.

Everything here works on validated float64 arrays and returns plain arrays; the public functions
in :mod:`gmm_gui.model.em` wrap them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "estimate_parameters",
    "log_resp_inplace",
    "weighted_log_prob",
]

_LOG_2PI = math.log(2.0 * math.pi)


def weighted_log_prob(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    prec_chol: np.ndarray,
) -> np.ndarray:
    """``log(w_k) + log N(x_i | mu_k, Sigma_k)``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    weights : array of shape (n_components,)
    means : array of shape (n_components, n_features)
    prec_chol : array of shape (n_components, n_features, n_features)
        Upper-triangular ``U_k`` with ``inv(Sigma_k) = U_k @ U_k.T``.

    Returns
    -------
    array of shape (n_samples, n_components), Fortran-ordered (each column contiguous).
    """
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    out = np.empty((n_components, n_samples))
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    const = -0.5 * n_features * _LOG_2PI + log_det + log_w
    for k in range(n_components):
        y = (X - means[k]) @ prec_chol[k]
        row = out[k]
        np.einsum("ij,ij->i", y, y, out=row)
        row *= -0.5
        row += const[k]
    return out.T


def log_resp_inplace(log_prob: np.ndarray) -> np.ndarray:
    """Turn weighted log-probabilities into responsibilities, in place.

    Parameters
    ----------
    log_prob : array of shape (n_samples, n_components)
        Overwritten with the responsibilities ``exp(log_prob - logsumexp(log_prob, axis=1))``.

    Returns
    -------
    log_norm : array of shape (n_samples,)
        ``logsumexp(log_prob, axis=1)``, the log mixture density of each point.
    """
    mx = log_prob.max(axis=1)
    # A row of -inf (every weight zero for that point) cannot happen with valid weights, but
    # guard anyway so no NaN is produced.
    mx[~np.isfinite(mx)] = 0.0
    log_prob -= mx[:, None]
    np.exp(log_prob, out=log_prob)
    s = log_prob.sum(axis=1)
    log_prob /= s[:, None]
    np.log(s, out=s)
    s += mx
    return s


def estimate_parameters(
    X: np.ndarray, resp: np.ndarray, covariance_type: str, reg_covar: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step's estimates, with centred covariances.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    resp : array of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float

    Returns
    -------
    nk : array of shape (n_components,)
        ``resp.sum(axis=0) + 10 * eps`` as in scikit-learn.
    means : array of shape (n_components, n_features)
    covariances : array of shape (n_components, n_features, n_features)
        Full matrices whatever the type, ``reg_covar`` added to the diagonal.
    """
    n_samples, n_features = X.shape
    n_components = resp.shape[1]
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
    means = (resp.T @ X) / nk[:, None]
    raw = np.empty((n_components, n_features, n_features))
    for k in range(n_components):
        diff = X - means[k]
        raw[k] = (resp[:, k] * diff.T) @ diff / nk[k]
    return nk, means, _constrain(raw, nk, covariance_type, reg_covar, n_samples)


def _constrain(
    raw: np.ndarray, nk: np.ndarray, covariance_type: str, reg_covar: float, n_samples: int
) -> np.ndarray:
    """Apply the covariance type's constraint and ``reg_covar`` to raw full covariances."""
    n_components, n_features, _ = raw.shape
    idx = np.arange(n_features)
    if covariance_type == "full":
        cov = raw
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    elif covariance_type == "tied":
        shared = np.einsum("k,kij->ij", nk, raw) / nk.sum()
        shared = 0.5 * (shared + shared.T)
        cov = np.broadcast_to(shared, raw.shape).copy()
    else:
        diag = np.diagonal(raw, axis1=1, axis2=2).copy()
        if covariance_type == "spherical":
            diag = np.repeat(diag.mean(axis=1, keepdims=True), n_features, axis=1)
        cov = np.zeros_like(raw)
        cov[:, idx, idx] = diag
    cov[:, idx, idx] += reg_covar
    return cov
