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

With a prior (MAP-EM, ``fit(..., prior=Prior.default(X, K))``, see :mod:`gmm_gui.model.prior`)
the M-step returns the posterior mode and the objective is the mean log-posterior per point,
``(log L + log p(theta)) / n_samples``: ``history`` holds it, the stopping rule tests it and it
never decreases; ``mean_log_likelihood`` stays the plain log-likelihood of the final mixture (the
``loglik`` mclust reports), ``mean_log_posterior`` is the objective.

Speed: see :mod:`gmm_gui.model._kernels`; pass :func:`prepare_data` ``(X)`` instead of ``X`` to
the step functions when calling them many times on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gmm_gui.model._checks import check_fittable
from gmm_gui.model.convergence import is_last_iteration
from gmm_gui.model.covariance import check_covariance_type
from gmm_gui.model.diagnostics import _diagnose, degenerate_components, diagnose
from gmm_gui.model.init import init_mixture
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior
from gmm_gui.model.steps import (
    ComponentIssue,
    DataLike,
    DegenerateMixtureError,
    PreparedData,
    _check_reg_covar,
    _e_step,
    _m_step,
    _prepared,
    e_step,
    log_prior_density,
    log_prob_components,
    m_step,
    prepare_data,
    score_samples,
)

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

StepCallback = Callable[[int, Mixture, float], "bool | None"]


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
        The objective after each iteration: mean log-likelihood per point, or with a prior the
        mean log-posterior per point (see the module docstring).
    mean_log_posterior : float
        The objective of ``mixture`` with a prior; NaN without one.
    """

    init: Mixture
    mixture: Mixture
    mean_log_likelihood: float
    n_iter: int
    converged: bool
    history: tuple[float, ...]
    mean_log_posterior: float = math.nan


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`.

    Attributes
    ----------
    mixture : Mixture
        The best run's final mixture (highest ``objective``).
    history : tuple of float
        ``(L_1, ..., L_T)``: mean log-likelihood per point after every iteration of the best run;
        with a prior, the mean log-posterior per point instead (the objective).
    mean_log_likelihood : float
        ``L_T``, mean log-likelihood per point of ``mixture`` (``L_0`` when no iteration ran);
        with a prior too (then ``history[-1]`` is ``mean_log_posterior`` instead).
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
        ``L_0``, the mean log-likelihood per point of the best run's start (the plain
        log-likelihood, also with a prior).
    cancelled : bool
        ``on_step`` returned False and the fit stopped early.
    prior : Prior or None
        The prior of a MAP fit; ``None`` for maximum likelihood.
    mean_log_posterior : float
        With a prior: ``(log L + log p(theta)) / n_samples`` of ``mixture``, the objective;
        NaN without one.
    degenerate_components : tuple of int
        Components of ``mixture`` that collapsed (see
        :func:`gmm_gui.model.diagnostics.degenerate_components`): a degenerate solution, not a
        maximum.
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
    prior: Prior | None = None
    mean_log_posterior: float = math.nan
    degenerate_components: tuple[int, ...] = ()

    @property
    def uses_prior(self) -> bool:
        """Whether this is a MAP fit (a prior was used)."""
        return self.prior is not None

    @property
    def objective(self) -> float:
        """What EM climbed: ``mean_log_posterior`` with a prior, else ``mean_log_likelihood``."""
        return self.mean_log_posterior if self.prior is not None else self.mean_log_likelihood

    @property
    def degenerate(self) -> bool:
        """Whether some component collapsed (``degenerate_components`` is not empty)."""
        return bool(self.degenerate_components)


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
    prior: Prior | None = None,
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
        point (the mean log-posterior with a prior). Returning ``False`` stops the fit (the
        result has ``cancelled=True``).
    prior : Prior, optional
        MAP-EM with this prior (e.g. ``Prior.default(X, n_components)``, mclust's defaults);
        ``reg_covar`` is then not added (see the module docstring).

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
    if prior is not None:
        prior.check_features(data.n_features)

    rng = np.random.default_rng(seed)
    starts: list[StartResult] = []
    best: tuple[StartResult, tuple[ComponentIssue, ...], float, np.ndarray] | None = None
    cancelled = False
    for _ in range(n_init):
        if isinstance(init, Mixture):
            start = init
        else:
            start = init_mixture(
                data,
                int(n_components),
                init,
                seed=rng,
                covariance_type=covariance_type,
                reg_covar=reg_covar,
            )
        run, issues, initial_ll, cancelled, nk = _run_em(
            data, start, covariance_type, max_iter, tol, reg_covar, on_step, prior
        )
        starts.append(run)
        if best is None or _objective(run) > _objective(best[0]):
            best = (run, issues, initial_ll, nk)
        if cancelled:
            break
    assert best is not None
    run, issues, initial_ll, nk = best
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
        prior=prior,
        mean_log_posterior=run.mean_log_posterior,
        degenerate_components=degenerate_components(
            run.mixture, nk, 0.0 if prior is not None else reg_covar, data.data_var
        ),
    )


def _objective(run: StartResult) -> float:
    if math.isnan(run.mean_log_posterior):
        return run.mean_log_likelihood
    return run.mean_log_posterior


def _run_em(
    data: PreparedData,
    start: Mixture,
    covariance_type: str,
    max_iter: int,
    tol: float,
    reg_covar: float,
    on_step: StepCallback | None,
    prior: Prior | None = None,
) -> tuple[StartResult, tuple[ComponentIssue, ...], float, bool, np.ndarray]:
    """One EM run; also returns the soft counts (n_components,) of the final mixture."""
    n_samples = data.n_samples
    mixture = start
    buffer = np.empty((start.n_components, n_samples))
    stats = None if data.phi is None else np.empty((data.phi.shape[0], start.n_components))
    resp_t, log_norm = _e_step(data, mixture, out=buffer, stats=stats)
    ll = float(log_norm.sum()) / n_samples
    initial_ll = ll
    plain = ll  # the log-likelihood of the newest mixture (lls holds the objective)

    def objective(mix: Mixture, mean_ll: float) -> float:
        if prior is None:
            return mean_ll
        return mean_ll + log_prior_density(mix, prior) / n_samples

    lls = [objective(mixture, ll)]  # L_0, L_1, ... (the objective)
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
        last = is_last_iteration(lls, tol)
        try:
            nk, new = _m_step(
                data, resp_t.T, covariance_type, reg_covar, iteration=t, stats=stats,
                prior=prior,
            )
        except DegenerateMixtureError as exc:
            record(list(exc.issues))
            break
        record(_diagnose(nk, data.data_var, new, 0.0 if prior is not None else reg_covar, t))
        mixture = new
        n_iter = t
        resp_t, log_norm = _e_step(data, mixture, out=buffer, stats=stats)
        plain = float(log_norm.sum()) / n_samples
        ll = objective(mixture, plain)
        lls.append(ll)
        if on_step is not None and on_step(t, mixture, ll) is False:
            cancelled = True
            break
        if last:
            converged = True
            break
    history = tuple(lls[1:])
    run = StartResult(
        init=start,
        mixture=mixture,
        mean_log_likelihood=plain,
        n_iter=n_iter,
        converged=converged,
        history=history,
        mean_log_posterior=lls[-1] if prior is not None else math.nan,
    )
    # resp_t is always the E-step of ``mixture`` (an M-step that broke down left both as they were)
    return run, tuple(issues), initial_ll, cancelled, resp_t.sum(axis=1)
