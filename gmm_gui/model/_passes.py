"""The passes of chunked EM: the chunk kernels, and a map over chunks turned into E- and M-steps.

:class:`ChunkedPasses` is what the one EM loop (:func:`gmm_gui.model.em._run_em`) drives for data
in chunks: each E-step maps :func:`chunk_stats` over the chunks and sums the statistics, each
M-step is the in-memory reduce (:func:`gmm_gui.model._moments.parameters_from_summed_stats`),
with a second pass (:func:`chunk_scatter`) for the components it must compute exactly. The map
is :func:`local_map` in this process, or Dask's (:mod:`gmm_gui.dask_em`). ``fit`` itself uses it
on slices of an array too large to keep its monomials. See :mod:`gmm_gui.model.chunked`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from gmm_gui.model._data import DataCentre, PreparedData
from gmm_gui.model._kernels import exact_scatter, weighted_log_prob
from gmm_gui.model._moments import parameters_from_summed_stats
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior
from gmm_gui.model.steps import _mixture_from_estimates

__all__ = [
    "ChunkedPasses",
    "MapChunks",
    "chunk_scatter",
    "chunk_stats",
    "local_map",
]

ChunksFactory = Callable[[], Iterable[np.ndarray]]


def _as_chunk(chunk: np.ndarray, n_features: int | None = None) -> np.ndarray:
    arr = np.ascontiguousarray(chunk, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or (n_features is not None and arr.shape[1] != n_features):
        raise ValueError(
            f"a chunk has shape {arr.shape}; every chunk must have shape (m, {n_features})."
        )
    return arr


# ---------------------------------------------------------------------------------- kernels
def _prepared_chunk(
    chunk: np.ndarray, centre: DataCentre, work: np.ndarray | None = None
) -> PreparedData:
    return PreparedData(_as_chunk(chunk, centre.offset.shape[0]), centre, phi_buffer=work)


def chunk_stats(
    chunk: np.ndarray,
    centre: DataCentre,
    weights: np.ndarray,
    means: np.ndarray,
    prec_chol: np.ndarray,
    work: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """The chunk kernel: the E-step's sufficient statistics and log-likelihood of one chunk.

    Parameters
    ----------
    chunk : array of shape (m, n_features)
    centre : DataCentre
        The whole data set's (see :func:`summarise_chunks`).
    weights : array of shape (n_components,)
    means : array of shape (n_components, n_features)
    prec_chol : array of shape (n_components, n_features, n_features)
        The mixture's ``precisions_cholesky``.
    work : (array of shape (n_terms, >= m), array of shape (n_components, >= m)), optional
        Reusable buffers for the monomials and the responsibilities.

    Returns
    -------
    stats : array of shape (n_terms, n_components)
        ``phi @ resp``: per component ``sum r``, ``sum r x`` and ``sum r x_i x_j`` (``x``
        centred on ``centre.offset``, products ``i <= j`` in row-major order).
    log_likelihood : float
        ``sum_i log p(x_i)`` over the chunk.
    """
    data = _prepared_chunk(chunk, centre, None if work is None else work[0])
    assert data.phi is not None
    m = data.n_samples
    n_components = means.shape[0]
    out = work[1][:n_components, :m] if work is not None and work[1].shape[1] >= m else None
    stats = np.empty((data.phi.shape[0], n_components))
    _, log_norm = weighted_log_prob(
        data, weights, means, prec_chol, out=out, normalise=True, stats=stats
    )
    assert log_norm is not None
    return stats, float(log_norm.sum())


def chunk_scatter(
    chunk: np.ndarray,
    centre: DataCentre,
    weights: np.ndarray,
    means: np.ndarray,
    prec_chol: np.ndarray,
    components: np.ndarray,
    new_means_c: np.ndarray,
) -> np.ndarray:
    """The second pass's kernel: exact scatter of some components about their new means.

    Parameters
    ----------
    chunk, centre, weights, means, prec_chol
        As for :func:`chunk_stats` (the mixture of the E-step, not the new one).
    components : int array of shape (c,)
    new_means_c : array of shape (c, n_features)
        The M-step's new means of those components, centred on ``centre.offset``.

    Returns
    -------
    array of shape (c, n_features, n_features)
        ``sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T`` over the chunk, from differences.
    """
    data = _prepared_chunk(chunk, centre)
    resp_t, _ = weighted_log_prob(data, weights, means, prec_chol, normalise=True)
    return np.stack(
        [exact_scatter(data.xt, resp_t[k], new_means_c[i]) for i, k in enumerate(components)]
    )


# ---------------------------------------------------------------------------------- passes
#: ``map_chunks(kernel, *args)``: ``[kernel(chunk, *args) for chunk in the data]`` in order.
MapChunks = Callable[..., Sequence]


class ChunkedPasses:
    """EM passes over chunks for :func:`gmm_gui.model.em._run_em`: map the kernel, reduce.

    Parameters
    ----------
    map_chunks : callable(kernel, *args) -> list
        Applies a kernel to every chunk (in this process, or on a cluster) and returns the
        results in the chunks' order (the reduce adds them in that order).
    centre : DataCentre
        Of the whole data (the first pass, or ``PreparedData.centre``).
    n_samples : int
        Rows of the whole data.
    """

    def __init__(self, map_chunks: MapChunks, centre: DataCentre, n_samples: int) -> None:
        self.map_chunks = map_chunks
        self.centre = centre
        self.n_samples = int(n_samples)
        self.data_var = centre.data_var
        n_features = centre.offset.shape[0]
        self.pairs = [(i, j) for i in range(n_features) for j in range(i, n_features)]
        self.stats: np.ndarray | None = None
        self.mixture: Mixture | None = None

    def _mixture_args(self, mixture: Mixture) -> tuple:
        return (self.centre, mixture.weights, mixture.means, mixture.precisions_cholesky)

    def expect(self, mixture: Mixture) -> float:
        """E-step pass: sum the chunks' statistics; return the total log-likelihood."""
        results = self.map_chunks(chunk_stats, *self._mixture_args(mixture))
        stats = results[0][0].copy()
        total = results[0][1]
        for part, ll in results[1:]:
            stats += part
            total += ll
        self.stats = stats
        self.mixture = mixture
        return float(total)

    def maximise(
        self, covariance_type: str, reg_covar: float, iteration: int, prior: Prior | None
    ) -> tuple[np.ndarray, Mixture]:
        """M-step from the summed statistics (a second pass only for inexact components)."""
        assert self.stats is not None and self.mixture is not None
        args = self._mixture_args(self.mixture)

        def scatter(components: np.ndarray, mu_c: np.ndarray) -> np.ndarray:
            parts = self.map_chunks(chunk_scatter, *args, components, mu_c)
            total = parts[0].copy()
            for part in parts[1:]:
                total += part
            return total

        nk, means, covs = parameters_from_summed_stats(
            self.stats, self.centre, self.pairs, covariance_type, reg_covar, scatter, prior
        )
        return _mixture_from_estimates(nk, means, covs, covariance_type, iteration)

    def soft_counts(self) -> np.ndarray:
        """Summed responsibilities of the last E-step pass."""
        assert self.stats is not None
        return self.stats[0].copy()


def local_map(chunks_factory: ChunksFactory) -> MapChunks:
    """Map a kernel over ``chunks_factory()`` in this process, with reused buffers.

    Parameters
    ----------
    chunks_factory : callable() -> iterable of arrays of shape (m, n_features)

    Returns
    -------
    callable(kernel, *args) -> list
    """
    buffers: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def map_chunks(kernel: Callable, *args) -> list:
        results = []
        centre = args[0]
        n_features = centre.offset.shape[0]
        n_terms = 1 + n_features + n_features * (n_features + 1) // 2
        n_components = args[2].shape[0]
        for chunk in chunks_factory():
            m = int(np.shape(chunk)[0])
            if m == 0:
                continue
            if kernel is chunk_stats:
                work = buffers.get("work")
                if work is None or work[0].shape[1] < m or work[1].shape[0] < n_components:
                    work = (np.empty((n_terms, m)), np.empty((n_components, m)))
                    buffers["work"] = work
                results.append(kernel(chunk, *args, work=work))
            else:
                results.append(kernel(chunk, *args))
        if not results:
            raise ValueError("the data have no rows.")
        return results

    return map_chunks

