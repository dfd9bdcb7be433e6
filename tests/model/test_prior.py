"""MAP-EM with mclust's conjugate prior (gmm_gui.model.prior), against mclust 6 itself.

The expected figures are in ``fixtures/mclust_prior.json``, made once with R by
``fixtures/mclust_prior.R`` (the exact code is there); CI needs no R.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.model import COVARIANCE_TYPES, Mixture, fit, init_mixture, m_step
from gmm_gui.model.prior import Prior
from gmm_gui.model.steps import e_step, log_prior_density

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2] / "gmm_gui" / "resources" / "samples"
CASES = json.loads((FIXTURES / "mclust_prior.json").read_text(encoding="utf-8"))["cases"]


def _load(name: str, columns: list[str]) -> np.ndarray:
    with open(SAMPLES / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return np.array([[float(row[c]) for c in columns] for row in csv.DictReader(handle)])


def _data(case: dict) -> np.ndarray:
    name, columns = case["data"].split(":")
    return _load(name, columns.split(","))


def _mixture(params: dict, case: dict) -> Mixture:
    k, d = case["n_components"], case["n_features"]
    return Mixture(
        np.array(params["pro"]),
        np.array(params["mean"]).reshape(k, d),
        np.array(params["sigma"]).reshape(k, d, d),
        case["covariance_type"],
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_default_prior_is_mclusts(case):
    X = _data(case)
    prior = Prior.default(X, case["n_components"])
    expected = case["prior"]
    d = case["n_features"]
    assert prior.shrinkage == expected["shrinkage"]
    assert prior.dof == expected["dof"]
    np.testing.assert_allclose(prior.mean, expected["mean"], rtol=1e-12)
    if case["covariance_type"] in ("diag", "spherical"):  # mclust's scalar scale
        np.testing.assert_allclose(prior.scalar_scale, expected["scale"][0], rtol=1e-12)
    else:
        np.testing.assert_allclose(prior.scale.ravel(), expected["scale"], rtol=1e-12)
    assert prior.scale.shape == (d, d)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_map_em_agrees_with_mclust(case):
    X = _data(case)
    prior = Prior.default(X, case["n_components"])
    result = fit(
        X,
        _mixture(case["start"], case),
        covariance_type=case["covariance_type"],
        prior=prior,
        max_iter=20_000,
        tol=1e-13,
    )
    expected = _mixture(case["result"], case)
    got = result.mixture
    assert result.uses_prior and result.prior is prior
    # A component mclust empties (weight near 0) has a weight to compare absolutely only.
    kept = expected.weights > 1e-6
    np.testing.assert_allclose(got.weights[kept], expected.weights[kept], rtol=1e-3)
    np.testing.assert_allclose(got.weights[~kept], expected.weights[~kept], atol=1e-6)
    np.testing.assert_allclose(got.means[kept], expected.means[kept], rtol=1e-3)
    np.testing.assert_allclose(got.covariances[kept], expected.covariances[kept], rtol=1e-3,
                               atol=1e-12)
    # mclust's loglik is the plain log-likelihood at the MAP estimate
    np.testing.assert_allclose(result.log_likelihood, case["loglik"], rtol=1e-6)
    total = e_step(X, got)[1] + log_prior_density(got, prior)
    np.testing.assert_allclose(result.mean_log_posterior * X.shape[0], total, rtol=1e-12)
    assert result.history[-1] == result.mean_log_posterior == result.objective


def test_m_step_with_prior_is_the_posterior_mode_of_full_covariances():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2)) * [1.0, 3.0]
    resp = rng.dirichlet([1.0, 1.0], size=40)
    prior = Prior.default(X, 2)
    got = m_step(X, resp, "full", prior=prior)
    nk = resp.sum(axis=0)
    for k in range(2):
        ybar = resp[:, k] @ X / nk[k]
        scatter = (resp[:, k, None] * (X - ybar)).T @ (X - ybar)
        delta = ybar - prior.mean
        c = prior.shrinkage * nk[k] / (nk[k] + prior.shrinkage)
        cov = (prior.scale + scatter + c * np.outer(delta, delta)) / (prior.dof + nk[k] + 2 + 2)
        mean = (nk[k] * ybar + prior.shrinkage * prior.mean) / (nk[k] + prior.shrinkage)
        np.testing.assert_allclose(got.means[k], mean, rtol=1e-12)
        np.testing.assert_allclose(got.covariances[k], cov, rtol=1e-10)
    np.testing.assert_allclose(got.weights, nk / 40, rtol=1e-12)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_features", [1, 2])
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_components=st.integers(1, 3))
def test_log_posterior_never_decreases(cov_type, n_features, seed, n_components):
    rng = np.random.default_rng(seed)
    n = 30
    X = rng.normal(size=(n, n_features)) * rng.uniform(0.5, 5.0, size=n_features)
    X[: n // 3] += 4.0  # two groups
    X[0] = X[1]  # a duplicate point, where a component could collapse without the prior
    prior = Prior.default(X, n_components)
    means = X[rng.choice(n, size=n_components, replace=False)]
    start = Mixture(
        np.full(n_components, 1.0 / n_components),
        means,
        np.broadcast_to(np.eye(n_features) * 0.01, (n_components, n_features, n_features)),
        "full",
    ).as_type(cov_type)
    result = fit(X, start, covariance_type=cov_type, prior=prior, max_iter=200, tol=0.0)
    objective = np.array(result.history)
    assert np.all(np.isfinite(objective))
    scale = max(1.0, float(np.max(np.abs(objective))))
    assert np.all(np.diff(objective) >= -1e-12 * scale)
    assert not any(i.kind == "collapsed" for i in result.issues)


def test_lecture_bad_start_on_davis_stays_bounded_with_the_prior():
    X = _load("Davis", ["height"])
    bad = Mixture([0.5, 0.5], [[150.0], [155.0]], [[[64.0]], [[64.0]]])
    plain = fit(X, bad, max_iter=1000, tol=1e-10)
    assert any(i.kind == "collapsed" for i in plain.issues)
    assert plain.degenerate
    result = fit(X, bad, prior=Prior.default(X, 2), max_iter=1000, tol=1e-10)
    assert result.converged
    assert not any(i.kind == "collapsed" for i in result.issues)
    # the component on the 57 cm entry keeps a spread of several cm (mclust's own answer from
    # this start, fixtures' davis_V: sd 4.8 cm): bounded, not a singularity
    sd = np.sqrt(result.mixture.covariances[:, 0, 0])
    assert sd.min() > 1.0
    wide = int(np.argmax(result.mixture.weights))
    assert result.mixture.weights[wide] > 0.99  # the wide Gaussian owns (almost) everything
    assert sd[wide] > 8.0


def test_prior_checks_its_arguments():
    with pytest.raises(ValueError, match="shrinkage"):
        Prior(-1.0, [0.0], 3.0, [[1.0]])
    with pytest.raises(ValueError, match="positive definite"):
        Prior(0.01, [0.0, 0.0], 4.0, [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="dof"):
        Prior(0.01, [0.0, 0.0], 0.5, np.eye(2))
    prior = Prior(0.01, [0.0], 3.0, [[1.0]])
    with pytest.raises(ValueError, match="dimensional"):
        fit(np.zeros((5, 2)) + np.arange(10).reshape(5, 2), "kmeans++", n_components=1,
            prior=prior)


def test_reg_covar_is_not_added_with_a_prior():
    X = _load("faithful", ["eruptions", "waiting"])
    prior = Prior.default(X, 2)
    start = init_mixture(X, 2, "kmeans++", seed=0)
    a = fit(X, start, prior=prior, reg_covar=0.0)
    b = fit(X, start, prior=prior, reg_covar=0.5)
    np.testing.assert_array_equal(a.mixture.covariances, b.mixture.covariances)
    plain = fit(X, "kmeans++", n_components=2, seed=0)
    assert not plain.uses_prior and np.isnan(plain.mean_log_posterior)
    assert plain.objective == plain.mean_log_likelihood


def test_restarts_and_choose_k_take_the_prior():
    from gmm_gui.model import choose_k, run_restarts

    X = _load("faithful", ["eruptions", "waiting"])
    prior = Prior.default(X, 2)
    result = run_restarts(X, 2, n_starts=4, seed=0, prior=prior)
    assert result.prior is prior
    for run in result.runs:
        again = fit(X, run.start, prior=prior, tol=result.tol, max_iter=result.max_iter)
        assert run.mean_log_posterior == again.mean_log_posterior == run.objective
        assert run.mean_log_likelihood == again.mean_log_likelihood
        assert run.objective < run.mean_log_likelihood  # the log prior density is negative here
    assert [r.index for r in result.ranked()] == sorted(
        range(4), key=lambda i: (-result.runs[i].mean_log_posterior, i)
    )
    selection = choose_k(X, 2, ("full",), seed=0, n_init=1, prior=Prior.default)
    two = selection.get("full", 2)
    direct = fit(X, "kmeans++", n_components=2, seed=0, n_init=1, prior=Prior.default(X, 2),
                 tol=result.tol, max_iter=result.max_iter)
    assert two.mean_log_posterior == direct.mean_log_posterior
    np.testing.assert_array_equal(two.mixture.means, direct.mixture.means)


def test_prior_compares_by_value_and_round_trips_through_plain_values():
    X = _load("faithful", ["eruptions", "waiting"])
    prior = Prior.default(X, 3)
    again = Prior.from_dict(json.loads(json.dumps(prior.as_dict())))
    assert again == prior and hash(again) == hash(prior)
    assert prior != Prior.default(X, 2)
    assert {prior, again} == {prior}
    with pytest.raises(ValueError, match="dof"):
        Prior.from_dict({"shrinkage": 0.01, "mean": [0.0]})


@pytest.mark.parametrize("cov_type", ["full", "diag", "spherical"])
def test_every_one_dimensional_type_but_tied_is_mclusts_v(cov_type):
    case = next(c for c in CASES if c["name"] == "davis_V")
    X = _data(case)
    start = _mixture(case["start"], case).as_type(cov_type)
    result = fit(X, start, covariance_type=cov_type, prior=Prior.default(X, 2), max_iter=20_000,
                 tol=1e-13)
    expected = _mixture(case["result"], case)
    np.testing.assert_allclose(result.mixture.means, expected.means, rtol=1e-6)
    np.testing.assert_allclose(result.mixture.covariances, expected.covariances, rtol=1e-6)
    np.testing.assert_allclose(result.log_likelihood, case["loglik"], rtol=1e-9)


def test_log_prior_density_is_the_normalised_density_of_each_type():
    from scipy import stats

    rng = np.random.default_rng(8)
    X = rng.normal(size=(50, 2)) * [1.0, 4.0] + [3.0, -1.0]
    prior = Prior.default(X, 2)
    means = np.array([[2.0, 0.5], [4.0, -3.0]])
    a = rng.normal(size=(2, 2, 2))
    covs = a @ np.swapaxes(a, 1, 2) + np.eye(2)
    kappa, nu, lam = prior.shrinkage, prior.dof, prior.scale
    s = prior.scalar_scale

    def normal(mean, cov):
        return stats.multivariate_normal(prior.mean, cov / kappa).logpdf(mean)

    full = Mixture([0.5, 0.5], means, covs, "full")
    expected = sum(
        stats.invwishart(df=nu, scale=lam).logpdf(covs[k]) + normal(means[k], covs[k])
        for k in range(2)
    )
    assert log_prior_density(full, prior) == pytest.approx(expected, rel=1e-10)

    tied = Mixture([0.5, 0.5], means, [covs[0], covs[0]], "tied")
    expected = stats.invwishart(df=nu, scale=lam).logpdf(covs[0]) + sum(
        normal(means[k], covs[0]) for k in range(2)
    )
    assert log_prior_density(tied, prior) == pytest.approx(expected, rel=1e-10)

    var = np.array([[0.7, 3.0], [1.5, 9.0]])
    diag = Mixture([0.5, 0.5], means, [np.diag(v) for v in var], "diag")
    inv_gamma = stats.invgamma(a=nu / 2, scale=s / 2)
    expected = sum(
        inv_gamma.logpdf(var[k, j])
        + stats.norm(prior.mean[j], np.sqrt(var[k, j] / kappa)).logpdf(means[k, j])
        for k in range(2)
        for j in range(2)
    )
    assert log_prior_density(diag, prior) == pytest.approx(expected, rel=1e-10)

    sph = Mixture([0.5, 0.5], means, [np.eye(2) * 0.7, np.eye(2) * 4.0], "spherical")
    expected = sum(
        inv_gamma.logpdf(v) + normal(means[k], np.eye(2) * v) for k, v in enumerate([0.7, 4.0])
    )
    assert log_prior_density(sph, prior) == pytest.approx(expected, rel=1e-10)
