"""EM as coordinate ascent (gmm_gui.model.ascent): the bound lies under the log-likelihood,
touches it after an E-step, and peaks where the M-step moves the parameter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp, xlogy
from scipy.stats import norm

from gmm_gui.model import Mixture, e_step, m_step, score_samples
from gmm_gui.model.ascent import (
    PARAMETERS,
    ascent_curves,
    bound_along,
    bound_peak,
    log_likelihood_along,
    parameter_value,
)


def random_case(seed: int, k: int, n: int = 150) -> tuple[np.ndarray, Mixture]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=k)
    X = (centres[rng.integers(0, k, n)] + rng.normal(0.0, 1.0, n))[:, None]
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(0.0, 4.0, size=(k, 1))
    variances = rng.uniform(0.3, 6.0, size=k)[:, None, None]
    return X, Mixture(weights, means, variances)


def with_parameter(mixture: Mixture, k: int, parameter: str, value: float) -> Mixture:
    """The same mixture with one parameter changed (the weights renormalised as documented)."""
    weights = np.array(mixture.weights)
    means = np.array(mixture.means)
    covs = np.array(mixture.covariances)
    if parameter == "mean":
        means[k, 0] = value
    elif parameter == "sd":
        covs[k, 0, 0] = value**2
    else:
        others = np.arange(weights.size) != k
        weights[others] *= (1.0 - value) / (1.0 - weights[k])
        weights[k] = value
    return Mixture(weights, means, covs)


def bound_by_definition(X: np.ndarray, mixture: Mixture, q: np.ndarray) -> float:
    """sum_ik q_ik log(pi_k N(x_i | mu_k, sigma_k)) - sum_ik q_ik log q_ik, per point, with
    scipy's normal density."""
    x = X[:, 0]
    sds = np.sqrt(mixture.covariances[:, 0, 0])
    log_joint = np.log(mixture.weights) + norm.logpdf(x[:, None], mixture.means[:, 0], sds)
    return float((np.sum(q * log_joint) - np.sum(xlogy(q, q))) / x.size)


def parameters_of(k: int) -> list[str]:
    return [p for p in PARAMETERS if not (p == "weight" and k == 1)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4))
def test_bound_under_log_likelihood_and_tight_after_an_e_step(seed, k):
    X, mixture = random_case(seed, k)
    q, total = e_step(X, mixture)
    for component in range(k):
        for parameter in parameters_of(k):
            curves = ascent_curves(X, mixture, q, component, parameter, n_values=81)
            assert np.all(curves.bound <= curves.log_likelihood + 1e-12)
            assert curves.values[curves.current_index] == curves.current
            assert curves.current == parameter_value(mixture, component, parameter)
            assert curves.log_likelihood_at_current == pytest.approx(total / len(X), abs=1e-12)
            assert abs(curves.gap) <= 1e-10
            if k == 1:  # one Gaussian: q = 1, and the bound is the log-likelihood itself
                np.testing.assert_allclose(curves.bound, curves.log_likelihood, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_bound_after_an_m_step_is_still_under_and_below_at_the_new_value(seed, k):
    X, mixture = random_case(seed, k)
    q, total = e_step(X, mixture)
    new = m_step(X, q, "full", 1e-6)
    for parameter in PARAMETERS:
        curves = ascent_curves(X, new, q, 0, parameter, n_values=81)
        assert np.all(curves.bound <= curves.log_likelihood + 1e-12)
        # EM's inequality: L(new) >= B(new; q) >= B(old; q) = L(old)
        assert curves.bound_at_current >= total / len(X) - 1e-12
        assert curves.log_likelihood_at_current >= curves.bound_at_current - 1e-12


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_curves_agree_with_the_definitions(parameter):
    X, mixture = random_case(7, 3)
    q, _ = e_step(X, mixture)
    new = m_step(X, q, "full", 1e-6)  # q is not this mixture's posterior: a general bound
    values = {"mean": [-6.0, 0.5, 3.0], "sd": [0.4, 1.0, 5.0], "weight": [0.05, 0.4, 0.9]}
    values = values[parameter]
    bound = bound_along(X, new, q, 1, parameter, values)
    ll = log_likelihood_along(X, new, 1, parameter, values)
    for value, b, ell in zip(values, bound, ll, strict=True):
        changed = with_parameter(new, 1, parameter, value)
        assert b == pytest.approx(bound_by_definition(X, changed, q), rel=1e-12)
        assert ell == pytest.approx(float(np.mean(score_samples(X, changed))), rel=1e-12)
        sds = np.sqrt(changed.covariances[:, 0, 0])
        log_joint = np.log(changed.weights) + norm.logpdf(X, changed.means[:, 0], sds)
        assert ell == pytest.approx(float(np.mean(logsumexp(log_joint, axis=1))), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), component=st.integers(0, 3))
def test_bound_peaks_along_the_mean_at_the_m_step_mean(seed, k, component):
    X, mixture = random_case(seed, k)
    component = component % k
    q, _ = e_step(X, mixture)
    # a component that owns (almost) no point: the M-step keeps it off the origin, the bound is
    # flat along its mean
    assume(q[:, component].sum() > 1e-3)
    update = float(m_step(X, q, "full", 1e-6).means[component, 0])
    weighted_mean = float(q[:, component] @ X[:, 0] / q[:, component].sum())
    assert update == pytest.approx(weighted_mean, abs=1e-8)
    # only this mean moves: the bound along it, evaluated and maximised numerically (it is a
    # parabola in the mean, so its vertex through three values is its argmax) ...
    h = float(np.std(X))
    centre = float(np.mean(X))
    lo, mid, hi = bound_along(X, mixture, q, component, "mean", [centre - h, centre, centre + h])
    vertex = centre - h * (hi - lo) / (2.0 * (hi - 2.0 * mid + lo))
    assert vertex == pytest.approx(update, abs=1e-8)
    near = bound_along(X, mixture, q, component, "mean", [update - 1e-3, update, update + 1e-3])
    assert near[1] > near[0] and near[1] > near[2]
    # ... and in closed form
    assert bound_peak(X, mixture, q, component, "mean") == pytest.approx(update, abs=1e-8)
    curves = ascent_curves(X, mixture, q, component, "mean")
    assert curves.peak == pytest.approx(update, abs=1e-8)
    assert np.all(curves.bound <= curves.peak_bound + 1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_bound_peaks_along_the_weight_and_sd_where_the_m_step_puts_them(seed, k):
    X, mixture = random_case(seed, k)
    q, _ = e_step(X, mixture)
    reg = 1e-6
    new = m_step(X, q, "full", reg)
    # for a Gaussian that owns points: for one that owns none the bound has no single peak
    # (bound_peak says None), and the M-step's 10 eps added to N_k moves the mean of one that
    # owns 1e-7 of a point off its weighted mean (as scikit-learn's does)
    assume(q[:, 0].sum() > 1e-3)
    # the weight: N_k / n, whatever the other parameters
    for held in (mixture, new):
        assert bound_peak(X, held, q, 0, "weight") == pytest.approx(new.weights[0], abs=1e-12)
    found = minimize_scalar(
        lambda w: -bound_along(X, mixture, q, 0, "weight", [w])[0],
        bounds=(1e-9, 1 - 1e-9),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert found.x == pytest.approx(new.weights[0], abs=1e-7)
    # the sd, with the mean held at the M-step's: the M-step's variance less reg_covar
    peak = bound_peak(X, new, q, 0, "sd")
    assert peak**2 + reg == pytest.approx(new.covariances[0, 0, 0], rel=1e-10)


def test_start_without_responsibilities_draws_the_log_likelihood_only():
    X, mixture = random_case(3, 2)
    curves = ascent_curves(X, mixture, None, 1, "sd")
    assert curves.bound is None and curves.peak is None and curves.gap is None
    assert curves.log_likelihood_at_current == pytest.approx(
        float(np.mean(score_samples(X, mixture))), rel=1e-12
    )


def test_cancel_leaves_the_values_not_reached_undefined():
    X, mixture = random_case(3, 2, n=2_000_000 // 10)
    calls = []
    values = np.linspace(-3, 3, 101)
    out = log_likelihood_along(
        X,
        mixture,
        0,
        "mean",
        values,
        progress=lambda d, t: calls.append(d),
        should_cancel=lambda: len(calls) >= 1,
    )
    assert calls and calls[-1] < values.size
    assert np.isfinite(out[: calls[-1]]).all() and np.isnan(out[calls[-1] :]).all()


def test_what_cannot_be_traced_is_refused():
    X, mixture = random_case(3, 1)
    with pytest.raises(ValueError, match="weight"):
        ascent_curves(X, mixture, None, 0, "weight")
    with pytest.raises(ValueError, match="component 2"):
        ascent_curves(X, mixture, None, 2, "mean")
    flat = Mixture([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(ValueError, match="1-D"):
        ascent_curves(np.zeros((3, 2)), flat, None, 0, "mean")
    with pytest.raises(ValueError, match="positive"):
        log_likelihood_along(X, mixture, 0, "sd", [0.0, 1.0])
