"""Properties EM must have on any data, checked with hypothesis in 1-D and d-D.

The log-likelihood never decreases from one iteration to the next (beyond rounding), the
responsibilities and weights sum to one, every covariance stays symmetric positive definite and
nothing is ever NaN or infinite.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmm_gui.model import Mixture, e_step, fit, init_mixture, m_step, prepare_data

COV_TYPES = ("full", "tied", "diag", "spherical")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def problems(draw, n_features=None):
    """Clustered data (sometimes with duplicates and far-off offsets) and a random start."""
    d = draw(st.integers(1, 4)) if n_features is None else n_features
    k = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(max(k, 2) * 3, 120))
    offset = draw(st.sampled_from([0.0, 1e3, -1e5, 1e6]))
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0]))
    centres = rng.normal(scale=3 * scale, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(scale=scale, size=(n, d)) + offset
    if draw(st.booleans()):  # duplicated points
        X[: n // 3] = X[0]
    # never a constant column: the engine refuses those
    X[-1] += scale
    X[-2] -= scale
    cov_type = draw(st.sampled_from(COV_TYPES))
    method = draw(st.sampled_from(["kmeans++", "kmeans", "random", "random_from_data"]))
    reg_covar = draw(st.sampled_from([1e-6, 1e-3]))
    return X, k, cov_type, method, reg_covar, seed


def check_mixture(mixture: Mixture):
    assert np.all(np.isfinite(mixture.weights))
    assert np.all(mixture.weights >= 0)
    assert abs(mixture.weights.sum() - 1.0) < 1e-12
    assert np.all(np.isfinite(mixture.means))
    cov = mixture.covariances
    assert np.all(np.isfinite(cov))
    np.testing.assert_array_equal(cov, np.swapaxes(cov, 1, 2))
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def reg_covar_cost(mixture: Mixture, reg_covar: float) -> float:
    """Most likelihood per point that adding reg_covar after an M-step can cost.

    The M-step maximises EM's auxiliary function Q, so the likelihood cannot fall by more than
    Q falls when reg_covar moves the covariances off the maximiser: for a covariance with
    unregularised eigenvalues s, that is sum(log(1 + r/s) - r/(s + r)) / 2 per point owned
    (second order in r/s, and unbounded when a component collapses, s -> 0).
    """
    if reg_covar == 0:
        return 0.0
    lam = np.linalg.eigvalsh(mixture.covariances)
    raw = lam - reg_covar
    safe = np.where(raw > 0, raw, 1.0)
    per = np.where(raw > 0, np.log1p(reg_covar / safe) - reg_covar / lam, np.inf)
    return float(np.sum(mixture.weights * 0.5 * per.sum(axis=1)))


def run_and_check(X, k, cov_type, method, reg_covar, seed):
    try:
        start = init_mixture(X, k, method, seed=seed, covariance_type=cov_type, reg_covar=reg_covar)
    except ValueError as exc:  # e.g. fewer distinct points than components: a clear refusal
        assert "distinct" in str(exc)
        return
    check_mixture(start)
    lls = []
    allowances = []

    def on_step(iteration, mixture, mean_ll):
        check_mixture(mixture)
        assert np.isfinite(mean_ll)
        lls.append(mean_ll)
        allowances.append(reg_covar_cost(mixture, reg_covar))

    result = fit(
        X,
        start,
        covariance_type=cov_type,
        max_iter=15,
        tol=0,
        reg_covar=reg_covar,
        on_step=on_step,
    )
    assert list(result.history) == lls
    all_ll = np.array([result.initial_mean_log_likelihood, *result.history])
    assert np.all(np.isfinite(all_ll))
    # EM never decreases the likelihood, beyond rounding and what reg_covar costs.
    slack = 1e-9 * (1.0 + np.abs(all_ll[1:])) + np.array(allowances)
    assert np.all(np.diff(all_ll) >= -slack), (np.diff(all_ll), allowances)
    resp, total = e_step(X, result.mixture)
    assert np.all(np.isfinite(resp)) and np.isfinite(total)
    assert np.all(resp >= 0)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    check_mixture(m_step(X, resp, cov_type, reg_covar))


@SETTINGS
@given(problems(n_features=1))
def test_em_properties_1d(problem):
    run_and_check(*problem)


@SETTINGS
@given(problems())
def test_em_properties_nd(problem):
    run_and_check(*problem)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 1e6]),
)
def test_e_step_of_any_mixture_is_finite_and_normalised(k, d, seed, offset):
    """Any valid mixture, however far from the data, gives finite normalised responsibilities."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, d)) + offset
    a = rng.normal(size=(k, d, d))
    covs = a @ np.swapaxes(a, 1, 2) + 1e-3 * np.eye(d)
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(scale=1e3, size=(k, d))
    mixture = Mixture(weights, means, covs)
    resp, total = e_step(prepare_data(X), mixture)
    assert np.all(np.isfinite(resp)) and np.isfinite(total)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
