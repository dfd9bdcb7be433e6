"""Public e_step/m_step on a raw array (streamed, no monomial matrix) = on prepared data."""

from __future__ import annotations

import numpy as np
import pytest

import gmm_gui.model._data as _data
from gmm_gui.model import e_step, init_mixture, m_step, prepare_data
from gmm_gui.model._streamed import centre_of


def blobs(n=70_001, d=2, seed=0, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(4, d))
    return (centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))) * scale + shift


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize(("scale", "shift"), [(1.0, 0.0), (1e-3, 1e4)])
def test_raw_array_steps_equal_the_prepared_ones(cov_type, scale, shift):
    """Several slabs (70,001 rows), and far narrow data where the exact fallback runs."""
    X = blobs(scale=scale, shift=shift)
    start = init_mixture(X, 4, "kmeans++", seed=1, covariance_type=cov_type)
    data = prepare_data(X)
    resp, total = e_step(X, start)
    resp_p, total_p = e_step(data, start)
    np.testing.assert_allclose(resp, resp_p, rtol=1e-12, atol=1e-300)
    assert total == pytest.approx(total_p, rel=1e-13)
    new = m_step(X, resp, cov_type)
    new_p = m_step(data, resp, cov_type)
    np.testing.assert_allclose(new.weights, new_p.weights, rtol=1e-13)
    np.testing.assert_allclose(new.means, new_p.means, rtol=1e-12)
    np.testing.assert_allclose(new.covariances, new_p.covariances, rtol=1e-10, atol=1e-300)


def test_centre_is_prepared_datas(monkeypatch):
    X = blobs(d=3, shift=50.0)
    centre = centre_of(X)
    data = prepare_data(X)
    np.testing.assert_array_equal(centre.offset, data.offset)
    np.testing.assert_array_equal(centre.extent, data.extent)
    assert centre.data_var == pytest.approx(data.data_var, rel=1e-12)
    monkeypatch.setattr(_data, "_MAX_PHI_SIZE", 0)  # the same without monomials
    np.testing.assert_array_equal(prepare_data(X).extent, centre.extent)
