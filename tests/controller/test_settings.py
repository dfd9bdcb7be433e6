"""Model settings and start options: frozen, validated with sentences, plain numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gmm_gui.controller.settings import ModelSettings, StartOptions
from gmm_gui.controller.stepper import Stepper


def test_defaults_are_the_steppers():
    settings = ModelSettings()
    stepper = Stepper(np.zeros((3, 1)))
    assert settings.stepper_options() == {
        "covariance_type": stepper.covariance_type,
        "reg_covar": stepper.reg_covar,
        "tol": stepper.tol,
        "max_iter": stepper.max_iter,
        "prior": stepper.prior,
    }
    assert StartOptions() == StartOptions(2, "kmeans++", 0)


def test_settings_are_frozen_and_numbers_plain():
    settings = ModelSettings(max_iter=np.int64(7), tol=np.float32(0.5))
    assert type(settings.max_iter) is int and settings.max_iter == 7
    assert type(settings.tol) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.tol = 1.0  # type: ignore[misc]
    assert type(StartOptions(np.int64(3)).n_components) is int


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"covariance_type": "round"}, "covariance type must be one of"),
        ({"reg_covar": -1.0}, "reg_covar must be a finite number of at least 0"),
        ({"tol": float("nan")}, "tol must be a finite number"),
        ({"tol": "small"}, "tol must be a number"),
        ({"max_iter": 0}, "max_iter must be a whole number of at least 1"),
        ({"max_iter": 2.5}, "max_iter must be a whole number"),
    ],
)
def test_bad_model_settings_are_refused_with_a_sentence(kwargs, said):
    with pytest.raises(ValueError, match=said):
        ModelSettings(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"n_components": 0}, "number of Gaussians must be a whole number of at least 1"),
        ({"n_components": True}, "number of Gaussians"),
        ({"method": "magic"}, "start method must be one of"),
        ({"seed": -1}, "seed must be a whole number of at least 0"),
    ],
)
def test_bad_start_options_are_refused_with_a_sentence(kwargs, said):
    with pytest.raises(ValueError, match=said):
        StartOptions(**kwargs)
