"""The engine against scikit-learn's GaussianMixture, the independent oracle.

From the same start (weights_init, means_init, precisions_init), with tol=0 and the same max_iter
and reg_covar, weights, means, covariances and log-likelihoods must agree to 1e-6 relative, for
all four covariance types, on the real data sets and on synthetic 1-D, 2-D and 5-D data.
"""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_gui.model import (
    Mixture,
    aic,
    bic,
    e_step,
    fit,
    init_mixture,
    log_prob_components,
    m_step,
    n_parameters,
    score_samples,
)

COV_TYPES = ("full", "tied", "diag", "spherical")
RTOL = 1e-6


def read_columns(path, *names):
    """Numeric columns of an R-exported CSV (quoted header, index column, NA)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    idx = [header.index(name) for name in names]
    out = []
    for row in rows[1:]:
        values = [row[i] for i in idx]
        if "NA" in values:
            continue
        out.append([float(v) for v in values])
    return np.array(out)


def sklearn_precisions(mixture: Mixture) -> np.ndarray:
    cov = mixture.compact_covariances()
    if mixture.covariance_type in ("full", "tied"):
        return np.linalg.inv(cov)
    return 1.0 / cov


def sklearn_from(X, start: Mixture, max_iter: int, reg_covar=1e-6, tol=0.0):
    gm = GaussianMixture(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=sklearn_precisions(start),
        tol=tol,
        max_iter=max_iter,
        reg_covar=reg_covar,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm


def assert_close(ours, theirs, rtol=RTOL):
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    scale = max(float(np.max(np.abs(theirs))), 1e-300)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-3 * scale)


def assert_same_fit(X, start, max_iter, reg_covar=1e-6):
    ours = fit(
        X,
        start,
        covariance_type=start.covariance_type,
        max_iter=max_iter,
        tol=0.0,
        reg_covar=reg_covar,
    )
    gm = sklearn_from(X, start, max_iter, reg_covar)
    assert ours.n_iter == gm.n_iter_ == max_iter
    assert_close(ours.mixture.weights, gm.weights_)
    assert_close(ours.mixture.means, gm.means_)
    assert_close(ours.mixture.compact_covariances(), gm.covariances_)
    # Final mean log-likelihood: of the returned mixture, i.e. scikit-learn's score(X).
    assert ours.mean_log_likelihood == pytest.approx(gm.score(X), rel=RTOL)
    assert ours.log_likelihood == pytest.approx(gm.score(X) * X.shape[0], rel=RTOL)
    # scikit-learn's lower bounds are (L_0, ..., L_{T-1}); ours (L_1, ..., L_T) plus L_0.
    lower_bounds = (ours.initial_mean_log_likelihood, *ours.history[:-1])
    assert_close(lower_bounds, gm.lower_bounds_)
    assert ours.history[-2] == pytest.approx(gm.lower_bound_, rel=RTOL)
    return ours, gm


# ---------------------------------------------------------------------------- real data
@pytest.fixture
def faithful(datasets_dir):
    return read_columns(datasets_dir / "faithful.csv", "eruptions", "waiting")


@pytest.fixture
def davis_height(datasets_dir):
    return read_columns(datasets_dir / "Davis.csv", "height")


@pytest.fixture
def galaxies(datasets_dir):
    return read_columns(datasets_dir / "galaxies.csv", "x")


@pytest.fixture
def iris_petals(datasets_dir):
    return read_columns(datasets_dir / "iris.csv", "Petal.Length", "Petal.Width")


def test_real_data_read_as_expected(faithful, davis_height, galaxies, iris_petals):
    assert faithful.shape == (272, 2)
    assert davis_height.shape == (200, 1)
    assert davis_height.min() == 57  # the known data-entry error is kept
    assert galaxies.shape == (82, 1)
    assert iris_petals.shape == (150, 2)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_faithful_matches_sklearn(faithful, cov_type):
    start = Mixture.from_arrays(
        [0.5, 0.5],
        [[2.0, 55.0], [4.5, 80.0]],
        {
            "full": [[[0.5, 1.0], [1.0, 40.0]], [[0.5, 1.0], [1.0, 40.0]]],
            "tied": [[0.5, 1.0], [1.0, 40.0]],
            "diag": [[0.5, 40.0], [0.3, 30.0]],
            "spherical": [4.0, 9.0],
        }[cov_type],
        cov_type,
    )
    assert_same_fit(faithful, start, max_iter=40)


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("init", ["kmeans", "random"])
def test_faithful_from_initialisers_matches_sklearn(faithful, cov_type, init):
    start = init_mixture(faithful, 3, init, seed=3, covariance_type=cov_type)
    assert_same_fit(faithful, start, max_iter=25)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_davis_height_with_outlier_matches_sklearn(davis_height, cov_type):
    # The left outlier (57 cm) is owned by the women's component.
    start = Mixture.from_arrays([0.5, 0.5], [[160.0], [178.0]], [[[40.0]], [[40.0]]], "full")
    start = start.as_type(cov_type)
    ours, _ = assert_same_fit(davis_height, start, max_iter=50)
    resp, _ = e_step(davis_height, ours.mixture)
    assert np.all(np.isfinite(resp))


def test_davis_height_three_components_matches_sklearn(davis_height):
    start = init_mixture(davis_height, 3, "kmeans", seed=0)
    assert_same_fit(davis_height, start, max_iter=30)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_galaxies_four_components_matches_sklearn(galaxies, cov_type):
    start = Mixture.from_arrays(
        [0.1, 0.4, 0.4, 0.1],
        [[9500.0], [19800.0], [22800.0], [32000.0]],
        [1e6, 1e6, 1e6, 1e6] if cov_type == "spherical" else [[1e6]] * 4,
        "diag" if cov_type != "spherical" else "spherical",
    ).as_type(cov_type)
    assert_same_fit(galaxies, start, max_iter=60)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_iris_petals_matches_sklearn(iris_petals, cov_type):
    start = init_mixture(iris_petals, 3, "kmeans++", seed=1, covariance_type=cov_type)
    assert_same_fit(iris_petals, start, max_iter=40)


# ---------------------------------------------------------------------------- synthetic data
def synthetic(n_features, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(3, n_features))
    parts = []
    for i, c in enumerate(centres):
        a = rng.normal(size=(n_features, n_features)) * 0.5 + np.eye(n_features)
        parts.append(c + rng.normal(size=(150 + 50 * i, n_features)) @ a)
    return np.vstack(parts)


@pytest.mark.parametrize("n_features", [1, 2, 5])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_synthetic_matches_sklearn(n_features, cov_type):
    X = synthetic(n_features)
    start = init_mixture(X, 3, "random_from_data", seed=2, covariance_type=cov_type)
    start = Mixture(start.weights, start.means, start.covariances + 0.0, cov_type)
    assert_same_fit(X, start, max_iter=30, reg_covar=1e-4)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_convergence_test_and_iteration_count_as_sklearn(cov_type):
    X = synthetic(2, seed=5)
    start = init_mixture(X, 3, "kmeans++", seed=0, covariance_type=cov_type)
    for tol in (1e-1, 1e-3, 1e-6):
        ours = fit(X, start, covariance_type=cov_type, tol=tol, max_iter=200)
        gm = sklearn_from(X, start, max_iter=200, tol=tol)
        assert ours.n_iter == gm.n_iter_
        assert ours.converged == gm.converged_
        assert_close(ours.mixture.means, gm.means_)
        assert len(ours.history) == ours.n_iter


def test_max_iter_zero_returns_start():
    X = synthetic(2)
    start = init_mixture(X, 3, "kmeans", seed=0)
    ours = fit(X, start, max_iter=0)
    assert ours.mixture == start
    assert ours.n_iter == 0 and ours.history == ()
    assert ours.mean_log_likelihood == pytest.approx(score_samples(X, start).mean())


# ---------------------------------------------------------------------------- single steps
@pytest.mark.parametrize("n_features", [1, 2, 5])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_single_steps_match_sklearn(n_features, cov_type):
    X = synthetic(n_features, seed=11)
    start = init_mixture(X, 3, "kmeans", seed=0, covariance_type=cov_type)
    gm = sklearn_from(X, start, max_iter=1)
    gm._initialize(X, None)  # back to the start (precisions from precisions_init)

    ref_weighted = gm._estimate_weighted_log_prob(X)
    assert_close(log_prob_components(X, start), ref_weighted)
    ref_norm, ref_log_resp = gm._estimate_log_prob_resp(X)
    assert_close(score_samples(X, start), ref_norm)
    resp, total = e_step(X, start)
    assert_close(resp, np.exp(ref_log_resp))
    assert total == pytest.approx(ref_norm.sum(), rel=1e-12)

    gm._m_step(X, ref_log_resp)
    new = m_step(X, resp, cov_type, reg_covar=1e-6)
    assert new.covariance_type == cov_type
    assert_close(new.weights, gm.weights_)
    assert_close(new.means, gm.means_)
    assert_close(new.compact_covariances(), gm.covariances_)
    assert_close(new.precisions_cholesky, _full_prec_chol(gm, n_features))


def _full_prec_chol(gm, n_features):
    pc = gm.precisions_cholesky_
    k = gm.n_components
    if gm.covariance_type == "full":
        return pc
    if gm.covariance_type == "tied":
        return np.broadcast_to(pc, (k, n_features, n_features))
    diag = pc if gm.covariance_type == "diag" else np.repeat(pc[:, None], n_features, axis=1)
    out = np.zeros((k, n_features, n_features))
    out[:, np.arange(n_features), np.arange(n_features)] = diag
    return out


@pytest.mark.parametrize("reg_covar", [0.0, 1e-6, 1e-2, 1.0])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_reg_covar_added_as_sklearn(faithful, reg_covar, cov_type):
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=faithful.shape[0])
    new = m_step(faithful, resp, cov_type, reg_covar=reg_covar)
    gm = GaussianMixture(3, covariance_type=cov_type, reg_covar=reg_covar)
    gm._m_step(faithful, np.log(resp))
    assert_close(new.compact_covariances(), gm.covariances_)


# ---------------------------------------------------------------------------- criteria
@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_bic_aic_and_parameter_count_match_sklearn(cov_type, n_features):
    X = synthetic(n_features, seed=4)
    start = init_mixture(X, 3, "kmeans", seed=0, covariance_type=cov_type)
    ours = fit(X, start, covariance_type=cov_type, max_iter=10, tol=0)
    gm = sklearn_from(X, start, max_iter=10)
    assert n_parameters(3, n_features, cov_type) == gm._n_parameters()
    assert bic(X, ours.mixture) == pytest.approx(gm.bic(X), rel=1e-9)
    assert aic(X, ours.mixture) == pytest.approx(gm.aic(X), rel=1e-9)
