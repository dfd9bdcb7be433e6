"""The hover carries the lecture's argument: densities, weighted densities, posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from view_helpers import snapshot

from gmm_gui.io import load_dataset
from gmm_gui.model import Mixture, init_mixture
from gmm_gui.model.metrics import point_breakdown
from gmm_gui.ui.views import PlotView1D, PlotView2D
from gmm_gui.ui.views.hover import format_posterior, format_sig


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0123456, "0.0123"),
        (0.5, "0.500"),
        (175.04, "175"),
        (2.3141e-05, "2.31 × 10⁻⁵"),
        (-51674994.6627, "−5.17 × 10⁷"),
        (0.0, "0"),
        (9.9996e-7, "1.00 × 10⁻⁶"),
        (0.00999, "0.00999"),
    ],
)
def test_format_sig_is_legible(value, text):
    assert format_sig(value) == text


def test_format_posterior_shows_how_close_to_zero_or_one():
    assert format_posterior(0.873) == "0.873"
    assert format_posterior(1 - 2e-5) == "1 − 2.00 × 10⁻⁵"
    assert format_posterior(3e-7) == "3.00 × 10⁻⁷"
    assert format_posterior(1.0) == "1"


@pytest.fixture
def view(qtbot, request):
    view = request.param()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    yield view
    view.close()


@pytest.mark.parametrize("view", [PlotView1D], indirect=True)
def test_1d_hover_shows_each_gaussians_density_weight_and_posterior(view, datasets_dir):
    X = load_dataset(datasets_dir / "Davis.csv", ["height"]).values
    mixture = Mixture([0.5, 0.5], [[175.0], [180.0]], [[[25.0]], [[25.0]]])
    view.set_axis_labels(["height"])
    view.set_snapshot(snapshot(X, mixture, phase="E"))
    i = int(np.argmin(X[:, 0]))  # the far-left point of the lecture
    text = view.tooltip_text(i)
    parts = point_breakdown(X[i], mixture)
    for k in range(2):
        assert format_sig(parts.density[k]) in text
        assert format_sig(parts.weighted[k]) in text
        assert format_posterior(parts.posterior[k]) in text
    assert f"p(x) = Σ<sub>k</sub> π<sub>k</sub> N = {format_sig(parts.mixture_density)}" in text
    assert "σ<sub>k</sub><sup>2</sup>" in text  # 1-D: a variance, not a matrix
    assert "next E-step" not in text  # the colours come from these Gaussians
    assert "e+" not in text and "e-" not in text  # no 1e-05 style numbers


@pytest.mark.parametrize("view", [PlotView2D], indirect=True)
def test_2d_hover_shows_the_breakdown_and_says_when_it_is_ahead_of_the_colours(view, datasets_dir):
    X = load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values
    mixture = init_mixture(X, 3, "kmeans", seed=0)
    view.set_snapshot(snapshot(X, mixture, resp=None, phase="start"))
    i = 17
    text = view.tooltip_text(i)
    parts = point_breakdown(X[i], mixture)
    assert len(parts.density) == 3
    for k in range(3):
        assert f"k = {k + 1}" in text
        assert format_sig(parts.density[k]) in text
        assert format_sig(parts.weighted[k]) in text
        assert format_posterior(parts.posterior[k]) in text
    assert "Σ<sub>k</sub>)" in text
    assert format_sig(parts.mixture_density) in text
    assert "next E-step" in text  # no E-step yet: the posterior is what it will give


@pytest.mark.parametrize("view", [PlotView2D], indirect=True)
def test_no_gaussians_no_breakdown(view, datasets_dir):
    X = load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values
    view.set_snapshot(snapshot(X, None, resp=None, phase="start"))
    text = view.tooltip_text(0)
    assert "point 1" in text and "p(x)" not in text


def test_the_tooltip_on_screen_carries_the_breakdown(qtbot, monkeypatch, datasets_dir):
    import pyqtgraph as pg
    from PySide6.QtWidgets import QToolTip

    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", 0)
    X = load_dataset(datasets_dir / "faithful.csv", ["eruptions", "waiting"]).values
    mixture = init_mixture(X, 2, "kmeans", seed=0)
    view = PlotView2D()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(720, 540)
    view.show()
    qtbot.waitExposed(view)
    view.set_snapshot(snapshot(X, mixture, phase="E"))
    i = int(np.argmax(X[:, 0]))
    parts = point_breakdown(X[i], mixture)
    qtbot.mouseMove(view.viewport(), view.data_to_viewport(X[i]))
    qtbot.waitUntil(lambda: "p(x)" in QToolTip.text())
    assert format_sig(parts.weighted[0]) in QToolTip.text()
    view.close()
