"""Starting mixtures for EM, and the k-means they may use.

The four methods have scikit-learn's ``init_params`` meanings:

``"kmeans"``
    k-means (k-means++ seeding, Lloyd's iterations) labels the points; one M-step from those hard
    responsibilities gives the start.
``"kmeans++"`` (also spelt ``"k-means++"``)
    k-means++ picks ``n_components`` data points; one M-step from hard responsibilities on those
    points alone gives the start (means at the points, covariances ``reg_covar`` times the
    identity, equal weights).
``"random"``
    Uniform random responsibilities, normalised per point, then one M-step.
``"random_from_data"``
    ``n_components`` distinct data points chosen uniformly, then as ``"kmeans++"``.

scikit-learn leaves the start's weights unnormalised for the last two (they sum to
``n_components / n_samples``); a :class:`Mixture`'s weights always sum to one. The
responsibilities of the first E-step, and so every later iteration, are unaffected.

:func:`init_mixture` is scikit-learn's start, exactly. :func:`draw_start` is **the one
initialiser of the application**: the window's toolbar, Restarts, the start map (which varies
the window's start) and ``gmm-fit -k K --seed S`` all call it, so that one kind and seed give one
start everywhere. It is :func:`init_mixture` with one change: a Gaussian that sits on a single
data point (k-means++ and from-data starts put every Gaussian there, its covariance at the
``reg_covar`` floor) is given the visible spread of a Gaussian placed by a click
(:data:`VISIBLE_SPREAD_FRACTION` of the data's standard deviation per axis, made to the
covariance type). Such a spike has nothing to see or drag, a start log-likelihood of minus
millions, and a first E-step that is a hard nearest-point assignment nobody could watch; the
window is where starts are looked at, so the visible start is the one everyone uses.
:func:`gmm_gui.model.fit` with a method name keeps scikit-learn's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model import _kernels
from gmm_gui.model._checks import check_data, check_fittable
from gmm_gui.model._data import PreparedData
from gmm_gui.model.covariance import COVARIANCE, check_covariance_type
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.steps import (
    DataLike,
    _check_reg_covar,
    _mixture_from_estimates,
    _prepared,
)

__all__ = [
    "INIT_METHODS",
    "VISIBLE_SPREAD_FRACTION",
    "KMeansResult",
    "draw_start",
    "init_mixture",
    "kmeans",
    "kmeans_plusplus",
    "spread_covariance",
    "widen_collapsed",
]

#: The initialisation methods :func:`init_mixture` knows.
INIT_METHODS: tuple[str, ...] = ("kmeans++", "kmeans", "random", "random_from_data")
_ALIASES = {"k-means++": "kmeans++", "k-means": "kmeans"}
#: A Gaussian of a start that sits on one point (and one placed by a click) gets this fraction
#: of the data's standard deviation per axis (see :func:`draw_start`).
VISIBLE_SPREAD_FRACTION = 0.25

SeedLike = int | np.random.Generator | None


@dataclass(frozen=True)
class KMeansResult:
    """The outcome of :func:`kmeans`.

    Attributes
    ----------
    centers : array of shape (n_clusters, n_features)
    labels : int array of shape (n_samples,)
        Index of each point's nearest centre.
    inertia : float
        Sum of squared distances of the points to their centres.
    n_iter : int
        Lloyd iterations of the best run.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def _sq_dist_to(Xt: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distances of the points (columns of ``Xt``, shape (n_features, n)) to ``c``."""
    out = np.subtract(Xt[0], c[0])
    out *= out
    tmp = np.empty_like(out)
    for j in range(1, Xt.shape[0]):
        np.subtract(Xt[j], c[j], out=tmp)
        tmp *= tmp
        out += tmp
    return out


def _distinct_error(n_distinct: int, n_clusters: int) -> ValueError:
    return ValueError(
        f"the data have only {n_distinct} distinct point{'s' if n_distinct != 1 else ''}, "
        f"fewer than the {n_clusters} components asked for: each component needs a point of "
        "its own to start from; use fewer components."
    )


def kmeans_plusplus(
    X: ArrayLike, n_clusters: int, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding, as scikit-learn's ``kmeans_plusplus``.

    Each new centre is the best (lowest potential) of ``2 + int(log(n_clusters))`` candidates
    drawn with probability proportional to the squared distance to the nearest chosen centre.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    seed : int, numpy Generator or None

    Returns
    -------
    centers : array of shape (n_clusters, n_features)
    indices : int array of shape (n_clusters,)
        Rows of ``X`` chosen as centres (all distinct points).

    Raises
    ------
    ValueError
        When ``X`` has fewer distinct points than ``n_clusters``.
    """
    Xa = check_data(X)
    rng = np.random.default_rng(seed)
    n_samples = Xa.shape[0]
    if not 1 <= n_clusters <= n_samples:
        raise ValueError(f"cannot pick {n_clusters} centres from {n_samples} points.")
    n_local_trials = 2 + int(math.log(n_clusters))
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    Xt = np.ascontiguousarray(Xa.T)
    closest = _sq_dist_to(Xt, Xa[indices[0]])
    pot = float(closest.sum())
    for c in range(1, n_clusters):
        if not pot > 0.0:
            raise _distinct_error(c, n_clusters)
        cum = np.cumsum(closest)
        rand_vals = rng.uniform(size=n_local_trials) * cum[-1]
        cand = np.searchsorted(cum, rand_vals, side="right")
        np.clip(cand, None, n_samples - 1, out=cand)
        best_pot = math.inf
        best_dist = closest
        best_id = int(cand[0])
        for cid in cand:
            dist = _sq_dist_to(Xt, Xa[cid])
            np.minimum(closest, dist, out=dist)
            p = float(dist.sum())
            if p < best_pot:
                best_pot, best_dist, best_id = p, dist, int(cid)
        indices[c] = best_id
        closest = best_dist
        pot = best_pot
    return Xa[indices].copy(), indices


def _assign(Xc: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre of each point and the squared distance to it."""
    # |x|^2 - 2 x.c + |c|^2 on centred data; the labels only need the argmin.
    d2 = Xc @ (-2.0 * centers.T)
    d2 += np.einsum("ij,ij->i", centers, centers)
    labels = np.argmin(d2, axis=1)
    best = d2[np.arange(Xc.shape[0]), labels]
    best += np.einsum("ij,ij->i", Xc, Xc)
    np.maximum(best, 0.0, out=best)
    return labels, best


def _centers_of(
    Xc: np.ndarray, labels: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    sums = np.empty((n_clusters, Xc.shape[1]))
    for j in range(Xc.shape[1]):
        sums[:, j] = np.bincount(labels, weights=Xc[:, j], minlength=n_clusters)
    return sums, counts


def _lloyd(
    Xc: np.ndarray, centers: np.ndarray, max_iter: int, tol: float
) -> tuple[np.ndarray, np.ndarray, float, int]:
    n_clusters = centers.shape[0]
    labels, dist = _assign(Xc, centers)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        sums, counts = _centers_of(Xc, labels, n_clusters)
        new = centers.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        empty = np.flatnonzero(~filled)
        if empty.size:
            # scikit-learn's remedy: move empty clusters to the points farthest from theirs.
            far = np.argsort(dist)[::-1][: empty.size]
            new[empty] = Xc[far]
        shift = float(((new - centers) ** 2).sum())
        centers = new
        new_labels, dist = _assign(Xc, centers)
        if np.array_equal(new_labels, labels):
            labels = new_labels
            break
        labels = new_labels
        if shift <= tol:
            break
    # Exact inertia from centred differences.
    diff = Xc - centers[labels]
    inertia = float(np.einsum("ij,ij->", diff, diff))
    return centers, labels, inertia, n_iter


def kmeans(
    X: ArrayLike,
    k: int,
    seed: SeedLike = None,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> KMeansResult:
    """k-means clustering: k-means++ seeding, then Lloyd's iterations.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k : int
        Number of clusters.
    seed : int, numpy Generator or None
    n_init : int, default 1
        Runs from different seeds; the lowest inertia wins (scikit-learn's ``n_init="auto"``
        is 1 with k-means++ seeding).
    max_iter : int, default 300
    tol : float, default 1e-4
        Stop when the squared centre shift is at most ``tol`` times the mean per-feature
        variance of ``X`` (scikit-learn's relative tolerance), or when no label changes.

    Returns
    -------
    KMeansResult
    """
    Xa = check_data(X)
    k = int(k)
    if not 1 <= k <= Xa.shape[0]:
        raise ValueError(f"cannot make {k} clusters from {Xa.shape[0]} points.")
    if int(n_init) < 1 or int(max_iter) < 1:
        raise ValueError("n_init and max_iter must be >= 1.")
    rng = np.random.default_rng(seed)
    offset = Xa.mean(axis=0)
    Xc = Xa - offset
    abs_tol = float(tol) * float(Xa.var(axis=0).mean())
    best: KMeansResult | None = None
    for _ in range(int(n_init)):
        centers, _ = kmeans_plusplus(Xc, k, seed=rng)
        centers, labels, inertia, n_iter = _lloyd(Xc, centers, int(max_iter), abs_tol)
        if best is None or inertia < best.inertia:
            best = KMeansResult(centers + offset, labels, inertia, n_iter)
    assert best is not None
    return best


def init_mixture(
    X: DataLike,
    n_components: int,
    method: str = "kmeans++",
    *,
    seed: SeedLike = None,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
) -> Mixture:
    """A starting mixture, as scikit-learn's ``init_params`` makes it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    n_components : int
    method : {"kmeans++", "kmeans", "random", "random_from_data"}
        See the module docstring.
    seed : int, numpy Generator or None
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6

    Returns
    -------
    Mixture

    Raises
    ------
    ValueError
        For an unknown method, data EM cannot fit, or fewer distinct points than components
        (methods that start from data points).
    """
    data = _prepared(X, min_samples=2)
    estimates = _start_estimates(data, n_components, method, seed, covariance_type, reg_covar)
    return _mixture_from_estimates(*estimates, covariance_type, 0)[1]


def _start_estimates(
    data: PreparedData,
    n_components: int,
    method: str,
    seed: SeedLike,
    covariance_type: str,
    reg_covar: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The start's M-step estimates ``(nk, means, covariances)``, before any check that the
    covariances are positive definite (a Gaussian on one point has none with reg_covar 0)."""
    method = _ALIASES.get(method, method)
    if method not in INIT_METHODS:
        raise ValueError(
            f"unknown initialisation method {method!r}; use one of {', '.join(INIT_METHODS)}."
        )
    check_covariance_type(covariance_type)
    reg_covar = _check_reg_covar(reg_covar)
    Xa = data.X
    n_components = int(n_components)
    check_fittable(Xa, n_components)
    rng = np.random.default_rng(seed)
    n_samples = Xa.shape[0]

    if method == "kmeans":
        labels = kmeans(Xa, n_components, seed=rng).labels
        resp = np.zeros((n_samples, n_components))
        resp[np.arange(n_samples), labels] = 1.0
    elif method == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        resp /= resp.sum(axis=1, keepdims=True)
    else:
        if method == "kmeans++":
            _, indices = kmeans_plusplus(Xa, n_components, seed=rng)
        else:
            indices = _distinct_indices(Xa, n_components, rng)
        resp = np.zeros((n_samples, n_components))
        resp[indices, np.arange(n_components)] = 1.0
    return _kernels.estimate_parameters(data, resp, covariance_type, reg_covar)


def _distinct_indices(X: np.ndarray, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """``n_components`` row indices of distinct points, uniformly at random."""
    n_samples = X.shape[0]
    for _ in range(8):
        idx = rng.choice(n_samples, size=n_components, replace=False)
        if np.unique(X[idx], axis=0).shape[0] == n_components:
            return idx
    # Many duplicates: choose among the distinct points, each as likely as its copies.
    _, first, counts = np.unique(X, axis=0, return_index=True, return_counts=True)
    if first.size < n_components:
        raise _distinct_error(int(first.size), n_components)
    chosen = rng.choice(first.size, size=n_components, replace=False, p=counts / counts.sum())
    return first[chosen]


def _data_sd(X: np.ndarray) -> np.ndarray:
    """The data's standard deviation per feature, 1 where it is 0, shape (n_features,)."""
    sd = np.std(X, axis=0)
    return np.where(sd > 0, sd, 1.0)


def spread_covariance(
    X: DataLike, fraction: float = VISIBLE_SPREAD_FRACTION
) -> np.ndarray:
    """Covariance of a newly placed Gaussian: ``fraction`` of the data's sd per axis.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    fraction : float

    Returns
    -------
    covariance : array of shape (n_features, n_features)
        Diagonal, ``(fraction * sd_j) ** 2`` on the diagonal (an axis without spread counts
        as sd 1).
    """
    Xa = X.X if isinstance(X, PreparedData) else check_data(X)
    return np.diag((float(fraction) * _data_sd(Xa)) ** 2)


def widen_collapsed(mixture: Mixture, X: DataLike, reg_covar: float = 1e-6) -> Mixture:
    """``mixture`` with every Gaussian that sits on a single point given a visible spread.

    A Gaussian is on a single point when each of its variances is at most ``10 * reg_covar``
    (plus ``1e-12`` of the largest data variance, for round-off); its covariance becomes
    :func:`spread_covariance`, made to the mixture's covariance type (round for
    ``spherical``: the mean of the per-axis variances, in data units; for ``tied`` the shared
    matrix, since every Gaussian shares it). Means and weights are kept.

    Parameters
    ----------
    mixture : Mixture
    X : array-like of shape (n_samples, n_features), or PreparedData
        The data (their standard deviation sets the spread).
    reg_covar : float

    Returns
    -------
    Mixture
        ``mixture`` itself when no Gaussian sits on a single point.
    """
    Xa = X.X if isinstance(X, PreparedData) else check_data(X)
    weights = np.asarray(mixture.weights, dtype=float)
    covs = _widened(mixture.covariances, weights, Xa, reg_covar, mixture.covariance_type)
    if covs is None:
        return mixture
    return Mixture(mixture.weights, mixture.means, covs, mixture.covariance_type)


def _widened(
    covariances: np.ndarray,
    weights: np.ndarray,
    X: np.ndarray,
    reg_covar: float,
    covariance_type: str,
) -> np.ndarray | None:
    """:func:`widen_collapsed`'s covariances, or ``None`` when none sits on a single point."""
    sd = _data_sd(X)
    floor = 10.0 * float(reg_covar) + 1e-12 * float(np.max(sd**2))
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    collapsed = np.all(variances <= floor, axis=1)
    if not collapsed.any():
        return None
    covs = np.array(covariances, dtype=float, copy=True)
    covs[collapsed] = np.diag((VISIBLE_SPREAD_FRACTION * sd) ** 2)
    return COVARIANCE[covariance_type].project(covs, weights)


def draw_start(
    X: DataLike,
    n_components: int,
    method: str = "kmeans++",
    *,
    seed: int | None = None,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
) -> Mixture:
    """The application's start: :func:`init_mixture`, then :func:`widen_collapsed`.

    Every consumer of a start kind and a seed calls this (the window's toolbar, Restarts, the
    start map through the window's start, ``gmm-fit -k K --seed S`` and its ``--restarts``),
    so that they draw the same start (see the module docstring for why Gaussians on a single
    point are widened).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    n_components : int
    method : {"kmeans++", "kmeans", "random", "random_from_data"}
    seed : int or None
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6

    Returns
    -------
    Mixture
    """
    data = _prepared(X, min_samples=2)
    # Widened before the check that the covariances are positive definite: with reg_covar = 0
    # a Gaussian started on one point (k-means++) has none until it is given its spread.
    nk, means, covs = _start_estimates(
        data, n_components, method, seed, covariance_type, reg_covar
    )
    widened = _widened(covs, nk / nk.sum(), data.X, reg_covar, covariance_type)
    if widened is not None:
        covs = widened
    return _mixture_from_estimates(nk, means, covs, covariance_type, 0)[1]
