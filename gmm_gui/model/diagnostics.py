"""What went wrong with a component after an M-step, in sentences a student can act on."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model._checks import check_resp
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.steps import ComponentIssue, DataLike, _check_reg_covar, _prepared

__all__ = [
    "degenerate_components",
    "degenerate_mask",
    "diagnose",
    "diagnose_counts",
    "is_at_floor",
]

_EMPTY_NK = 1e-3  # fewer points than this (soft count) and a component is "empty"
_FLOOR_RTOL = 1e-6  # raw variance below this fraction of the data's variance counts as zero


def diagnose(
    X: DataLike,
    resp: ArrayLike,
    mixture: Mixture,
    reg_covar: float = 1e-6,
    iteration: int = 0,
) -> list[ComponentIssue]:
    """Find components that are empty, collapsed, flattened or duplicated.

    Call it after an M-step with the responsibilities that M-step used.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    resp : array-like of shape (n_samples, n_components)
    mixture : Mixture
        The M-step's result.
    reg_covar : float
        The ``reg_covar`` the M-step used.
    iteration : int
        Recorded in each issue.

    Returns
    -------
    list of ComponentIssue
        Empty when all is well.
    """
    data = _prepared(X, mixture.n_features)
    r = check_resp(resp, data.n_samples)
    if r.shape[1] != mixture.n_components:
        raise ValueError(
            f"resp has {r.shape[1]} columns but the mixture has {mixture.n_components} "
            "components."
        )
    return diagnose_counts(r.sum(axis=0), data.data_var, mixture, reg_covar, iteration)


def diagnose_counts(
    nk: ArrayLike,
    data_var: float,
    mixture: Mixture,
    reg_covar: float = 1e-6,
    iteration: int = 0,
) -> list[ComponentIssue]:
    """:func:`diagnose` from the responsibilities' column sums, for a caller that has them
    (the window's M half-step: no second pass over the responsibilities).

    Parameters
    ----------
    nk : array-like of shape (n_components,)
        ``resp.sum(axis=0)`` of the responsibilities the M-step used.
    data_var : float
        Mean per-feature variance of the data (``PreparedData.data_var``).
    mixture, reg_covar, iteration :
        As for :func:`diagnose`.
    """
    counts = _counts(nk, mixture)
    return _diagnose(counts, float(data_var), mixture, _check_reg_covar(reg_covar), iteration)


def _counts(nk: ArrayLike, mixture: Mixture) -> np.ndarray:
    """``nk`` as a float array, one soft count per component of ``mixture`` (checked)."""
    counts = np.asarray(nk, dtype=np.float64).reshape(-1)
    if counts.size != mixture.n_components:
        raise ValueError(
            f"nk has {counts.size} entries but the mixture has {mixture.n_components} components."
        )
    return counts


def is_at_floor(mixture: Mixture, reg_covar: float, data_var: float) -> np.ndarray:
    """Which variances (eigenvalues) of each covariance sit at the ``reg_covar`` floor.

    Parameters
    ----------
    mixture : Mixture
    reg_covar : float
        The ``reg_covar`` the fit used (0 with a prior).
    data_var : float
        Mean per-feature variance of the data (``PreparedData.data_var``), the scale of "zero".

    Returns
    -------
    bool array of shape (n_components, n_features)
        Per component, its eigenvalues in ascending order: True where the eigenvalue minus
        ``reg_covar`` is at most ``max(reg_covar, 1e-12 data_var)`` and at most
        ``1e-6 data_var`` (no spread left in that direction but the floor).
    """
    return _at_floor(mixture.covariances, reg_covar, data_var)


def _at_floor(covariances: np.ndarray, reg_covar: float, data_var: float) -> np.ndarray:
    eig = np.linalg.eigvalsh(covariances)  # (..., K, d), ascending
    raw = eig - reg_covar
    zero = max(reg_covar, 1e-12 * data_var)
    return (raw <= zero) & (raw <= _FLOOR_RTOL * data_var)


def degenerate_mask(
    covariances: np.ndarray, nk: np.ndarray, reg_covar: float, data_var: float
) -> np.ndarray:
    """:func:`degenerate_components` for many fits at once, as a mask.

    Parameters
    ----------
    covariances : array of shape (..., n_components, n_features, n_features)
    nk : array of shape (..., n_components)
        Soft counts; NaN counts as degenerate.
    reg_covar, data_var : float
        As in :func:`degenerate_components`.

    Returns
    -------
    bool array of shape (..., n_components)
    """
    covariances = np.asarray(covariances, dtype=float)
    n_features = covariances.shape[-1]
    flat = _at_floor(covariances, float(reg_covar), float(data_var)).any(axis=-1)
    counts = np.asarray(nk, dtype=float)
    return flat | ~(counts >= n_features + 1)


def degenerate_components(
    mixture: Mixture, nk: ArrayLike, reg_covar: float, data_var: float
) -> tuple[int, ...]:
    """The components of a fitted mixture that collapsed: a degenerate solution, not a maximum.

    A component is degenerate when its variance is at the ``reg_covar`` floor in some direction
    (:func:`is_at_floor`: it has collapsed onto a point, a line or a plane, where the likelihood
    grows without bound as ``reg_covar`` goes to 0) or when it owns fewer effective points (soft
    count) than ``n_features + 1``, too few to estimate a covariance from (mclust reports no BIC
    for such a fit). The rule is the same for every covariance type.

    Parameters
    ----------
    mixture : Mixture
    nk : array-like of shape (n_components,)
        Soft counts (sums of the responsibilities) of the mixture on the data.
    reg_covar : float
        The ``reg_covar`` the fit used (pass 0 for a MAP fit, which does not add it).
    data_var : float
        Mean per-feature variance of the data.

    Returns
    -------
    tuple of int
        The degenerate components, 0-based, ascending; empty for a proper solution.
    """
    mask = degenerate_mask(mixture.covariances, _counts(nk, mixture), reg_covar, data_var)
    return tuple(int(k) for k in np.flatnonzero(mask))


def _diagnose(
    nk: np.ndarray, data_var: float, mixture: Mixture, reg_covar: float, iteration: int
) -> list[ComponentIssue]:
    issues: list[ComponentIssue] = []
    d = mixture.n_features
    at_floor = is_at_floor(mixture, reg_covar, data_var)
    for k in range(mixture.n_components):
        num = k + 1
        if nk[k] < _EMPTY_NK:
            issues.append(
                ComponentIssue(
                    k,
                    iteration,
                    "empty",
                    f"component {num} owns no points (its responsibilities add up to "
                    f"{nk[k]:.2g}): its weight has fallen to zero and it no longer takes part; "
                    "remove it or move it onto the data.",
                )
            )
            continue
        n_flat = int(at_floor[k].sum())
        if reg_covar > 0:
            floor = "has hit the floor set by reg_covar"
            advice = "remove it or raise reg_covar"
        else:
            floor = "has shrunk to almost nothing and its likelihood grows without bound"
            advice = "remove it or set reg_covar above 0"
        if n_flat == d:
            issues.append(
                ComponentIssue(
                    k,
                    iteration,
                    "collapsed",
                    f"component {num} has collapsed onto a single point: its variance {floor}; "
                    f"{advice}.",
                )
            )
        elif n_flat > 0:
            shape = "a line" if d - n_flat == 1 else f"a {d - n_flat}-dimensional plane"
            across = "the line" if d - n_flat == 1 else "the plane"
            issues.append(
                ComponentIssue(
                    k,
                    iteration,
                    "flattened",
                    f"component {num} has collapsed onto {shape}: its variance across {across} "
                    f"{floor}; {advice}.",
                )
            )
    n_components = mixture.n_components
    if n_components > 1:
        means, covs, w = mixture.means, mixture.covariances, mixture.weights
        same = (
            _close_pairs(means.reshape(n_components, -1))
            & _close_pairs(covs.reshape(n_components, -1))
            & _close_pairs(w[:, None])
        )
        for k in range(1, n_components):
            j = np.flatnonzero(same[k, :k])
            if j.size and nk[k] >= _EMPTY_NK:
                issues.append(
                    ComponentIssue(
                        k,
                        iteration,
                        "identical",
                        f"component {k + 1} is identical to component {j[0] + 1}: EM cannot "
                        "tell them apart and they will stay identical; move or remove one.",
                    )
                )
    return issues


def _close_pairs(rows: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """(K, K) boolean: rows i and j agree to ``rtol`` relative in every entry."""
    diff = np.abs(rows[:, None, :] - rows[None, :, :])
    size = np.maximum(np.abs(rows[:, None, :]), np.abs(rows[None, :, :]))
    return np.all(diff <= rtol * size, axis=2)
