"""The window's menu bar: File (with Samples and Open recent), Edit, Run, Analyse, Scenes and
Help."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from gmm_gui.resources import SAMPLES
from gmm_gui.ui.figure_dialogs import record_run_dialog, small_multiples_dialog
from gmm_gui.ui.help import VIEWS_TEXT, about_text, key_map_text, show_text
from gmm_gui.ui.scenes import SCENES

__all__ = ["Menus", "build_menus"]


@dataclass(frozen=True)
class Menus:
    """The menus that are filled after the menu bar is built."""

    samples: QMenu
    recent: QMenu
    analysis: QMenu
    scenes: QMenu | None = None
    help: QMenu | None = None


def build_menus(
    bar: QMenuBar,
    actions: Mapping[str, QAction],
    open_sample: Callable[[str], object],
    *,
    open_scene: Callable[[str], object] | None = None,
    window: QWidget | None = None,
) -> Menus:
    """Fill ``bar`` with the window's menus.

    Parameters
    ----------
    bar : QMenuBar
    actions : mapping of str to QAction
        The actions of :func:`gmm_gui.ui.actions.make_actions`.
    open_sample : callable ``(key) -> object``
        Opens the bundled sample ``key`` (File > Samples).
    open_scene : callable ``(name) -> object``, optional
        Plays the scene ``name`` of :data:`gmm_gui.ui.scenes.SCENES` (the Scenes menu, made
        only when given).
    window : QWidget, optional
        The main window: the parent of the Help menu's dialogs and what File > Record run and
        File > Export small multiples draw (these entries and the Help menu are made only when
        given).

    Returns
    -------
    Menus
        File > Samples (filled), File > Open recent and Analyse (both empty), Scenes and
        Help (filled, or ``None``).
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
    if window is not None:
        _figure_entries(file_menu, window)
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    edit_menu = bar.addMenu("&Edit")
    for name in ("undo", "redo", "delete"):
        edit_menu.addAction(a[name])
    run_menu = bar.addMenu("&Run")
    for name in ("step_e", "step_m", "next_iteration", "play", "run", "reset", "cancel"):
        run_menu.addAction(a[name])
    analysis = bar.addMenu("&Analyse")
    scenes = None
    if open_scene is not None:
        scenes = bar.addMenu("S&cenes")
        scenes.setObjectName("scenes_menu")
        for scene in SCENES:
            action = scenes.addAction(scene.title)
            action.setObjectName(f"scene_{scene.name}")
            action.setToolTip(scene.caption)
            action.setStatusTip(f"gmm-gui --scene {scene.name}")
            action.triggered.connect(lambda _=False, name=scene.name: open_scene(name))
    help_menu = None if window is None else _help_menu(bar, window)
    for m in (file_menu, edit_menu, run_menu, analysis, scenes, help_menu):
        if m is not None:
            m.setToolTipsVisible(True)
    return Menus(samples, recent, analysis, scenes, help_menu)


def _figure_entries(menu: QMenu, window: QWidget) -> None:
    record = menu.addAction("Record run (GIF or MP4)…")
    record.setObjectName("action_record_run")
    record.setToolTip(
        "Record the start and each half-step of a run as an animated GIF or an MP4 video."
    )
    record.triggered.connect(lambda _=False: record_run_dialog(window))
    multiples = menu.addAction("Export small multiples…")
    multiples.setObjectName("action_small_multiples")
    multiples.setToolTip(
        "Six panels of the run (start, first E-step, first M-step, after 2, 5 and 20 "
        "iterations) as one PNG or SVG figure, as in Bishop's PRML figure 9.8."
    )
    multiples.triggered.connect(lambda _=False: small_multiples_dialog(window))
    for action in (record, multiples):
        action.setStatusTip(action.toolTip())


def _help_menu(bar: QMenuBar, window: QWidget) -> QMenu:
    menu = bar.addMenu("&Help")
    menu.setObjectName("help_menu")
    entries = (
        ("help_keys", "&Keys…", "Every shortcut of the window.", "Keys", key_map_text),
        (
            "help_views",
            "&What am I looking at?…",
            "What the 1-D and 2-D views, the log-likelihood panel and the table show.",
            "What am I looking at?",
            lambda: VIEWS_TEXT,
        ),
        (
            "help_about",
            "&About gmm-gui…",
            "Version, licence and where the sample data come from.",
            "About gmm-gui",
            about_text,
        ),
    )
    for name, text, tip, title, make_text in entries:
        action = menu.addAction(text)
        action.setObjectName(f"action_{name}")
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(
            lambda _=False, title=title, make_text=make_text: show_text(window, title, make_text())
        )
    return menu
