"""Hard labels, uncertainty, densities and label agreement (gmm_gui.model.metrics)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal, norm
from sklearn.metrics import adjusted_rand_score

from gmm_gui.model import Mixture, e_step, score_samples
from gmm_gui.model.metrics import (
    adjusted_rand_index,
    align_labels,
    contingency_table,
    density_1d,
    density_grid,
    hard_labels,
    label_agreement,
    uncertainty,
)

labellings = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 6), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(labellings)
def test_ari_matches_sklearn(pair):
    a, b = pair
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(labellings, st.permutations(range(7)))
def test_ari_ignores_label_names_and_is_symmetric(pair, perm):
    a, b = (np.asarray(v) for v in pair)
    renamed = np.asarray(perm)[b]
    assert adjusted_rand_index(a, renamed) == pytest.approx(adjusted_rand_index(a, b), abs=1e-12)
    assert adjusted_rand_index(b, a) == pytest.approx(adjusted_rand_index(a, b), abs=1e-12)


def test_ari_with_string_labels_and_large_n():
    rng = np.random.default_rng(1)
    truth = rng.choice(np.array(["F", "M"]), size=20000)
    pred = np.where(rng.random(20000) < 0.9, (truth == "M").astype(int), rng.integers(0, 3, 20000))
    assert adjusted_rand_index(truth, pred) == pytest.approx(
        adjusted_rand_score(truth, pred), abs=1e-12
    )


def test_ari_rejects_different_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        adjusted_rand_index([0, 1, 1], [0, 1])


def test_contingency_table_counts_pairs():
    table = contingency_table(["b", "a", "a", "b", "b"], [1, 0, 1, 1, 1])
    # rows: "a", "b"; columns: 0, 1
    np.testing.assert_array_equal(table, [[1, 1], [0, 3]])


def test_hard_labels_and_uncertainty():
    resp = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(hard_labels(resp), [0, 2, 0, 1])
    np.testing.assert_allclose(uncertainty(resp), [0.1, 0.5, 2 / 3, 0.0], atol=1e-15)


def test_uncertainty_bounds_on_real_responsibilities():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 1, (100, 2)), rng.normal(2, 1, (100, 2))])
    mixture = Mixture([0.5, 0.5], [[-2, 0], [2, 0]], [np.eye(2), np.eye(2)])
    resp, _ = e_step(X, mixture)
    u = uncertainty(resp)
    assert u.shape == (200,)
    assert np.all(u >= 0) and np.all(u <= 0.5 + 1e-12)
    # the points between the clusters are the uncertain ones
    assert u[np.argmin(np.abs(X[:, 0]))] > u[np.argmax(np.abs(X[:, 0]))]


def test_density_1d_against_scipy_and_sums():
    mixture = Mixture([0.3, 0.7], [[-1.0], [2.0]], [[[0.5]], [[2.0]]])
    xs = np.linspace(-6, 8, 401)
    total, comps = density_1d(mixture, xs)
    assert total.shape == (401,) and comps.shape == (401, 2)
    expected = np.column_stack(
        [0.3 * norm.pdf(xs, -1.0, np.sqrt(0.5)), 0.7 * norm.pdf(xs, 2.0, np.sqrt(2.0))]
    )
    np.testing.assert_allclose(comps, expected, rtol=1e-12)
    np.testing.assert_allclose(total, comps.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.log(total), score_samples(xs[:, None], mixture), rtol=1e-12)


def test_density_grid_orientation_and_values():
    mixture = Mixture(
        [0.4, 0.6],
        [[0.0, 1.0], [3.0, -1.0]],
        [[[1.0, 0.3], [0.3, 0.5]], [[2.0, -0.4], [-0.4, 1.0]]],
    )
    xs = np.linspace(-3, 6, 7)
    ys = np.linspace(-4, 4, 5)  # not square: catches a transposed result
    grid = density_grid(mixture, xs, ys)
    assert grid.shape == (5, 7)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            expected = sum(
                w * multivariate_normal(m, c).pdf([x, y])
                for w, m, c in zip(mixture.weights, mixture.means, mixture.covariances, strict=True)
            )
            assert grid[i, j] == pytest.approx(expected, rel=1e-10)


def test_density_grid_rejects_1d_mixture():
    with pytest.raises(ValueError, match="2-D"):
        density_grid(Mixture([1.0], [[0.0]], [[[1.0]]]), [0, 1], [0, 1])


def test_align_labels_undoes_a_renaming():
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 4, 300)
    perm = np.array([2, 0, 3, 1])
    renamed = perm[reference]
    np.testing.assert_array_equal(align_labels(reference, renamed), reference)
    assert label_agreement(reference, renamed) == 1.0


def test_align_labels_with_noise_and_extra_cluster():
    reference = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    labels = np.array([5, 5, 5, 2, 2, 2, 7, 2])  # cluster 7 has no partner
    aligned = align_labels(reference, labels)
    np.testing.assert_array_equal(aligned, [0, 0, 0, 1, 1, 1, 2, 1])
    assert label_agreement(reference, labels) == pytest.approx(6 / 8)
