"""Reading a data file for the workspace, and its first start (no Qt; runs in the loader).

:class:`LoadRequest` is what was asked, :func:`read` does it (in the loader's thread for a
large file) and hands back a :class:`Loaded`: the data and the stepper of its first start, or
the problem with the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from gmm_gui.controller.settings import ModelSettings, StartOptions
from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.io import DataError, Dataset, load_dataset
from gmm_gui.model import Mixture

__all__ = ["LoadRequest", "Loaded", "check_features", "first_stepper", "read"]


@dataclass(frozen=True)
class LoadRequest:
    """One request to open a file (what a background load carries, and hands back).

    Attributes
    ----------
    path : str
    columns : tuple of str or None
        The columns to fit; ``None``: the file's one or two numeric columns.
    start_options : StartOptions
        How the first start is drawn (unless ``start``).
    settings : ModelSettings
        The settings of the new stepper.
    title : str or None
        Shown above the plot instead of the file name.
    start : Mixture or None
        The first start (a sample's hand-placed one).
    """

    path: str
    columns: tuple[str, ...] | None
    start_options: StartOptions
    settings: ModelSettings
    title: str | None = None
    start: Mixture | None = None


@dataclass(frozen=True)
class Loaded:
    """What a background load hands back: the data and its stepper, or the problem."""

    request: LoadRequest
    dataset: Dataset | None = None
    stepper: Stepper | None = None
    error: ValueError | None = None


def first_stepper(
    dataset: Dataset,
    options: StartOptions,
    settings: ModelSettings,
    start: Mixture | None = None,
) -> Stepper:
    """The stepper of newly opened data: from a given start, or one drawn by ``options``.

    Raises
    ------
    DataError
        If ``start`` is for data of another dimension.
    ValueError
        If the start cannot be drawn (e.g. more Gaussians than points).
    """
    if start is not None:
        if start.n_features != dataset.n_features:
            raise DataError(
                f"the start has {start.n_features} dimensions, the data {dataset.n_features}"
            )
        return Stepper(
            dataset.values,
            start,
            start_info=StartInfo("placed", start.n_components),
            **settings.stepper_options(),
        )
    return Stepper.from_method(
        dataset.values,
        options.n_components,
        options.method,
        options.seed,
        **settings.stepper_options(),
    )


def check_features(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Refuse data the window cannot show (it shows one or two columns)."""
    if dataset.n_features not in (1, 2):
        raise DataError(
            f"{path}: {dataset.n_features} columns chosen; the window shows one or two"
        )


def read(
    request: LoadRequest, should_cancel: Callable[[], bool] = lambda: False
) -> Loaded | None:
    """Read the file and build its first start (no Qt; runs in the loader's thread).

    Returns ``None`` if cancelled after reading; a problem with the file (a ``ValueError``,
    :class:`~gmm_gui.io.ColumnChoiceRequired` included) is handed back, not raised.
    """
    try:
        dataset = load_dataset(request.path, request.columns)
        if should_cancel():
            return None
        check_features(dataset, request.path)
        stepper = first_stepper(dataset, request.start_options, request.settings, request.start)
    except ValueError as exc:  # DataError is a ValueError, so is a bad K
        return Loaded(request, error=exc)
    return Loaded(request, dataset, stepper)
