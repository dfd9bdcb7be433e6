"""The E- and M-steps of EM, one at a time, and the data preparation they share.

:func:`prepare_data` checks the data once and makes them ready (centred, with monomials, see
:mod:`gmm_gui.model._kernels`); :func:`e_step` computes responsibilities and the log-likelihood,
:func:`m_step` re-estimates the mixture from them. :mod:`gmm_gui.model.em` alternates the two,
:mod:`gmm_gui.model.init` builds starts with one M-step, :mod:`gmm_gui.model.diagnostics` explains
what went wrong with a component. Pass ``prepare_data(X)`` instead of ``X`` when calling a step
many times on the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model import _kernels
from gmm_gui.model._checks import check_data, check_resp
from gmm_gui.model._kernels import PreparedData
from gmm_gui.model.covariance import COVARIANCE, check_covariance_type
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior

__all__ = [
    "ComponentIssue",
    "DataLike",
    "DegenerateMixtureError",
    "PreparedData",
    "e_step",
    "log_prior_density",
    "log_prob_components",
    "m_step",
    "prepare_data",
    "score_samples",
]

#: What the step functions accept as data: an array (checked on every call) or PreparedData.
DataLike = ArrayLike | PreparedData


@dataclass(frozen=True)
class ComponentIssue:
    """Something wrong with one component, in words a student understands.

    Attributes
    ----------
    component : int
        The component, 0-based (the message numbers it from 1).
    iteration : int
        The EM iteration after whose M-step it was seen (0: the start).
    kind : str
        ``"empty"`` (owns almost no points), ``"collapsed"`` (onto a single point: every
        variance at the ``reg_covar`` floor), ``"flattened"`` (onto a line or plane: some
        variance at the floor), ``"singular"`` (covariance not positive definite, the fit had
        to stop), ``"identical"`` (the same as another component, and will stay so).
    message : str
        A full sentence naming the component from 1 and what to do.
    """

    component: int
    iteration: int
    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


class DegenerateMixtureError(ValueError):
    """An M-step produced a covariance that is not positive definite.

    Attributes
    ----------
    issues : tuple of ComponentIssue
        The components concerned (kind ``"singular"``).
    """

    def __init__(self, issues: list[ComponentIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__(" ".join(i.message for i in issues))


# ---------------------------------------------------------------------------------- data
def prepare_data(X: ArrayLike) -> PreparedData:
    """Check ``X`` once and make it ready for many E- and M-steps.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array is read as points in one dimension.

    Returns
    -------
    PreparedData
        Accepted in place of ``X`` by every function of this module.

    Raises
    ------
    ValueError
        For NaN or infinity, no rows, or an array of more than 2 dimensions.
    """
    return PreparedData(check_data(X))


def _prepared(X: DataLike, n_features: int | None = None, min_samples: int = 1) -> PreparedData:
    if isinstance(X, PreparedData):
        if n_features is not None and X.n_features != n_features:
            raise ValueError(
                f"X has {X.n_features} columns but the mixture has {n_features} dimensions."
            )
        if X.n_samples < min_samples:
            raise ValueError(f"X has {X.n_samples} points; at least {min_samples} are needed.")
        return X
    return PreparedData(check_data(X, n_features=n_features, min_samples=min_samples))


# ---------------------------------------------------------------------------------- E-step
def log_prob_components(X: DataLike, mixture: Mixture) -> np.ndarray:
    """Weighted log-densities of every point under every component.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    mixture : Mixture

    Returns
    -------
    array of shape (n_samples, n_components)
        ``log(w_k) + log N(x_i | mu_k, Sigma_k)`` (``-inf`` where a weight is zero).
    """
    data = _prepared(X, mixture.n_features)
    return _weighted_log_prob(data, mixture)[0].T


def score_samples(X: DataLike, mixture: Mixture) -> np.ndarray:
    """Log mixture density of every point.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    mixture : Mixture

    Returns
    -------
    array of shape (n_samples,)
        ``log sum_k w_k N(x_i | mu_k, Sigma_k)``.
    """
    data = _prepared(X, mixture.n_features)
    log_norm = _weighted_log_prob(data, mixture, normalise=True)[1]
    assert log_norm is not None
    return log_norm


def e_step(X: DataLike, mixture: Mixture) -> tuple[np.ndarray, float]:
    """The E-step: responsibilities and the total log-likelihood.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    mixture : Mixture

    Returns
    -------
    resp : array of shape (n_samples, n_components)
        Posterior probability of each component for each point; rows sum to one.
    log_likelihood : float
        ``sum_i log p(x_i)``, the total (not the mean) log-likelihood of ``X``.
    """
    data = _prepared(X, mixture.n_features)
    resp_t, log_norm = _e_step(data, mixture)
    return resp_t.T, float(log_norm.sum())


def _weighted_log_prob(
    data: PreparedData,
    mixture: Mixture,
    out: np.ndarray | None = None,
    normalise: bool = False,
    stats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Component-major (n_components, n_samples) weighted log-densities (or resp)."""
    return _kernels.weighted_log_prob(
        data,
        mixture.weights,
        mixture.means,
        mixture.precisions_cholesky,
        out=out,
        normalise=normalise,
        stats=stats,
    )


def _e_step(
    data: PreparedData,
    mixture: Mixture,
    out: np.ndarray | None = None,
    stats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Component-major responsibilities (n_components, n_samples) and log p(x_i).

    With ``stats`` (and monomials), the next M-step's sufficient statistics are filled in too.
    """
    resp_t, log_norm = _weighted_log_prob(data, mixture, out=out, normalise=True, stats=stats)
    assert log_norm is not None
    return resp_t, log_norm


# ---------------------------------------------------------------------------------- M-step
def m_step(
    X: DataLike,
    resp: ArrayLike,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
    prior: Prior | None = None,
) -> Mixture:
    """The M-step: re-estimate weights, means and covariances from responsibilities.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    resp : array-like of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance (once to the shared one for ``tied``);
        not used with a prior.
    prior : Prior, optional
        MAP-EM: means and covariances are the posterior mode under this prior (see
        :mod:`gmm_gui.model.prior`), weights the soft counts over ``n`` as without one.

    Returns
    -------
    Mixture
        Of the given covariance type.

    Raises
    ------
    DegenerateMixtureError
        (a ValueError) when a covariance is not positive definite, which only happens with
        ``reg_covar`` 0 or data so large that ``reg_covar`` is lost in round-off.
    """
    check_covariance_type(covariance_type)
    reg_covar = _check_reg_covar(reg_covar)
    data = _prepared(X)
    r = check_resp(resp, data.n_samples)
    if prior is not None:
        prior.check_features(data.n_features)
    _, mixture = _m_step(data, r, covariance_type, reg_covar, iteration=0, prior=prior)
    return mixture


def _m_step(
    data: PreparedData,
    resp: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    iteration: int,
    stats: np.ndarray | None = None,
    prior: Prior | None = None,
) -> tuple[np.ndarray, Mixture]:
    nk, means, covs = _kernels.estimate_parameters(
        data, resp, covariance_type, reg_covar, stats=stats, prior=prior
    )
    bad = _non_positive_definite(covs)
    if bad:
        raise DegenerateMixtureError(
            [
                ComponentIssue(
                    k,
                    iteration,
                    "singular",
                    f"component {k + 1} has collapsed: its covariance is no longer positive "
                    "definite (it has no spread in some direction), so its density is "
                    "undefined; raise reg_covar above 0 or remove the component.",
                )
                for k in bad
            ]
        )
    weights = nk / nk.sum()
    return nk, Mixture(weights, means, covs, covariance_type)


def log_prior_density(mixture: Mixture, prior: Prior) -> float:
    """The prior's log-density at a mixture's means and covariances (its weights have none).

    Parameters
    ----------
    mixture : Mixture
        Its ``covariance_type`` chooses the form of the prior (see :mod:`gmm_gui.model.prior`).
    prior : Prior

    Returns
    -------
    float
        The total over the components (divide by ``n_samples`` for the per-point figures).
    """
    prior.check_features(mixture.n_features)
    spec = COVARIANCE[mixture.covariance_type]
    return float(spec.log_prior(mixture.means, mixture.covariances, prior))


def _non_positive_definite(covs: np.ndarray) -> list[int]:
    """Components whose covariance is not finite and positive definite."""
    if np.isfinite(covs).all():
        try:
            chol = np.linalg.cholesky(covs)
        except np.linalg.LinAlgError:
            pass
        else:
            if np.all(np.diagonal(chol, axis1=1, axis2=2) > 0):
                return []
    bad = []
    for k in range(covs.shape[0]):
        if not np.all(np.isfinite(covs[k])):
            bad.append(k)
            continue
        try:
            chol = np.linalg.cholesky(covs[k])
        except np.linalg.LinAlgError:
            bad.append(k)
            continue
        if not np.all(np.diagonal(chol) > 0):
            bad.append(k)
    return bad


def _check_reg_covar(reg_covar: float) -> float:
    reg = float(reg_covar)
    if not (reg >= 0.0 and math.isfinite(reg)):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    return reg
