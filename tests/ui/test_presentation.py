"""Presentation fit for a projector (issue #13): labels, tick formats, the log-likelihood panel,
numbers in the status line, label shapes in SVG figures, the uncertainty scale and colour bar."""

from __future__ import annotations

import dataclasses
import xml.dom.minidom

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture, init_mixture
from gmm_gui.ui.app import build_parser, build_window
from gmm_gui.ui.colors import PALETTE, UNCERTAINTY_STOPS, srgb_to_lab, uncertainty_argb32
from gmm_gui.ui.figures import small_multiples
from gmm_gui.ui.numbers import format_change, format_number
from gmm_gui.ui.panels import LogLikelihoodPanel, StatusPanel, phase_text
from gmm_gui.ui.views import PlotView1D, PlotView2D
from gmm_gui.ui.views.axes import axis_exponent, tick_strings
from gmm_gui.ui.views.labels import marker_rects, place_labels, rects_overlap
from gmm_gui.ui.views.plot2d import DENSITY_BAR_LABEL, density_colormap


@pytest.fixture
def faithful(datasets_dir):
    return load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values


def shown(view, qtbot, w=720, h=540):
    qtbot.addWidget(view)
    if hasattr(type(view), "set_animation_ms"):
        view.set_animation_ms(0)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    return view


def text_specs(axis) -> list[str]:
    """The tick labels ``axis`` draws (after it has been painted once, so it is sized)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    specs = axis.generateDrawSpecs(painter)
    painter.end()
    return [] if specs is None else [text for _, _, text in specs[2]]


def label_rects(view, labels) -> np.ndarray:
    out = []
    for label in labels:
        r = label.sceneBoundingRect()
        out.append([r.left(), r.top(), r.right(), r.bottom()])
    return np.array(out)


def assert_laid_out(vb, labels) -> None:
    assert all(label.isVisible() for label in labels)
    rects = label_rects(vb, labels)
    box = vb.sceneBoundingRect()
    tol = 0.5
    assert np.all(rects[:, 0] >= box.left() - tol) and np.all(rects[:, 2] <= box.right() + tol)
    assert np.all(rects[:, 1] >= box.top() - tol) and np.all(rects[:, 3] <= box.bottom() + tol)
    overlap = rects_overlap(rects, rects)
    np.fill_diagonal(overlap, 0.0)
    assert overlap.max() == 0.0, overlap


# ----------------------------------------------------------------------------- 1. weight labels
def test_place_labels_keeps_them_apart_and_inside():
    # three labels that all want the same spot, one of them beyond the right edge
    wishes = [[(90.0, 10.0)], [(92.0, 12.0)], [(195.0, 11.0)]]
    sizes = np.array([[40.0, 12.0]] * 3)
    tl = place_labels(wishes, sizes, (0.0, 0.0, 200.0, 100.0))
    rects = np.column_stack([tl, tl + sizes])
    overlap = rects_overlap(rects, rects)
    np.fill_diagonal(overlap, 0.0)
    assert overlap.max() == 0.0
    assert np.all(rects[:, 0] >= 0) and np.all(rects[:, 2] <= 200)
    assert np.all(rects[:, 1] >= 0) and np.all(rects[:, 3] <= 100)
    np.testing.assert_allclose(tl[0], (90.0, 10.0))  # the first keeps its wish


def test_1d_labels_of_close_means_and_an_edge_mean_neither_overlap_nor_leave_the_plot(qtbot):
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, size=(300, 1))
    view = shown(PlotView1D(), qtbot)
    lo = float(x.min())
    mix = Mixture([0.3, 0.3, 0.4], [[0.0], [0.12], [lo - 0.2]], [[[1.0]], [[1.1]], [[0.3]]])
    view.set_snapshot(Snapshot(X=x, mixture=mix), animate=False)
    view.grab()
    assert_laid_out(view.view_box, view.weight_labels())
    # zoomed in so the edge mean is just inside the plot's edge: its label still inside
    view.view_box.setXRange(lo - 0.25, 1.0, padding=0)
    view.grab()
    assert_laid_out(view.view_box, view.weight_labels())
    # panned so that mean is off the plot: its label is not pulled in to name nothing
    view.view_box.setXRange(lo + 0.5, 2.0, padding=0)
    view.grab()
    labels = view.weight_labels()
    assert not labels[2].isVisible()
    assert_laid_out(view.view_box, labels[:2])


def test_2d_labels_of_close_means_neither_overlap_nor_leave_the_plot(faithful, qtbot):
    view = shown(PlotView2D(), qtbot)
    m = faithful.mean(axis=0)
    c = np.cov(faithful.T) / 20
    mix = Mixture(
        [0.3, 0.3, 0.4], [m, m + [0.05, 0.5], [faithful[:, 0].min(), m[1]]], [c, c * 1.2, c]
    )
    view.set_snapshot(Snapshot(X=faithful, mixture=mix), animate=False)
    view.grab()
    assert_laid_out(view.view_box, view.weight_labels())


def test_weight_label_boxes_let_the_points_under_them_show(faithful, qtbot):
    view = shown(PlotView2D(), qtbot)
    view.set_snapshot(Snapshot(X=faithful, mixture=init_mixture(faithful, 2, "kmeans", seed=0)))
    for label in view.weight_labels():
        assert label.fill.color().alpha() <= 128  # was 215: points under it washed out


# ----------------------------------------------------------------------------- 2. tick formats
def test_tick_strings_share_one_format():
    assert tick_strings([0.0, 5e-5, 1e-4], 5e-5, axis_exponent(0.0, 2.4e-4)) == [
        "0.0",
        "0.5",
        "1.0",
    ]
    assert axis_exponent(0.0, 2.4e-4) == -4
    assert tick_strings([-3000.0, -2990.0], 10.0) == ["-3000", "-2990"]
    assert tick_strings([10000.0, 15000.0], 5000.0) == ["10,000", "15,000"]
    assert tick_strings([0.0, 1e-4], 1e-4, -4, in_label=False) == ["0", "1e-4"]
    assert tick_strings([-1e-17, 0.5], 0.5) == ["0.0", "0.5"]


def test_density_axis_writes_every_label_alike_and_keeps_the_zero(datasets_dir, qtbot):
    x = load_dataset(datasets_dir / "galaxies.csv").values  # densities around 1e-4
    view = shown(PlotView1D(), qtbot)
    view.set_snapshot(Snapshot(X=x, mixture=init_mixture(x, 3, "kmeans", seed=0)), animate=False)
    view.grab()
    axis = view.plot.getAxis("left")
    view.grab()
    labels = text_specs(axis)
    assert len(labels) >= 4
    assert not any("e" in t for t in labels)  # no "9e-05" beside "0.0001"
    assert len({len(t.partition(".")[2]) for t in labels}) == 1  # the same decimals
    assert any(float(t) == 0.0 for t in labels)  # the label at the foot is drawn
    assert "×10⁻⁴" in axis.labelString()


# ------------------------------------------------------------------- 3. log-likelihood panel
def test_loglik_panel_keeps_readable_labels_after_a_start_far_below(qtbot):
    panel = shown(LogLikelihoodPanel(), qtbot, 470, 300)
    panel.set_values([-5e7, -3000.0], 1)
    panel.grab()
    (_, _), (y0, y1) = panel.getViewBox().viewRange()
    assert y0 > -10_000 and y1 > -3000  # the start left off the scale ...
    assert panel._start_note.isVisible()
    assert "-50,000,000" in panel._start_note.toPlainText()  # ... and said in words
    panel.grab()
    labels = text_specs(panel.getPlotItem().getAxis("left"))
    assert len(labels) >= 3 and all(-10_000 < float(t.replace(",", "")) < 0 for t in labels)


@pytest.mark.parametrize("converged_at", [2, 10])
def test_converged_note_fits_inside_the_plot(qtbot, converged_at):
    panel = shown(LogLikelihoodPanel(), qtbot, 470, 260)
    values = -2.0 - 0.5 ** np.arange(converged_at + 1)
    panel.set_values(values, converged_at, converged_at=converged_at)
    panel.grab()
    note = panel.converged_note
    assert note.isVisible() and note.toPlainText() == "converged"
    box = panel.getViewBox().sceneBoundingRect()
    assert box.contains(note.sceneBoundingRect()), (box, note.sceneBoundingRect())


# ----------------------------------------------------------------------------- 4. numbers
def test_numbers_are_written_for_people():
    assert format_number(-51674994.6627) == "-51,674,995"
    assert format_number(-9.309041) == "-9.30904"
    assert format_number(-2.5) == "-2.50000"
    assert format_number(7.31e-5) == "7.31000e-5"
    assert format_number(0.0) == "0"
    assert format_change(0.0075512) == "+0.00755"
    assert format_change(-1.2e-7) == "-1.20e-7"
    assert format_change(12345.6) == "+12,346"


def test_status_line_formats_a_huge_log_likelihood(qtbot):
    status = StatusPanel()
    qtbot.addWidget(status)
    X = np.zeros((3, 1))
    mix = Mixture([1.0], [[0.0]], [[[1.0]]])
    snap = Snapshot(X=X, mixture=mix, phase="M", iteration=1, mean_log_likelihood=-51674994.6627)
    status.set_snapshot(snap, previous_ll=-51675100.0)
    text = status.ll_label.text()
    assert "-51,674,995" in text and "51674994" not in text
    assert "(change +105)" in text


# -------------------------------------------------------------------- 5. label shapes in SVG
def test_small_multiples_svg_keeps_the_points_label_shapes(qtbot, tmp_path):
    args = build_parser().parse_args(["--start-method", "random_from_data", "--seed", "4"])
    window = build_window(args)
    qtbot.addWidget(window)
    window.set_animation_ms(0)

    def discs(path) -> int:
        small_multiples(window, path)
        doc = xml.dom.minidom.parse(str(path))
        return len(doc.getElementsByTagName("circle")) + len(doc.getElementsByTagName("ellipse"))

    plain = discs(tmp_path / "plain.svg")
    n = len(window.session.snapshot.X)
    window.view.set_point_symbols(np.ones(n, dtype=int), ["a"], "kind")  # all squares
    shaped = discs(tmp_path / "shaped.svg")
    assert plain - shaped >= 6 * n - 6  # every panel's points are squares, not discs
    window.close()


# ------------------------------------------------------------ 6. uncertainty scale, colour bar
def test_uncertainty_scale_has_colours_of_its_own():
    t = np.linspace(0.0, 1.0, 257)
    rgb = np.column_stack(
        [np.interp(t, np.linspace(0, 1, len(UNCERTAINTY_STOPS)), UNCERTAINTY_STOPS[:, c])
         for c in range(3)]
    )
    lab = srgb_to_lab(np.round(rgb))
    palette = srgb_to_lab(PALETTE)
    distance = np.linalg.norm(lab[:, None] - palette[None], axis=2)
    assert distance.min() >= 0.075  # the old scale came within 0.02 of component 3's red
    assert distance[:, :3].min() >= 0.12
    # darker the less sure (equal only where two steps round to the same sRGB colour)
    assert np.all(np.diff(lab[:, 0]) <= 0) and lab[0, 0] - lab[-1, 0] > 0.5
    argb = uncertainty_argb32(np.array([0.0, 0.5]), 2)
    assert argb[0] != argb[1]


def test_density_map_has_a_colour_bar_that_reads_true(faithful, qtbot):
    view = shown(PlotView2D(), qtbot)
    view.set_snapshot(Snapshot(X=faithful, mixture=init_mixture(faithful, 2, "kmeans", seed=0)))
    assert view.density_bar() is None
    xs, ys = np.linspace(1, 6, 30), np.linspace(40, 100, 20)
    dens = np.outer(np.linspace(0, 1, 20), np.linspace(0, 1, 30)) * 0.04
    view.set_density_map(xs, ys, dens)
    bar = view.density_bar()
    assert bar is not None and bar.scene() is view.scene()
    assert bar.levels() == pytest.approx((0.0, 0.04))
    assert DENSITY_BAR_LABEL in bar.axis.labelString()
    # the map's colours follow the square root of the density (the tails stay seen)
    cmap = density_colormap()
    quarter = cmap.map(np.array([0.25]), mode="float")[0][:3]
    half_stretch = cmap.map(np.array([0.5]), mode="float")[0][:3]
    assert not np.allclose(quarter, half_stretch)
    view.grab()
    labels = text_specs(bar.axis)
    assert len(labels) >= 3 and not any("e" in t for t in labels)
    view.set_density_map(None)
    assert view.density_bar() is None and bar.scene() is None


def test_the_log_likelihood_title_wraps_in_a_narrow_panel_instead_of_being_cut(qtbot):
    panel = LogLikelihoodPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    qtbot.waitExposed(panel)
    title = panel.getPlotItem().titleLabel
    assert "<br>" not in title.text and "(higher is better)" in title.text
    panel.resize(280, 300)
    qtbot.waitUntil(lambda: "<br>" in title.text)
    assert title.item.boundingRect().width() <= panel.getPlotItem().vb.width() + 8
    panel.set_log_posterior(True)  # renamed: wrapped still
    assert "Log-posterior per point<br>" in title.text


def test_weight_labels_keep_clear_of_start_crosses_and_legends_and_sit_above_points(
    faithful, qtbot
):
    """A start cross (Restarts) or a legend never sits on a π label, and the label's text is
    drawn above the points, samples and the view's markers (issue #13)."""
    view = shown(PlotView2D(), qtbot)
    mix = init_mixture(faithful, 3, "kmeans", seed=0)
    view.set_snapshot(Snapshot(X=faithful, mixture=mix), animate=False)
    view.grab()
    labels = view.weight_labels()
    # crosses put right where the labels are now
    spots = [view.view_box.mapSceneToView(label.sceneBoundingRect().center()) for label in labels]
    crosses = pg.ScatterPlotItem(
        x=[p.x() for p in spots], y=[p.y() for p in spots], symbol="x", size=20
    )
    crosses.setZValue(40)
    view.view_box.addItem(crosses, ignoreBounds=True)
    moved = Mixture([0.2, 0.3, 0.5], mix.means, mix.covariances)
    view.set_snapshot(Snapshot(X=faithful, mixture=moved), animate=False)
    view.grab()
    rects = label_rects(view.view_box, labels)
    marks = marker_rects(view.view_box)
    assert len(marks) == 3
    blocks = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in marks])
    assert rects_overlap(rects, blocks).max() == 0.0
    z_points = max(item.zValue() for item in view.view_box.childGroup.childItems()
                   if item is not crosses and not isinstance(item, pg.TextItem))
    assert all(label.zValue() > z_points for label in labels)
    assert all(label.zValue() < crosses.zValue() for label in labels)


def test_1d_weight_labels_keep_clear_of_the_symbol_legend(qtbot):
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1.0, size=(300, 1))
    view = shown(PlotView1D(), qtbot)
    # a Gaussian high and left, where the symbol legend is
    mix = Mixture([0.9, 0.1], [[x.min() + 0.3], [1.0]], [[[0.05]], [[1.0]]])
    view.set_snapshot(Snapshot(X=x, mixture=mix), animate=False)
    view.set_point_symbols(np.arange(300) % 2, ("F", "M"), "sex")
    view.set_snapshot(Snapshot(X=x, mixture=Mixture([0.85, 0.15], mix.means, mix.covariances)),
                      animate=False)
    view.grab()
    legend = view._symbol_legend
    assert legend is not None and legend.isVisible()
    r = legend.sceneBoundingRect()
    box = np.array([[r.left(), r.top(), r.right(), r.bottom()]])
    assert rects_overlap(label_rects(view.view_box, view.weight_labels()), box).max() == 0.0


# ------------------------------------------------------- 7. presentation: status line, loglik
def plain(text: str) -> str:
    """What a label or tooltip with rich text reads as."""
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def needed_width(label: QLabel) -> int:
    """The width a plain label needs to show ``label``'s text whole in its font."""
    probe = QLabel()
    probe.setFont(label.font())
    probe.setTextFormat(label.textFormat())
    probe.setText(label.text())
    return probe.sizeHint().width()


def test_presentation_mode_keeps_the_status_line_and_the_loglik_notes_whole(shown_window):
    window = shown_window("faithful")
    panel = window.loglik_panel
    normal_title_pt = float(panel.getPlotItem().titleLabel.opts["size"].removesuffix("pt"))
    window.view_options.presentation.set_active(True)
    total = sum(window.splitter.sizes())  # the side as narrow as `gmm-gui --presentation` has it
    window.splitter.setSizes([round(0.73 * total), total - round(0.73 * total)])
    for _ in range(2):
        window.actions_by_name["next_iteration"].trigger()
    # painted until laid out for good: a paint widens the axes to their large tick labels,
    # which narrows the title's room and the plot (the notes' transforms follow when painted)
    boxes = []
    while len(boxes) < 2 or boxes[-1] != boxes[-2]:
        assert len(boxes) < 10
        QApplication.processEvents()
        window.grab()
        boxes.append(panel.getViewBox().sceneBoundingRect())
    status = window.status_panel
    snap = window.session.snapshot
    whole = f"Iteration {snap.iteration} · M-step: {phase_text(snap)}"
    label = status.step_label
    shown_text = plain(label.text())
    if shown_text != whole:  # shortened: at a word, with "…", the whole in the tooltip
        assert shown_text.endswith("…") and whole.startswith(shown_text[:-1])
        assert not whole[len(shown_text) - 1].isalnum(), shown_text
        assert whole in plain(label.toolTip())
    for label in (status.step_label, status.ll_label, status.converged_label, status.data_label):
        assert needed_width(label) <= label.width(), (label.objectName(), label.text())
    # the title grows with the rest, and it does not hold the plot wider than the panel
    title = panel.getPlotItem().titleLabel
    assert float(title.opts["size"].removesuffix("pt")) > normal_title_pt
    box = panel.getViewBox().sceneBoundingRect()
    assert box.right() <= panel.viewport().width()
    assert title.sceneBoundingRect().right() <= panel.viewport().width()
    assert title.item.sceneBoundingRect().height() <= title.sceneBoundingRect().height() + 0.5
    note = panel.start_note
    assert note.isVisible() and "far below" in note.toPlainText()
    assert box.contains(note.sceneBoundingRect()), (box, note.sceneBoundingRect())
    window.view_options.presentation.set_active(False)
    assert float(title.opts["size"].removesuffix("pt")) == normal_title_pt


LONG_WARNING = (
    "component 1 has collapsed onto a single point: its variance has hit the floor set by "
    "reg_covar; remove it or raise reg_covar (<b>x</b> is plain text)."
)


@pytest.mark.parametrize("presentation", [False, True])
def test_a_long_warning_is_shortened_at_a_word_and_whole_in_the_tooltip(
    shown_window, presentation
):
    window = shown_window("faithful")
    window.view_options.presentation.set_active(presentation)
    window.actions_by_name["next_iteration"].trigger()
    status = window.status_panel
    snap = dataclasses.replace(
        window.session.snapshot, warnings=(LONG_WARNING, "component 2 is a copy of 1.")
    )
    status.set_snapshot(snap, None)
    QApplication.processEvents()
    window.grab()
    label = status.warning_label
    whole = f"⚠ {LONG_WARNING} (+1 more)"
    shown_text = label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert shown_text.endswith("…") and whole.startswith(shown_text[:-1]), shown_text
    assert not whole[len(shown_text) - 1].isalnum(), shown_text  # cut between words
    assert len(shown_text.split()) >= 4, shown_text  # and it still says something
    assert needed_width(label) <= label.width()
    tip = plain(label.toolTip())
    assert LONG_WARNING in tip and "component 2 is a copy of 1." in tip
    # no warning: nothing shown, the tooltip says what the place is for
    status.set_snapshot(window.session.snapshot, None)
    assert label.text() == "" and "Warnings" in plain(label.toolTip())


def test_range_showing_widens_to_a_start_off_the_data_but_not_to_one_far_away():
    from gmm_gui.ui.views.axes import range_showing

    # bad-start: both means left of the data, the axis reaches one sd beyond them
    assert range_showing((54.6, 81.4), np.array([50.0, 52.0]), np.array([3.0, 3.0])) == (
        47.0,
        81.4,
    )
    # every mean inside: unchanged
    assert range_showing((0.0, 1.0), np.array([0.2, 0.8]), np.array([5.0, 5.0])) == (0.0, 1.0)
    # so far away that the data would be a sliver: unchanged
    assert range_showing((-9.5, 9.5), np.array([-100.0, 100.0]), np.array([40.0, 40.0])) == (
        -9.5,
        9.5,
    )
