"""One-off E- and M-steps on a raw array, without building its monomial matrix.

``PreparedData(X)`` pays, once, for the (n_terms, n_samples) monomials that make repeated steps
fast; a single public ``e_step(X)`` or ``m_step(X, resp)`` on a raw array would pay for them
(most of it the first touch of fresh memory) and use them once. These build them slab by slab
in one reused buffer instead, about the cache's size, with the same centre, extent and kernels,
so the numbers are those of the prepared path (up to the order of the sums).
"""

from __future__ import annotations

import numpy as np

from gmm_gui.model._data import DataCentre, PreparedData, _block_size
from gmm_gui.model._kernels import weighted_log_prob
from gmm_gui.model._moments import sufficient_stats

__all__ = ["centre_of", "streamed_e_step", "streamed_stats"]


def centre_of(X: np.ndarray) -> DataCentre:
    """The :class:`DataCentre` that ``PreparedData(X)`` would compute, without its arrays.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Checked float64 data.

    Returns
    -------
    DataCentre
        ``offset`` and ``extent`` exactly ``PreparedData(X)``'s (the rounding of ``x - offset``
        is monotonic in ``x``, so the extremes give the largest centred coordinate).
    """
    n, d = X.shape
    offset = np.array([X[:, j].sum() for j in range(d)]) / n
    high = np.array([X[:, j].max() for j in range(d)])
    low = np.array([X[:, j].min() for j in range(d)])
    extent = np.maximum(high - offset, offset - low)
    var = np.array([np.var(X[:, j]) for j in range(d)])
    return DataCentre(offset, extent, float(np.mean(var)))


def _block_rows(n_components: int) -> int:
    return _block_size(n_components)


def streamed_e_step(
    X: np.ndarray, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
) -> tuple[np.ndarray, float]:
    """The E-step of a raw array without building its monomial matrix.

    What the public ``e_step(X)`` runs: one call pays for no (n_terms, n_samples) monomials,
    only for a reused slab of them, a few rows of cache at a time.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Checked float64 data.
    weights, means, prec_chol
        The mixture (``precisions_cholesky``).

    Returns
    -------
    resp_t : array of shape (n_components, n_samples)
        Component-major responsibilities.
    log_likelihood : float
        The total.
    """
    n, d = X.shape
    n_components = means.shape[0]
    centre = centre_of(X)
    step = 4 * _block_rows(n_components)
    out = np.empty((n_components, n))
    work = np.empty((1 + d + d * (d + 1) // 2, min(step, n)))
    total = 0.0
    for start in range(0, n, step):
        data = PreparedData(X[start : start + step], centre, phi_buffer=work)
        stop = start + data.n_samples
        _, log_norm = weighted_log_prob(
            data, weights, means, prec_chol, out=out[:, start:stop], normalise=True
        )
        assert log_norm is not None
        total += float(log_norm.sum())
    return out, total


def streamed_stats(X: np.ndarray, resp: np.ndarray) -> tuple[np.ndarray, DataCentre]:
    """The M-step's summed statistics of a raw array, without its monomial matrix.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Checked float64 data.
    resp : array of shape (n_samples, n_components)

    Returns
    -------
    stats : array of shape (n_terms, n_components)
    centre : DataCentre
        The centre the statistics are taken about.
    """
    n, d = X.shape
    n_components = resp.shape[1]
    centre = centre_of(X)
    step = 4 * _block_rows(n_components)
    work = np.empty((1 + d + d * (d + 1) // 2, min(step, n)))
    stats = np.zeros((work.shape[0], n_components))
    for start in range(0, n, step):
        data = PreparedData(X[start : start + step], centre, phi_buffer=work)
        stats += sufficient_stats(data, resp[start : start + data.n_samples])
    return stats, centre
