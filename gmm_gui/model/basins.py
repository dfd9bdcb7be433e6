"""Where EM goes from each start: basins of attraction of the likelihood's local maxima.

For 1-D data and two components, :func:`basin_map_1d` runs EM from every start on a grid of the
two starting means (the other parameters as in a given start) and records which local maximum
each start reaches and its log-likelihood. For 2-D data, :func:`basin_map_2d` does the same for
the starting position of one mean with the others held fixed. A heat map of the result shows the
basins of attraction: regions of starts that lead to the same solution.

A 60 x 60 map is 3600 EM runs, so the runs are batched: :func:`fit_batch` advances a pool of starts
together in vectorised numpy (arrays of shape ``(n_starts, n_components, n_samples)``), a start
leaves the pool as soon as it has converged and a waiting start takes its place, and the pool
size bounds the memory. Each start follows exactly the iteration of
:func:`gmm_gui.model.em.fit` (same E-step, M-step, ``reg_covar`` and stopping rule). The maps run
EM to ``tol=1e-6`` by default, tighter than a single fit, so that starts reaching the same maximum
end close enough together to be recognised as such (:func:`gmm_gui.model.restarts.identify_maxima`).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from gmm_gui.model._progress import never_cancel, no_progress
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.restarts import DEFAULT_LL_TOL, DEFAULT_MEAN_TOL, data_scale, identify_maxima

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

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")

#: ``solution_id`` of a cell that was not computed (the map was cancelled first).
NOT_COMPUTED = -1
#: ``solution_id`` of a cell whose run broke down (a covariance stopped being positive definite,
#: possible only with ``reg_covar=0``).
FAILED = -2

#: Default elements per temporary array of a pool: 1 MB of float64, cache-sized (measured
#: fastest among 2**14 .. 2**20 on the bundled data sets).
DEFAULT_CHUNK_ELEMENTS = 1 << 17

_EPS10 = 10 * np.finfo(float).eps
_EXP_FLOOR = 600.0  # responsibilities below exp(-600) are rounded up to it
_MAX_THREADS = 4
_POLL_SECONDS = 0.05  # how often the calling thread looks at progress and cancel
_LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------------------------
# Batched EM
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchFit:
    """Results of :func:`fit_batch`, one row per start.

    Attributes
    ----------
    weights : array of shape (n_starts, n_components)
    means : array of shape (n_starts, n_components, n_features)
    covariances : array of shape (n_starts, n_components, n_features, n_features)
        Final parameters (the start's own for a start not run).
    mean_log_likelihood : array of shape (n_starts,)
        Mean log-likelihood per point of the final parameters; NaN for a start not run or failed.
    n_iter : int array of shape (n_starts,)
        EM iterations made.
    converged : bool array of shape (n_starts,)
    done : bool array of shape (n_starts,)
        False for starts not finished when the batch was cancelled.
    failed : bool array of shape (n_starts,)
        True when a covariance stopped being positive definite.
    cancelled : bool
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    mean_log_likelihood: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    done: np.ndarray
    failed: np.ndarray
    cancelled: bool


class _Moments:
    """The features ``[1, x_i, x_i x_j (i <= j)]`` of the centred data.

    The E-step's log-densities are linear in them (a quadratic form written out) and the M-step
    needs only their responsibility-weighted sums, so both steps of a whole pool of starts are a
    matrix product with one small matrix per start.
    """

    def __init__(self, Xc: np.ndarray) -> None:
        n_samples, n_features = Xc.shape
        self.n_samples = n_samples
        self.n_features = n_features
        self.iu, self.ju = np.triu_indices(n_features)
        products = Xc[:, self.iu] * Xc[:, self.ju]
        features = np.hstack([np.ones((n_samples, 1)), Xc, products])  # (n, F)
        self.features = np.ascontiguousarray(features)
        self.features_t = np.ascontiguousarray(features.T)  # (F, n)
        self.mean_features = features.mean(axis=0)  # (F,)
        # quadratic coefficient of x_i x_j in -0.5 (x - mu)^T P (x - mu): -0.5 P_ii or -P_ij
        self.pair_factor = np.where(self.iu == self.ju, -0.5, -1.0)


def _coefficients(mom: _Moments, w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log(w_k) + log N(x | mu_k, cov_k)`` as coefficients of the features, shape (B, K, F).

    ``cov`` must be positive definite (the caller checks).
    """
    d = mom.n_features
    if d == 1:
        var = cov[:, :, 0, 0]
        prec = (1.0 / var)[:, :, None, None]
        log_det = np.log(var)
    else:
        chol = np.linalg.cholesky(cov)  # (B, K, d, d)
        chol_inv = np.linalg.inv(chol)
        prec = np.matmul(np.swapaxes(chol_inv, 2, 3), chol_inv)  # inv(cov) = L^-T L^-1
        log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=2, axis2=3)), axis=2)
    prec_mu = np.einsum("bkij,bkj->bki", prec, mu)  # (B, K, d)
    log_w = np.log(np.maximum(w, np.finfo(float).tiny))
    const = log_w - 0.5 * (d * _LOG_2PI + log_det) - 0.5 * np.sum(mu * prec_mu, axis=2)
    quad = prec[:, :, mom.iu, mom.ju] * mom.pair_factor  # (B, K, F - 1 - d)
    return np.concatenate([const[:, :, None], prec_mu, quad], axis=2)


def _e_step_stats(mom: _Moments, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The E-step of a pool, reduced at once to what the M-step needs.

    Returns the responsibility-weighted feature sums, shape (B, K, F), and the mean
    log-likelihood per point of each start, shape (B,).
    """
    n_starts, n_components, n_feat = coef.shape
    if n_components == 2:
        # Two components: everything follows from g = log p_other - log p_ref per point, the
        # reference being the component with the higher mean log-density (so that the sum below
        # does not cancel when the other one has collapsed onto a point). With t = exp(g):
        # r_ref = 1 / (1 + t), r_other = t / (1 + t), log(p_ref + p_other) = log p_ref + log1p(t).
        mean_log = coef @ mom.mean_features  # (B, 2): mean over the points of log p_k
        ref = np.argmax(mean_log, axis=1)  # (B,)
        sign = np.where(ref == 0, 1.0, -1.0)[:, None]
        g = (sign * (coef[:, 1] - coef[:, 0])) @ mom.features_t  # (B, n)
        g_max = np.max(g, axis=1)
        # Clipping to +-600 keeps every value a normal float (subnormals would make the whole
        # batch many times slower) and changes nothing but responsibilities below exp(-600).
        np.clip(g, -_EXP_FLOOR, _EXP_FLOOR, out=g)
        np.exp(g, out=g)  # t
        resp = np.empty((n_starts, 2, mom.n_samples))
        one_plus = g + 1.0
        np.reciprocal(one_plus, out=resp[:, 0])  # r_ref
        np.multiply(g, resp[:, 0], out=resp[:, 1])  # r_other
        np.log(one_plus, out=one_plus)
        ll = mean_log[np.arange(n_starts), ref] + np.mean(one_plus, axis=1)
        over = np.flatnonzero(g_max > _EXP_FLOOR)
        if over.size:  # where t was clipped, log1p(t) = g exactly: add the part clipped off
            g_over = (sign[over] * (coef[over, 1] - coef[over, 0])) @ mom.features_t
            ll[over] += np.mean(np.maximum(g_over - _EXP_FLOOR, 0.0), axis=1)
        stats = (resp.reshape(-1, mom.n_samples) @ mom.features).reshape(n_starts, 2, -1)
        swap = ref == 1
        stats[swap] = stats[swap, ::-1]
        return stats, ll
    resp = (coef.reshape(-1, n_feat) @ mom.features_t).reshape(n_starts, n_components, -1)
    peak = np.max(resp, axis=1)  # (B, n)
    resp -= peak[:, None, :]
    np.maximum(resp, -_EXP_FLOOR, out=resp)  # no subnormals (see above)
    np.exp(resp, out=resp)
    total = np.sum(resp, axis=1)
    resp /= total[:, None, :]
    np.log(total, out=total)
    total += peak
    ll = np.mean(total, axis=1)
    stats = (resp.reshape(-1, mom.n_samples) @ mom.features).reshape(n_starts, n_components, -1)
    return stats, ll


def _m_step_stats(
    mom: _Moments, stats: np.ndarray, covariance_type: str, reg_covar: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step of a pool from the weighted feature sums, as :func:`gmm_gui.model.em.m_step`."""
    d = mom.n_features
    resp_sum = stats[:, :, 0]
    nk = resp_sum + _EPS10  # (B, K)
    means = stats[:, :, 1 : 1 + d] / nk[:, :, None]
    second = np.empty(stats.shape[:2] + (d, d))
    second[:, :, mom.iu, mom.ju] = stats[:, :, 1 + d :]
    second[:, :, mom.ju, mom.iu] = stats[:, :, 1 + d :]
    # sum_n r_n (x_n - mu)(x_n - mu)^T = S_xx - (2 nk - sum_n r_n) mu mu^T when mu = S_x / nk
    outer = means[:, :, :, None] * means[:, :, None, :]
    raw = (second - (2.0 * nk - resp_sum)[:, :, None, None] * outer) / nk[:, :, None, None]
    idx = np.arange(d)
    raw[:, :, idx, idx] = np.maximum(raw[:, :, idx, idx], 0.0)  # round-off below zero
    if covariance_type == "full":
        cov = raw
    elif covariance_type == "tied":
        shared = np.einsum("bk,bkij->bij", nk, raw) / np.sum(nk, axis=1)[:, None, None]
        cov = np.broadcast_to(shared[:, None], raw.shape).copy()
    else:
        diag = np.diagonal(raw, axis1=2, axis2=3)
        if covariance_type == "spherical":
            diag = np.repeat(np.mean(diag, axis=2, keepdims=True), d, axis=2)
        cov = np.zeros_like(raw)
        cov[:, :, idx, idx] = diag
    cov[:, :, idx, idx] += reg_covar
    weights = nk / np.sum(nk, axis=1, keepdims=True)
    return weights, means, cov


def _positive_definite(cov: np.ndarray) -> np.ndarray:
    """Bool (B,): every covariance of the start is finite and positive definite."""
    if cov.shape[2] == 1:
        var = cov[:, :, 0, 0]
        return np.all(np.isfinite(var) & (var > 0), axis=1)
    ok = np.all(np.isfinite(cov), axis=(1, 2, 3))
    if np.any(ok):
        try:
            np.linalg.cholesky(cov[ok])
        except np.linalg.LinAlgError:
            smallest = np.linalg.eigvalsh(cov[ok]).min(axis=(1, 2))
            ok[np.flatnonzero(ok)] = smallest > 0
    return ok


def fit_batch(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    *,
    covariance_type: str = "full",
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> BatchFit:
    """Run EM from many starts at once, each exactly as :func:`gmm_gui.model.em.fit` would.

    Every start follows :func:`~gmm_gui.model.em.fit`'s iteration and its (scikit-learn's)
    stopping rule: iteration ``t`` is the last when ``|L_{t-1} - L_{t-2}| < tol``; the result is
    the mixture after the last iteration and its mean log-likelihood ``L_T``. A start whose
    M-step yields a covariance that is not positive definite (possible only with ``reg_covar``
    0, a component collapsing onto one point) stops at its last valid mixture, marked
    ``failed``, as ``fit`` does. (``fit`` may carry on a few more iterations on a variance
    left by round-off, ~1e-27, where the batch, which sums moments, sees exactly 0.)

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    weights : array of shape (n_starts, n_components)
    means : array of shape (n_starts, n_components, n_features)
    covariances : array of shape (n_starts, n_components, n_features, n_features)
        The starting parameters, one row per start (full, positive definite matrices).
    covariance_type : {"full", "diag", "spherical", "tied"}
    max_iter : int
        Most EM iterations per start.
    tol : float
        Convergence threshold on the change of mean log-likelihood per point.
    reg_covar : float
        Added to the diagonal of every covariance in the M-step.
    chunk_elements : int
        Bound on ``pool_size * n_components * n_samples``, the size of the temporaries: at most
        this many starts are advanced together (per thread); finished ones are replaced from the
        queue.
    n_threads : int, optional
        Pools run side by side in threads (numpy releases the GIL in its loops); default the
        number of CPUs, at most 4.
    progress : callable(done, total), optional
        Called whenever starts have finished, with the number finished so far. Always called
        from the calling thread.
    should_cancel : callable() -> bool, optional
        Polled at every iteration of the pool (every ~50 ms with threads), from the calling
        thread; when it returns True the batch stops and the starts not finished are marked
        ``done=False``.

    Returns
    -------
    BatchFit
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}")
    n_samples, n_features = X.shape
    w0 = np.asarray(weights, dtype=float)
    mu0 = np.asarray(means, dtype=float)
    cov0 = np.asarray(covariances, dtype=float)
    n_starts, n_components = w0.shape
    if mu0.shape != (n_starts, n_components, n_features) or cov0.shape != (
        n_starts,
        n_components,
        n_features,
        n_features,
    ):
        raise ValueError("weights, means and covariances of the starts do not fit together")
    progress = progress or no_progress
    should_cancel = should_cancel or never_cancel
    if n_threads is None:
        n_threads = min(_MAX_THREADS, os.cpu_count() or 1)
    n_threads = max(1, min(int(n_threads), n_starts))

    # The likelihood does not change under a shift of the data: work on centred data, which keeps
    # the second moments well-conditioned, and shift the means back at the end.
    centre = X.mean(axis=0)
    mom = _Moments(X - centre)
    out = _Outputs(w0, mu0 - centre, cov0)
    pool_size = max(1, int(chunk_elements) // max(1, n_components * n_samples))
    settings = (covariance_type, int(max_iter), float(tol), float(reg_covar), pool_size)

    if n_threads == 1:

        def report(n: int) -> None:
            progress(n, n_starts)

        cancelled = _run_pool(mom, out, np.arange(n_starts), settings, report, should_cancel)
    else:
        cancelled = _run_threads(mom, out, n_threads, settings, progress, should_cancel)

    return BatchFit(
        weights=out.weights,
        means=out.means + centre,
        covariances=out.covariances,
        mean_log_likelihood=out.ll,
        n_iter=out.n_iter,
        converged=out.converged,
        done=out.done,
        failed=out.failed,
        cancelled=cancelled,
    )


class _Outputs:
    """Per-start results, written in place by the pools (each start by exactly one pool)."""

    def __init__(self, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> None:
        n_starts = weights.shape[0]
        self.weights = weights.copy()
        self.means = means.copy()
        self.covariances = covariances.copy()
        self.ll = np.full(n_starts, np.nan)
        self.n_iter = np.zeros(n_starts, dtype=np.int64)
        self.converged = np.zeros(n_starts, dtype=bool)
        self.done = np.zeros(n_starts, dtype=bool)
        self.failed = np.zeros(n_starts, dtype=bool)


def _run_pool(
    mom: _Moments,
    out: _Outputs,
    queue: np.ndarray,
    settings: tuple[str, int, float, float, int],
    report: Callable[[int], None],
    stop: Callable[[], bool],
) -> bool:
    """Run EM for the starts ``queue`` through one pool; True when stopped by ``stop``."""
    covariance_type, max_iter, tol, reg_covar, pool_size = settings
    n_components, n_features = out.means.shape[1:]
    active = np.empty(0, dtype=np.int64)
    w = np.empty((0, n_components))
    mu = np.empty((0, n_components, n_features))
    cov = np.empty((0, n_components, n_features, n_features))
    prev_ll = np.empty(0)
    it = np.empty(0, dtype=np.int64)
    pending = np.empty(0, dtype=bool)  # the convergence test of the coming iteration passed
    queued = 0
    n_done = 0

    while True:
        if stop():
            return True
        free = pool_size - active.size
        if free > 0 and queued < queue.size:
            new = queue[queued : queued + free]
            queued += new.size
            fresh = _positive_definite(out.covariances[new])
            if not np.all(fresh):  # an invalid start: nothing to run
                out.failed[new[~fresh]] = True
                out.done[new[~fresh]] = True
                n_done += int(np.count_nonzero(~fresh))
                new = new[fresh]
            active = np.concatenate([active, new])
            w = np.concatenate([w, out.weights[new]])
            mu = np.concatenate([mu, out.means[new]])
            cov = np.concatenate([cov, out.covariances[new]])
            prev_ll = np.concatenate([prev_ll, np.full(new.size, -np.inf)])
            it = np.concatenate([it, np.zeros(new.size, dtype=np.int64)])
            pending = np.concatenate([pending, np.zeros(new.size, dtype=bool)])
        if active.size == 0:
            return False

        # E-step of the current mixtures: L_it, and the sums for the M-step. fit() stops after
        # iteration t when |L_{t-1} - L_{t-2}| < tol, a test known before that iteration's
        # M-step: ``pending`` carries it from one pass to the next.
        stats, ll = _e_step_stats(mom, _coefficients(mom, w, mu, cov))
        finished = pending | (it >= max_iter)
        failed = np.zeros(active.size, dtype=bool)
        change_small = np.abs(ll - prev_ll) < tol
        keep = ~finished
        if np.any(keep):
            new_w, new_mu, new_cov = _m_step_stats(mom, stats[keep], covariance_type, reg_covar)
            valid = _positive_definite(new_cov)
            kept = np.flatnonzero(keep)
            # fit() stops at the last valid mixture when an M-step breaks down
            failed[kept[~valid]] = True
            finished[kept[~valid]] = True
            w[kept[valid]], mu[kept[valid]], cov[kept[valid]] = (
                new_w[valid],
                new_mu[valid],
                new_cov[valid],
            )
        if np.any(finished):
            idx = active[finished]
            out.weights[idx], out.means[idx] = w[finished], mu[finished]
            out.covariances[idx] = cov[finished]
            out.ll[idx] = ll[finished]
            out.n_iter[idx] = it[finished]
            out.converged[idx] = pending[finished]
            out.failed[idx] = failed[finished]
            out.done[idx] = True
            n_done += idx.size
            report(n_done)
        keep = ~finished
        active, w, mu, cov = active[keep], w[keep], mu[keep], cov[keep]
        prev_ll, pending, it = ll[keep], change_small[keep], it[keep] + 1


def _run_threads(
    mom: _Moments,
    out: _Outputs,
    n_threads: int,
    settings: tuple[str, int, float, float, int],
    progress: ProgressCallback,
    should_cancel: CancelCallback,
) -> bool:
    """Share the starts between ``n_threads`` pools; numpy releases the GIL in the heavy loops.

    ``progress`` and ``should_cancel`` are only ever called from this (the caller's) thread.
    """
    n_starts = out.weights.shape[0]
    counts = [0] * n_threads
    stop = threading.Event()

    def reporter(slot: int) -> Callable[[int], None]:
        def report(n: int) -> None:
            counts[slot] = n

        return report

    # Interleaved shares: neighbouring cells take similar numbers of iterations.
    queues = [np.arange(t, n_starts, n_threads) for t in range(n_threads)]
    last = -1
    if should_cancel():
        stop.set()
    with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="basins") as pool:
        futures = [
            pool.submit(_run_pool, mom, out, q, settings, reporter(t), stop.is_set)
            for t, q in enumerate(queues)
        ]
        while True:
            finished, _ = wait(futures, timeout=_POLL_SECONDS)
            total = sum(counts)
            if total != last:
                last = total
                progress(total, n_starts)
            if len(finished) == len(futures):
                break
            if not stop.is_set() and should_cancel():
                stop.set()
        results = [f.result() for f in futures]  # re-raises an exception of a pool
    return stop.is_set() and any(results)


# ----------------------------------------------------------------------------------------------
# Maps
# ----------------------------------------------------------------------------------------------


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
    """

    mixture: Mixture
    mean_log_likelihood: float
    count: int


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
        Final mean log-likelihood per point; NaN for cells not computed or failed.
    solution_id : int array of shape (n_rows, n_cols)
        Index into ``solutions``: cells reaching the same maximum share an id. ``NOT_COMPUTED``
        (-1) for cells not computed, ``FAILED`` (-2) for runs that broke down.
    n_iter : int array of shape (n_rows, n_cols)
    converged : bool array of shape (n_rows, n_cols)
    solutions : tuple of BasinSolution
        The distinct maxima, best log-likelihood first (id 0 is the best).
    cancelled : bool
        True when the map was cancelled before every cell was computed.
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
    )
    usable = batch.done & ~batch.failed & np.isfinite(batch.mean_log_likelihood)
    ids, reps = identify_maxima(
        batch.weights,
        batch.means,
        batch.mean_log_likelihood,
        n_samples=X.shape[0],
        scale=data_scale(X),
        usable=usable,
        ll_tol=ll_tol,
        mean_tol=mean_tol,
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
        )
        for s, r in enumerate(reps)
    )
    ll = np.where(usable, batch.mean_log_likelihood, np.nan)
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
    )


def basin_map_1d(
    X: np.ndarray,
    start: Mixture,
    grid_a: np.ndarray,
    grid_b: np.ndarray,
    *,
    components: tuple[int, int] = (0, 1),
    covariance_type: str = "full",
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
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
        The EM settings (as in :func:`gmm_gui.model.em.fit`); the tighter default ``tol`` lets
        every start get close to its maximum, so that cells can be told apart reliably.
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
    )


def basin_map_2d(
    X: np.ndarray,
    start: Mixture,
    component: int,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    *,
    covariance_type: str = "full",
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    ll_tol: float = DEFAULT_LL_TOL,
    mean_tol: float = DEFAULT_MEAN_TOL,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
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
progress, should_cancel
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
