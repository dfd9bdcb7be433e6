"""Many EM runs at once: a pool of starts advanced together in vectorised numpy.

:func:`fit_batch` runs EM from many starts (arrays of shape ``(n_starts, n_components,
n_samples)`` per pool); a start leaves the pool as soon as it has converged and a waiting start
takes its place, and the pool size bounds the memory. Each start follows exactly the iteration of
:func:`gmm_gui.model.em.fit`: the same data preparation (:class:`~gmm_gui.model.PreparedData`:
centring and the monomials ``[1, x_i, x_i x_j]``), the same covariance constraint
(:data:`gmm_gui.model.covariance.COVARIANCE`), ``reg_covar`` and stopping rule
(:func:`gmm_gui.model.convergence.has_converged`). The basin maps
(:mod:`gmm_gui.model.basins`) are its main user.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from gmm_gui.model._kernels import PreparedData, parameters_from_stats
from gmm_gui.model._progress import Progress, ShouldCancel, never_cancel, no_progress
from gmm_gui.model.convergence import has_converged
from gmm_gui.model.covariance import COVARIANCE, check_covariance_type
from gmm_gui.model.prior import Prior

__all__ = ["DEFAULT_CHUNK_ELEMENTS", "BatchFit", "fit_batch"]

ProgressCallback = Progress
CancelCallback = ShouldCancel

#: Default elements per temporary array of a pool: 1 MB of float64, cache-sized (measured
#: fastest among 2**14 .. 2**20 on the bundled data sets).
DEFAULT_CHUNK_ELEMENTS = 1 << 17

_EXP_FLOOR = 600.0  # responsibilities below exp(-600) are rounded up to it
_MAX_THREADS = 4
_POLL_SECONDS = 0.05  # how often the calling thread looks at progress and cancel
_LOG_2PI = math.log(2.0 * math.pi)


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
    nk : array of shape (n_starts, n_components)
        Soft counts of the final parameters on the data (NaN for a start not run or failed
        before its first E-step).
    mean_log_posterior : array of shape (n_starts,)
        With a prior, the objective (mean log-posterior per point) of the final parameters;
        NaN without one.
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
    nk: np.ndarray | None = None
    mean_log_posterior: np.ndarray | None = None


class _Moments:
    """The monomials ``[1, x_i, x_i x_j (i <= j)]`` of the centred data, laid out for a pool.

    The E-step's log-densities are linear in them (a quadratic form written out) and the M-step
    needs only their responsibility-weighted sums, so both steps of a whole pool of starts are a
    matrix product with one small matrix per start. They are :class:`PreparedData`'s monomials
    (the same centring, the same order of the products), kept in both layouts.
    """

    def __init__(self, data: PreparedData) -> None:
        self.n_samples = data.n_samples
        self.n_features = data.n_features
        self.offset = data.offset
        self.pairs = data.pairs
        self.iu = np.array([i for i, _ in data.pairs], dtype=np.intp)
        self.ju = np.array([j for _, j in data.pairs], dtype=np.intp)
        self.features_t = data.monomials()  # (F, n), C-contiguous
        self.features = np.ascontiguousarray(self.features_t.T)  # (n, F)
        self.mean_features = self.features.mean(axis=0)  # (F,)
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
    mom: _Moments,
    stats: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    prior: Prior | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step of a pool from the weighted feature sums, shape (B, K, F).

    The moments become covariances as in :func:`gmm_gui.model.steps.m_step`
    (:func:`~gmm_gui.model._kernels.parameters_from_stats`), and the registry's constraint
    applies the covariance type and ``reg_covar`` to the whole pool at once (with a prior,
    centred like the data, its posterior mode instead).
    """
    # The pool works in centred coordinates: the statistics are about the origin.
    nk, means, raw = parameters_from_stats(stats, np.zeros(mom.n_features), mom.pairs)
    idx = np.arange(mom.n_features)
    raw[:, :, idx, idx] = np.maximum(raw[:, :, idx, idx], 0.0)  # round-off below zero
    spec = COVARIANCE[covariance_type]
    if prior is not None:
        means, cov = spec.constrain_with_prior(nk, means, raw, prior)
    else:
        cov = spec.constrain(raw, nk, reg_covar)
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
    X: np.ndarray | PreparedData,
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
    prior: Prior | None = None,
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
    X : array of shape (n_samples, n_features), or PreparedData
        Used as given (not checked for NaN or infinity).
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
    prior : Prior, optional
        MAP-EM as :func:`gmm_gui.model.em.fit` with ``prior``: the posterior mode in the M-step
        (no ``reg_covar``), the stopping rule on the mean log-posterior per point.

    Returns
    -------
    BatchFit
    """
    if isinstance(X, PreparedData):
        data = X
    else:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
        data = PreparedData(np.ascontiguousarray(X))
    check_covariance_type(covariance_type)
    n_samples, n_features = data.n_samples, data.n_features
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

    # The likelihood does not change under a shift of the data: work on centred data (as every
    # E- and M-step does), which keeps the second moments well-conditioned, and shift the means
    # back at the end.
    mom = _Moments(data)
    centre = mom.offset
    out = _Outputs(w0, mu0 - centre, cov0)
    pool_size = max(1, int(chunk_elements) // max(1, n_components * n_samples))
    if prior is not None:  # the pool works on centred data: centre the prior's mean too
        prior.check_features(n_features)
        prior = Prior(prior.shrinkage, prior.mean - centre, prior.dof, prior.scale)
    settings = (covariance_type, int(max_iter), float(tol), float(reg_covar), pool_size, prior)

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
        nk=out.nk,
        mean_log_posterior=out.objective if prior is not None else np.full(n_starts, np.nan),
    )


class _Outputs:
    """Per-start results, written in place by the pools (each start by exactly one pool)."""

    def __init__(self, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> None:
        n_starts = weights.shape[0]
        self.weights = weights.copy()
        self.means = means.copy()
        self.covariances = covariances.copy()
        self.ll = np.full(n_starts, np.nan)
        self.objective = np.full(n_starts, np.nan)
        self.nk = np.full(weights.shape, np.nan)
        self.n_iter = np.zeros(n_starts, dtype=np.int64)
        self.converged = np.zeros(n_starts, dtype=bool)
        self.done = np.zeros(n_starts, dtype=bool)
        self.failed = np.zeros(n_starts, dtype=bool)


def _run_pool(
    mom: _Moments,
    out: _Outputs,
    queue: np.ndarray,
    settings: tuple[str, int, float, float, int, Prior | None],
    report: Callable[[int], None],
    stop: Callable[[], bool],
) -> bool:
    """Run EM for the starts ``queue`` through one pool; True when stopped by ``stop``."""
    covariance_type, max_iter, tol, reg_covar, pool_size, prior = settings
    log_prior = COVARIANCE[covariance_type].log_prior
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
        stats, plain = _e_step_stats(mom, _coefficients(mom, w, mu, cov))
        ll = plain if prior is None else plain + log_prior(mu, cov, prior) / mom.n_samples
        finished = pending | (it >= max_iter)
        failed = np.zeros(active.size, dtype=bool)
        change_small = has_converged(ll, prev_ll, tol)
        keep = ~finished
        if np.any(keep):
            new_w, new_mu, new_cov = _m_step_stats(
                mom, stats[keep], covariance_type, reg_covar, prior
            )
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
            out.ll[idx] = plain[finished]
            out.objective[idx] = ll[finished]
            out.nk[idx] = stats[finished, :, 0]
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
    settings: tuple[str, int, float, float, int, Prior | None],
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
