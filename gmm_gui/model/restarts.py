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
solutions of the basin maps (:mod:`gmm_gui.model.basins`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from gmm_gui.model._progress import never_cancel, no_progress
from gmm_gui.model.em import fit
from gmm_gui.model.init import init_mixture
from gmm_gui.model.mixture import Mixture

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

RESTART_INITS = ("kmeans++", "random", "random_from_data")

#: Default tolerances for "the same maximum": mean log-likelihood per point, and the distance
#: between paired means in data standard deviations.
DEFAULT_LL_TOL = 1e-3
DEFAULT_MEAN_TOL = 0.1

#: A component owning fewer points than this is empty (as in the engine's ``diagnose``).
_EMPTY_POINTS = 1e-3
#: Up to this many orderings of the components are tried outright; beyond, Hungarian matching.
_MAX_PERMUTATIONS = 720
_NO_PAIR = 1e300


@dataclass(frozen=True)
class RestartRun:
    """One EM run of a set of restarts.

    Attributes
    ----------
    index : int
        Position in the set (0-based), the order in which the runs were made.
    seed : int
        Seed of the random start; ``init_mixture(X, K, init, seed=seed, ...)`` rebuilds it.
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

    @property
    def best(self) -> RestartRun | None:
        """The run with the highest final log-likelihood, or ``None`` if there is none."""
        return best_run(self.runs)

    def ranked(self) -> list[RestartRun]:
        """The runs sorted by final log-likelihood, best first."""
        return sorted(self.runs, key=lambda r: (-_finite(r.mean_log_likelihood), r.index))

    def group_of(self, index: int) -> int:
        """Position in :attr:`groups` of the group holding run ``index``."""
        for position, group in enumerate(self.groups):
            if index in group.members:
                return position
        raise KeyError(f"no run with index {index}")


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else -np.inf


def data_scale(X: np.ndarray) -> np.ndarray:
    """Standard deviation of each feature, with constant features counted as 1.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)

    Returns
    -------
    scale : array of shape (n_features,)
        Strictly positive.
    """
    X = np.asarray(X, dtype=float)
    scale = np.std(X, axis=0) if X.shape[0] > 0 else np.ones(X.shape[1])
    return np.where(scale > 0, scale, 1.0)


def match_components(
    means_a: np.ndarray, means_b: np.ndarray, scale: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Pair the components of two mixtures by their means (Hungarian matching).

    Parameters
    ----------
    means_a, means_b : arrays of shape (n_components, n_features)
        The means of two mixtures with the same number of components.
    scale : array of shape (n_features,), optional
        Distances are measured in these units per feature (usually :func:`data_scale`).

    Returns
    -------
    perm : int array of shape (n_components,)
        ``means_b[perm]`` lines up with ``means_a`` (component ``k`` of a is ``perm[k]`` of b),
        the pairing with the smallest total distance
        (:func:`scipy.optimize.linear_sum_assignment`).
    max_distance : float
        The largest scaled distance between paired means.
    """
    a = np.atleast_2d(np.asarray(means_a, dtype=float))
    b = np.atleast_2d(np.asarray(means_b, dtype=float))
    if a.shape != b.shape:
        raise ValueError(f"cannot pair components of shapes {a.shape} and {b.shape}")
    s = np.ones(a.shape[1]) if scale is None else np.asarray(scale, dtype=float)
    cost = cdist(a / s, b / s)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(a.shape[0], dtype=np.intp)
    perm[rows] = cols
    return perm, float(cost[rows, cols].max()) if rows.size else 0.0


def _pairing_distances(
    state: np.ndarray,
    state_empty: np.ndarray,
    others: np.ndarray,
    others_empty: np.ndarray,
    perms: np.ndarray | None,
) -> np.ndarray:
    """How far one fitted state is from each of several others, whatever the component order.

    ``state`` (K, d) and ``others`` (C, K, d) are scaled means; ``*_empty`` flag negligible
    components, whose means mean nothing: two of them pair at distance 0, one never pairs with a
    component that matters. Returns (C,): over the pairings of the components, the smallest
    largest distance between paired means (all pairings tried when ``perms`` is given, else the
    Hungarian pairing).
    """
    if perms is not None:
        dist = np.linalg.norm(state[perms][None] - others[:, None], axis=3)  # (C, P, K)
        se = state_empty[perms][None]
        oe = others_empty[:, None]
        dist = np.where(se & oe, 0.0, np.where(se | oe, np.inf, dist))
        return dist.max(axis=2).min(axis=1)
    out = np.empty(others.shape[0])
    for c in range(others.shape[0]):
        cost = np.linalg.norm(others[c][:, None] - state[None], axis=2)  # (K, K)
        both = others_empty[c][:, None] & state_empty[None]
        one = others_empty[c][:, None] ^ state_empty[None]
        cost = np.where(both, 0.0, np.where(one, _NO_PAIR, cost))
        rows, cols = linear_sum_assignment(cost)
        worst = cost[rows, cols].max()
        out[c] = np.inf if worst >= _NO_PAIR else worst
    return out


def _negligible(weights: np.ndarray, n_samples: int, ll_tol: float) -> np.ndarray:
    """Components too light to tell solutions apart: fewer than 1e-3 points (the engine's
    "empty"), or a weight below ``ll_tol``, which moves the mean log-likelihood by about that
    much at most wherever the component sits."""
    return np.asarray(weights) < max(ll_tol, _EMPTY_POINTS / max(n_samples, 1))


def identify_maxima(
    weights: np.ndarray,
    means: np.ndarray,
    mean_log_likelihood: np.ndarray,
    *,
    n_samples: int,
    scale: np.ndarray | None = None,
    usable: np.ndarray | None = None,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
) -> tuple[np.ndarray, list[int]]:
    """Number the local maxima that a set of EM runs reached.

    Two runs reached the same maximum when their mean log-likelihoods agree within ``ll_tol``
    and their components pair up (in some order) with every pair of means within ``mean_tol``
    (in units of ``scale``); components of negligible weight (below ``ll_tol``) pair only with
    each other, wherever they sit. Runs are taken best first: each joins the group of the first
    representative it matches or becomes a new representative; a run matching several
    representatives merges their groups, so that runs still creeping along a flat ridge towards
    a maximum (stopped by ``tol`` short of the top) end up with it.

    Parameters
    ----------
    weights : array of shape (n_runs, n_components)
    means : array of shape (n_runs, n_components, n_features)
    mean_log_likelihood : array of shape (n_runs,)
        Final parameters and mean log-likelihood per point of every run.
    n_samples : int
        Number of data points (to recognise empty components).
    scale : array of shape (n_features,), optional
        Units of ``mean_tol``, usually :func:`data_scale` of the data.
    usable : bool array of shape (n_runs,), optional
        Runs to number; the others get -1. Default: those with a finite log-likelihood.
    ll_tol, mean_tol : float
        The tolerances above.

    Returns
    -------
    ids : int array of shape (n_runs,)
        The maximum each run reached, 0 the best (highest log-likelihood); -1 if not usable.
    representatives : list of int
        For each id, the run representing it: its member with the highest log-likelihood.
    """
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    lls = np.asarray(mean_log_likelihood, dtype=float)
    n_runs, n_components, n_features = means.shape
    if usable is None:
        usable = np.isfinite(lls)
    usable = np.asarray(usable, dtype=bool) & np.isfinite(lls)
    s = np.ones(n_features) if scale is None else np.asarray(scale, dtype=float)
    scaled = means / s
    empty = _negligible(weights, n_samples, ll_tol)
    use_perms = math.factorial(n_components) <= _MAX_PERMUTATIONS
    perms = np.array(list(permutations(range(n_components)))) if use_perms else None

    ids = np.full(n_runs, -1, dtype=np.int64)
    rep_index: list[int] = []
    rep_means = np.empty((0, n_components, n_features))
    rep_empty = np.empty((0, n_components), dtype=bool)
    rep_ll = np.empty(0)
    parent: list[int] = []  # union-find over representatives; a root is its group's best

    def root(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    order = np.flatnonzero(usable)
    order = order[np.argsort(-lls[order], kind="stable")]
    for run in order:
        hits = np.flatnonzero(np.abs(rep_ll - lls[run]) <= ll_tol)
        if hits.size:
            dist = _pairing_distances(
                scaled[run], empty[run], rep_means[hits], rep_empty[hits], perms
            )
            hits = hits[dist <= mean_tol]
        if hits.size == 0:
            ids[run] = len(rep_index)
            parent.append(len(rep_index))
            rep_index.append(int(run))
            rep_means = np.concatenate([rep_means, scaled[run][None]])
            rep_empty = np.concatenate([rep_empty, empty[run][None]])
            rep_ll = np.append(rep_ll, lls[run])
            continue
        ids[run] = int(hits[0])
        first = root(int(hits[0]))
        for h in hits[1:]:
            other = root(int(h))
            if other != first:  # representatives were made best first: keep the older root
                parent[max(first, other)] = min(first, other)
                first = min(first, other)

    roots = np.array([root(r) for r in range(len(rep_index))], dtype=np.int64)
    kept = np.unique(roots)  # ascending: best first
    renumber = np.full(len(rep_index), -1, dtype=np.int64)
    renumber[kept] = np.arange(kept.size)
    numbered = ids >= 0
    ids[numbered] = renumber[roots[ids[numbered]]]
    return ids, [rep_index[r] for r in kept]


def same_maximum(
    mixture_a: Mixture,
    ll_a: float,
    mixture_b: Mixture,
    ll_b: float,
    scale: np.ndarray | None = None,
    *,
    n_samples: int = 1,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
) -> bool:
    """Whether two fitted mixtures are the same local maximum, whatever their component order.

    The test of :func:`identify_maxima` for one pair.

    Parameters
    ----------
    mixture_a, mixture_b : Mixture
    ll_a, ll_b : float
        Their mean log-likelihoods per point.
    scale : array of shape (n_features,), optional
        Units of ``mean_tol`` per feature (usually :func:`data_scale`).
    n_samples : int
        Number of data points (to recognise empty components).
    ll_tol : float
        Largest difference of mean log-likelihood per point.
    mean_tol : float
        Largest distance between paired means, in units of ``scale``.
    """
    if mixture_a.means.shape != mixture_b.means.shape:
        return False
    ids, _ = identify_maxima(
        np.stack([mixture_a.weights, mixture_b.weights]),
        np.stack([mixture_a.means, mixture_b.means]),
        np.array([ll_a, ll_b], dtype=float),
        n_samples=n_samples,
        scale=scale,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
    )
    return bool(ids[0] >= 0 and ids[0] == ids[1])


def best_run(runs: Sequence[RestartRun]) -> RestartRun | None:
    """The run with the highest final mean log-likelihood (earliest on a tie), or ``None``."""
    if not runs:
        return None
    return min(runs, key=lambda r: (-_finite(r.mean_log_likelihood), r.index))


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
        Best log-likelihood first; members of a group best first; a run with a non-finite
        log-likelihood is a group of its own, last.
    """
    runs = list(runs)
    if not runs:
        return []
    ids, reps = identify_maxima(
        np.stack([r.mixture.weights for r in runs]),
        np.stack([r.mixture.means for r in runs]),
        np.array([r.mean_log_likelihood for r in runs], dtype=float),
        n_samples=n_samples,
        scale=scale,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
    )
    groups = []
    for gid, rep in enumerate(reps):
        members = sorted(
            (runs[i] for i in np.flatnonzero(ids == gid)),
            key=lambda r: (-r.mean_log_likelihood, r.index),
        )
        groups.append(
            MaximumGroup(
                representative=runs[rep],
                members=tuple(r.index for r in members),
                mean_log_likelihood=float(np.mean([r.mean_log_likelihood for r in members])),
            )
        )
    for i in np.flatnonzero(ids < 0):  # a run whose log-likelihood is not a number
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
    max_iter: int = 1000,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    ll_tol: float | None = None,
    mean_tol: float = DEFAULT_MEAN_TOL,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> RestartsResult:
    """Fit a mixture ``n_starts`` times from random starts and keep every run.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    n_components : int
    n_starts : int
        Number of runs (default 20).
    init : {"kmeans++", "random", "random_from_data"}
        Kind of random start (see :func:`gmm_gui.model.init.init_mixture`).
    covariance_type : {"full", "diag", "spherical", "tied"}
    seed : int or None
        Master seed; run ``i`` uses ``run_seeds(seed, n_starts)[i]``.
    max_iter, tol, reg_covar
        Passed to :func:`gmm_gui.model.em.fit` for every run. The defaults run EM closer to
        convergence than a single fit's (``tol=1e-3``): the point here is which maximum each
        start reaches, and a loosely stopped run may still be far from it on a flat ridge.
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

        start = init_mixture(
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
    )
