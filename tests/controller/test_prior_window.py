"""The prior in the window's EM (issue #11): MAP half-steps climb the log-posterior."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import Prior, e_step, log_prior_density, m_step
from gmm_gui.resources import SAMPLES


def _davis() -> tuple[np.ndarray, object]:
    sample = next(s for s in SAMPLES if s.key == "davis")
    with open(sample.path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(r[c]) for c in sample.columns] for r in rows]), sample


def _run(stepper: Stepper, iterations: int) -> None:
    for _ in range(2 * iterations):
        stepper.push(stepper.compute_next(stepper.last))


def _collapsed(stepper: Stepper) -> bool:
    return any("collapsed" in w for w in stepper.last.warnings)


def test_prior_is_a_validated_setting():
    assert ModelSettings().prior is False
    assert ModelSettings(prior=np.bool_(True)).prior is True
    with pytest.raises(ValueError, match="prior must be True or False"):
        ModelSettings(prior=1)  # type: ignore[arg-type]
    assert ModelSettings(prior=True).stepper_options()["prior"] is True


@pytest.mark.parametrize("start", ["kmeans++", "lecture"])
def test_with_the_prior_davis_does_not_collapse_and_the_log_posterior_climbs(start):
    X, sample = _davis()

    def make(prior: bool) -> Stepper:
        if start == "lecture":
            return Stepper(X, sample.start_mixture(), prior=prior)
        return Stepper.from_method(X, 2, "kmeans++", seed=0, prior=prior)

    if start == "kmeans++":  # the start that collapses without the prior
        plain = make(False)
        _run(plain, 30)
        assert _collapsed(plain)
        assert not plain.last.log_posterior
    stepper = make(True)
    assert stepper.prior and stepper.settings.prior
    _run(stepper, 30)
    last = stepper.last
    assert last.log_posterior
    assert not _collapsed(stepper)
    lls = stepper.log_likelihoods()
    assert np.all(np.isfinite(lls))
    assert np.all(np.diff(lls) >= -1e-10 * np.abs(lls[1:]))
    # the value shown is the mean log-posterior of the mixture shown
    prior = Prior.default(X, 2)
    _, ll = e_step(X, last.mixture)
    expected = (ll + log_prior_density(last.mixture, prior)) / X.shape[0]
    assert last.mean_log_likelihood == pytest.approx(expected, rel=1e-10)


def test_prior_half_step_is_the_map_m_step():
    X, sample = _davis()
    stepper = Stepper(X, sample.start_mixture(), prior=True)
    _run(stepper, 1)
    resp, _ = e_step(X, sample.start_mixture())
    expected = m_step(X, resp, "full", 1e-6, prior=Prior.default(X, 2))
    np.testing.assert_allclose(stepper.last.mixture.means, expected.means, rtol=1e-10)
    np.testing.assert_allclose(stepper.last.mixture.covariances, expected.covariances, rtol=1e-10)


def test_exported_fit_block_names_the_log_posterior_and_records_the_settings(tmp_path):
    from gmm_gui.io import read_mixture, write_mixture

    X, sample = _davis()
    with_prior = Stepper(X, sample.start_mixture(), prior=True, max_iter=40)
    _run(with_prior, 5)
    info = with_prior.fit_info()
    prior = Prior.default(X, 2)
    assert info.prior == prior and info.max_iter == 40
    # The history EM climbed is the log-posterior: written under that name, not as likelihoods.
    assert info.mean_log_posterior_history == with_prior.last.history
    assert info.mean_log_likelihood_history == ()
    mixture = with_prior.last.mixture
    expected = info.mean_log_likelihood + log_prior_density(mixture, prior) / len(X)
    assert info.mean_log_posterior == pytest.approx(expected, rel=1e-12)
    write_mixture(tmp_path / "p.json", mixture, sample.columns, info)
    _, read = read_mixture(tmp_path / "p.json", n_features=1)
    assert read.fit is not None and read.fit.prior == prior

    plain = Stepper(X, sample.start_mixture(), max_iter=40)
    _run(plain, 5)
    info = plain.fit_info()
    assert info.prior is None and info.mean_log_posterior_history == ()
    assert info.mean_log_likelihood_history == plain.last.history
