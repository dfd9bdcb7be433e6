"""Degenerate cases are reported or refused, never NaN and never a LinAlgError; far data keep
their precision."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from gmm_gui.model import (
    ComponentIssue,
    DegenerateMixtureError,
    Mixture,
    diagnose,
    e_step,
    fit,
    init_mixture,
    kmeans,
    m_step,
    score_samples,
)

COV_TYPES = ("full", "tied", "diag", "spherical")


def finite_result(result):
    assert np.all(np.isfinite(result.history))
    assert np.isfinite(result.mean_log_likelihood)
    m = result.mixture
    for arr in (m.weights, m.means, m.covariances):
        assert np.all(np.isfinite(arr))
    assert np.all(np.linalg.eigvalsh(m.covariances) > 0)


# ---------------------------------------------------------------------------- collapse
def test_component_collapsing_onto_a_point_is_reported_with_iteration_and_number():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0.0, 1.0, 60), [12.0]][:, None]
    start = Mixture([0.5, 0.5], [[0.0], [12.0]], [[[1.0]], [[0.5]]])
    result = fit(X, start, max_iter=10, tol=0)
    finite_result(result)
    collapsed = [i for i in result.issues if i.kind == "collapsed"]
    assert len(collapsed) == 1
    issue = collapsed[0]
    assert issue.component == 1
    assert issue.iteration == 1
    assert issue.message.startswith("component 2 has collapsed onto a single point")
    assert "reg_covar" in issue.message
    assert str(issue) == issue.message
    # Reported once (its first occurrence), though it stays collapsed.
    assert result.mixture.covariances[1, 0, 0] == pytest.approx(1e-6, rel=1e-3)


def test_component_collapsing_onto_a_line_is_reported():
    rng = np.random.default_rng(1)
    line = np.c_[np.linspace(0.0, 1.0, 30), np.zeros(30)]
    X = np.r_[line, rng.normal(4.0, 1.0, size=(60, 2))]
    start = Mixture([0.4, 0.6], [[0.5, 0.0], [4.0, 4.0]], [np.eye(2) * 0.1, np.eye(2)])
    result = fit(X, start, max_iter=30)
    finite_result(result)
    kinds = {(i.component, i.kind) for i in result.issues}
    assert (0, "flattened") in kinds
    msg = next(i.message for i in result.issues if i.kind == "flattened")
    assert msg.startswith("component 1 has collapsed onto a line")


def test_empty_component_gives_no_nan_and_is_reported():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2))
    start = Mixture([0.5, 0.5], [[0.0, 0.0], [1e4, 1e4]], [np.eye(2), np.eye(2)])
    result = fit(X, start, max_iter=5, tol=0)
    finite_result(result)
    empty = [i for i in result.issues if i.kind == "empty"]
    assert [i.component for i in empty] == [1]
    assert empty[0].iteration == 1
    assert "component 2 owns no points" in empty[0].message
    # As in scikit-learn: nk gets 10 * eps, the mean goes to the origin, the covariance to the
    # reg_covar floor.
    gm = GaussianMixture(
        2,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
        max_iter=5,
        tol=0,
    )
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    np.testing.assert_allclose(result.mixture.means, gm.means_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.mixture.covariances, gm.covariances_, rtol=1e-9)
    np.testing.assert_allclose(result.mixture.weights, gm.weights_, rtol=1e-9, atol=1e-20)


def test_m_step_with_all_zero_responsibility_column():
    X = np.random.default_rng(3).normal(size=(50, 1))
    resp = np.c_[np.ones(50), np.zeros(50)]
    mixture = m_step(X, resp)
    assert np.all(np.isfinite(mixture.means))
    assert mixture.weights[1] < 1e-15
    issues = diagnose(X, resp, mixture, 1e-6, iteration=7)
    assert [(i.component, i.iteration, i.kind) for i in issues] == [(1, 7, "empty")]


def test_collapse_without_reg_covar_is_reported_and_stays_finite():
    X = np.r_[np.random.default_rng(4).normal(size=40), [1e3, 1e3, 1e3]][:, None]
    start = Mixture([0.5, 0.5], [[0.0], [1e3]], [[[1.0]], [[0.01]]])
    result = fit(X, start, max_iter=20, reg_covar=0.0)
    finite_result(result)
    assert [(i.component, i.iteration, i.kind) for i in result.issues] == [(1, 1, "collapsed")]
    assert "set reg_covar above 0" in result.issues[0].message


def test_singular_covariance_stops_the_fit_with_an_issue():
    # Without reg_covar an empty component's covariance is exactly zero: the fit stops at the
    # last valid mixture and says why.
    X = np.random.default_rng(4).normal(size=(40, 1))
    start = Mixture([0.5, 0.5], [[0.0], [1e3]], [[[1.0]], [[0.01]]])
    result = fit(X, start, max_iter=20, reg_covar=0.0)
    finite_result(result)
    singular = [i for i in result.issues if i.kind == "singular"]
    assert [(i.component, i.iteration) for i in singular] == [(1, 1)]
    assert "component 2" in singular[0].message
    assert not result.converged
    assert result.n_iter == 0 and result.mixture == start
    # m_step alone refuses with a ValueError naming the component, not a LinAlgError.
    resp, _ = e_step(X, start)
    with pytest.raises(DegenerateMixtureError, match="component 2") as err:
        m_step(X, resp, reg_covar=0.0)
    assert isinstance(err.value, ValueError)
    assert err.value.issues[0].kind == "singular"


def test_identical_components_are_reported():
    X = np.random.default_rng(5).normal(size=(80, 2))
    start = Mixture([0.5, 0.5], [[0.0, 0.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])
    result = fit(X, start, max_iter=3, tol=0)
    assert [(i.component, i.kind) for i in result.issues] == [(1, "identical")]
    assert "identical to component 1" in result.issues[0].message


def test_healthy_fit_reports_nothing():
    rng = np.random.default_rng(6)
    X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))]
    result = fit(X, "kmeans", n_components=2, seed=0)
    assert result.issues == ()
    assert result.converged


# ---------------------------------------------------------------------------- duplicates
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_duplicate_points_collapse_is_handled(cov_type):
    X = np.repeat([[0.0, 0.0], [3.0, 1.0], [1.0, 4.0]], 25, axis=0)
    result = fit(X, "kmeans++", n_components=3, seed=0, covariance_type=cov_type)
    finite_result(result)
    if cov_type in ("full", "diag", "spherical"):
        assert {i.kind for i in result.issues} == {"collapsed"}
        assert sorted(i.component for i in result.issues) == [0, 1, 2]
    resp, total = e_step(X, result.mixture)
    assert np.all(np.isfinite(resp)) and np.isfinite(total)


def test_more_components_than_distinct_points_is_refused_by_initialisers():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]], 10, axis=0)
    for method in ("kmeans++", "kmeans", "random_from_data"):
        with pytest.raises(ValueError, match="only 3 distinct points, fewer than the 4"):
            init_mixture(X, 4, method, seed=0)
    with pytest.raises(ValueError, match="distinct"):
        kmeans(X, 4, seed=0)


def test_more_components_than_distinct_points_from_a_user_start_is_reported():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]], 10, axis=0)
    start = Mixture(
        [0.25] * 4, [[0, 0], [1, 1], [2, 0.5], [1, 0.4]], np.repeat(np.eye(2)[None] * 0.3, 4, 0)
    )
    result = fit(X, start, max_iter=50)
    finite_result(result)
    assert result.issues
    assert {i.kind for i in result.issues} <= {"collapsed", "flattened", "empty"}


def test_random_from_data_picks_distinct_points_among_many_duplicates():
    X = np.r_[np.zeros((200, 1)), [[1.0], [2.0]]]
    start = init_mixture(X, 3, "random_from_data", seed=0)
    # (scikit-learn's nk = 1 + 10 eps puts each mean a hair inside its point)
    np.testing.assert_allclose(sorted(start.means.ravel()), [0.0, 1.0, 2.0], atol=1e-14)


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]]), "NaN or infinite"),
        (np.array([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]]), "NaN or infinite"),
        (np.ones((1, 2)), "at least 2"),
        (np.zeros((0, 2)), "at least 2"),
        (np.c_[np.arange(5.0), np.full(5, 2.5)], "column 2 of the data is constant"),
        (np.full((5, 1), 3.0), "all 5 points are the same value"),
        (np.zeros((3, 2, 2)), "shape"),
        (np.array([[1e200, 0.0], [2.0, 3.0], [0.0, 1.0]]), "too large to square"),
        (np.array([[1e-200, 0.0], [2e-200, 3.0], [0.0, 1.0]]), "column 1 .* only 2e-200"),
        (np.array([[1e-300], [2e-300], [5e-300]]), "the data spreads over only 4e-300"),
        (np.array([["a", "b"], ["c", "d"]]), "numbers"),
    ],
)
def test_unfittable_data_is_refused_with_a_clear_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        fit(X, "kmeans++", n_components=1)


@pytest.mark.parametrize("scale", [1e-140, 1e140])
def test_far_scales_that_can_be_squared_fit_as_the_unit_scale_does(scale):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(5, 1, (100, 2))]
    unit = fit(X, "kmeans++", n_components=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = fit(X * scale, "kmeans++", n_components=2, seed=0, reg_covar=1e-6 * scale**2)
    np.testing.assert_allclose(scaled.mixture.means / scale, unit.mixture.means, rtol=1e-6)


def test_fewer_points_than_components_is_refused():
    with pytest.raises(ValueError, match="cannot fit 4 components to 3 points"):
        fit(np.arange(6.0).reshape(3, 2), "random", n_components=4)


def test_wrong_dimensions_are_refused():
    m = Mixture([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(ValueError, match="3 columns but the mixture has 2"):
        e_step(np.zeros((4, 3)), m)
    with pytest.raises(ValueError, match="3 columns but the mixture has 2"):
        fit(np.random.default_rng(0).normal(size=(10, 3)), m)
    with pytest.raises(ValueError, match="resp must have shape"):
        m_step(np.zeros((4, 2)), np.ones((5, 1)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, -1e-300])
def test_responsibilities_must_be_finite_and_non_negative(bad):
    X = np.random.default_rng(0).normal(size=(6, 2))
    resp = np.full((6, 2), 0.5)
    resp[3, 1] = bad
    with pytest.raises(ValueError, match="finite, non-negative responsibilities"):
        m_step(X, resp)
    with pytest.raises(ValueError, match="finite, non-negative responsibilities"):
        m_step(X, np.asfortranarray(resp))


def test_bad_options_are_refused():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="n_components is required"):
        fit(X, "kmeans++")
    with pytest.raises(ValueError, match="unknown initialisation method"):
        fit(X, "magic", n_components=2)
    with pytest.raises(ValueError, match="covariance_type"):
        fit(X, "kmeans++", n_components=2, covariance_type="banana")
    with pytest.raises(ValueError, match="reg_covar"):
        fit(X, "kmeans++", n_components=2, reg_covar=-1.0)
    m = Mixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[[1.0, 0.5], [0.5, 1.0]], np.eye(2)])
    with pytest.raises(ValueError, match=r"as_type\('diag'\)"):
        fit(X, m, covariance_type="diag")
    assert fit(X, m.as_type("diag"), covariance_type="diag", max_iter=2).n_iter == 2


# ---------------------------------------------------------------------------- precision
@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("n_features", [1, 2, 3])
def test_data_near_1e6_with_spread_1_keep_their_precision(cov_type, n_features):
    rng = np.random.default_rng(7)
    base = np.r_[
        rng.normal(0.0, 1.0, size=(300, n_features)),
        rng.normal(4.0, 0.5, size=(200, n_features)),
    ]
    start0 = init_mixture(base, 2, "kmeans", seed=0, covariance_type=cov_type)
    shift = 1e6
    shifted = Mixture(start0.weights, start0.means + shift, start0.covariances, cov_type)
    far = fit(base + shift, shifted, covariance_type=cov_type, max_iter=30, tol=0)
    near = fit(base, start0, covariance_type=cov_type, max_iter=30, tol=0)
    # EM is translation-equivariant: the far fit is the near fit, shifted.
    np.testing.assert_allclose(far.mixture.means - shift, near.mixture.means, atol=1e-8)
    np.testing.assert_allclose(far.mixture.covariances, near.mixture.covariances, rtol=1e-7)
    np.testing.assert_allclose(far.mixture.weights, near.mixture.weights, rtol=1e-8)
    assert far.mean_log_likelihood == pytest.approx(near.mean_log_likelihood, rel=1e-9)
    np.testing.assert_allclose(
        score_samples(base + shift, far.mixture), score_samples(base, near.mixture), atol=1e-7
    )


def test_narrow_component_far_from_the_centre_keeps_precision():
    """A tight cluster far from the data's mean is computed exactly, not by the expansion."""
    rng = np.random.default_rng(8)
    X = np.r_[rng.normal(0.0, 1.0, (300, 2)), rng.normal(5e3, 1e-3, (50, 2))]
    start = Mixture([0.8, 0.2], [[0.0, 0.0], [5e3, 5e3]], [np.eye(2), np.eye(2) * 1e-6])
    ours = fit(X, start, max_iter=10, tol=0, reg_covar=1e-9)
    # Reference: the tight cluster alone, centred, by plain numpy.
    tight = X[300:]
    np.testing.assert_allclose(ours.mixture.means[1], tight.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        ours.mixture.covariances[1], np.cov(tight.T, bias=True) + 1e-9 * np.eye(2), rtol=1e-7
    )


def test_issue_is_a_frozen_dataclass():
    issue = ComponentIssue(0, 1, "empty", "component 1 owns no points.")
    with pytest.raises(AttributeError):
        issue.kind = "x"  # type: ignore[misc]


@pytest.mark.parametrize("tiny", [0.0, 1e-18, 1e-15, 1e-12, 1e-8])
def test_nearly_empty_component_matches_sklearn(tiny):
    """scikit-learn's nk + 10 eps pulls a nearly empty component's mean towards the origin and
    widens its covariance accordingly; the engine reproduces that, not a NaN."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 2)) * [1.0, 3.0] + [40.0, -25.0]
    resp = np.c_[np.ones(200), np.full(200, tiny)]
    resp /= resp.sum(axis=1, keepdims=True)
    gm = GaussianMixture(2, reg_covar=1e-6)
    gm._m_step(X, np.log(np.maximum(resp, 1e-300)) if tiny == 0 else np.log(resp))
    ours = m_step(X, resp, reg_covar=1e-6)
    np.testing.assert_allclose(ours.means, gm.means_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.covariances, gm.covariances_, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_component_owning_a_few_points_matches_sklearn(cov_type):
    """A tight component owning few points (others' responsibilities exactly 0) is computed
    from those points alone, exactly."""
    rng = np.random.default_rng(10)
    X = np.r_[rng.normal(size=(300, 2)) * 5.0, 7.0 + 1e-4 * rng.normal(size=(4, 2))]
    resp = np.zeros((304, 2))
    resp[:300, 0] = 1.0
    resp[300:, 1] = [1.0, 0.5, 0.25, 1.0]
    resp[300:, 0] = 1.0 - resp[300:, 1]
    ours = m_step(X, resp, cov_type, reg_covar=1e-10)
    gm = GaussianMixture(2, covariance_type=cov_type, reg_covar=1e-10)
    with np.errstate(divide="ignore"):
        gm._m_step(X, np.log(resp))
    np.testing.assert_allclose(ours.means, gm.means_, rtol=1e-12)
    if cov_type in ("full", "tied"):  # scikit-learn centres these
        np.testing.assert_allclose(ours.compact_covariances(), gm.covariances_, rtol=1e-6)
    # Oracle for every type: centred sums in extended precision. (scikit-learn's diag and
    # spherical use E[x^2] - mu^2 and lose ~1e-6 relative here: variance 1e-8 at x ~ 7.)
    Xl, rl = X.astype(np.longdouble), resp.astype(np.longdouble)
    nk = rl.sum(axis=0) + 10 * np.finfo(float).eps
    mu = (rl.T @ Xl) / nk[:, None]
    raw = np.stack([(rl[:, k, None] * (Xl - mu[k])).T @ (Xl - mu[k]) / nk[k] for k in range(2)])
    raw = raw.astype(float)
    expected = {
        "full": raw,
        "tied": (nk[0] * raw[0] + nk[1] * raw[1]).astype(float) / float(nk.sum()),
        "diag": np.diagonal(raw, axis1=1, axis2=2),
        "spherical": np.diagonal(raw, axis1=1, axis2=2).mean(axis=1),
    }[cov_type]
    compact = ours.compact_covariances()
    if cov_type in ("full", "tied"):
        compact = compact - 1e-10 * np.eye(2)
    else:
        compact = compact - 1e-10
    np.testing.assert_allclose(compact, expected, rtol=1e-9)


def test_diagnose_from_the_column_sums_says_what_diagnose_says():
    """The window's M half-step diagnoses from resp.sum(axis=0) it already has (no second
    pass over the responsibilities): the same issues as diagnose(), collapses included."""
    from gmm_gui.model import Mixture, diagnose, diagnose_counts, prepare_data
    from gmm_gui.model.steps import m_step

    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0.0, 1.0, (60, 2)), [[5.0, 5.0]]])
    resp = np.zeros((61, 2))
    resp[:60, 0] = 1.0
    resp[60, 1] = 1.0  # the second Gaussian owns one point: it collapses
    mixture = m_step(X, resp, "full", 1e-6)
    data = prepare_data(X)
    expected = diagnose(data, resp, mixture, 1e-6, 4)
    got = diagnose_counts(resp.sum(axis=0), data.data_var, mixture, 1e-6, 4)
    assert expected and got == expected
    with pytest.raises(ValueError, match="3 entries"):
        diagnose_counts(np.ones(3), data.data_var, mixture)
    assert isinstance(mixture, Mixture)
