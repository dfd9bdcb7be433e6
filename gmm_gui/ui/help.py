"""The Help menu's texts and their dialog: the key map, what each part of the window shows, About.

Every text is plain text, shown in a read-only :class:`QPlainTextEdit` (nothing in it is read as
markup). The key map is made from the actions' table (:data:`gmm_gui.ui.actions.ACTIONS`) and the
Analyse tools' shortcuts, so it cannot drift from the shortcuts the window has.
"""

from __future__ import annotations

from importlib import metadata

from PySide6.QtGui import QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gmm_gui import __version__
from gmm_gui.resources import SAMPLES
from gmm_gui.ui.actions import ACTIONS
from gmm_gui.ui.analysis import TOOLS, DockTool

__all__ = [
    "SAMPLE_SOURCES",
    "VIEWS_TEXT",
    "about_text",
    "key_map_text",
    "licence_line",
    "show_text",
]

#: Where each bundled sample comes from (by file name).
SAMPLE_SOURCES: dict[str, str] = {
    "faithful.csv": "R's datasets package, faithful (Härdle 1991; Azzalini and Bowman 1990)",
    "Davis.csv": "R's carData package, Davis (Davis 1990)",
    "GaltonFamilies.csv": "R's HistData package, GaltonFamilies (Galton 1886; Hanley 2004)",
    "galaxies.csv": "R's MASS package, galaxies (Roeder 1990)",
    "iris.csv": "R's datasets package, iris (Anderson 1935; Fisher 1936)",
}

VIEWS_TEXT = """\
WHAT AM I LOOKING AT?

The 1-D view (one column of data)
  The grey histogram is the data; each coloured curve is one Gaussian, drawn as its weight
  times its density, and the black curve is their sum, the mixture's density. The strip under
  the plot shows every point, coloured by the Gaussians responsible for it. The dot on a curve
  is its mean (drag it to move the Gaussian at the start); the label is its weight, pi.
  Hover a point: each Gaussian's density there, its weighted density and the posterior (the
  responsibility the E-step gives).

The 2-D view (two columns)
  Each point is coloured by its responsibilities: a point one Gaussian owns has that
  Gaussian's colour, a shared point a colour between. Grey points have had no E-step yet.
  Each Gaussian is drawn as its centre and two ellipses of equal density, 1 sigma (solid) and
  2 sigma (dashed); the label is its weight, pi. Hover a point for its breakdown, as in 1-D.
  At the start, drag a centre to move it and a square handle to reshape it; click empty space
  to add a Gaussian.

The log-likelihood panel
  The mean log-likelihood per point after each iteration (the log-posterior when the prior is
  on). Each EM iteration can only raise it; the dashed line marks where it converged (the
  change fell below tol). Click an iteration to go back to it.

The component table
  One row per Gaussian: its weight, its mean and standard deviation in each column (and the
  correlation in 2-D). At the start the values can be typed in; a row's colour is its
  Gaussian's.

EM as coordinate ascent (Analyse menu, 1-D data)
  The solid curve is the log-likelihood per point as one parameter of one Gaussian moves (its
  mean, standard deviation or weight), everything else held; the vertical line is its current
  value. The dashed curve is the lower bound of the current E-step: it lies below the
  log-likelihood everywhere and, right after an E-step, touches it at the current value. The
  open circle is the bound's peak: the M-step climbs the bound, and the log-likelihood rises.

The timeline and the status line
  The timeline holds every half-step of the run (drag it to look back); the status line says
  which half-step is shown, the log-likelihood and its change, and whether EM has converged.
"""


def _plain(text: str) -> str:
    return text.replace("&", "").replace("…", "").strip()


def _native(shortcut: object) -> str:
    if shortcut is None or shortcut == "":
        return ""
    return QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)


def key_map_text() -> str:
    """The key map: every command with a shortcut, its keys and what it does (plain text)."""
    rows = [(_native(spec.shortcut), _plain(spec.text), spec.tip) for spec in ACTIONS]
    rows += [
        (_native(tool.shortcut), _plain(tool.text), tool.tip.split(":")[0].rstrip("."))
        for tool in TOOLS
        if isinstance(tool, DockTool)
    ]
    rows = [row for row in rows if row[0]]
    width = max(len(keys) for keys, _, _ in rows)
    lines = ["KEYS", ""]
    for keys, name, tip in rows:
        lines.append(f"{keys.ljust(width)}   {name}: {tip}")
    return "\n".join(lines)


def licence_line() -> str:
    """The licence the installed package declares, in one line."""
    try:
        meta = metadata.metadata("gmm-gui")
    except metadata.PackageNotFoundError:
        return "Licence: not known (gmm-gui is not installed as a package)."
    licence = meta.get("License-Expression") or meta.get("License")
    if licence:
        return f"Licence: {licence}."
    return "Licence: the package declares none yet (see the project's repository)."


def about_text() -> str:
    """About: the version, the licence and where the bundled data sets come from."""
    lines = [
        f"gmm-gui {__version__}",
        "Watch Expectation-Maximisation fit a Gaussian mixture, step by step.",
        "",
        licence_line(),
        "",
        "The bundled data sets (File > Samples), unchanged from R's data sets:",
    ]
    for sample in SAMPLES:
        source = SAMPLE_SOURCES.get(sample.filename, "source not recorded")
        lines.append(f"  {sample.title} ({sample.filename}): {source}.")
        lines.append(f"    {sample.description}")
    return "\n".join(lines)


def show_text(parent: QWidget | None, title: str, text: str) -> QDialog:
    """Show ``text`` as plain text in a modal dialog with a Close button; returns the dialog.

    Parameters
    ----------
    parent : QWidget, optional
    title : str
        The window title.
    text : str
        Shown as plain text (never as markup), in a fixed-width font.
    """
    dialog = QDialog(parent)
    dialog.setObjectName("help_dialog")
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    view = QPlainTextEdit()
    view.setObjectName("help_text")
    view.setReadOnly(True)
    view.setPlainText(text)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    layout.addWidget(view)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(760, 560)
    dialog.exec()
    dialog.deleteLater()
    return dialog
