"""The immutable Mixture: validation with sentences naming the component, editing helpers."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.model import COVARIANCE_TYPES, Mixture

EYE = np.eye(2)


def two(cov_type="full", covs=None):
    covs = [EYE, EYE * 2] if covs is None else covs
    return Mixture([0.3, 0.7], [[0.0, 0.0], [1.0, 2.0]], covs, cov_type)


def test_stores_read_only_float64_copies():
    w = np.array([0.3, 0.7])
    means = np.array([[0, 0], [1, 2]])
    covs = np.array([EYE, EYE * 2])
    m = Mixture(w, means, covs)
    w[0] = 0.9
    covs[0, 0, 0] = 5.0
    assert m.weights[0] == 0.3 and m.covariances[0, 0, 0] == 1.0
    assert m.means.dtype == np.float64
    for arr in (m.weights, m.means, m.covariances, m.cholesky, m.precisions_cholesky):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0
    with pytest.raises(AttributeError):
        m.weights = w  # type: ignore[misc]
    assert (m.n_components, m.n_features, m.covariance_type) == (2, 2, "full")


def test_tiny_weight_drift_is_renormalised_and_larger_refused():
    m = Mixture([0.3, 0.7 + 5e-9], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    assert m.weights.sum() == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="weights must sum to 1; they sum to 1.1"):
        Mixture([0.4, 0.7], [[0.0], [1.0]], [[[1.0]], [[1.0]]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [1.2, -0.2]}, "component 2 has a negative weight"),
        ({"weights": [np.nan, 1.0]}, "component 1 has a weight that is not finite"),
        ({"means": [[0.0, 0.0], [np.inf, 0.0]]}, "component 2 has a mean that is not finite"),
        ({"covs": [EYE, [[1.0, 0.2], [0.3, 1.0]]]}, "component 2 .* not symmetric"),
        ({"covs": [EYE, [[1.0, 2.0], [2.0, 1.0]]]}, "component 2 .* not positive definite"),
        ({"covs": [[[0.0, 0.0], [0.0, 1.0]], EYE]}, "component 1 has a variance of 0"),
        ({"covs": [EYE, np.zeros((2, 2))]}, "component 2 has an all-zero covariance"),
        ({"covs": [EYE, [[np.nan, 0], [0, 1]]]}, "component 2 has a covariance that is not"),
        ({"means": [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]}, "covariances must have shape"),
        ({"means": [[0.0, 0.0]]}, "means must have shape"),
    ],
)
def test_invalid_mixtures_are_refused_with_a_sentence(kwargs, match):
    args = {"weights": [0.3, 0.7], "means": [[0.0, 0.0], [1.0, 2.0]], "covs": [EYE, EYE]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Mixture(args["weights"], args["means"], args["covs"])


def test_covariance_type_constraints_are_checked():
    off = [[1.0, 0.1], [0.1, 1.0]]
    with pytest.raises(ValueError, match="component 2 has non-zero off-diagonal .* diag"):
        two("diag", [EYE, off])
    with pytest.raises(ValueError, match="component 1 has different variances .* spherical"):
        two("spherical", [np.diag([1.0, 2.0]), EYE])
    with pytest.raises(ValueError, match="component 2 has a covariance different from component 1"):
        two("tied", [EYE, EYE * 2])
    assert two("diag", [np.diag([1.0, 3.0]), EYE]).covariance_type == "diag"
    assert two("spherical", [EYE * 3, EYE]).covariance_type == "spherical"
    assert two("tied", [off, off]).covariance_type == "tied"
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        two("banana")


def test_round_off_in_structure_is_accepted_and_cleaned():
    almost = np.array([[1.0, 1e-17], [0.0, 1.0]])
    m = two("diag", [almost, EYE])
    assert m.covariances[0, 0, 1] == 0.0 and m.covariances[0, 1, 0] == 0.0


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_from_arrays_and_compact_covariances_round_trip(cov_type):
    compact = {
        "full": np.array([[[2.0, 0.5], [0.5, 1.0]], [[1.0, -0.3], [-0.3, 0.5]]]),
        "tied": np.array([[2.0, 0.5], [0.5, 1.0]]),
        "diag": np.array([[2.0, 1.0], [0.5, 3.0]]),
        "spherical": np.array([2.0, 0.5]),
    }[cov_type]
    m = Mixture.from_arrays([0.5, 0.5], [[0, 0], [1, 1]], compact, cov_type)
    assert m.covariances.shape == (2, 2, 2)
    np.testing.assert_array_equal(m.compact_covariances(), compact)
    # the precision factors are consistent with the covariances
    prec = m.precisions
    np.testing.assert_allclose(prec @ m.covariances, np.broadcast_to(EYE, (2, 2, 2)), atol=1e-12)
    u = m.precisions_cholesky
    np.testing.assert_array_equal(u[:, 1, 0], 0.0)  # upper triangular, as scikit-learn's
    np.testing.assert_allclose(u @ np.swapaxes(u, 1, 2), prec, rtol=1e-12)
    with pytest.raises(ValueError, match="must have shape"):
        Mixture.from_arrays([0.5, 0.5], [[0, 0], [1, 1]], np.ones(5), cov_type)


def test_editing_returns_new_valid_mixtures():
    m = two()
    moved = m.with_component(1, mean=[5.0, 5.0], cov=[[1.0, 0.5], [0.5, 1.0]])
    assert moved is not m
    np.testing.assert_array_equal(moved.means[1], [5.0, 5.0])
    np.testing.assert_array_equal(m.means[1], [1.0, 2.0])
    reweighted = m.with_component(0, weight=0.5)
    np.testing.assert_allclose(reweighted.weights, [0.5, 0.5])

    added = m.with_added([3.0, 3.0])
    assert added.n_components == 3
    np.testing.assert_allclose(added.weights, [0.2, 0.7 * 2 / 3, 1 / 3])
    # default covariance: the weight-averaged covariance of the existing components
    np.testing.assert_allclose(added.covariances[2], 1.7 * EYE)
    added_w = m.with_added([3.0, 3.0], EYE, weight=0.5)
    np.testing.assert_allclose(added_w.weights, [0.15, 0.35, 0.5])

    removed = added.without_component(0)
    np.testing.assert_allclose(removed.weights, np.array([0.7 * 2 / 3, 1 / 3]) / 0.8)
    np.testing.assert_array_equal(removed.means, added.means[1:])

    with pytest.raises(ValueError, match="only component"):
        Mixture([1.0], [[0.0]], [[[1.0]]]).without_component(0)
    with pytest.raises(IndexError):
        m.with_component(2, mean=[0, 0])
    with pytest.raises(ValueError, match="component 1 has a covariance matrix that is not"):
        m.with_component(0, cov=[[1.0, 3.0], [3.0, 1.0]])
    with pytest.raises(ValueError, match="must be in"):
        m.with_added([0.0, 0.0], weight=1.5)


def test_editing_keeps_the_covariance_type():
    tied = two("tied", [EYE, EYE])
    changed = tied.with_component(0, cov=[[2.0, 0.1], [0.1, 1.0]])
    np.testing.assert_array_equal(changed.covariances[0], changed.covariances[1])
    assert tied.with_added([1.0, 1.0]).covariance_type == "tied"
    diag = two("diag")
    with pytest.raises(ValueError, match="diag"):
        diag.with_component(0, cov=[[1.0, 0.1], [0.1, 1.0]])


def test_as_type_projects_covariances():
    m = two(covs=[[[2.0, 0.5], [0.5, 1.0]], [[4.0, 0.0], [0.0, 2.0]]])
    np.testing.assert_array_equal(m.as_type("diag").compact_covariances(), [[2.0, 1.0], [4.0, 2.0]])
    np.testing.assert_array_equal(m.as_type("spherical").compact_covariances(), [1.5, 3.0])
    tied = m.as_type("tied").compact_covariances()
    np.testing.assert_allclose(tied, 0.3 * m.covariances[0] + 0.7 * m.covariances[1])
    assert m.as_type("full") == m


def test_equality_and_repr():
    assert two() == two()
    assert two() != two().with_component(0, mean=[0.0, 1.0])
    assert two() != two("diag")
    assert "n_components=2" in repr(two())
    import pickle  # a Mixture crosses to worker processes

    assert pickle.loads(pickle.dumps(two("tied", [EYE, EYE]))) == two("tied", [EYE, EYE])
