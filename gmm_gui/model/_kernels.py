"""Numerical kernels of the E- and M-steps.

Speed comes from one idea: after centring the data on their mean, a Gaussian's log-density is a
quadratic polynomial in the point, so the weighted log-densities of all points under all
components are ONE matrix product ``W @ phi`` of a small coefficient matrix ``W`` (n_components,
n_terms) with the data's monomials ``phi = [1, x_i, x_i x_j]`` (n_terms, n_samples), built once
per data set. The M-step's sufficient statistics (counts, sums, sums of products) are likewise one
product ``phi @ resp``. Neither makes a temporary of shape (n_samples, n_components, n_features).

A polynomial evaluated far from its centre loses digits to cancellation, so each component is
checked: the rounding error of the expansion is bounded by ``eps * a^T |P| a`` (``a`` the largest
centred coordinates of points and mean, ``P`` the precision), and a component whose bound is not
tiny (a narrow component far from the data's centre, one collapsing onto a point, ...) is computed
exactly instead, from differences ``x - mu`` as scikit-learn's full covariances are. Results
therefore agree with the exact computation to about 1e-10 relative or better on any data,
including values near 1e6 with spread 1 (where scikit-learn's own diag, spherical and tied
estimates, which use ``E[x^2] - mu^2`` on the raw data, lose digits).

Everything here works on validated float64 arrays; the public functions are in
:mod:`gmm_gui.model.steps`.
"""

from __future__ import annotations

import math

import numpy as np

from gmm_gui.model._linalg import inv_lower
from gmm_gui.model.covariance import COVARIANCE
from gmm_gui.model.prior import Prior

__all__ = [
    "PreparedData",
    "estimate_parameters",
    "inv_lower",
    "log_resp_inplace",
    "parameters_from_stats",
    "sufficient_stats",
    "weighted_log_prob",
]

_LOG_2PI = math.log(2.0 * math.pi)
_EPS = float(np.finfo(np.float64).eps)

# Largest error bound (in units of eps) accepted for the expanded forms. E-step: an error of
# at most about 1e5 * 2.2e-16 = 2e-11 in a log-density (worst seen in a randomised check:
# 7e-13 relative). M-step: about 1e4 * 2.2e-16 = 2e-12 relative to the covariance in whitened
# units (randomised check: the error tracks bound * eps within a factor 2 for large bounds;
# worst seen below the threshold 1.9e-12). The requirement against scikit-learn is 1e-6.
_FAST_E_BOUND = 1e5
_FAST_M_BOUND = 1e4
# The monomial matrix is not built when it would hold more than this many numbers.
_MAX_PHI_SIZE = 40_000_000


class PreparedData:
    """Data made ready for repeated E- and M-steps: centred, transposed, with monomials.

    Build it once per data set (``prepare_data(X)``) and pass it instead of ``X`` to
    :func:`~gmm_gui.model.e_step`, :func:`~gmm_gui.model.m_step` and friends to skip the
    checks and the set-up on every call (the window's stepper does so while a Gaussian is
    dragged).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Finite float64 data (already checked).

    Attributes
    ----------
    X : array of shape (n_samples, n_features)
        The data, read-only.
    offset : array of shape (n_features,)
        The data's mean, the centre of the expansion.
    xt : array of shape (n_features, n_samples)
        Centred data, one contiguous row per feature.
    phi : array of shape (n_terms, n_samples) or None
        Rows ``1``, the centred coordinates, then their products ``x_i x_j`` (``i <= j``).
    extent : array of shape (n_features,)
        Largest absolute centred coordinate per feature.
    data_var : float
        Mean per-feature variance.
    """

    __slots__ = ("X", "offset", "xt", "phi", "extent", "data_var", "pairs")

    def __init__(self, X: np.ndarray) -> None:
        n_samples, n_features = X.shape
        X = X.view()
        X.flags.writeable = False
        self.X = X
        # column by column: numpy's mean(axis=0) of a tall, thin array is ten times slower
        self.offset = np.array([X[:, j].sum() for j in range(n_features)]) / n_samples
        pairs = [(i, j) for i in range(n_features) for j in range(i, n_features)]
        self.pairs = pairs
        n_terms = 1 + n_features + len(pairs)
        if n_terms * n_samples <= _MAX_PHI_SIZE:
            phi = np.empty((n_terms, n_samples))
            xt = phi[1 : 1 + n_features]
            np.subtract(X.T, self.offset[:, None], out=xt)
            _fill_monomials(phi, pairs)
            self.phi: np.ndarray | None = phi
        else:
            xt = np.subtract(X.T, self.offset[:, None])
            self.phi = None
        self.xt = xt
        self.extent = np.abs(xt).max(axis=1)
        sq = np.einsum("ij,ij->i", xt, xt) / n_samples
        mean = xt.mean(axis=1)
        self.data_var = float(np.mean(np.maximum(sq - mean * mean, 0.0)))

    def monomials(self) -> np.ndarray:
        """The monomial matrix ``phi``, built now (and not kept) if it was too large to keep.

        Returns
        -------
        array of shape (n_terms, n_samples)
            C-contiguous; ``data.phi`` itself when it exists (read it, do not write it).
        """
        if self.phi is not None:
            return self.phi
        phi = np.empty((1 + self.n_features + len(self.pairs), self.n_samples))
        phi[1 : 1 + self.n_features] = self.xt
        _fill_monomials(phi, self.pairs)
        return phi

    @property
    def n_samples(self) -> int:
        """Number of points."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features."""
        return int(self.X.shape[1])


def _fill_monomials(phi: np.ndarray, pairs: list[tuple[int, int]]) -> None:
    """Fill row 0 (ones) and the product rows of ``phi`` from its coordinate rows, in place.

    ``phi`` has shape (1 + n_features + len(pairs), n_samples); rows ``1 .. n_features`` hold the
    centred coordinates, the row after them ``x_i x_j`` for each pair ``(i, j)`` in order.
    """
    n_features = phi.shape[0] - 1 - len(pairs)
    phi[0] = 1.0
    xt = phi[1 : 1 + n_features]
    for row, (i, j) in enumerate(pairs, start=1 + n_features):
        np.multiply(xt[i], xt[j], out=phi[row])


# ---------------------------------------------------------------------------------- E-step
def _block_size(n_components: int) -> int:
    """Columns per block so that a (n_components, block) slab stays in cache."""
    return int(min(32768, max(2048, (1 << 17) // max(n_components, 1))))


class _LogProbPlan:
    """Per-mixture coefficients of the weighted log-density, computed once per E-step."""

    def __init__(
        self,
        data: PreparedData,
        weights: np.ndarray,
        means: np.ndarray,
        prec_chol: np.ndarray,
    ) -> None:
        n_components, n_features = means.shape
        self.mu_c = means - data.offset
        self.prec_chol = prec_chol
        log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
        self.zero_weight = ~np.isfinite(log_w)
        self.any_zero = bool(self.zero_weight.any())
        self.const = (
            -0.5 * n_features * _LOG_2PI + log_det + np.where(self.zero_weight, 0.0, log_w)
        )
        exact = np.ones(n_components, dtype=bool)
        self.coef: np.ndarray | None = None
        if data.phi is not None:
            prec = prec_chol @ np.swapaxes(prec_chol, 1, 2)
            a = data.extent[None, :] + np.abs(self.mu_c)
            bound = np.einsum("ki,kij,kj->k", a, np.abs(prec), a)
            exact = ~(bound <= _FAST_E_BOUND)
            p_mu = np.einsum("kij,kj->ki", prec, self.mu_c)
            coef = np.empty((n_components, data.phi.shape[0]))
            coef[:, 0] = self.const - 0.5 * np.einsum("ki,ki->k", self.mu_c, p_mu)
            coef[:, 1 : 1 + n_features] = p_mu
            for col, (i, j) in enumerate(data.pairs, start=1 + n_features):
                coef[:, col] = -0.5 * prec[:, i, i] if i == j else -prec[:, i, j]
            self.coef = coef
        self.exact = np.flatnonzero(exact)

    def fill(self, data: PreparedData, start: int, stop: int, out: np.ndarray) -> None:
        """Weighted log-densities of points ``start:stop`` into ``out`` (n_components, m)."""
        if self.coef is not None:
            assert data.phi is not None
            np.matmul(self.coef, data.phi[:, start:stop], out=out)
        xt = data.xt[:, start:stop]
        for k in self.exact:
            _exact_log_prob_row(xt, self.mu_c[k], self.prec_chol[k], self.const[k], out[k])
        if self.any_zero:
            out[self.zero_weight] = -np.inf


def weighted_log_prob(
    data: PreparedData,
    weights: np.ndarray,
    means: np.ndarray,
    prec_chol: np.ndarray,
    out: np.ndarray | None = None,
    normalise: bool = False,
    stats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``log(w_k) + log N(x_i | mu_k, Sigma_k)`` for all points and components.

    Works through the points in cache-sized blocks.

    Parameters
    ----------
    data : PreparedData
    weights : array of shape (n_components,)
    means : array of shape (n_components, n_features)
    prec_chol : array of shape (n_components, n_features, n_features)
        Upper-triangular ``U_k`` with ``inv(Sigma_k) = U_k @ U_k.T`` (scikit-learn's
        ``precisions_cholesky_``).
    out : array of shape (n_components, n_samples), optional
        Buffer for the result.
    normalise : bool
        Turn each block into responsibilities while it is in cache (the E-step).
    stats : array of shape (n_terms, n_components), optional
        With ``normalise`` and monomials: overwritten with ``phi @ resp``, the next M-step's
        sufficient statistics, accumulated while each block of responsibilities is in cache.

    Returns
    -------
    values : array of shape (n_components, n_samples)
        Component-major: row ``k`` holds component ``k``; transpose for (n_samples,
        n_components). Responsibilities when ``normalise``.
    log_norm : array of shape (n_samples,) or None
        ``log p(x_i)`` when ``normalise``.
    """
    n_components = means.shape[0]
    n_samples = data.n_samples
    if out is None:
        out = np.empty((n_components, n_samples))
    plan = _LogProbPlan(data, weights, means, prec_chol)
    log_norm = np.empty(n_samples) if normalise else None
    block = _block_size(n_components)
    accumulate = stats is not None and normalise and data.phi is not None
    if accumulate:
        assert stats is not None
        stats[:] = 0.0
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        slab = out[:, start:stop]
        plan.fill(data, start, stop, slab)
        if log_norm is not None:
            log_norm[start:stop] = log_resp_inplace(slab)
            if accumulate:
                assert data.phi is not None and stats is not None
                stats += data.phi[:, start:stop] @ slab.T
    return out, log_norm


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


def _exact_log_prob_row(
    xt: np.ndarray, mu_c: np.ndarray, prec_chol: np.ndarray, const: float, row: np.ndarray
) -> None:
    """``const - |(x - mu) @ U|^2 / 2`` from differences, written into ``row``."""
    n_features = xt.shape[0]
    diff = [xt[i] - mu_c[i] for i in range(n_features)]
    y = np.empty_like(row)
    row[:] = 0.0
    for j in range(n_features):
        np.multiply(diff[0], prec_chol[0, j], out=y)
        for i in range(1, j + 1):
            y += diff[i] * prec_chol[i, j]
        y *= y
        row += y
    row *= -0.5
    row += const


#: Log-ratios at or below this give responsibilities written as exactly 0 (see _exp_flushed).
_LOG_FLUSH = -700.0
_FLUSH = float(np.exp(_LOG_FLUSH))  # 9.9e-305, a normal float


def _exp_flushed(a: np.ndarray) -> None:
    """``a = exp(a)`` in place for ``a <= 0``, with results at or below ``exp(-700)`` set to 0.

    NumPy's vectorised ``exp`` leaves its fast path for any argument below about -708, whose
    result is subnormal or zero: measured on this project's 2-core machine, 2.3 ms for 131,072
    such values against 0.16 ms for normal ones, and up to 20 ms when the results are
    subnormal. Well-separated components put many points there (a point 40 standard deviations
    from a component). Flooring the arguments at -700 keeps every value normal; the
    responsibilities so floored, all below 1e-304 beside a largest one of 1, are then zeroed,
    which changes no sum and no statistic in double precision. NaN stays NaN.
    """
    if a.min() >= _LOG_FLUSH:  # none so far off: one reduction, then the plain exp
        np.exp(a, out=a)
        return
    np.maximum(a, _LOG_FLUSH, out=a)
    np.exp(a, out=a)
    np.multiply(a, a > _FLUSH, out=a)


def log_resp_inplace(log_prob: np.ndarray) -> np.ndarray:
    """Turn component-major log-probabilities into responsibilities, in place.

    Parameters
    ----------
    log_prob : array of shape (n_components, n_samples)
        Overwritten with ``exp(log_prob - logsumexp(log_prob, axis=0))``.

    Returns
    -------
    log_norm : array of shape (n_samples,)
        ``logsumexp(log_prob, axis=0)``, the log mixture density of each point.
    """
    mx = log_prob.max(axis=0)
    if not np.isfinite(mx).all():  # cannot happen with valid weights; never produce NaN
        mx[~np.isfinite(mx)] = 0.0
    np.subtract(log_prob, mx, out=log_prob)
    _exp_flushed(log_prob)
    s = log_prob.sum(axis=0)
    inv = np.reciprocal(s)
    np.multiply(log_prob, inv, out=log_prob)
    np.log(s, out=s)
    s += mx
    return s


# ---------------------------------------------------------------------------------- M-step
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
    n_features = data.n_features
    n_components = resp.shape[1]
    if data.phi is not None:
        if stats is None:
            stats = sufficient_stats(data, resp)
        nk, means, raw = parameters_from_stats(stats.T, data.offset, data.pairs)
        exact = ~_expansion_is_accurate(raw, data.extent)
    else:
        nk = resp.sum(axis=0) + 10 * _EPS
        sums = data.xt @ resp
        means = (sums.T + np.outer(nk - 10 * _EPS, data.offset)) / nk[:, None]
        raw = np.empty((n_components, n_features, n_features))
        exact = np.ones(n_components, dtype=bool)
    mu_c = means - data.offset
    for k in np.flatnonzero(exact):
        raw[k] = _exact_covariance(data.xt, resp[:, k], mu_c[k], nk[k])
    spec = COVARIANCE[covariance_type]
    if prior is not None:
        means, covs = spec.constrain_with_prior(nk, means, raw, prior)
        return nk, means, covs
    return nk, means, spec.constrain(raw, nk, reg_covar)


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


def _exact_covariance(
    xt: np.ndarray, resp_k: np.ndarray, mu_c: np.ndarray, nk: float
) -> np.ndarray:
    """``sum_i r_i (x_i - mu)(x_i - mu)^T / nk`` from differences (no cancellation)."""
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
            cov[i, j] = cov[j, i] = float(weighted @ diff[j]) / nk
    return cov
