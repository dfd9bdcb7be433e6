"""``gmm-gui``: the command line of the window.

``main()`` builds the ``QApplication``; :func:`build_window` builds and fills the window, so tests
reuse pytest-qt's application and never make a second one.

    gmm-gui [DATA] [--columns A,B] [-k K | --init PARAMS.json] [--seed S]
            [--covariance-type full|tied|diag|spherical] [--reg-covar R] [--tol T]
            [--max-iter N] [--prior] [--steps N] [--screenshot OUT.png] [--export PARAMS.json]
            [--record OUT.gif|OUT.mp4 [--glide MS]] [--small-multiples OUT.png|OUT.svg]
    gmm-gui --scene NAME [--steps N] [--screenshot OUT.png] ...

``--screenshot``, ``--export``, ``--record`` and ``--small-multiples`` write their files and
exit (they work offscreen). The model settings are checked as ``gmm-fit`` checks them.
``--scene`` plays one of the lecture's scenes (:data:`gmm_gui.ui.scenes.SCENES`): its own data,
start and settings, then ``--steps`` iterations.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import TracebackType

import numpy as np
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop
from PySide6.QtWidgets import QApplication

from gmm_gui import __version__
from gmm_gui.cli import _non_negative, _whole  # gmm-fit's checks of the same options
from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.stepper import START_METHODS
from gmm_gui.io import DataError
from gmm_gui.io.mixture_file import read_mixture
from gmm_gui.model import COVARIANCE_TYPES
from gmm_gui.resources import get_sample, match_sample
from gmm_gui.ui.exports import save_screenshot
from gmm_gui.ui.figures import small_multiples
from gmm_gui.ui.main_window import MainWindow
from gmm_gui.ui.recording import RecordingUnavailable, record_run
from gmm_gui.ui.scenes import scene_names
from gmm_gui.ui.views.transition import DEFAULT_ANIMATION_MS

__all__ = ["build_parser", "build_window", "install_excepthook", "main", "run_iterations"]

DEFAULT_SAMPLE = "faithful"


class UsageError(Exception):
    """A problem with the command line; the message is shown after ``gmm-gui: error:``."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _columns(text: str) -> list[str]:
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not 1 <= len(names) <= 2:
        raise argparse.ArgumentTypeError("give one or two column names separated by a comma")
    return names


def _path_ending(*suffixes: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not text.lower().endswith(suffixes):
            raise argparse.ArgumentTypeError(f"{text!r} must end in {' or '.join(suffixes)}")
        return text

    return check


class _OneLineParser(argparse.ArgumentParser):
    """A bad command line is one line on stderr (as gmm-fit's), not the usage and a line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see gmm-gui --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gmm-gui``."""
    parser = _OneLineParser(
        prog="gmm-gui",
        description="Watch Expectation-Maximisation fit a Gaussian mixture, step by step. "
        "Without DATA, the Old Faithful sample opens.",
    )
    parser.add_argument("data", nargs="?", metavar="DATA", help="CSV, TSV, TXT, NPY or NPZ file")
    parser.add_argument(
        "--columns", type=_columns, metavar="A,B", help="the one or two columns to fit"
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "-k", type=_positive_int, metavar="K", help="number of Gaussians of the start"
    )
    start.add_argument("--init", metavar="PARAMS.json", help="start from this parameter file")
    parser.add_argument(
        "--start-method",
        choices=[m for m, _ in START_METHODS],
        default=None,
        help="how the random start is drawn (default kmeans++, or a bundled sample's own)",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=None,
        help="seed of the random start (default 0, or a bundled sample's own)",
    )
    defaults = ModelSettings()
    parser.add_argument(
        "--covariance-type",
        choices=COVARIANCE_TYPES,
        default=None,
        help="covariance constraint (default: full, or the type of the --init file)",
    )
    parser.add_argument(
        "--reg-covar",
        metavar="R",
        type=_non_negative("--reg-covar"),
        default=None,
        help=f"added to each covariance's diagonal (default: {defaults.reg_covar:g})",
    )
    parser.add_argument(
        "--tol",
        metavar="T",
        type=_non_negative("--tol"),
        default=None,
        help="EM has converged when the mean log-likelihood per point changes by less "
        f"(default: {defaults.tol:g})",
    )
    parser.add_argument(
        "--max-iter",
        metavar="N",
        type=_whole(1, "--max-iter"),
        default=None,
        help=f"a run to convergence stops after N iterations (default: {defaults.max_iter})",
    )
    parser.add_argument(
        "--prior",
        action="store_true",
        help="MAP-EM with mclust's default conjugate prior (no Gaussian collapses onto a point; "
        "EM then climbs the log-posterior), as gmm-fit --prior",
    )
    parser.add_argument(
        "--steps", type=_non_negative_int, default=0, metavar="N", help="run N EM iterations"
    )
    parser.add_argument(
        "--export",
        metavar="PARAMS.json",
        help="write the parameter file of the Gaussians after --steps and exit (beside or "
        "instead of --screenshot)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="save the window as a PNG after --steps and exit (works offscreen)",
    )
    parser.add_argument(
        "--record",
        type=_path_ending(".gif", ".mp4"),
        metavar="OUT.gif",
        help="record the start and the half-steps of --steps N iterations as an animated GIF "
        "(or an MP4 video) and exit (needs Pillow: pip install 'gmm-gui[record]'; for MP4, "
        "imageio-ffmpeg: 'gmm-gui[mp4]')",
    )
    parser.add_argument(
        "--glide",
        type=_non_negative_int,
        default=None,
        metavar="MS",
        help=f"--record: the glide between half-steps in milliseconds (default "
        f"{DEFAULT_ANIMATION_MS}; 0 for one frame per half-step)",
    )
    parser.add_argument(
        "--small-multiples",
        type=_path_ending(".png", ".svg"),
        metavar="OUT.png",
        help="write six panels of the run (start, first E-step, first M-step, after 2, 5 and 20 "
        "iterations, as in Bishop's PRML figure 9.8) as PNG or SVG and exit",
    )
    parser.add_argument(
        "--scene",
        metavar="NAME",
        help="open one of the lecture's scenes with its data, start and settings: "
        + ", ".join(scene_names()),
    )
    parser.add_argument(
        "--pies",
        action="store_true",
        help="draw each point as a pie of its responsibilities (View > Points as pies)",
    )
    parser.add_argument(
        "--presentation",
        action="store_true",
        help="presentation mode: large fonts, thick lines, no toolbar clutter (View menu, F5)",
    )
    parser.add_argument("--version", action="version", version=f"gmm-gui {__version__}")
    return parser


def avoid_huge_page_stalls() -> bool:
    """Stop NumPy from asking Linux for transparent huge pages for its arrays (this process).

    NumPy advises the kernel to back every large array with 2 MB pages. Where the kernel then
    compacts memory to find them (``defrag`` set to ``madvise``, a common default), touching a
    new array stalls: on the development machine an M half-step at a million points, which
    fills a new 40 MB array of responsibilities, took 140-200 ms in the worker with the advice
    and 70-100 ms without (measured alternately). The app allocates such an array on every
    half-step, so it goes without. ``NUMPY_MADVISE_HUGEPAGE`` in the environment, when set,
    still decides. Returns whether the advice is now off.
    """
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:  # a NumPy without the switch: nothing to do
        return False
    setter(False)
    return True


def build_window(args: argparse.Namespace | None = None) -> MainWindow:
    """Build the window and open what ``args`` ask for (default: the Old Faithful sample).

    Raises
    ------
    UsageError
        If the data, columns or parameter file cannot be used; the message says why.
    """
    if args is None:
        args = build_parser().parse_args([])
    avoid_huge_page_stalls()
    if getattr(args, "scene", None) is not None:
        return _scene_window(args)
    window = MainWindow()
    if args.k is not None and args.k > window.k_spin.maximum():
        window.close()
        raise UsageError(
            f"-k {args.k}: the window shows at most {window.k_spin.maximum()} Gaussians"
        )
    # A bundled sample (by default Old Faithful, or a file named as one with its columns) opens
    # with its own start unless --start-method or --seed say otherwise.
    if args.data is None:
        sample = get_sample(DEFAULT_SAMPLE)
        if args.columns is not None and tuple(args.columns) != sample.columns:
            sample = replace(sample, start_method="kmeans++", seed=0)
    else:
        sample = match_sample(args.data, args.columns)
    hand_placed = None
    if sample is not None:
        window.use_start_of(sample)
        # The sample's hand-placed start, unless the command line asks for another start.
        if args.k is None and args.seed is None and args.start_method is None:
            hand_placed = sample.start_mixture()
    try:
        window.workspace.set_settings(_model_settings(args))
    except ValueError as exc:
        window.close()
        raise UsageError(str(exc)) from None
    if args.seed is not None:
        window.seed_spin.setValue(args.seed)
    if args.start_method is not None:
        window.method_combo.setCurrentIndex(window.method_combo.findData(args.start_method))
    try:
        if args.data is None:
            assert sample is not None
            window.open_file(
                sample.path,
                args.columns or sample.columns,
                n_components=args.k or sample.n_components,
                title=sample.title,
                interactive=False,
                start=hand_placed,
            )
        else:
            window.open_file(
                args.data,
                args.columns,
                n_components=args.k or (sample.n_components if sample else None),
                interactive=False,
                ask_columns=not _writes_files(args),
                start=hand_placed,
            )
            if window.dataset is None:
                raise UsageError(f"{args.data}: no columns chosen")
    except DataError as exc:
        window.close()
        hint = ""
        if "choose one or two" in str(exc):
            hint = " with --columns A,B"
        raise UsageError(f"{exc}{hint}") from None
    except ValueError as exc:
        window.close()
        raise UsageError(str(exc)) from None
    if args.init is not None and not window.import_parameters(args.init, interactive=False):
        message = window.last_problem
        window.close()
        raise UsageError(message)
    return window


def _scene_window(args: argparse.Namespace) -> MainWindow:
    """The window with ``args.scene`` played (its actions done).

    Raises
    ------
    UsageError
        For an unknown scene, or options that would change the scene's data or start.
    """
    if args.scene not in scene_names():
        raise UsageError(f"no scene {args.scene!r}; the scenes are: {', '.join(scene_names())}")
    clashing = [
        flag
        for flag, value in (
            ("DATA", args.data),
            ("--columns", args.columns),
            ("-k", args.k),
            ("--init", args.init),
            ("--seed", args.seed),
            ("--start-method", args.start_method),
            ("--covariance-type", args.covariance_type),
        )
        if value is not None
    ]
    if clashing:
        raise UsageError(
            f"--scene brings its own data, start and settings; leave out {clashing[0]}"
        )
    # The model settings given on the command line apply over the scene's own (the bad-start
    # caption asks for tol 1e-10, say); the data, the start and the covariance type are its own.
    overrides: dict[str, object] = {
        name: getattr(args, name)
        for name in ("reg_covar", "tol", "max_iter")
        if getattr(args, name, None) is not None
    }
    if getattr(args, "prior", False):
        overrides["prior"] = True
    window = MainWindow()
    window.play_scene(args.scene, settings=overrides)
    deadline = QDeadlineTimer(120_000)
    while window.scenes.busy and not deadline.hasExpired():
        _process_events()
    window.session.wait_idle()
    return window


def install_excepthook(window: MainWindow) -> Callable[[], None]:
    """Show an exception that escapes a slot on the UI thread in ``window``, and go on.

    PySide6 hands an exception raised inside a slot (a RuntimeError, ZeroDivisionError,
    MemoryError or FloatingPointError of the engine during a step, a run or a new start) to
    :data:`sys.excepthook` and carries on; by default the user is told nothing. This hook shows
    the same sentence in the window's problem line as the same fault in the worker would
    (:meth:`MainWindow.report_fault`), and prints the traceback to stderr for a bug report.
    ``KeyboardInterrupt`` and ``SystemExit``, and anything raised once the window is gone, go to
    the hook that was installed before.

    Returns
    -------
    callable
        Puts the previous hook back (if this one is still installed).
    """
    previous = sys.excepthook
    target = weakref.ref(window)

    def hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        shown = target()
        if shown is None or not issubclass(exc_type, Exception):
            previous(exc_type, exc, tb)
            return
        traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
        try:
            shown.report_fault(exc)
        except RuntimeError:  # the window's C++ side is already deleted
            previous(exc_type, exc, tb)

    def uninstall() -> None:
        if sys.excepthook is hook:
            sys.excepthook = previous

    sys.excepthook = hook
    return uninstall


def collect_garbage_on_ui_thread(interval_s: float = 1.0) -> GarbageCollector:
    """Turn Python's automatic cyclic garbage collection off and collect on a UI-thread timer.

    Automatic collection runs in whichever thread happens to allocate: a cycle holding a
    Python-owned QObject could then be deleted on a worker thread (Qt crashes later), or in the
    middle of a Qt call that holds one of its locks (the UI thread deadlocks). pyqtgraph's
    collector does it the safe way. Keep the returned object for as long as the app runs.
    """
    return GarbageCollector(interval=interval_s)


def _model_settings(args: argparse.Namespace) -> ModelSettings:
    """The settings of the first start: the command line's, with ``--init``'s covariance type.

    Raises
    ------
    ValueError
        If the ``--init`` file cannot be read, or holds another covariance type than
        ``--covariance-type`` (as ``gmm-fit`` refuses it).
    """
    covariance_type = getattr(args, "covariance_type", None)
    init = getattr(args, "init", None)
    if init is not None:
        held = read_mixture(init)[1].covariance_type
        if covariance_type is not None and covariance_type != held:
            raise ValueError(
                f"{init} holds {held} covariances; --covariance-type {covariance_type} "
                f"would change the start (leave it out to fit {held} covariances)"
            )
        covariance_type = held
    defaults = ModelSettings()

    def given(name: str, default: object) -> object:
        value = getattr(args, name, None)
        return default if value is None else value

    return ModelSettings(
        covariance_type=covariance_type or defaults.covariance_type,
        reg_covar=given("reg_covar", defaults.reg_covar),
        tol=given("tol", defaults.tol),
        max_iter=given("max_iter", defaults.max_iter),
        prior=bool(getattr(args, "prior", False)),
    )


def _process_events(ms: int = 50) -> None:
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, ms)


def run_iterations(window: MainWindow, n_iterations: int, timeout_ms: int = 120_000) -> None:
    """Run ``n_iterations`` EM iterations in the window (stops early at convergence)."""
    session = window.session
    deadline = QDeadlineTimer(timeout_ms)
    for _ in range(n_iterations):
        stepper = session.stepper
        if stepper is None or stepper.next_phase is None:
            break
        session.next_iteration()
        while session.busy and not deadline.hasExpired():
            _process_events()
        if deadline.hasExpired():
            break


def _writes_files(args: argparse.Namespace) -> bool:
    """Whether the command line asks for files to be written (and then the app exits)."""
    return any(
        getattr(args, name, None) is not None
        for name in ("screenshot", "export", "record", "small_multiples")
    )


def _write_files(window: MainWindow, args: argparse.Namespace) -> int:
    """Write what ``--export``, ``--screenshot``, ``--record`` and ``--small-multiples`` ask
    for; the exit status."""
    try:
        if getattr(args, "export", None) is not None and not window.exports.export_parameters(
            args.export, interactive=False
        ):
            print(f"gmm-gui: error: {window.last_problem}", file=sys.stderr)
            return 1
        if args.screenshot is not None:
            save_screenshot(window, args.screenshot)
        if args.record is not None:
            glide = DEFAULT_ANIMATION_MS if args.glide is None else args.glide
            record_run(window, args.steps, args.record, glide_ms=glide)
        if args.small_multiples is not None:
            small_multiples(window, args.small_multiples)
    except RecordingUnavailable as exc:
        print(f"gmm-gui: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"gmm-gui: error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gmm-gui``; returns the exit status (2 for a bad command line)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse has printed the message
        return int(exc.code or 0)
    app = QApplication.instance()
    own_app = app is None
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "gmm-gui"])
        app.setApplicationName("gmm-gui")
        app.setOrganizationName("gmm-gui")
    collector = collect_garbage_on_ui_thread() if own_app else None
    if args.scene is not None and args.scene not in scene_names():
        print(
            f"gmm-gui: error: no scene {args.scene!r}; the scenes are: {', '.join(scene_names())}",
            file=sys.stderr,
        )
        return 2
    try:
        window = build_window(args)
    except UsageError as exc:
        print(f"gmm-gui: error: {exc}", file=sys.stderr)
        return 2
    uninstall_hook = install_excepthook(window)
    options = window.view_options
    options.pies.action.setChecked(bool(args.pies) and options.pies.action.isEnabled())
    options.presentation.set_active(bool(args.presentation))
    try:
        writes_files = _writes_files(args)
        if writes_files:
            window.set_animation_ms(0)
        run_iterations(window, args.steps)
        window.show()
        if writes_files:
            for _ in range(5):
                _process_events()
            status = _write_files(window, args)
            window.close()
            _process_events()
            return status
        if not own_app:
            return 0
        return int(app.exec())
    finally:
        uninstall_hook()
        if collector is not None:
            collector.timer.stop()
