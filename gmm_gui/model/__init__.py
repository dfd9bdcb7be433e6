"""The EM engine: Gaussian mixtures, E- and M-steps, fitting, initialisation and criteria.

Pure numpy/scipy, no Qt: usable from a notebook, the CLI or a worker process.
"""

from gmm_gui.model.criteria import aic, bic, n_parameters
from gmm_gui.model.em import (
    ComponentIssue,
    DegenerateMixtureError,
    FitResult,
    PreparedData,
    StartResult,
    diagnose,
    e_step,
    fit,
    log_prob_components,
    m_step,
    prepare_data,
    score_samples,
)
from gmm_gui.model.geometry import ellipse, ellipses
from gmm_gui.model.init import INIT_METHODS, KMeansResult, init_mixture, kmeans, kmeans_plusplus
from gmm_gui.model.mixture import COVARIANCE_TYPES, Mixture
from gmm_gui.model.sampling import sample

__all__ = [
    "COVARIANCE_TYPES",
    "INIT_METHODS",
    "ComponentIssue",
    "DegenerateMixtureError",
    "FitResult",
    "KMeansResult",
    "Mixture",
    "PreparedData",
    "StartResult",
    "aic",
    "bic",
    "diagnose",
    "e_step",
    "ellipse",
    "ellipses",
    "fit",
    "init_mixture",
    "kmeans",
    "kmeans_plusplus",
    "log_prob_components",
    "m_step",
    "n_parameters",
    "prepare_data",
    "sample",
    "score_samples",
]
