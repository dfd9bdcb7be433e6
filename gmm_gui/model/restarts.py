"""Many EM runs from random starts, and which local maxima they reach.

EM climbs to a local maximum of the likelihood that depends on where it starts. The remedy taught
in the lecture is to start many times and keep the run with the best training log-likelihood.
:func:`run_restarts` does that and keeps every run (its start too, so a run can be replayed);
:func:`group_maxima` says which runs reached the same maximum, so the user sees "14 of 20 runs
found this solution, 6 found that one".

Two runs reached the same maximum when their mean log-likelihoods agree within ``ll_tol`` and
their components can be paired so that every pair of means is within ``mean_tol`` data standard
deviations (:func:`identify_maxima`): component numbers are arbitrary, so a run whose
"component 0" is another run's "component 1" is the same solution. The same test numbers the
solutions of the basin maps (:mod:`gmm_gui.model.basins`); it lives in
:mod:`gmm_gui.model.maxima` and is re-exported here.

Honest outcomes: every run climbs to :data:`~gmm_gui.model.convergence.RUN_TOL` (or stops at
:data:`~gmm_gui.model.convergence.RUN_MAX_ITER`, then ``converged=False``); a run in which a
component collapsed is ``degenerate`` (see
:func:`gmm_gui.model.diagnostics.degenerate_components`), a singularity of the likelihood and not a
maximum. Runs are grouped only with runs of the same kind (converged or not, degenerate or not),
so a group is all one kind, and :attr:`RestartsResult.best` is the best run that is not
degenerate. With a prior, runs are ranked and grouped by their mean log-posterior (the
objective EM climbed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gmm_gui.model._progress import never_cancel, no_progress
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.em import fit
from gmm_gui.model.init import INIT_METHODS, draw_start
from gmm_gui.model.maxima import (
    DEFAULT_LL_TOL,
    DEFAULT_MEAN_TOL,
    data_scale,
    identify_maxima,
    match_components,
    same_maximum,
)
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior

__all__ = [
    "MaximumGroup",
    "RestartRun",
    "RestartsResult",
    "best_run",
    "data_scale",
    "group_maxima",
    "identify_maxima",
    "match_components",
    "run_restarts",
    "run_seeds",
    "same_maximum",
]

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]

#: The start kinds of restarts: every kind of :func:`gmm_gui.model.init.draw_start`.
RESTART_INITS = INIT_METHODS


@dataclass(frozen=True)
class RestartRun:
    """One EM run of a set of restarts.

    Attributes
    ----------
    index : int
        Position in the set (0-based), the order in which the runs were made.
    seed : int
        Seed of the random start; ``draw_start(X, K, init, seed=seed, ...)`` rebuilds it (the
        window's toolbar draws the same start from the same kind and seed).
    start : Mixture
        The random starting mixture, for replaying the run.
    mixture : Mixture
        Where EM ended.
    mean_log_likelihood : float
        Mean log-likelihood per point of the final mixture.
    n_iter : int
        EM iterations made.
    converged : bool
        Whether the run stopped because the change fell below ``tol`` (not at ``max_iter``).
    history : tuple of float
        Mean log-likelihood per point after each iteration.
    issues : tuple of str
        The engine's warnings for this run, in sentences.
    degenerate_components : tuple of int
        Components of ``mixture`` that collapsed (``FitResult.degenerate_components``).
    mean_log_posterior : float
        With a prior, the mean log-posterior per point of ``mixture`` (what the run climbed);
        NaN without one.
    """

    index: int
    seed: int
    start: Mixture
    mixture: Mixture
    mean_log_likelihood: float
    n_iter: int
    converged: bool
    history: tuple[float, ...] = ()
    issues: tuple[str, ...] = ()
    degenerate_components: tuple[int, ...] = ()
    mean_log_posterior: float = float("nan")

    @property
    def degenerate(self) -> bool:
        """A component collapsed: a degenerate solution, not a local maximum."""
        return bool(self.degenerate_components)

    @property
    def objective(self) -> float:
        """What the run climbed: ``mean_log_posterior`` with a prior, else the log-likelihood."""
        if np.isnan(self.mean_log_posterior):
            return self.mean_log_likelihood
        return self.mean_log_posterior


@dataclass(frozen=True)
class MaximumGroup:
    """Runs that reached the same local maximum.

    Attributes
    ----------
    representative : RestartRun
        The member with the highest log-likelihood (the one to show).
    members : tuple of int
        ``index`` of every run in the group, best first.
    mean_log_likelihood : float
        Average final mean log-likelihood over the members.
    """

    representative: RestartRun
    members: tuple[int, ...]
    mean_log_likelihood: float

    @property
    def degenerate(self) -> bool:
        """Its runs are degenerate solutions (all members are, or none: grouped by kind)."""
        return self.representative.degenerate

    @property
    def converged(self) -> bool:
        """Its runs converged (all members did, or none did: a run stopped by ``max_iter`` is
        grouped only with other such runs)."""
        return self.representative.converged

    @property
    def count(self) -> int:
        """How many runs reached this maximum."""
        return len(self.members)

    @property
    def best_log_likelihood(self) -> float:
        """The representative's mean log-likelihood per point."""
        return self.representative.mean_log_likelihood


@dataclass(frozen=True)
class RestartsResult:
    """All runs of :func:`run_restarts` and the maxima they reached.

    Attributes
    ----------
    runs : tuple of RestartRun
        Completed runs in the order made (fewer than ``n_starts`` if cancelled).
    groups : tuple of MaximumGroup
        The distinct maxima, best log-likelihood first.
    n_starts : int
        Number of runs asked for.
    init : str
        Kind of random start.
    covariance_type : str
        Covariance type every run was fitted with.
    scale : array of shape (n_features,)
        Data standard deviation per feature, the unit of ``mean_tol`` in the grouping.
    n_samples : int
        Number of data points.
    ll_tol, mean_tol : float
        The tolerances the runs were grouped with.
    cancelled : bool
        True when the user cancelled before all runs were made.
    prior : Prior or None
        The prior of MAP runs, or ``None``.
    tol, max_iter : float, int
        The stopping rule every run used.
    """

    runs: tuple[RestartRun, ...]
    groups: tuple[MaximumGroup, ...]
    n_starts: int
    init: str
    covariance_type: str
    scale: np.ndarray
    n_samples: int
    ll_tol: float
    mean_tol: float
    cancelled: bool = False
    prior: Prior | None = None
    tol: float = RUN_TOL
    max_iter: int = RUN_MAX_ITER

    @property
    def best(self) -> RestartRun | None:
        """The best run that is not degenerate (highest objective), or ``None`` if every run
        is degenerate or there is none (:attr:`n_degenerate_set_aside` says how many were)."""
        return best_run(self.runs, skip_degenerate=True)

    @property
    def n_degenerate_set_aside(self) -> int:
        """How many runs :attr:`best` set aside as degenerate (every degenerate run)."""
        return sum(1 for r in self.runs if r.degenerate)

    def ranked(self) -> list[RestartRun]:
        """The runs sorted by final objective (log-likelihood, or log-posterior), best first."""
        return sorted(self.runs, key=lambda r: (-_finite(r.objective), r.index))

    def group_of(self, index: int) -> int:
        """Position in :attr:`groups` of the group holding run ``index``."""
        for position, group in enumerate(self.groups):
            if index in group.members:
                return position
        raise KeyError(f"no run with index {index}")


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else -np.inf


def best_run(runs: Sequence[RestartRun], *, skip_degenerate: bool = False) -> RestartRun | None:
    """The run with the highest final objective (earliest on a tie), or ``None``.

    The objective is the mean log-likelihood, or with a prior the mean log-posterior. With
    ``skip_degenerate``, degenerate runs are not considered.
    """
    pool = [r for r in runs if not (skip_degenerate and r.degenerate)]
    if not pool:
        return None
    return min(pool, key=lambda r: (-_finite(r.objective), r.index))


def group_maxima(
    runs: Sequence[RestartRun],
    scale: np.ndarray | None = None,
    *,
    n_samples: int = 1,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
) -> list[MaximumGroup]:
    """Group runs that reached the same local maximum (see :func:`identify_maxima`).

    Parameters
    ----------
    runs : sequence of RestartRun
        Runs with the same number of components and features.
    scale : array of shape (n_features,), optional
        Units of ``mean_tol`` per feature, usually :func:`data_scale` of the data.
    n_samples : int
        Number of data points (to recognise empty components).
    ll_tol : float
        Largest difference of mean log-likelihood per point within a group.
    mean_tol : float
        Largest distance between paired means within a group, in units of ``scale``.

    Returns
    -------
    groups : list of MaximumGroup
        Best objective first; members of a group best first; a run with a non-finite
        objective is a group of its own, last. Runs are grouped only with runs of the same
        kind: converged or stopped by ``max_iter``, degenerate or not (so a run that has not
        finished climbing is never counted as reaching a maximum that converged runs reach).
        The objective is the mean log-likelihood, or with a prior the mean log-posterior.
    """
    runs = list(runs)
    if not runs:
        return []
    kinds = np.array([2 * int(r.converged) + int(r.degenerate) for r in runs])
    ids, reps = identify_maxima(
        np.stack([r.mixture.weights for r in runs]),
        np.stack([r.mixture.means for r in runs]),
        np.array([r.objective for r in runs], dtype=float),
        n_samples=n_samples,
        scale=scale,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
        kinds=kinds,
    )
    groups = []
    for gid, rep in enumerate(reps):
        members = sorted(
            (runs[i] for i in np.flatnonzero(ids == gid)),
            key=lambda r: (-r.objective, r.index),
        )
        groups.append(
            MaximumGroup(
                representative=runs[rep],
                members=tuple(r.index for r in members),
                mean_log_likelihood=float(np.mean([r.mean_log_likelihood for r in members])),
            )
        )
    for i in np.flatnonzero(ids < 0):  # a run whose objective is not a number
        groups.append(
            MaximumGroup(
                representative=runs[i],
                members=(runs[i].index,),
                mean_log_likelihood=float(runs[i].mean_log_likelihood),
            )
        )
    return groups


def run_seeds(seed: int | None, n_starts: int) -> np.ndarray:
    """The per-run seeds :func:`run_restarts` uses: the first ``n`` do not depend on ``n_starts``.

    Parameters
    ----------
    seed : int or None
        Master seed; ``None`` draws fresh entropy (the runs are still replayable, their seeds are
        kept).
    n_starts : int

    Returns
    -------
    seeds : int array of shape (n_starts,)
    """
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**31 - 1, size=n_starts, dtype=np.int64)


def run_restarts(
    X: np.ndarray,
    n_components: int,
    n_starts: int = 20,
    init: str = "kmeans++",
    *,
    covariance_type: str = "full",
    seed: int | None = None,
    max_iter: int = RUN_MAX_ITER,
    tol: float = RUN_TOL,
    reg_covar: float = 1e-6,
    ll_tol: float | None = None,
    mean_tol: float = DEFAULT_MEAN_TOL,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
    prior: Prior | None = None,
) -> RestartsResult:
    """Fit a mixture ``n_starts`` times from random starts and keep every run.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    n_components : int
    n_starts : int
        Number of runs (default 20).
    init : {"kmeans++", "kmeans", "random", "random_from_data"}
        Kind of random start: run ``i`` starts from ``draw_start(X, K, init,
        seed=run_seeds(seed, n_starts)[i], ...)`` (:func:`gmm_gui.model.init.draw_start`, the
        window's and ``gmm-fit``'s start).
    covariance_type : {"full", "diag", "spherical", "tied"}
    seed : int or None
        Master seed; run ``i`` uses ``run_seeds(seed, n_starts)[i]``.
    max_iter, tol, reg_covar
        Passed to :func:`gmm_gui.model.em.fit` for every run. The defaults (``RUN_MAX_ITER``,
        ``RUN_TOL`` of :mod:`gmm_gui.model.convergence`) run EM to convergence, far
        tighter than a single fit's ``tol=1e-3``: the point here is which maximum each start
        reaches, and a loosely stopped run may still be far from it on a flat ridge.
    ll_tol : float, optional
        Log-likelihood tolerance of the grouping; default ``max(1e-3, 10 * tol)``, since a run
        stopped by ``tol`` may still be a little short of its maximum.
    mean_tol : float
        Mean-distance tolerance of the grouping, in data standard deviations.
    progress : callable(done, total), optional
        Called after each run.
    should_cancel : callable() -> bool, optional
        Polled before each run and at every EM iteration; when it returns True the run in
        progress is dropped and the runs made so far are returned with ``cancelled=True``.
    prior : Prior, optional
        MAP-EM for every run (see :func:`gmm_gui.model.em.fit`).

    Returns
    -------
    RestartsResult
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if init not in RESTART_INITS:
        raise ValueError(f"init must be one of {RESTART_INITS}, got {init!r}")
    if n_starts < 1:
        raise ValueError("n_starts must be at least 1")
    if n_components < 1:
        raise ValueError("n_components must be at least 1")
    if n_components > X.shape[0]:
        raise ValueError(
            f"cannot fit {n_components} components to {X.shape[0]} points: "
            "each component needs at least one point"
        )
    progress = progress or no_progress
    should_cancel = should_cancel or never_cancel
    seeds = run_seeds(seed, n_starts)
    runs: list[RestartRun] = []
    cancelled = False

    for index, run_seed in enumerate(seeds):
        if should_cancel():
            cancelled = True
            break
        stopped = False

        def on_step(iteration: int, mixture: Mixture, mean_ll: float) -> bool:
            nonlocal stopped
            if should_cancel():
                stopped = True
                return False
            return True

        start = draw_start(
            X,
            n_components,
            init,
            seed=int(run_seed),
            covariance_type=covariance_type,
            reg_covar=reg_covar,
        )
        result = fit(
            X,
            start,
            covariance_type=covariance_type,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            n_init=1,
            seed=int(run_seed),
            on_step=on_step,
            prior=prior,
        )
        if stopped:
            cancelled = True
            break
        runs.append(
            RestartRun(
                index=index,
                seed=int(run_seed),
                start=start,
                mixture=result.mixture,
                mean_log_likelihood=float(result.mean_log_likelihood),
                n_iter=int(result.n_iter),
                converged=bool(result.converged),
                history=tuple(float(v) for v in result.history),
                issues=tuple(str(m) for m in result.issues),
                degenerate_components=result.degenerate_components,
                mean_log_posterior=float(result.mean_log_posterior),
            )
        )
        progress(index + 1, n_starts)

    scale = data_scale(X)
    ll_tol = max(DEFAULT_LL_TOL, 10.0 * tol) if ll_tol is None else float(ll_tol)
    groups = group_maxima(runs, scale, n_samples=X.shape[0], ll_tol=ll_tol, mean_tol=mean_tol)
    return RestartsResult(
        runs=tuple(runs),
        groups=tuple(groups),
        n_starts=n_starts,
        init=init,
        covariance_type=covariance_type,
        scale=scale,
        n_samples=int(X.shape[0]),
        ll_tol=ll_tol,
        mean_tol=float(mean_tol),
        cancelled=cancelled,
        prior=prior,
        tol=float(tol),
        max_iter=int(max_iter),
    )
