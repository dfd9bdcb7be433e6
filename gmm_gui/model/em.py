"""Expectation-Maximisation for Gaussian mixtures, step by step and as a whole fit.

The E-step (:func:`e_step`) computes responsibilities and the log-likelihood, the M-step
(:func:`m_step`) re-estimates the mixture from them, and :func:`fit` alternates the two exactly as
scikit-learn's ``GaussianMixture.fit`` does, so that from the same start and after the same number
of iterations the two agree to round-off.

What the log-likelihood figures mean
------------------------------------
Write ``L_j`` for the mean log-likelihood per point of the data under the mixture after ``j``
iterations (``L_0``: the start). scikit-learn's iteration ``t`` computes ``L_{t-1}`` in its E-step,
then runs the M-step; its ``lower_bounds_`` are ``(L_0, ..., L_{T-1})`` and its ``lower_bound_``
is ``L_{T-1}``, the likelihood of the mixture *before* its last M-step. Here:

* ``FitResult.history`` is ``(L_1, ..., L_T)``: the likelihood *after* every iteration, of the
  mixture that iteration produced (what the window plots);
* ``FitResult.initial_mean_log_likelihood`` is ``L_0``, so scikit-learn's ``lower_bounds_`` is
  ``(initial_mean_log_likelihood,) + history[:-1]``;
* ``FitResult.mean_log_likelihood`` is ``L_T = history[-1]``, the likelihood of the returned
  mixture (``score(X)`` in scikit-learn terms, not its ``lower_bound_``).

Convergence follows scikit-learn exactly: iteration ``t`` is the last one when
``|L_{t-1} - L_{t-2}| < tol`` (with ``L_{-1} = -inf``), so the number of iterations and the
returned mixture are scikit-learn's. (The test looks one iteration behind the newest likelihood
``L_t``, which is already known; that is scikit-learn's rule and kept for agreement.) With
``n_init > 1`` the run with the highest ``L_T`` wins, where scikit-learn compares ``L_{T-1}``.

Speed: see :mod:`gmm_gui.model._kernels`; pass :func:`prepare_data` ``(X)`` instead of ``X`` to
the step functions when calling them many times on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model import _kernels
from gmm_gui.model._checks import check_data, check_fittable, check_resp
from gmm_gui.model._kernels import PreparedData
from gmm_gui.model.mixture import Mixture, check_covariance_type

__all__ = [
    "ComponentIssue",
    "DegenerateMixtureError",
    "FitResult",
    "PreparedData",
    "StartResult",
    "diagnose",
    "e_step",
    "fit",
    "log_prob_components",
    "m_step",
    "prepare_data",
    "score_samples",
]

DataLike = ArrayLike | PreparedData

StepCallback = Callable[[int, Mixture, float], "bool | None"]


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


@dataclass(frozen=True)
class StartResult:
    """One EM run from one start.

    Attributes
    ----------
    init : Mixture
        The start.
    mixture : Mixture
        Where the run ended.
    mean_log_likelihood : float
        Mean log-likelihood per point of ``mixture``.
    n_iter : int
        Iterations run.
    converged : bool
    history : tuple of float
        Mean log-likelihood per point after each iteration (see the module docstring).
    """

    init: Mixture
    mixture: Mixture
    mean_log_likelihood: float
    n_iter: int
    converged: bool
    history: tuple[float, ...]


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`.

    Attributes
    ----------
    mixture : Mixture
        The best run's final mixture (highest ``mean_log_likelihood``).
    history : tuple of float
        ``(L_1, ..., L_T)``: mean log-likelihood per point after every iteration of the best run.
    mean_log_likelihood : float
        ``L_T``, mean log-likelihood per point of ``mixture`` (``L_0`` when no iteration ran).
    log_likelihood : float
        Total log-likelihood, ``mean_log_likelihood * n_samples``.
    converged : bool
        Whether the best run met scikit-learn's convergence test.
    n_iter : int
        Iterations of the best run.
    issues : tuple of ComponentIssue
        Problems seen in the best run, the first occurrence of each (component, kind).
    starts : tuple of StartResult
        Every run, in order (one when ``n_init`` is 1).
    initial_mean_log_likelihood : float
        ``L_0``, the mean log-likelihood per point of the best run's start.
    cancelled : bool
        ``on_step`` returned False and the fit stopped early.
    """

    mixture: Mixture
    history: tuple[float, ...]
    mean_log_likelihood: float
    log_likelihood: float
    converged: bool
    n_iter: int
    issues: tuple[ComponentIssue, ...]
    starts: tuple[StartResult, ...]
    initial_mean_log_likelihood: float = math.nan
    cancelled: bool = False


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
) -> Mixture:
    """The M-step: re-estimate weights, means and covariances from responsibilities.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    resp : array-like of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance (once to the shared one for ``tied``).

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
    _, mixture = _m_step(data, r, covariance_type, reg_covar, iteration=0)
    return mixture


def _m_step(
    data: PreparedData,
    resp: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    iteration: int,
    stats: np.ndarray | None = None,
) -> tuple[np.ndarray, Mixture]:
    nk, means, covs = _kernels.estimate_parameters(
        data, resp, covariance_type, reg_covar, stats=stats
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


def _close_pairs(rows: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """(K, K) boolean: rows i and j agree to ``rtol`` relative in every entry."""
    diff = np.abs(rows[:, None, :] - rows[None, :, :])
    size = np.maximum(np.abs(rows[:, None, :]), np.abs(rows[None, :, :]))
    return np.all(diff <= rtol * size, axis=2)


def _check_reg_covar(reg_covar: float) -> float:
    reg = float(reg_covar)
    if not (reg >= 0.0 and math.isfinite(reg)):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    return reg


# ---------------------------------------------------------------------------------- diagnose
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
    nk = r.sum(axis=0)
    return _diagnose(nk, data.data_var, mixture, _check_reg_covar(reg_covar), iteration)


def _diagnose(
    nk: np.ndarray, data_var: float, mixture: Mixture, reg_covar: float, iteration: int
) -> list[ComponentIssue]:
    issues: list[ComponentIssue] = []
    d = mixture.n_features
    eig = np.linalg.eigvalsh(mixture.covariances)  # (K, d), ascending
    raw = eig - reg_covar
    zero = max(reg_covar, 1e-12 * data_var)
    at_floor = (raw <= zero) & (raw <= _FLOOR_RTOL * data_var)
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


# ---------------------------------------------------------------------------------- fit
def fit(
    X: DataLike,
    init: Mixture | str,
    *,
    n_components: int | None = None,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    n_init: int = 1,
    seed: int | np.random.Generator | None = None,
    on_step: StepCallback | None = None,
) -> FitResult:
    """Fit a Gaussian mixture by EM, as scikit-learn's ``GaussianMixture.fit``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    init : Mixture or {"kmeans++", "kmeans", "random", "random_from_data"}
        A starting mixture (then ``n_init`` must be 1), or an initialisation method run
        ``n_init`` times (see :func:`gmm_gui.model.init_mixture`).
    n_components : int, optional
        Required when ``init`` is a method name; must match ``init`` when it is a Mixture.
    covariance_type : {"full", "tied", "diag", "spherical"}
        A starting Mixture must satisfy this type (convert it with ``Mixture.as_type``).
    max_iter : int, default 100
        Iterations per run (0 returns the start).
    tol : float, default 1e-3
        Stop when the change of mean log-likelihood per point is below ``tol`` (scikit-learn's
        test, see the module docstring).
    reg_covar : float, default 1e-6
    n_init : int, default 1
        Runs from different starts; the one with the highest final mean log-likelihood wins.
    seed : int, numpy Generator or None
        Seeds the initialisation method; runs use successive draws from one generator.
    on_step : callable(iteration, mixture, mean_log_likelihood), optional
        Called after every iteration with the new mixture and its mean log-likelihood per
        point. Returning ``False`` stops the fit (the result has ``cancelled=True``).

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        For data that cannot be fitted (fewer than 2 points, fewer points than components,
        NaN or infinity, a constant column, wrong number of columns), or invalid options.
    """
    check_covariance_type(covariance_type)
    reg_covar = _check_reg_covar(reg_covar)
    max_iter = int(max_iter)
    n_init = int(n_init)
    tol = float(tol)
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0; got {max_iter}.")
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1; got {n_init}.")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol}.")

    if isinstance(init, Mixture):
        if n_components is not None and n_components != init.n_components:
            raise ValueError(
                f"n_components is {n_components} but the start mixture has "
                f"{init.n_components} components."
            )
        if n_init != 1:
            raise ValueError("n_init must be 1 when fitting from a given start mixture.")
        data = _prepared(X, init.n_features, min_samples=2)
        n_components = init.n_components
        if init.covariance_type != covariance_type:
            try:
                init = Mixture(init.weights, init.means, init.covariances, covariance_type)
            except ValueError:
                raise ValueError(
                    f"the start mixture has {init.covariance_type} covariances, which are not "
                    f"{covariance_type}; convert it with mixture.as_type({covariance_type!r})."
                ) from None
    else:
        if n_components is None:
            raise ValueError("n_components is required when init is a method name.")
        data = _prepared(X, min_samples=2)
    check_fittable(data.X, int(n_components))

    rng = np.random.default_rng(seed)
    starts: list[StartResult] = []
    best: tuple[StartResult, tuple[ComponentIssue, ...], float, bool] | None = None
    cancelled = False
    for _ in range(n_init):
        if isinstance(init, Mixture):
            start = init
        else:
            from gmm_gui.model.init import init_mixture

            start = init_mixture(
                data,
                int(n_components),
                init,
                seed=rng,
                covariance_type=covariance_type,
                reg_covar=reg_covar,
            )
        run, issues, initial_ll, cancelled = _run_em(
            data, start, covariance_type, max_iter, tol, reg_covar, on_step
        )
        starts.append(run)
        if best is None or run.mean_log_likelihood > best[0].mean_log_likelihood:
            best = (run, issues, initial_ll, cancelled)
        if cancelled:
            break
    assert best is not None
    run, issues, initial_ll, _ = best
    return FitResult(
        mixture=run.mixture,
        history=run.history,
        mean_log_likelihood=run.mean_log_likelihood,
        log_likelihood=run.mean_log_likelihood * data.n_samples,
        converged=run.converged,
        n_iter=run.n_iter,
        issues=issues,
        starts=tuple(starts),
        initial_mean_log_likelihood=initial_ll,
        cancelled=cancelled,
    )


def _run_em(
    data: PreparedData,
    start: Mixture,
    covariance_type: str,
    max_iter: int,
    tol: float,
    reg_covar: float,
    on_step: StepCallback | None,
) -> tuple[StartResult, tuple[ComponentIssue, ...], float, bool]:
    n_samples = data.n_samples
    mixture = start
    buffer = np.empty((start.n_components, n_samples))
    stats = None if data.phi is None else np.empty((data.phi.shape[0], start.n_components))
    resp_t, log_norm = _e_step(data, mixture, out=buffer, stats=stats)
    ll = float(log_norm.sum()) / n_samples
    initial_ll = ll
    lls = [ll]  # L_0, L_1, ...
    issues: list[ComponentIssue] = []
    seen: set[tuple[int, str]] = set()

    def record(found: list[ComponentIssue]) -> None:
        for issue in found:
            key = (issue.component, issue.kind)
            if key not in seen:
                seen.add(key)
                issues.append(issue)

    converged = False
    cancelled = False
    n_iter = 0
    for t in range(1, max_iter + 1):
        # scikit-learn's test for iteration t uses L_{t-1} - L_{t-2}, known before its M-step.
        prev = lls[t - 2] if t >= 2 else -math.inf
        change = lls[t - 1] - prev
        try:
            nk, new = _m_step(
                data, resp_t.T, covariance_type, reg_covar, iteration=t, stats=stats
            )
        except DegenerateMixtureError as exc:
            record(list(exc.issues))
            break
        record(_diagnose(nk, data.data_var, new, reg_covar, t))
        mixture = new
        n_iter = t
        resp_t, log_norm = _e_step(data, mixture, out=buffer, stats=stats)
        ll = float(log_norm.sum()) / n_samples
        lls.append(ll)
        if on_step is not None and on_step(t, mixture, ll) is False:
            cancelled = True
            break
        if abs(change) < tol:
            converged = True
            break
    history = tuple(lls[1:])
    run = StartResult(
        init=start,
        mixture=mixture,
        mean_log_likelihood=lls[-1],
        n_iter=n_iter,
        converged=converged,
        history=history,
    )
    return run, tuple(issues), initial_ll, cancelled
