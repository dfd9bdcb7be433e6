"""The covariance-type registry (gmm_gui.model.covariance): one table for every type."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from gmm_gui.model import COVARIANCE, COVARIANCE_TYPES, Mixture, check_covariance_type, n_parameters
from gmm_gui.model.covariance import CovarianceSpec


def random_spd(rng, shape, d):
    a = rng.normal(size=shape + (d, d))
    return a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)


def random_mixture(rng, covariance_type, k, d):
    weights = rng.random(k) + 0.1
    weights /= weights.sum()
    full = Mixture(weights, rng.normal(size=(k, d)), random_spd(rng, (k,), d))
    return full.as_type(covariance_type)


def test_the_table_lists_every_type_in_order():
    assert COVARIANCE_TYPES == ("full", "tied", "diag", "spherical")
    assert tuple(COVARIANCE) == COVARIANCE_TYPES
    for name, spec in COVARIANCE.items():
        assert isinstance(spec, CovarianceSpec) and spec.name == name
        assert spec.description and "\n" not in spec.description
    with pytest.raises(ValueError, match="covariance_type must be one of full, tied"):
        check_covariance_type("round")
    assert check_covariance_type("diag") == "diag"


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize(("k", "d"), [(1, 1), (3, 1), (2, 2), (4, 3)])
def test_compact_and_expand_round_trip(covariance_type, k, d):
    spec = COVARIANCE[covariance_type]
    mixture = random_mixture(np.random.default_rng(k * 10 + d), covariance_type, k, d)
    compact = spec.compact(mixture.covariances)
    assert compact.shape == spec.compact_shape(k, d)
    np.testing.assert_array_equal(compact, mixture.compact_covariances())
    full = spec.expand(compact, k, d)
    assert full.shape == (k, d, d)
    np.testing.assert_array_equal(full, mixture.covariances)
    rebuilt = Mixture.from_arrays(mixture.weights, mixture.means, compact, covariance_type)
    assert rebuilt == mixture


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize(("k", "d"), [(1, 1), (2, 1), (3, 2), (5, 4)])
def test_parameter_count_matches_scikit_learn(covariance_type, k, d):
    gm = GaussianMixture(n_components=k, covariance_type=covariance_type)
    gm.means_ = np.zeros((k, d))
    expected = gm._n_parameters()
    own = COVARIANCE[covariance_type].n_parameters(k, d)
    assert own + k * d + k - 1 == expected
    assert n_parameters(k, d, covariance_type) == expected


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_constrain_with_a_batch_axis_equals_constrain_per_item(covariance_type):
    spec = COVARIANCE[covariance_type]
    rng = np.random.default_rng(7)
    raw = random_spd(rng, (5, 3), 2)  # 5 starts of 3 components in 2-D
    raw[..., 0, 1] += 1e-3  # not quite symmetric, as round-off leaves it
    nk = rng.random((5, 3)) * 50
    batch = spec.constrain(raw, nk, 1e-4)
    assert batch.shape == raw.shape
    for b in range(5):
        np.testing.assert_array_equal(batch[b], spec.constrain(raw[b], nk[b], 1e-4))
    deeper = spec.constrain(raw.reshape(5, 1, 3, 2, 2), nk.reshape(5, 1, 3), 1e-4)
    np.testing.assert_array_equal(deeper.reshape(raw.shape), batch)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_constrained_covariances_have_the_type_and_the_regularisation(covariance_type):
    spec = COVARIANCE[covariance_type]
    rng = np.random.default_rng(3)
    raw = random_spd(rng, (4,), 3)
    nk = rng.random(4) * 20 + 1
    cov = spec.constrain(raw, nk, 0.25)
    # a mixture of that type accepts them unchanged
    mixture = Mixture(np.full(4, 0.25), np.zeros((4, 3)), cov, covariance_type)
    np.testing.assert_allclose(mixture.covariances, cov, rtol=1e-15, atol=0)
    unreg = spec.constrain(raw, nk, 0.0)
    added = np.broadcast_to(0.25 * np.eye(3), cov.shape)
    np.testing.assert_allclose(cov - unreg, added, atol=1e-12)
    # constraining already constrained matrices changes nothing but the regularisation
    np.testing.assert_allclose(spec.constrain(unreg, nk, 0.0), unreg, rtol=1e-14)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_project_is_as_type_and_keeps_a_mixture_of_the_type(covariance_type):
    spec = COVARIANCE[covariance_type]
    rng = np.random.default_rng(11)
    full = random_mixture(rng, "full", 3, 2)
    projected = spec.project(full.covariances, full.weights)
    np.testing.assert_array_equal(projected, full.as_type(covariance_type).covariances)
    of_type = full.as_type(covariance_type)
    np.testing.assert_allclose(
        spec.project(of_type.covariances, of_type.weights), of_type.covariances, rtol=1e-14
    )


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
def test_the_structure_check_refuses_matrices_breaking_the_constraint(covariance_type):
    spec = COVARIANCE[covariance_type]
    rng = np.random.default_rng(5)
    cov = random_spd(rng, (2,), 2)
    cov[0, 0, 1] = cov[0, 1, 0] = 0.3  # off-diagonal entries, different matrices
    cov[0, 0, 0] = 2.0 * cov[0, 1, 1]
    with pytest.raises(ValueError, match=f"component [12] .*{covariance_type} covariances"):
        spec.check(cov)
    assert np.array_equal(COVARIANCE["full"].check(cov), cov)
