"""The M-step's kernels: parameters from the sufficient statistics of the monomials.

The statistics (per component the summed responsibilities, ``r x`` and ``r x_i x_j`` about one
fixed centre) add up over points, so :func:`parameters_from_summed_stats` is the one reduce of
in-memory, chunked and distributed EM. A moment expansion loses digits for a component that is
narrow and far from the centre: such components are recomputed from differences.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gmm_gui.model._data import _EPS, DataCentre, PreparedData, _block_size
from gmm_gui.model._linalg import inv_lower
from gmm_gui.model.covariance import COVARIANCE
from gmm_gui.model.prior import Prior

__all__ = [
    "estimate_parameters",
    "exact_scatter",
    "parameters_from_stats",
    "parameters_from_summed_stats",
    "sufficient_stats",
]

# Largest error bound (in units of eps) accepted for the expanded M-step: about
# 1e4 * 2.2e-16 = 2e-12 relative to the covariance in whitened units (randomised check: the
# error tracks bound * eps within a factor 2 for large bounds; worst seen below the threshold
# 1.9e-12). The requirement against scikit-learn is 1e-6.
_FAST_M_BOUND = 1e4


def sufficient_stats(data: PreparedData, resp: np.ndarray) -> np.ndarray:
    """``phi @ resp`` by blocks (faster than one product: the blocks stay in cache).

    Parameters
    ----------
    data : PreparedData
        With monomials (``data.phi`` not None).
    resp : array of shape (n_samples, n_components)

    Returns
    -------
    array of shape (n_terms, n_components)
    """
    assert data.phi is not None
    n_components = resp.shape[1]
    stats = np.zeros((data.phi.shape[0], n_components))
    block = _block_size(n_components)
    for start in range(0, data.n_samples, block):
        stop = min(start + block, data.n_samples)
        stats += data.phi[:, start:stop] @ resp[start:stop]
    return stats


def parameters_from_stats(
    stats: np.ndarray, offset: np.ndarray, pairs: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft counts, means and raw covariances from the sufficient statistics of the monomials.

    The statistics add up over points, so those of several chunks of the data may be summed
    before this is called. Leading batch axes (``...``) are kept: the batched EM passes one row
    of statistics per start.

    Parameters
    ----------
    stats : array of shape (..., n_components, n_terms)
        ``resp.T @ phi.T``: per component the sum of the responsibilities, of ``r x`` and of
        ``r x_i x_j`` (``(i, j)`` in the order of ``pairs``), ``x`` centred on ``offset``.
    offset : array of shape (n_features,)
        The centre of the data the statistics were taken on.
    pairs : list of (int, int)
        The products ``x_i x_j`` (``i <= j``) in the order of the statistics' columns.

    Returns
    -------
    nk : array of shape (..., n_components)
        Soft counts plus ``10 * eps``, as in scikit-learn (so an empty component gives no NaN).
    means : array of shape (..., n_components, n_features)
        ``sum(r x) / nk`` in the data's own coordinates: a component with (almost) no points
        goes to the origin as in scikit-learn, not to the data's centre.
    raw : array of shape (..., n_components, n_features, n_features)
        ``sum_i r_i (x_i - mu)(x_i - mu)^T / nk``, symmetric, not constrained or regularised.
        Expanded from moments, so it loses digits for a component that is narrow and far from
        ``offset`` (:func:`estimate_parameters` checks and recomputes those exactly).
    """
    n_features = offset.shape[0]
    nk = stats[..., 0] + 10 * _EPS
    sums = stats[..., 1 : 1 + n_features]
    means = (sums + (nk - 10 * _EPS)[..., None] * offset) / nk[..., None]
    mu_c = means - offset
    # sum_i r_i (x_i - mu)(x_i - mu)^T / nk from the moments, with m = sum r x / nk the
    # exact centred mean, g = mu - m (the rounding of the stored mean, and scikit-learn's
    # pull of a near-empty component towards the origin) and c = sum(r) / nk:
    #   E[x x^T] - (2 - c) m m^T - (1 - c)(m g^T + g m^T) + c g g^T,
    # so the rounding of mu enters only squared; c = 1 up to 1e-15 unless nk is tiny.
    first = sums / nk[..., None]
    gap = mu_c - first
    own = 1.0 - 10 * _EPS / nk
    raw = np.empty(nk.shape + (n_features, n_features))
    for col, (i, j) in enumerate(pairs, start=1 + n_features):
        raw[..., i, j] = (
            stats[..., col] / nk
            - (2.0 - own) * first[..., i] * first[..., j]
            - (1.0 - own) * (first[..., i] * gap[..., j] + gap[..., i] * first[..., j])
            + own * gap[..., i] * gap[..., j]
        )
        raw[..., j, i] = raw[..., i, j]
    return nk, means, raw


#: ``scatter(components, centred_means)``: per listed component the sum over points of
#: ``r_ik (x_i - mu_k)(x_i - mu_k)^T`` computed from differences, shape (len(components), d, d).
Scatter = Callable[[np.ndarray, np.ndarray], np.ndarray]


def parameters_from_summed_stats(
    stats: np.ndarray,
    centre: DataCentre,
    pairs: list[tuple[int, int]],
    covariance_type: str,
    reg_covar: float,
    scatter: Scatter,
    prior: Prior | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step from summed statistics: the reduce shared by in-memory and chunked EM.

    Parameters
    ----------
    stats : array of shape (n_terms, n_components)
        ``phi @ resp`` summed over the whole data set (or all its chunks), centred on
        ``centre.offset``.
    centre : DataCentre
    pairs : list of (int, int)
        The products in the order of the statistics' rows.
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    scatter : callable(components, centred_means) -> array of shape (m, n_features, n_features)
        Called only when the expansion from moments lost digits for some components (narrow
        and far from the centre): their exact scatter about the new means, from differences
        (in memory: one product; chunked: a second pass over the chunks).
    prior : Prior, optional
        Return the posterior mode instead (``reg_covar`` is then not used).

    Returns
    -------
    nk : array of shape (n_components,)
        Soft counts plus ``10 * eps``.
    means : array of shape (n_components, n_features)
    covariances : array of shape (n_components, n_features, n_features)
        Full matrices whatever the type, constrained by the registry.
    """
    nk, means, raw = parameters_from_stats(stats.T, centre.offset, pairs)
    exact = np.flatnonzero(~_expansion_is_accurate(raw, centre.extent))
    if exact.size:
        mu_c = means[exact] - centre.offset
        raw[exact] = scatter(exact, mu_c) / nk[exact, None, None]
    means, covs = _constrain(covariance_type, nk, means, raw, reg_covar, prior)
    return nk, means, covs


def _constrain(
    covariance_type: str,
    nk: np.ndarray,
    means: np.ndarray,
    raw: np.ndarray,
    reg_covar: float,
    prior: Prior | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The registry's constraint, or with a prior its posterior mode: (means, covariances)."""
    spec = COVARIANCE[covariance_type]
    if prior is not None:
        return spec.constrain_with_prior(nk, means, raw, prior)
    return means, spec.constrain(raw, nk, reg_covar)


def estimate_parameters(
    data: PreparedData,
    resp: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    stats: np.ndarray | None = None,
    prior: Prior | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step's estimates, with covariances of centred data.

    Parameters
    ----------
    data : PreparedData
    resp : array of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    stats : array of shape (n_terms, n_components), optional
        ``phi @ resp`` if the E-step already accumulated it.
    prior : Prior, optional
        Return the posterior mode instead (the registry's ``constrain_with_prior``;
        ``reg_covar`` is then not used).

    Returns
    -------
    nk : array of shape (n_components,)
        Soft counts plus ``10 * eps``, as in scikit-learn (so an empty component gives no NaN).
    means : array of shape (n_components, n_features)
    covariances : array of shape (n_components, n_features, n_features)
        Full matrices whatever the type, ``reg_covar`` added to the diagonal.
    """
    if data.phi is not None:
        if stats is None:
            stats = sufficient_stats(data, resp)

        def scatter(components: np.ndarray, mu_c: np.ndarray) -> np.ndarray:
            return np.stack(
                [exact_scatter(data.xt, resp[:, k], mu_c[i]) for i, k in enumerate(components)]
            )

        return parameters_from_summed_stats(
            stats, data.centre, data.pairs, covariance_type, reg_covar, scatter, prior
        )
    nk = resp.sum(axis=0) + 10 * _EPS
    sums = data.xt @ resp
    means = (sums.T + np.outer(nk - 10 * _EPS, data.offset)) / nk[:, None]
    mu_c = means - data.offset
    raw = np.stack(
        [exact_scatter(data.xt, resp[:, k], mu_c[k]) / nk[k] for k in range(resp.shape[1])]
    )
    means, covs = _constrain(covariance_type, nk, means, raw, reg_covar, prior)
    return nk, means, covs


def _expansion_is_accurate(cov: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """Per component: did ``E[xx] - mu mu`` keep enough digits for this covariance?

    Parameters
    ----------
    cov : array of shape (n_components, n_features, n_features)
    extent : array of shape (n_features,)

    Returns
    -------
    bool array of shape (n_components,)
    """
    n_components = cov.shape[0]
    ok = np.ones(n_components, dtype=bool)
    chol = np.empty_like(cov)
    try:
        chol[:] = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        for k in range(n_components):
            try:
                chol[k] = np.linalg.cholesky(cov[k])
            except np.linalg.LinAlgError:
                ok[k] = False
                chol[k] = np.eye(cov.shape[1])
    diag = np.diagonal(chol, axis1=1, axis2=2)
    ok &= np.all(diag > 0, axis=1)
    chol[~ok] = np.eye(cov.shape[1])
    inv_l = inv_lower(chol)
    prec = np.swapaxes(inv_l, 1, 2) @ inv_l
    bound = np.einsum("i,kij,j->k", extent, np.abs(prec), extent)
    return ok & (bound <= _FAST_M_BOUND)


def exact_scatter(xt: np.ndarray, resp_k: np.ndarray, mu_c: np.ndarray) -> np.ndarray:
    """``sum_i r_i (x_i - mu)(x_i - mu)^T`` from differences (no cancellation).

    Parameters
    ----------
    xt : array of shape (n_features, n_samples)
        Centred data.
    resp_k : array of shape (n_samples,)
        One component's responsibilities.
    mu_c : array of shape (n_features,)
        Its mean, centred like ``xt``.

    Returns
    -------
    array of shape (n_features, n_features)
        Not divided by the soft count (the sums of chunks add up).
    """
    n_features = xt.shape[0]
    r = np.ascontiguousarray(resp_k)
    owned = np.flatnonzero(r)
    if owned.size < r.size // 2:
        # A collapsed, empty or start-of-fit component owns few points (the other
        # responsibilities are exactly 0): sum over those only.
        r = r[owned]
        xt = xt[:, owned]
    diff = [xt[i] - mu_c[i] for i in range(n_features)]
    cov = np.empty((n_features, n_features))
    for i in range(n_features):
        weighted = r * diff[i]
        for j in range(i, n_features):
            cov[i, j] = cov[j, i] = float(weighted @ diff[j])
    return cov
