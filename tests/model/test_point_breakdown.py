"""The E-step's arithmetic for one point (gmm_gui.model.metrics.point_breakdown)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal, norm

from gmm_gui.model import Mixture, e_step
from gmm_gui.model.metrics import point_breakdown


def heights_mixture() -> Mixture:
    # the lecture's two Gaussians on the Davis heights: near 175 and 180, sd about 5
    return Mixture([0.5, 0.5], [[175.0], [180.0]], [[[25.0]], [[25.0]]])


@pytest.mark.parametrize("x", [57.0, 160.0, 177.5, 181.0, 197.0])
def test_1d_agrees_with_scipy_norm(x):
    mixture = Mixture([0.3, 0.7], [[165.0], [178.0]], [[[36.0]], [[49.0]]])
    parts = point_breakdown(np.array([x]), mixture)
    expected = np.array([norm.pdf(x, 165.0, 6.0), norm.pdf(x, 178.0, 7.0)])
    np.testing.assert_allclose(parts.density, expected, rtol=1e-12)
    np.testing.assert_allclose(parts.weighted, [0.3, 0.7] * expected, rtol=1e-12)
    total = float(np.sum([0.3, 0.7] * expected))
    assert parts.mixture_density == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(parts.posterior, [0.3, 0.7] * expected / total, rtol=1e-12)
    assert parts.log_mixture_density == pytest.approx(np.log(total), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 4),
    scale=st.floats(0.1, 30.0),
)
def test_2d_agrees_with_scipy_multivariate_normal(seed, k, scale):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(0, scale, size=(k, 2))
    a = rng.normal(size=(k, 2, 2)) * scale
    covs = a @ np.swapaxes(a, 1, 2) + 0.1 * scale**2 * np.eye(2)
    mixture = Mixture(weights, means, covs)
    x = means[0] + rng.normal(0, scale, size=2)
    parts = point_breakdown(x, mixture)
    expected = np.array([multivariate_normal(means[j], covs[j]).pdf(x) for j in range(k)])
    np.testing.assert_allclose(parts.density, expected, rtol=1e-12)
    np.testing.assert_allclose(parts.weighted, weights * expected, rtol=1e-12)
    total = float(np.sum(weights * expected))
    assert parts.mixture_density == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(parts.posterior, weights * expected / total, rtol=1e-12)
    # the posterior is the E-step's responsibility
    resp, _ = e_step(x[None, :], mixture)
    np.testing.assert_allclose(parts.posterior, resp[0], rtol=1e-10, atol=1e-15)


def test_the_lectures_far_left_point_is_claimed_by_the_nearer_gaussian():
    # both densities are small there, yet the posterior of the nearer one is about 1
    parts = point_breakdown(np.array([150.0]), heights_mixture())
    assert np.all(parts.density < 0.02)
    assert parts.posterior[0] > 0.99
    assert parts.posterior.sum() == pytest.approx(1.0, abs=1e-15)


def test_posterior_survives_densities_that_underflow():
    parts = point_breakdown(np.array([-1e4]), heights_mixture())
    assert parts.mixture_density == 0.0 and np.all(parts.weighted == 0.0)
    assert np.isfinite(parts.log_mixture_density)
    assert parts.posterior.sum() == pytest.approx(1.0)
    assert parts.posterior[0] == pytest.approx(1.0)


def test_a_component_of_weight_zero_keeps_its_density():
    mixture = Mixture([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    parts = point_breakdown(np.array([0.5]), mixture)
    np.testing.assert_allclose(parts.density, norm.pdf(0.5, [0.0, 1.0], 1.0), rtol=1e-12)
    assert parts.weighted[1] == 0.0 and parts.posterior[1] == 0.0


def test_rejects_a_point_of_the_wrong_dimension():
    with pytest.raises(ValueError, match="shape"):
        point_breakdown(np.array([1.0, 2.0]), heights_mixture())
