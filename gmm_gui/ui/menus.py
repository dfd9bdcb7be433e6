"""The window's menu bar: File (with Samples and Open recent), Edit, Run and Analyse."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMenuBar

from gmm_gui.resources import SAMPLES

__all__ = ["Menus", "build_menus"]


@dataclass(frozen=True)
class Menus:
    """The menus that are filled after the menu bar is built."""

    samples: QMenu
    recent: QMenu
    analysis: QMenu


def build_menus(
    bar: QMenuBar, actions: Mapping[str, QAction], open_sample: Callable[[str], object]
) -> Menus:
    """Fill ``bar`` with the window's menus.

    Parameters
    ----------
    bar : QMenuBar
    actions : mapping of str to QAction
        The actions of :func:`gmm_gui.ui.actions.make_actions`.
    open_sample : callable ``(key) -> object``
        Opens the bundled sample ``key`` (File > Samples).

    Returns
    -------
    Menus
        File > Samples (filled), File > Open recent and Analyse (both empty).
    """
    a = actions
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a["open"])
    samples = file_menu.addMenu("&Samples")
    samples.setToolTipsVisible(True)
    for sample in SAMPLES:
        action = samples.addAction(sample.title)
        action.setObjectName(f"sample_{sample.key}")
        action.setToolTip(sample.description)
        action.setStatusTip(sample.description)
        action.triggered.connect(lambda _=False, key=sample.key: open_sample(key))
    recent = file_menu.addMenu("Open &recent")
    file_menu.addSeparator()
    for name in ("import_parameters", "export_parameters", "export_responsibilities"):
        file_menu.addAction(a[name])
    file_menu.addAction(a["export_plot"])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    edit_menu = bar.addMenu("&Edit")
    for name in ("undo", "redo", "delete"):
        edit_menu.addAction(a[name])
    run_menu = bar.addMenu("&Run")
    for name in ("step_e", "step_m", "next_iteration", "play", "run", "reset", "cancel"):
        run_menu.addAction(a[name])
    analysis = bar.addMenu("&Analyse")
    for m in (file_menu, edit_menu, run_menu, analysis):
        m.setToolTipsVisible(True)
    return Menus(samples, recent, analysis)
