"""Exact EM on data in chunks: the same fit as :func:`gmm_gui.model.fit`, never all in memory.

EM's sufficient statistics are sums over points, so one iteration is a map over chunks and a
reduce. The map is :func:`~gmm_gui.model._passes.chunk_stats` (the chunk kernel): per component
the summed responsibilities, the responsibility-weighted sums ``r x`` and products ``r x_i x_j``
about one fixed centre, and the chunk's log-likelihood, computed by the in-memory E-step's own
blocked kernel (:func:`gmm_gui.model._kernels.weighted_log_prob`, in log space). The reduce is
the in-memory M-step's (:func:`gmm_gui.model._moments.parameters_from_summed_stats`: counts,
means and raw covariances from the summed statistics, the registry's constraint or the prior's
posterior mode), and the loop is the in-memory one (:func:`gmm_gui.model.em._run_em`: the same
stopping rule, diagnostics and objective). So the two cannot drift apart.

The centre
    Every chunk is centred on the whole data set's mean, found in a first pass
    (:func:`summarise_chunks`, which also checks the data and finds the extent and scale that
    the in-memory fit computes), so the chunks' statistics add up to the whole set's.

Components where the expansion loses digits
    For a component narrow and far from the centre, the in-memory M-step recomputes the
    covariance from differences ``x - mu`` (:func:`~gmm_gui.model._moments.exact_scatter`).
    The chunked M-step does the same with a second pass over the chunks
    (:func:`~gmm_gui.model._passes.chunk_scatter`,
    which recomputes the chunk's responsibilities under the same mixture, bit for bit the first
    pass's), run only in the iterations where some component needs it.

Where the two may still differ, by rounding only
    Sums are taken in a different order (chunk by chunk), so results agree to about 1e-13
    relative per iteration, not bit for bit. (``fit`` itself, on an array too large to keep its
    monomials -- ``n_terms * n_samples`` above 40 million numbers, 6.7 million points in 2-D --
    runs these same chunked passes over slices of the array.)

A chunk source is anything re-iterable: ``chunks_factory()`` is called once per pass and yields
arrays of shape (m, n_features) (a memory-mapped ``.npy`` sliced by rows, a CSV reader, ...).
:func:`fit_chunked` runs the passes here; :mod:`gmm_gui.dask_em` runs the same kernels on Dask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from gmm_gui.model._checks import check_data, check_fittable_range
from gmm_gui.model._data import DataCentre
from gmm_gui.model._passes import (
    ChunkedPasses,
    ChunksFactory,
    MapChunks,
    chunk_scatter,
    chunk_stats,
    local_map,
)
from gmm_gui.model.covariance import check_covariance_type
from gmm_gui.model.em import FitResult, StepCallback, _fit_result, _run_em
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior
from gmm_gui.model.steps import _check_reg_covar

__all__ = [
    "ChunkSummary",
    "ChunkedPasses",
    "ChunksFactory",
    "DataCentre",
    "MapChunks",
    "chunk_scatter",
    "chunk_stats",
    "chunk_summary",
    "fit_chunked",
    "fit_passes",
    "local_map",
    "summarise_chunks",
]



# ---------------------------------------------------------------------------------- first pass
@dataclass(frozen=True)
class ChunkSummary:
    """What the first pass learns from one chunk (or, combined, from all of them).

    Attributes
    ----------
    n_samples : int
    sums : array of shape (n_features,)
        Column sums.
    low, high : arrays of shape (n_features,)
        Column minima and maxima.
    shift : array of shape (n_features,)
        A point of the data (the first), the origin of ``shifted_squares``.
    shifted_sums, shifted_squares : arrays of shape (n_features,)
        ``sum(x - shift)`` and ``sum((x - shift)**2)`` per column (the variance, without a
        second pass and without cancellation).
    """

    n_samples: int
    sums: np.ndarray
    low: np.ndarray
    high: np.ndarray
    shift: np.ndarray
    shifted_sums: np.ndarray
    shifted_squares: np.ndarray

    def combine(self, other: ChunkSummary) -> ChunkSummary:
        """The summary of both chunks (``self`` first: its shift is kept).

        Parameters
        ----------
        other : ChunkSummary

        Returns
        -------
        ChunkSummary
        """
        delta = other.shift - self.shift  # re-base other's shifted moments on self.shift
        m = other.n_samples
        return ChunkSummary(
            self.n_samples + m,
            self.sums + other.sums,
            np.minimum(self.low, other.low),
            np.maximum(self.high, other.high),
            self.shift,
            self.shifted_sums + other.shifted_sums + m * delta,
            self.shifted_squares
            + other.shifted_squares
            + 2.0 * delta * other.shifted_sums
            + m * delta * delta,
        )

    def centre(self) -> DataCentre:
        """The centre, extent and scale the in-memory :class:`PreparedData` would compute."""
        offset = self.sums / self.n_samples
        extent = np.maximum(np.abs(self.high - offset), np.abs(self.low - offset))
        mean = self.shifted_sums / self.n_samples
        var = self.shifted_squares / self.n_samples - mean * mean
        return DataCentre(offset, extent, float(np.mean(np.maximum(var, 0.0))))


def chunk_summary(chunk: np.ndarray) -> ChunkSummary:
    """Check one chunk (finite, not too large) and summarise it for the first pass.

    Parameters
    ----------
    chunk : array of shape (m, n_features)
        ``m >= 1``.

    Returns
    -------
    ChunkSummary

    Raises
    ------
    ValueError
        As :func:`gmm_gui.model.prepare_data` for NaN, infinity or values too large.
    """
    X = check_data(chunk, min_samples=1)
    shift = X[0].copy()
    n_features = X.shape[1]
    diff = [X[:, j] - shift[j] for j in range(n_features)]
    return ChunkSummary(
        X.shape[0],
        np.array([X[:, j].sum() for j in range(n_features)]),
        np.array([X[:, j].min() for j in range(n_features)]),
        np.array([X[:, j].max() for j in range(n_features)]),
        shift,
        np.array([d.sum() for d in diff]),
        np.array([float(d @ d) for d in diff]),
    )


def summarise_chunks(chunks: Iterable[np.ndarray]) -> ChunkSummary:
    """The first pass: check every chunk and combine their summaries.

    Parameters
    ----------
    chunks : iterable of arrays of shape (m, n_features)

    Returns
    -------
    ChunkSummary

    Raises
    ------
    ValueError
        For no rows at all, chunks of different widths, or a chunk :func:`chunk_summary`
        refuses (the message names the rows).
    """
    total: ChunkSummary | None = None
    row = 0
    for chunk in chunks:
        arr = np.asarray(chunk)
        if arr.shape[0] == 0:
            continue
        try:
            part = chunk_summary(arr)
        except ValueError as exc:
            raise ValueError(f"rows {row + 1}-{row + arr.shape[0]}: {exc}") from None
        if total is not None and part.sums.shape != total.sums.shape:
            raise ValueError(
                f"rows {row + 1}-{row + arr.shape[0]} have {part.sums.shape[0]} columns, the "
                f"rows before them {total.sums.shape[0]}."
            )
        total = part if total is None else total.combine(part)
        row += arr.shape[0]
    if total is None:
        raise ValueError("the data have no rows.")
    return total


def fit_passes(
    passes: ChunkedPasses,
    summary: ChunkSummary,
    init: Mixture,
    *,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    prior: Prior | None = None,
    on_step: StepCallback | None = None,
) -> FitResult:
    """EM from ``init`` through ``passes`` (the common part of the chunked and Dask fits).

    Parameters
    ----------
    passes : ChunkedPasses
    summary : ChunkSummary
        The first pass over the same data.
    init : Mixture
    covariance_type, max_iter, tol, reg_covar, prior, on_step
        As for :func:`gmm_gui.model.fit`.

    Returns
    -------
    FitResult
    """
    check_covariance_type(covariance_type)
    reg_covar = _check_reg_covar(reg_covar)
    max_iter = int(max_iter)
    tol = float(tol)
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0; got {max_iter}.")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol}.")
    if not isinstance(init, Mixture):
        raise TypeError("chunked EM starts from a Mixture (fit a sample of the data for one).")
    n_features = summary.sums.shape[0]
    if init.n_features != n_features:
        raise ValueError(
            f"the data have {n_features} columns but the mixture has {init.n_features} "
            "dimensions."
        )
    if summary.n_samples < 2:
        raise ValueError(f"X has {summary.n_samples} points; at least 2 are needed.")
    check_fittable_range(summary.n_samples, summary.low, summary.high, init.n_components)
    if prior is not None:
        prior.check_features(n_features)
    if init.covariance_type != covariance_type:
        try:
            init = Mixture(init.weights, init.means, init.covariances, covariance_type)
        except ValueError:
            raise ValueError(
                f"the start mixture has {init.covariance_type} covariances, which are not "
                f"{covariance_type}; convert it with mixture.as_type({covariance_type!r})."
            ) from None
    run, issues, initial_ll, cancelled, nk = _run_em(
        passes, init, covariance_type, max_iter, tol, reg_covar, on_step, prior
    )
    return _fit_result(
        (run, issues, initial_ll, nk), [run], cancelled, prior, reg_covar,
        passes.n_samples, passes.data_var,
    )


def fit_chunked(
    chunks_factory: ChunksFactory,
    init: Mixture,
    *,
    n_samples: int | None = None,
    n_features: int | None = None,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    prior: Prior | None = None,
    on_step: StepCallback | None = None,
    summary: ChunkSummary | None = None,
) -> FitResult:
    """Fit by EM from ``init`` over data given in chunks: :func:`~gmm_gui.model.fit`'s result.

    Parameters
    ----------
    chunks_factory : callable() -> iterable of arrays of shape (m, n_features)
        Called once per pass (the first pass, then one per E-step, and one more in an iteration
        where a component needs its covariance computed exactly); must yield the same rows in
        the same order every time. Chunks may differ in size.
    init : Mixture
        The start (chunked EM runs one start; build it from a sample of the data).
    n_samples, n_features : int, optional
        When given, checked against what the first pass finds.
    covariance_type : {"full", "tied", "diag", "spherical"}
    max_iter, tol, reg_covar, prior, on_step
        As for :func:`gmm_gui.model.fit`.
    summary : ChunkSummary, optional
        The first pass's result, if already known (:func:`summarise_chunks`); skips that pass.

    Returns
    -------
    FitResult
        ``starts`` holds the one run. Equal to ``fit(X, init, ...)`` on the concatenated chunks
        up to rounding (see the module docstring for where it may differ).

    Raises
    ------
    ValueError
        As :func:`gmm_gui.model.fit`, and when the chunks disagree with ``n_samples`` or
        ``n_features``.
    """
    if summary is None:
        summary = summarise_chunks(chunks_factory())
    found_features = int(summary.sums.shape[0])
    if n_samples is not None and int(n_samples) != summary.n_samples:
        raise ValueError(f"n_samples is {n_samples} but the chunks hold {summary.n_samples} rows.")
    if n_features is not None and int(n_features) != found_features:
        raise ValueError(
            f"n_features is {n_features} but the chunks have {found_features} columns."
        )
    passes = ChunkedPasses(local_map(chunks_factory), summary.centre(), summary.n_samples)
    return fit_passes(
        passes,
        summary,
        init,
        covariance_type=covariance_type,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        prior=prior,
        on_step=on_step,
    )

