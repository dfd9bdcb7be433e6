"""The model settings and the start options of a workspace, as validated frozen values (no Qt).

They flow one way: the window (a later issue adds its controls) hands new values to the
:class:`~gmm_gui.controller.workspace.Workspace`, which builds each new
:class:`~gmm_gui.controller.stepper.Stepper` from them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gmm_gui.model import COVARIANCE_TYPES, INIT_METHODS

__all__ = ["ModelSettings", "StartOptions"]


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class ModelSettings:
    """How EM fits: the covariance type, its regularisation and when it stops.

    Attributes
    ----------
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
        Added to each covariance's diagonal by the M-step (>= 0).
    tol : float
        EM has converged when the mean log-likelihood per point changes by less (>= 0).
    max_iter : int
        A run to convergence stops after this many iterations in any case (>= 1).
    prior : bool
        MAP-EM with mclust's default conjugate prior (``Prior.default(X, K)``): the M-step
        returns the posterior mode and ``tol`` applies to the mean log-posterior per point.

    Raises
    ------
    ValueError
        From the constructor, with a sentence, for a value out of range.
    """

    covariance_type: str = "full"
    reg_covar: float = 1e-6
    tol: float = 1e-3
    max_iter: int = 100
    prior: bool = False

    def __post_init__(self) -> None:
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(
                f"the covariance type must be one of {', '.join(COVARIANCE_TYPES)}, "
                f"not {self.covariance_type!r}"
            )
        for name in ("reg_covar", "tol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a number, not {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of at least 0, not {value!r}")
        if not _is_int(self.max_iter) or self.max_iter < 1:
            raise ValueError(
                f"max_iter must be a whole number of at least 1, not {self.max_iter!r}"
            )
        if not isinstance(self.prior, (bool, np.bool_)):
            raise ValueError(f"prior must be True or False, not {self.prior!r}")
        object.__setattr__(self, "prior", bool(self.prior))
        # Plain Python numbers (a NumPy integer from a spin box's model is accepted above).
        object.__setattr__(self, "reg_covar", float(self.reg_covar))
        object.__setattr__(self, "tol", float(self.tol))
        object.__setattr__(self, "max_iter", int(self.max_iter))

    def stepper_options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~gmm_gui.controller.stepper.Stepper` they set."""
        return asdict(self)


@dataclass(frozen=True)
class StartOptions:
    """How a new start is drawn: K, the engine's initialiser and its seed.

    Attributes
    ----------
    n_components : int
        K (>= 1).
    method : {"random", "kmeans++", "random_from_data", "kmeans"}
    seed : int
        Seed of the random start (>= 0).

    Raises
    ------
    ValueError
        From the constructor, with a sentence, for a value out of range.
    """

    n_components: int = 2
    method: str = "kmeans++"
    seed: int = 0

    def __post_init__(self) -> None:
        if not _is_int(self.n_components) or self.n_components < 1:
            raise ValueError(
                f"the number of Gaussians must be a whole number of at least 1, "
                f"not {self.n_components!r}"
            )
        if self.method not in INIT_METHODS:
            raise ValueError(
                f"the start method must be one of {', '.join(INIT_METHODS)}, "
                f"not {self.method!r}"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"the seed must be a whole number of at least 0, not {self.seed!r}")
        object.__setattr__(self, "n_components", int(self.n_components))
        object.__setattr__(self, "seed", int(self.seed))
