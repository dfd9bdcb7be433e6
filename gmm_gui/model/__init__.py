"""The EM engine: Gaussian mixtures, E- and M-steps, fitting, initialisation and criteria.

Pure numpy/scipy, no Qt: usable from a notebook, the CLI or a worker process.
"""

from gmm_gui.model.basins import (
    BasinMap,
    BasinSolution,
    BatchFit,
    basin_map_1d,
    basin_map_2d,
    fit_batch,
)
from gmm_gui.model.chunked import fit_chunked
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL, has_converged, is_last_iteration
from gmm_gui.model.covariance import (
    COVARIANCE,
    COVARIANCE_TYPES,
    CovarianceSpec,
    CovarianceType,
    check_covariance_type,
)
from gmm_gui.model.criteria import aic, bic, n_parameters
from gmm_gui.model.diagnostics import degenerate_components, diagnose, diagnose_counts
from gmm_gui.model.em import FitResult, StartResult, fit
from gmm_gui.model.geometry import ellipse, ellipses
from gmm_gui.model.init import (
    INIT_METHODS,
    KMeansResult,
    draw_start,
    init_mixture,
    kmeans,
    kmeans_plusplus,
    spread_covariance,
    widen_collapsed,
)
from gmm_gui.model.metrics import (
    adjusted_rand_index,
    align_labels,
    density_1d,
    density_grid,
    hard_labels,
    label_agreement,
    uncertainty,
)
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior
from gmm_gui.model.restarts import (
    MaximumGroup,
    RestartRun,
    RestartsResult,
    best_run,
    group_maxima,
    run_restarts,
)
from gmm_gui.model.sampling import sample
from gmm_gui.model.selection import KCandidate, KSelection, choose_k, holdout_split
from gmm_gui.model.steps import (
    ComponentIssue,
    DegenerateMixtureError,
    PreparedData,
    e_step,
    log_prior_density,
    log_prob_components,
    m_step,
    prepare_data,
    score_samples,
)

__all__ = [
    "RUN_MAX_ITER",
    "RUN_TOL",
    "Prior",
    "degenerate_components",
    "log_prior_density",
    "BasinMap",
    "BasinSolution",
    "BatchFit",
    "KCandidate",
    "KSelection",
    "MaximumGroup",
    "RestartRun",
    "RestartsResult",
    "adjusted_rand_index",
    "align_labels",
    "basin_map_1d",
    "basin_map_2d",
    "best_run",
    "choose_k",
    "density_1d",
    "density_grid",
    "fit_batch",
    "group_maxima",
    "has_converged",
    "is_last_iteration",
    "hard_labels",
    "holdout_split",
    "label_agreement",
    "run_restarts",
    "uncertainty",
    "COVARIANCE",
    "COVARIANCE_TYPES",
    "CovarianceSpec",
    "CovarianceType",
    "check_covariance_type",
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
    "diagnose_counts",
    "e_step",
    "ellipse",
    "ellipses",
    "fit",
    "fit_chunked",
    "draw_start",
    "init_mixture",
    "kmeans",
    "kmeans_plusplus",
    "spread_covariance",
    "widen_collapsed",
    "log_prob_components",
    "m_step",
    "n_parameters",
    "prepare_data",
    "sample",
    "score_samples",
]
