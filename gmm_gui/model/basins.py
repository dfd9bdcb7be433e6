"""Where EM goes from each start: basins of attraction of the likelihood's local maxima.

For 1-D data and two components, :func:`basin_map_1d` runs EM from every start on a grid of the
two starting means (the other parameters as in a given start) and records which local maximum
each start reaches and its log-likelihood. For 2-D data, :func:`basin_map_2d` does the same for
the starting position of one mean with the others held fixed. A heat map of the result shows the
basins of attraction: regions of starts that lead to the same solution.

A 60 x 60 map is 3600 EM runs, so the runs are batched by :func:`gmm_gui.model.batch.fit_batch`
(re-exported here), each start following exactly the iteration of :func:`gmm_gui.model.em.fit`.
The maps run EM to :data:`~gmm_gui.model.convergence.RUN_TOL` by default (at most
:data:`~gmm_gui.model.convergence.RUN_MAX_ITER` iterations), far tighter than a single fit, so
that starts reaching the same maximum end close enough together to be recognised as such
(:func:`gmm_gui.model.maxima.identify_maxima`). Cells are grouped only with cells of the same
kind: converged or stopped by ``max_iter``, degenerate (a component collapsed, see
:func:`gmm_gui.model.diagnostics.degenerate_components`) or not; each :class:`BasinSolution`
says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmm_gui.model.batch import (
    DEFAULT_CHUNK_ELEMENTS,
    BatchFit,
    CancelCallback,
    ProgressCallback,
    fit_batch,
)
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.diagnostics import degenerate_mask
from gmm_gui.model.maxima import DEFAULT_LL_TOL, DEFAULT_MEAN_TOL, data_scale, identify_maxima
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior

__all__ = [
    "FAILED",
    "NOT_COMPUTED",
    "BasinMap",
    "BasinSolution",
    "BatchFit",
    "basin_map_1d",
    "basin_map_2d",
    "fit_batch",
]

#: ``solution_id`` of a cell that was not computed (the map was cancelled first).
NOT_COMPUTED = -1
#: ``solution_id`` of a cell whose run broke down (a covariance stopped being positive definite,
#: possible only with ``reg_covar=0``).
FAILED = -2


@dataclass(frozen=True)
class BasinSolution:
    """One local maximum reached from the grid.

    Attributes
    ----------
    mixture : Mixture
        The fitted mixture (that of the best cell reaching it).
    mean_log_likelihood : float
        Its mean log-likelihood per point.
    count : int
        Number of grid cells leading to it.
    degenerate : bool
        A component collapsed: a degenerate solution (a singularity), not a maximum.
    converged : bool
        Its runs converged (False: stopped by ``max_iter``, not a maximum yet).
    mean_log_posterior : float
        With a prior, the objective of ``mixture``; NaN without one.
    """

    mixture: Mixture
    mean_log_likelihood: float
    count: int
    degenerate: bool = False
    converged: bool = True
    mean_log_posterior: float = float("nan")


@dataclass(frozen=True)
class BasinMap:
    """Where EM goes from each start of a grid.

    The arrays are images: ``[i, j]`` is the cell in row ``i`` and column ``j``. For
    :func:`basin_map_1d` rows follow ``grid_a`` (the first component's starting mean) and
    columns ``grid_b`` (the second's); for :func:`basin_map_2d` rows follow ``grid_y`` and
    columns ``grid_x``, as in :func:`gmm_gui.model.metrics.density_grid`.

    Attributes
    ----------
    start : Mixture
        The start whose other parameters every cell shares.
    components : tuple of int
        The components whose starting mean varies over the grid: ``(a, b)`` in 1-D (one per grid
        axis), ``(k,)`` in 2-D.
    row_values : array of shape (n_rows,)
    col_values : array of shape (n_cols,)
        The grid values along the rows and the columns.
    mean_log_likelihood : array of shape (n_rows, n_cols)
        Final mean log-likelihood per point (with a prior: the mean log-posterior, what EM
        climbed); NaN for cells not computed or failed.
    solution_id : int array of shape (n_rows, n_cols)
        Index into ``solutions``: cells reaching the same maximum share an id. ``NOT_COMPUTED``
        (-1) for cells not computed, ``FAILED`` (-2) for runs that broke down.
    n_iter : int array of shape (n_rows, n_cols)
    converged : bool array of shape (n_rows, n_cols)
    solutions : tuple of BasinSolution
        The distinct solutions, best objective (log-likelihood, or log-posterior with a prior)
        first (id 0 is the best; it may be degenerate or not converged: see its flags).
    cancelled : bool
        True when the map was cancelled before every cell was computed.
    degenerate : bool array of shape (n_rows, n_cols)
        The cell's run ended in a degenerate solution.
    """

    start: Mixture
    components: tuple[int, ...]
    row_values: np.ndarray
    col_values: np.ndarray
    mean_log_likelihood: np.ndarray
    solution_id: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    solutions: tuple[BasinSolution, ...]
    cancelled: bool = False
    degenerate: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_rows, n_cols)."""
        return (self.row_values.size, self.col_values.size)

    @property
    def n_done(self) -> int:
        """Number of cells computed."""
        return int(np.count_nonzero(self.solution_id != NOT_COMPUTED))

    def start_at(self, row: int, col: int) -> Mixture:
        """The starting mixture of cell ``(row, col)``, for animating EM from there."""
        means = np.array(self.start.means, dtype=float)
        if len(self.components) == 2:
            means[self.components[0], 0] = self.row_values[row]
            means[self.components[1], 0] = self.col_values[col]
        else:
            means[self.components[0]] = (self.col_values[col], self.row_values[row])
        return Mixture(
            weights=np.array(self.start.weights, dtype=float),
            means=means,
            covariances=np.array(self.start.covariances, dtype=float),
            covariance_type=self.start.covariance_type,
        )

    def solution_at(self, row: int, col: int) -> BasinSolution | None:
        """The solution cell ``(row, col)`` leads to, or ``None`` if not computed or failed."""
        sid = int(self.solution_id[row, col])
        return self.solutions[sid] if sid >= 0 else None


def _run_map(
    X: np.ndarray,
    start: Mixture,
    grid_means: np.ndarray,
    source: np.ndarray | None,
    shape: tuple[int, int],
    components: tuple[int, ...],
    row_values: np.ndarray,
    col_values: np.ndarray,
    *,
    covariance_type: str,
    max_iter: int,
    tol: float,
    reg_covar: float,
    ll_tol: float,
    mean_tol: float,
    chunk_elements: int,
    n_threads: int | None,
    progress: ProgressCallback | None,
    should_cancel: CancelCallback | None,
    prior: Prior | None = None,
) -> BasinMap:
    """Fit from every start of ``grid_means`` and lay the results out as a map.

    ``source`` (n_rows * n_cols,), when given, says which of the fitted starts each cell copies
    (cells whose start is another's with two components swapped reach the same solution).
    """
    n_fits = grid_means.shape[0]
    if source is None:
        source = np.arange(shape[0] * shape[1])
    weights = np.broadcast_to(
        np.asarray(start.weights, dtype=float), (n_fits,) + start.weights.shape
    )
    covs = np.broadcast_to(
        np.asarray(start.covariances, dtype=float), (n_fits,) + start.covariances.shape
    )
    batch = fit_batch(
        X,
        weights,
        grid_means,
        covs,
        covariance_type=covariance_type,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        chunk_elements=chunk_elements,
        n_threads=n_threads,
        progress=progress,
        should_cancel=should_cancel,
        prior=prior,
    )
    objective = batch.mean_log_likelihood if prior is None else batch.mean_log_posterior
    assert objective is not None and batch.nk is not None
    usable = batch.done & ~batch.failed & np.isfinite(objective)
    data_var = float(np.mean(np.var(X, axis=0)))
    degenerate = degenerate_mask(
        batch.covariances, batch.nk, 0.0 if prior is not None else reg_covar, data_var
    ).any(axis=1)
    ids, reps = identify_maxima(
        batch.weights,
        batch.means,
        objective,
        n_samples=X.shape[0],
        scale=data_scale(X),
        usable=usable,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
        kinds=2 * batch.converged.astype(np.int64) + degenerate,
    )
    ids[batch.done & batch.failed] = FAILED
    cell_ids = ids[source]
    counts = np.bincount(cell_ids[cell_ids >= 0], minlength=len(reps))
    solutions = tuple(
        BasinSolution(
            mixture=Mixture(
                weights=batch.weights[r].copy(),
                means=batch.means[r].copy(),
                covariances=batch.covariances[r].copy(),
                covariance_type=covariance_type,
            ),
            mean_log_likelihood=float(batch.mean_log_likelihood[r]),
            count=int(counts[s]),
            degenerate=bool(degenerate[r]),
            converged=bool(batch.converged[r]),
            mean_log_posterior=float("nan") if prior is None else float(objective[r]),
        )
        for s, r in enumerate(reps)
    )
    ll = np.where(usable, objective, np.nan)
    return BasinMap(
        start=start,
        components=components,
        row_values=np.asarray(row_values, dtype=float).copy(),
        col_values=np.asarray(col_values, dtype=float).copy(),
        mean_log_likelihood=ll[source].reshape(shape),
        solution_id=cell_ids.reshape(shape),
        n_iter=batch.n_iter[source].reshape(shape),
        converged=batch.converged[source].reshape(shape),
        solutions=solutions,
        cancelled=batch.cancelled,
        degenerate=(usable & degenerate)[source].reshape(shape),
    )


def basin_map_1d(
    X: np.ndarray,
    start: Mixture,
    grid_a: np.ndarray,
    grid_b: np.ndarray,
    *,
    components: tuple[int, int] = (0, 1),
    covariance_type: str = "full",
    max_iter: int = RUN_MAX_ITER,
    tol: float = RUN_TOL,
    reg_covar: float = 1e-6,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
    prior: Prior | None = None,
) -> BasinMap:
    """Map where EM goes from every pair of starting means of two 1-D components.

    Cell ``(i, j)`` starts with mean ``grid_a[i]`` for component ``components[0]`` and
    ``grid_b[j]`` for ``components[1]``; weights, covariances (and any other components) are
    those of ``start``. EM runs to convergence from every cell.

    Parameters
    ----------
    X : array of shape (n_samples, 1) or (n_samples,)
    start : Mixture
        A mixture of 1-D Gaussians with at least two components (usually exactly two).
    grid_a : array of shape (n_rows,)
    grid_b : array of shape (n_cols,)
        Starting means to try (e.g. 60 values spanning the data).
    components : pair of int
        The two components whose means vary.
    covariance_type, max_iter, tol, reg_covar
        The EM settings (as in :func:`gmm_gui.model.em.fit`); the tight default ``tol``
        (``RUN_TOL``) lets every start reach its maximum, so that cells can be told apart
        reliably.
    ll_tol, mean_tol : float
        Cells reached the same maximum when their mean log-likelihoods differ by at most
        ``ll_tol`` and their means pair up within ``mean_tol`` data standard deviations.
    chunk_elements, n_threads : int
        Memory bound and parallelism of the batch (see :func:`fit_batch`).
    progress : callable(done, total), optional
        EM runs finished so far, out of ``total`` (the number of cells, or about half of them
        when the two components start alike and mirrored cells are copied).
    should_cancel : callable() -> bool, optional
        When it returns True the map stops; the cells not computed have ``solution_id`` -1.
    prior : Prior, optional
        MAP-EM from every cell (the map's values are then mean log-posteriors per point).

    Returns
    -------
    BasinMap
        Arrays of shape ``(len(grid_a), len(grid_b))``.
    """
    X = _as_data(X, 1)
    if start.means.shape[1] != 1:
        raise ValueError("basin_map_1d needs a mixture of 1-D Gaussians")
    a, b = components
    n_components = start.means.shape[0]
    if n_components < 2 or a == b or not (0 <= a < n_components and 0 <= b < n_components):
        raise ValueError("basin_map_1d needs two different components of the start")
    grid_a = np.asarray(grid_a, dtype=float).reshape(-1)
    grid_b = np.asarray(grid_b, dtype=float).reshape(-1)
    shape = (grid_a.size, grid_b.size)
    means = np.broadcast_to(np.asarray(start.means, dtype=float), shape + start.means.shape).copy()
    means[:, :, a, 0] = grid_a[:, None]
    means[:, :, b, 0] = grid_b[None, :]
    means = means.reshape((-1,) + start.means.shape)
    source = None
    if (
        np.array_equal(grid_a, grid_b)
        and start.weights[a] == start.weights[b]
        and np.array_equal(start.covariances[a], start.covariances[b])
    ):
        # Components a and b start alike: the start of cell (j, i) is that of (i, j) with the two
        # swapped, and EM from it is the same run with the labels swapped. Fit i <= j only.
        rows, cols = np.triu_indices(grid_a.size)
        fit_index = np.empty(shape, dtype=np.int64)
        fit_index[rows, cols] = np.arange(rows.size)
        fit_index[cols, rows] = np.arange(rows.size)
        source = fit_index.ravel()
        means = means[rows * grid_b.size + cols]
    return _run_map(
        X,
        start,
        means,
        source,
        shape,
        (a, b),
        grid_a,
        grid_b,
        covariance_type=covariance_type,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
        chunk_elements=chunk_elements,
        n_threads=n_threads,
        progress=progress,
        should_cancel=should_cancel,
        prior=prior,
    )


def basin_map_2d(
    X: np.ndarray,
    start: Mixture,
    component: int,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    *,
    covariance_type: str = "full",
    max_iter: int = RUN_MAX_ITER,
    tol: float = RUN_TOL,
    reg_covar: float = 1e-6,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
    prior: Prior | None = None,
) -> BasinMap:
    """Map where EM goes as one component's starting mean moves over the plane.

    Cell ``(i, j)`` starts with component ``component``'s mean at ``(grid_x[j], grid_y[i])``; every
    other parameter is that of ``start``.

    Parameters
    ----------
    X : array of shape (n_samples, 2)
    start : Mixture
        A mixture of 2-D Gaussians.
    component : int
        The component whose starting mean moves.
    grid_x : array of shape (n_cols,)
    grid_y : array of shape (n_rows,)
        Positions to try along each feature.
    covariance_type, max_iter, tol, reg_covar, ll_tol, mean_tol, chunk_elements, n_threads, \
progress, should_cancel, prior
        As in :func:`basin_map_1d` (``total`` of ``progress`` is the number of cells).

    Returns
    -------
    BasinMap
        Arrays of shape ``(len(grid_y), len(grid_x))``, an image over the plot.
    """
    X = _as_data(X, 2)
    if start.means.shape[1] != 2:
        raise ValueError("basin_map_2d needs a mixture of 2-D Gaussians")
    if not 0 <= component < start.means.shape[0]:
        raise ValueError(f"the start has no component {component}")
    grid_x = np.asarray(grid_x, dtype=float).reshape(-1)
    grid_y = np.asarray(grid_y, dtype=float).reshape(-1)
    shape = (grid_y.size, grid_x.size)
    means = np.broadcast_to(np.asarray(start.means, dtype=float), shape + start.means.shape).copy()
    means[:, :, component, 0] = grid_x[None, :]
    means[:, :, component, 1] = grid_y[:, None]
    return _run_map(
        X,
        start,
        means.reshape((-1,) + start.means.shape),
        None,
        shape,
        (component,),
        grid_y,
        grid_x,
        covariance_type=covariance_type,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
        chunk_elements=chunk_elements,
        n_threads=n_threads,
        progress=progress,
        should_cancel=should_cancel,
        prior=prior,
    )


def _as_data(X: np.ndarray, n_features: int) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1 and n_features == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X must have shape (n_samples, {n_features}), got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has no points")
    return X
