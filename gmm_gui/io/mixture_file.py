"""The ``gmm-gui/mixture`` JSON parameter file, version 1 (see ``docs/parameter-format.md``).

Written on export and read back as a start. Reading validates everything a person could get
wrong by hand-editing, and each complaint is one line naming the file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.io._json_checks import number_array
from gmm_gui.io.atomic import atomic_write
from gmm_gui.io.dataset import Dataset
from gmm_gui.io.errors import ParameterFileError, name_list, shorten
from gmm_gui.io.files import MAX_PARAMETER_FILE_BYTES, describe_size, read_regular
from gmm_gui.io.fit_info import FitInfo, MaximumInfo, RestartsInfo, fit_info_from_json
from gmm_gui.model import COVARIANCE_TYPES, Mixture

__all__ = [
    "FORMAT",
    "VERSION",
    "FitInfo",
    "MaximumInfo",
    "MixtureFileInfo",
    "RestartsInfo",
    "mixture_from_json",
    "mixture_to_json",
    "check_start_for_data",
    "read_mixture",
    "write_mixture",
]

FORMAT = "gmm-gui/mixture"
VERSION = 1
_COVARIANCE_TYPES = COVARIANCE_TYPES
_WEIGHT_SUM_ATOL = 1e-6


@dataclass(frozen=True)
class MixtureFileInfo:
    """What a parameter file says besides the mixture itself.

    Attributes
    ----------
    path : str
        The file, as given.
    columns : tuple of str
        Names of the data columns the mixture describes, one per feature.
    covariance_type : str
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
    fit : FitInfo or None
        The ``"fit"`` block, when the mixture was fitted.
    """

    path: str
    columns: tuple[str, ...]
    covariance_type: str
    fit: FitInfo | None = None


# --------------------------------------------------------------------------------------------
# Writing


def mixture_to_json(
    mixture: Mixture,
    columns: Sequence[str],
    fit_info: FitInfo | Mapping[str, Any] | None = None,
) -> str:
    """Serialise a mixture to the text of a version-1 parameter file.

    Parameters
    ----------
    mixture : Mixture
        ``n_components`` components in ``n_features`` dimensions.
    columns : sequence of str
        One name per feature.
    fit_info : FitInfo or mapping, optional
        The ``"fit"`` block; a mapping is written as given (JSON values only).

    Returns
    -------
    str
        Pretty-printed JSON ending with a newline. Floats are written with Python's shortest
        round-trip representation, so reading the file back gives identical arrays.

    Raises
    ------
    ValueError
        If ``columns`` does not have one name per feature, or a value is not finite.
    """
    columns = [str(c) for c in columns]
    if len(columns) != mixture.n_features:
        raise ValueError(
            f"{len(columns)} column names given for a mixture in {mixture.n_features} dimensions"
        )
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "covariance_type": mixture.covariance_type,
        "columns": columns,
        "weights": mixture.weights.tolist(),
        "means": mixture.means.tolist(),
        "covariances": mixture.covariances.tolist(),
    }
    if fit_info is not None:
        document["fit"] = fit_info.to_json() if isinstance(fit_info, FitInfo) else dict(fit_info)
    return _dumps(document)


def _dumps(document: Mapping[str, Any]) -> str:
    """Indented JSON with each innermost list on one line, so matrices read as matrices."""
    _refuse_non_finite(document, "")
    return _format(document, 0) + "\n"


def _refuse_non_finite(value: object, where: str) -> None:
    """ValueError naming the first number that is not finite (JSON has no NaN or infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(
            f"{where} is {value}; a parameter file holds finite numbers only"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_non_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _refuse_non_finite(item, f"{where}[{i}]")


def _format(value: object, level: int) -> str:
    pad = "  " * (level + 1)
    if isinstance(value, Mapping) and value:
        items = [f"{pad}{json.dumps(str(k))}: {_format(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        items = [pad + _format(v, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"
    return json.dumps(value, allow_nan=False)


def write_mixture(
    path: str | os.PathLike[str],
    mixture: Mixture,
    columns: Sequence[str],
    fit_info: FitInfo | Mapping[str, Any] | None = None,
) -> None:
    """Write a mixture to a version-1 parameter file, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; an existing file is replaced only once the new one is complete.
    mixture, columns, fit_info
        See :func:`mixture_to_json`.
    """
    atomic_write(path, mixture_to_json(mixture, columns, fit_info))


# --------------------------------------------------------------------------------------------
# Reading


def read_mixture(
    path: str | os.PathLike[str],
    n_features: int | None = None,
    *,
    n_components: int | None = None,
    dataset: Dataset | None = None,
) -> tuple[Mixture, MixtureFileInfo]:
    """Read and validate a parameter file.

    Parameters
    ----------
    path : str or path-like
        A ``gmm-gui/mixture`` version-1 JSON file.
    n_features : int, optional
        Dimension of the data the mixture will be used with; a different one is refused.
    n_components : int, optional
        Required number of components.
    dataset : Dataset, optional
        The data the mixture will be used with: sets ``n_features`` from its columns.

    Returns
    -------
    mixture : Mixture
    info : MixtureFileInfo

    Raises
    ------
    ParameterFileError
        One line naming the file and what is wrong: not JSON, wrong format or version, shapes,
        a dimension or K that does not match, weights that do not sum to 1, a covariance that is
        not symmetric positive definite or not of the declared type.
    """
    shown = str(path)
    try:
        raw = read_regular(path, shown, ParameterFileError, max_bytes=MAX_PARAMETER_FILE_BYTES)
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterFileError(f"{shown}: not a text file (expected JSON)") from None
    except MemoryError:
        size = ""
        with contextlib.suppress(OSError, ValueError):
            size = f" ({describe_size(os.stat(path).st_size)})"
        raise ParameterFileError(f"{shown}: not enough memory to read this file{size}") from None
    if dataset is not None:
        if n_features is not None and n_features != dataset.n_features:
            raise ValueError("n_features and dataset disagree")
        n_features = dataset.n_features
    try:
        return mixture_from_json(text, shown, n_features=n_features, n_components=n_components)
    except MemoryError:
        raise ParameterFileError(
            f"{shown}: not enough memory to read this file ({describe_size(len(raw))})"
        ) from None


def mixture_from_json(
    text: str,
    source: str = "<parameters>",
    *,
    n_features: int | None = None,
    n_components: int | None = None,
) -> tuple[Mixture, MixtureFileInfo]:
    """Parse and validate the text of a parameter file; see :func:`read_mixture`.

    ``source`` names the file in error messages.
    """

    def fail(problem: str) -> ParameterFileError:
        return ParameterFileError(f"{source}: {problem}")

    def reject_constant(name: str) -> float:
        raise fail(f"{name} is not allowed in JSON; every number must be finite")

    def parse_int(digits: str) -> int:
        # Every number ends as a float64: a whole number beyond its range is refused here,
        # before Python's int() (over 4,300 digits) or NumPy (over 1.8e308) could fail in
        # their own words, without the file's name.
        if len(digits.lstrip("-")) <= 309:
            value = int(digits)
            with contextlib.suppress(OverflowError):
                float(value)
                return value
        raise fail(
            f"holds a whole number of {len(digits.lstrip('-'))} digits, too large to be a "
            "finite number"
        )

    try:
        doc = json.loads(text, parse_constant=reject_constant, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise fail("not a gmm-gui mixture file (its JSON is nested far too deeply)") from None
    if not isinstance(doc, dict):
        raise fail("not a gmm-gui mixture file (the JSON is not an object)")
    if doc.get("format") != FORMAT:
        found = f" (format is {shorten(repr(doc['format']))})" if "format" in doc else ""
        raise fail(f"not a gmm-gui mixture file{found}; expected format {FORMAT!r}")
    version = doc.get("version")
    if version != VERSION or isinstance(version, bool):
        raise fail(f"has version {shorten(repr(version))}; this gmm-gui reads version {VERSION}")
    for key in ("covariance_type", "columns", "weights", "means", "covariances"):
        if key not in doc:
            raise fail(f"has no {key!r}")

    covariance_type = doc["covariance_type"]
    if covariance_type not in _COVARIANCE_TYPES:
        expected = ", ".join(_COVARIANCE_TYPES)
        raise fail(
            f"covariance_type is {shorten(repr(covariance_type))}; expected one of {expected}"
        )

    weights = number_array(doc["weights"], "weights", 1, fail)
    k = weights.shape[0]
    if k == 0:
        raise fail("weights is empty; a mixture needs at least one component")
    means = number_array(doc["means"], "means", 2, fail)
    if means.shape[0] != k:
        raise fail(f"has {k} weights but {means.shape[0]} means")
    d = means.shape[1]
    if d == 0:
        raise fail("the means have no coordinates")
    covariances = number_array(doc["covariances"], "covariances", 3, fail)
    if covariances.shape != (k, d, d):
        raise fail(
            f"covariances have shape {covariances.shape}; expected ({k}, {d}, {d}): "
            f"one full {d} x {d} matrix per component"
        )
    columns = doc["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise fail("columns must be a list of names")
    if len(columns) != d:
        raise fail(f"has {len(columns)} column names but {d}-dimensional means")

    if n_features is not None and d != n_features:
        raise fail(
            f"describes {d}-dimensional data ({name_list(columns)}) but the data has "
            f"{n_features} column{'s' if n_features != 1 else ''}"
        )
    if n_components is not None and k != n_components:
        raise fail(f"has {k} components but {n_components} were asked for")

    if np.any(weights < 0):
        j = int(np.flatnonzero(weights < 0)[0])
        raise fail(f"component {j + 1} has a negative weight ({weights[j]:g})")
    total = float(weights.sum())
    if abs(total - 1.0) > _WEIGHT_SUM_ATOL:
        raise fail(f"the weights sum to {total:.10g}, not 1")
    for j in range(k):
        cov = covariances[j]
        scale = max(float(np.max(np.abs(cov))), np.finfo(float).tiny)
        if np.max(np.abs(cov - cov.T)) > 1e-9 * scale:
            raise fail(f"component {j + 1}'s covariance is not symmetric")
        try:
            np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise fail(
                f"component {j + 1}'s covariance is not positive definite "
                "(a variance is zero or negative, or a correlation is beyond +-1)"
            ) from None

    try:
        mixture = Mixture(weights, means, covariances, covariance_type)
    except ValueError as exc:
        raise fail(str(exc).rstrip(".")) from None

    fit_info = fit_info_from_json(doc.get("fit"), fail, d)
    info = MixtureFileInfo(source, tuple(columns), covariance_type, fit_info)
    return mixture, info


# --------------------------------------------------------------------------------------------
# Checking a start against the data it will be used with


def check_start_for_data(mixture: Mixture, X: ArrayLike, path: str | os.PathLike[str]) -> None:
    """Refuse a mixture read from ``path`` as the start for data ``X`` if EM cannot use it.

    The one check that ``gmm-fit --init`` and the window's Import parameters both apply, after
    :func:`read_mixture`:

    * the mixture's dimension must be the data's number of columns;
    * there must be at least as many points as components (K = 1000 onto 60 points would give
      empty components and, in the window, half-steps of seconds each);
    * every data point must be at a finite Mahalanobis distance from every component: a mean
      or a variance so far from the data's scale that the squared distance overflows (a mean of
      1e200 for data near 50) is refused, instead of an overflow warning from the kernels.

    Parameters
    ----------
    mixture : Mixture
        The start, ``n_components`` components in ``n_features`` dimensions.
    X : array-like of shape (n_samples, n_features)
        The data it will be fitted to.
    path : str or path-like
        The parameter file, named in the message.

    Raises
    ------
    ParameterFileError
        One line naming the file and the problem.
    """
    shown = str(path)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    n_samples, n_features = X.shape
    k, d = mixture.n_components, mixture.n_features
    if d != n_features:
        raise ParameterFileError(
            f"{shown}: describes {d}-dimensional data but the data has {n_features} "
            f"column{'s' if n_features != 1 else ''}"
        )
    if k > n_samples:
        raise ParameterFileError(
            f"{shown}: has {k} components but the data has only {n_samples} point"
            f"{'s' if n_samples != 1 else ''}; there must be at least as many points as "
            "components"
        )
    if n_samples == 0:
        return
    low, high = X.min(axis=0), X.max(axis=0)
    limit = np.finfo(np.float64).max / (16.0 * max(d, 1))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for j in range(k):
            mean = mixture.means[j]
            span = np.maximum(np.abs(high - mean), np.abs(low - mean))  # farthest offsets
            smallest = float(np.linalg.eigvalsh(mixture.covariances[j])[0])
            bound = float(np.sum(span * span)) / smallest if smallest > 0 else math.inf
            if not bound <= limit:
                raise ParameterFileError(
                    f"{shown}: component {j + 1} is too far from the data for its spread "
                    f"(mean ({_short_vector(mean)}), smallest variance {smallest:.3g}, data from "
                    f"({_short_vector(low)}) to ({_short_vector(high)})): the distances overflow; "
                    "was the file made for other data, or in other units?"
                )


def _short_vector(values: np.ndarray) -> str:
    return shorten(", ".join(f"{v:.3g}" for v in values), 60)
