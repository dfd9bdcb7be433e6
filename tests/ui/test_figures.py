"""Small multiples in the manner of Bishop's PRML figure 9.8: six panels of one EM run."""

from __future__ import annotations

import re
import xml.dom.minidom

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gmm_gui.ui.app import build_parser, build_window, main
from gmm_gui.ui.figures import (
    PANEL_SIZE,
    PANEL_TITLE_HEIGHT,
    PNG_SCALE,
    Cancelled,
    small_multiples,
)
from gmm_gui.ui.views import PlotView2D


@pytest.fixture
def window(qtbot):
    # a start with both means in the upper cluster: EM takes 15 iterations to sort it out
    args = build_parser().parse_args(["--start-method", "random_from_data", "--seed", "4"])
    window = build_window(args)
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    yield window
    window.close()


def panels_of(image: QImage) -> list[np.ndarray]:
    """The six plot panels of a figure (without their titles), as RGB arrays."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(h, rgb.bytesPerLine())
    pixels = pixels[:, : 3 * w].reshape(h, w, 3)
    pw, ph = round(PANEL_SIZE.width() * PNG_SCALE), round(PANEL_SIZE.height() * PNG_SCALE)
    t = round(PANEL_TITLE_HEIGHT * PNG_SCALE)
    out = []
    for row in range(2):
        for col in range(3):
            y = row * (ph + t)
            out.append(
                (
                    pixels[y : y + t, col * pw : (col + 1) * pw],
                    pixels[y + t : y + t + ph, col * pw : (col + 1) * pw],
                )
            )
    return out


def test_png_is_a_3_by_2_grid_of_titled_non_blank_panels(window, tmp_path):
    out = tmp_path / "em.png"
    states = small_multiples(window, out)
    image = QImage(str(out))
    assert image.width() == round(3 * PANEL_SIZE.width() * PNG_SCALE)
    assert image.height() == round(2 * (PANEL_SIZE.height() + PANEL_TITLE_HEIGHT) * PNG_SCALE)
    panels = panels_of(image)
    for title, plot in panels:
        assert np.mean(np.any(plot < 200, axis=2)) > 0.02  # points, curves, axes drawn
        assert np.any(title < 100)  # a title written
    # the six states of PRML 9.8: start, E1, M1, and after 2, 5 and 20 (here: converged) iterations
    assert [(s.phase, s.iteration) for s in states[:5]] == [
        ("start", 0),
        ("E", 0),
        ("M", 1),
        ("M", 2),
        ("M", 5),
    ]
    assert states[5].phase == "M" and states[5].converged and 5 < states[5].iteration <= 20
    # each panel shows its own state: no two plots are alike
    plots = [plot for _, plot in panels]
    for i in range(6):
        for j in range(i + 1, 6):
            assert np.mean(np.any(plots[i] != plots[j], axis=2)) > 0.001, (i, j)
    assert [p.name for p in tmp_path.iterdir()] == ["em.png"]  # written atomically
    # the figure leaves the window's run as it was
    assert window.session.stepper.index == 0


def test_svg_has_six_panels_with_their_titles_and_unique_ids(window, tmp_path):
    out = tmp_path / "em.svg"
    small_multiples(window, out)
    doc = xml.dom.minidom.parse(str(out))
    root = doc.documentElement
    assert root.tagName == "svg"
    assert float(root.getAttribute("width")) == 3 * PANEL_SIZE.width()
    groups = [g for g in root.childNodes if getattr(g, "tagName", "") == "g"]
    assert len(groups) == 6
    assert [g.getAttribute("transform").split(" ")[0] for g in groups] == [
        f"translate({(i % 3) * PANEL_SIZE.width()},"
        f"{(i // 3) * (PANEL_SIZE.height() + PANEL_TITLE_HEIGHT) + PANEL_TITLE_HEIGHT})"
        for i in range(6)
    ]
    texts = [t.firstChild.data for t in root.childNodes if getattr(t, "tagName", "") == "text"]
    assert texts[0].startswith("(a) start") and texts[2].startswith("(b) E-step")
    assert texts[4] == "(c) after L = 1 EM iteration"
    assert texts[6] == "(d) after L = 2 EM iterations"
    assert texts[8] == "(e) after L = 5 EM iterations"
    assert re.fullmatch(r"\(f\) converged after L = \d+ EM iterations", texts[10]), texts[10]
    assert all("log-likelihood per point" in t for t in texts[1::2])
    ids = [e.getAttribute("id") for e in doc.getElementsByTagName("*") if e.hasAttribute("id")]
    assert ids and len(ids) == len(set(ids))
    for e in doc.getElementsByTagName("*"):
        ref = e.getAttribute("clip-path")
        if ref:
            assert ref[len("url(#") : -1] in ids
    for g in groups:  # each panel draws its own points and curves
        assert len(g.getElementsByTagName("path")) + len(g.getElementsByTagName("image")) > 5


def svg_titles(path) -> list[str]:
    """The panels' titles of a small-multiples SVG (the bold line above each panel)."""
    root = xml.dom.minidom.parse(str(path)).documentElement
    texts = [t for t in root.childNodes if getattr(t, "tagName", "") == "text"]
    return [t.firstChild.data for t in texts if t.getAttribute("font-weight") == "bold"]


@pytest.mark.parametrize("tol", [None, "0.01"])
def test_a_run_that_converges_early_titles_its_last_panels_so(qtbot, tmp_path, tol):
    # Old Faithful's own start converges after 5 iterations; at tol 0.01, after fewer
    window = build_window(build_parser().parse_args([] if tol is None else ["--tol", tol]))
    qtbot.addWidget(window)
    states = small_multiples(window, tmp_path / "f.svg")
    titles = svg_titles(tmp_path / "f.svg")
    window.close()
    last = states[-1]
    assert last.converged and last.iteration <= 5
    assert len(titles) == 6
    # (f) says it is the converged state, after the iterations it took (not "after 20")
    assert titles[5].endswith(f"converged after L = {last.iteration} EM iterations")
    assert "20" not in titles[5]
    for title, snap in zip(titles[2:], states[2:], strict=True):
        # every M-step panel's L is the iterations of the state it shows
        (shown,) = re.findall(r"L = (\d+)", title)
        assert int(shown) == snap.iteration, title
    # a panel showing the same state as an earlier one says so, and claims the same count
    for i in range(1, 6):
        earlier = [j for j in range(i) if states[j] is states[i]]
        if earlier:
            letter = "abcdef"[earlier[0]]
            assert titles[i].startswith(f"({'abcdef'[i]}) as ({letter}): "), titles[i]
            assert titles[i].split(": ", 1)[1] == titles[earlier[0]].split(") ", 1)[1]
        else:
            assert " as (" not in titles[i]
    assert states[4] is states[5]  # (e) and (f): the same picture, here


def test_from_a_plot_view_alone(qtbot, tmp_path, datasets_dir):
    from view_helpers import snapshot

    from gmm_gui.io import load_dataset
    from gmm_gui.model import init_mixture

    X = load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values
    view = PlotView2D()
    qtbot.addWidget(view)
    view.set_snapshot(snapshot(X, init_mixture(X, 3, "kmeans", seed=0), resp=None, phase="start"))
    states = small_multiples(view, tmp_path / "v.png")
    assert states[0].mixture.n_components == 3
    assert not QImage(str(tmp_path / "v.png")).isNull()
    view.close()


def test_cancel_writes_nothing(window, tmp_path):
    with pytest.raises(Cancelled):
        small_multiples(window, tmp_path / "em.png", should_cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_command_line_writes_png_and_refuses_other_suffixes(qapp, tmp_path, capsys):
    out = tmp_path / "sm.png"
    assert main(["--small-multiples", str(out)]) == 0
    assert QImage(str(out)).width() == round(3 * PANEL_SIZE.width() * PNG_SCALE)
    assert main(["--small-multiples", str(tmp_path / "sm.jpg")]) == 2
    assert "must end in .png or .svg" in capsys.readouterr().err


def test_a_figure_of_a_view_whose_range_changed_is_drawn_as_a_fresh_view_draws_it(qapp):
    """Figures and recordings draw a view never shown on screen: after its y range changes
    (a Gaussian collapsing onto a point raises the density axis) its tick labels must be
    those of the new range, not the cached picture of the old one."""
    from PySide6.QtCore import QSize

    from gmm_gui.controller.snapshot import Snapshot
    from gmm_gui.model import Mixture
    from gmm_gui.ui.figures import offscreen_view, render_view

    x = np.random.default_rng(0).normal(170.0, 9.0, size=(200, 1))
    wide = Mixture([0.5, 0.5], [[165.0], [175.0]], [[[40.0]], [[40.0]]])
    spike = Mixture([0.01, 0.99], [[150.0], [170.0]], [[[1e-4]], [[80.0]]])
    with offscreen_view(1, QSize(480, 320)) as used:
        used.set_snapshot(Snapshot(X=x, mixture=wide), animate=False)
        render_view(used)
        used.set_snapshot(Snapshot(X=x, mixture=spike), animate=False)
        again = render_view(used)
    with offscreen_view(1, QSize(480, 320)) as fresh:
        fresh.set_snapshot(Snapshot(X=x, mixture=spike), animate=False)
        first = render_view(fresh)
    assert again == first
