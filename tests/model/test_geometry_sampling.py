"""Sigma ellipses lie at exactly the right Mahalanobis distance; samples follow the mixture."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.model import Mixture, ellipse, ellipses, sample


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-1e3, 1e3),
    st.floats(-1e3, 1e3),
    st.floats(1e-3, 1e3),
    st.floats(1e-3, 1e3),
    st.floats(-0.99, 0.99),
    st.floats(0.1, 5.0),
)
def test_every_ellipse_point_is_at_mahalanobis_distance_n_sigma(mx, my, sx, sy, rho, k):
    cov = np.array([[sx * sx, rho * sx * sy], [rho * sx * sy, sy * sy]])
    pts = ellipse([mx, my], cov, k, n_points=50)
    assert pts.shape == (50, 2)
    d = pts - [mx, my]
    maha = np.sqrt(np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d))
    # The oracle's own rounding grows with the covariance's condition number, and subtracting
    # the mean loses digits when the ellipse is tiny beside its distance from the origin.
    far = (abs(mx) + abs(my)) / (k * np.sqrt(np.linalg.eigvalsh(cov)[0]))
    np.testing.assert_allclose(maha, k, rtol=1e-12 + 1e-14 * (np.linalg.cond(cov) + far))
    np.testing.assert_array_equal(pts[0], pts[-1])  # closed outline


def test_ellipse_of_axis_aligned_gaussian_has_the_right_extent():
    pts = ellipse([1.0, 2.0], np.diag([4.0, 1.0]), 2.0, n_points=401)
    assert pts[:, 0].max() == pytest.approx(1.0 + 2.0 * 2.0, rel=1e-4)
    assert pts[:, 1].min() == pytest.approx(2.0 - 2.0 * 1.0, rel=1e-4)


def test_ellipse_refuses_bad_input():
    with pytest.raises(ValueError, match="positive definite"):
        ellipse([0, 0], [[1.0, 2.0], [2.0, 1.0]], 1.0)
    with pytest.raises(ValueError, match="2-D"):
        ellipse([0, 0, 0], np.eye(3), 1.0)
    with pytest.raises(ValueError, match="n_sigma"):
        ellipse([0, 0], np.eye(2), 0.0)


def test_ellipses_of_a_mixture_are_nan_separated():
    m = Mixture([0.5, 0.5], [[0, 0], [5, 5]], [np.eye(2), [[2, 0.5], [0.5, 1]]])
    out = ellipses(m, 1.5, n_points=20)
    assert out.shape == (2 * 21, 2)
    assert np.all(np.isnan(out[20])) and np.all(np.isnan(out[41]))
    np.testing.assert_array_equal(out[21:41], ellipse(m.means[1], m.covariances[1], 1.5, 20))


def test_samples_follow_the_mixture():
    m = Mixture(
        [0.2, 0.8],
        [[-5.0, 1.0], [3.0, 2.0]],
        [[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]],
    )
    X, labels = sample(m, 40_000, seed=0)
    assert X.shape == (40_000, 2) and labels.shape == (40_000,)
    assert np.mean(labels == 0) == pytest.approx(0.2, abs=0.01)
    for k in range(2):
        pts = X[labels == k]
        np.testing.assert_allclose(pts.mean(axis=0), m.means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(pts.T), m.covariances[k], atol=0.06)
    X2, labels2 = sample(m, 40_000, seed=0)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, sample(m, 40_000, seed=1)[0])
    with pytest.raises(ValueError, match=">= 1"):
        sample(m, 0)


def test_sample_in_one_dimension():
    m = Mixture([1.0], [[10.0]], [[[4.0]]])
    X, labels = sample(m, 20_000, seed=2)
    assert X.shape == (20_000, 1) and set(labels.tolist()) == {0}
    assert X.std() == pytest.approx(2.0, rel=0.02)
