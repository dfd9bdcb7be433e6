"""When two EM runs reached the same local maximum: the test shared by restarts and basin maps.

Two runs reached the same maximum when their mean log-likelihoods agree within ``ll_tol`` and
their components can be paired so that every pair of means is within ``mean_tol`` data standard
deviations (:func:`identify_maxima`): component numbers are arbitrary, so a run whose
"component 0" is another run's "component 1" is the same solution.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from gmm_gui.model.mixture import Mixture

__all__ = [
    "DEFAULT_LL_TOL",
    "DEFAULT_MEAN_TOL",
    "data_scale",
    "identify_maxima",
    "match_components",
    "same_maximum",
]

#: Default tolerances for "the same maximum": mean log-likelihood per point, and the distance
#: between paired means in data standard deviations.
DEFAULT_LL_TOL = 1e-3
DEFAULT_MEAN_TOL = 0.1

#: A component owning fewer points than this is empty (as in the engine's ``diagnose``).
_EMPTY_POINTS = 1e-3
#: Up to this many orderings of the components are tried outright; beyond, Hungarian matching.
_MAX_PERMUTATIONS = 720
_NO_PAIR = 1e300


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
    kinds: np.ndarray | None = None,
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
    kinds : int array of shape (n_runs,), optional
        Runs of different kinds are never the same maximum (e.g. converged runs and runs
        stopped by ``max_iter``, degenerate and proper solutions); default: all one kind.

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
    kind = np.zeros(n_runs, dtype=np.int64) if kinds is None else np.asarray(kinds).reshape(-1)
    rep_kind = np.empty(0, dtype=np.int64)
    for run in order:
        hits = np.flatnonzero((np.abs(rep_ll - lls[run]) <= ll_tol) & (rep_kind == kind[run]))
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
            rep_kind = np.append(rep_kind, kind[run])
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
