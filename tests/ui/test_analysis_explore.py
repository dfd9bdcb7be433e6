"""Analyse menu, explore tools: sampling, k-means beside EM, known labels, uncertainty, density."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score
from window_helpers import show_window

from gmm_gui.model import kmeans, sample
from gmm_gui.ui.analysis.explore import DENSITY_GRID, align_to_components
from gmm_gui.ui.analysis.kmeans_beside import KMeansDock
from gmm_gui.ui.colors import blend, component_colors, uncertainty_argb32, unpack_argb32
from gmm_gui.ui.main_window import MainWindow
from gmm_gui.ui.views import PlotView1D, PlotView2D


def make_window(qtbot, sample_key: str) -> MainWindow:
    return show_window(qtbot, sample_key, (1200, 800))


def converge(qtbot, w: MainWindow) -> None:
    w.session.run_to_convergence()
    qtbot.waitUntil(lambda: w.session.snapshot.converged and not w.session.busy, timeout=20_000)


@pytest.fixture
def faithful(qtbot):
    w = make_window(qtbot, "faithful")
    converge(qtbot, w)
    yield w
    w.close()


@pytest.fixture
def iris(qtbot):
    w = make_window(qtbot, "iris")
    converge(qtbot, w)
    yield w
    w.close()


def menu_texts(w: MainWindow) -> list[str]:
    return [a.text() for a in w.analysis_menu.actions()]


def test_menu_has_the_explore_tools(faithful):
    texts = menu_texts(faithful)
    for text in (
        "Choose K…",
        "Sample from the model…",
        "Hide samples",
        "Export samples as CSV…",
        "Show k-means (hard) assignment",
        "Show known labels",
        "Show uncertainty",
        "Show density",
    ):
        assert text in texts
    tools = faithful.analysis_tools["explore"]
    assert not tools.hide_samples_action.isEnabled()
    assert not tools.labels_menu.isEnabled()  # faithful has no label column


def test_sampling_shows_hides_and_exports(faithful, monkeypatch, tmp_path):
    w = faithful
    tools = w.analysis_tools["explore"]
    asked = []

    def get_int(parent, title, label, value, *args, **kwargs):
        asked.append(value)
        return 300, True

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    tools.sample_action.trigger()
    assert asked == [len(w.session.snapshot.X)]  # default: as many points as the data
    x, y = w.view._overlay.getData()
    assert len(x) == 300
    np.testing.assert_array_equal(np.column_stack([x, y]), tools.samples)
    assert "300 points drawn" in w.view.caption()

    drawn = tools.draw_samples(50, seed=7)
    expected, labels = sample(w.session.snapshot.mixture, 50, seed=7)
    np.testing.assert_array_equal(drawn, expected)

    target = tmp_path / "samples.csv"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    assert tools.export_samples_action.isEnabled()
    tools.export_samples_action.trigger()
    lines = target.read_text().splitlines()
    assert lines[0] == "eruptions,waiting,component"
    table = np.loadtxt(target, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(table[:, :2], expected)
    np.testing.assert_array_equal(table[:, 2], labels + 1)
    assert not list(tmp_path.glob(".*.tmp"))

    tools.hide_samples_action.trigger()
    x, _ = w.view._overlay.getData()
    assert len(x) == 0
    assert tools.samples is None and not tools.export_samples_action.isEnabled()


def test_sampling_in_1d_uses_the_strip(qtbot, monkeypatch):
    w = make_window(qtbot, "galaxies")
    assert isinstance(w.view, PlotView1D)
    tools = w.analysis_tools["explore"]
    tools.draw_samples(40, seed=1)
    x, y = w.view._overlay.getData()
    np.testing.assert_array_equal(x, tools.samples[:, 0])
    assert np.all((y > 0) & (y < 1))
    # and their histogram, on the data's bins, as a density over all the samples
    edges, dens = w.view.overlay_histogram()
    counts, _ = np.histogram(tools.samples[:, 0], bins=edges)
    np.testing.assert_allclose(dens, counts / 40 / np.diff(edges))
    tools.hide_samples()
    assert w.view.overlay_histogram() is None
    assert not tools.density_action.isEnabled()  # the 1-D density curve is drawn already
    w.close()


def kmeans_dock(w: MainWindow) -> KMeansDock:
    dock = w.findChild(KMeansDock, "kmeans_dock")
    assert dock is not None
    return dock


def test_kmeans_sits_beside_em_and_off_hides_it(faithful):
    # Issue #11: k-means' hard assignment is shown beside EM's colours, not instead of them.
    w = faithful
    snap = w.session.snapshot
    k = snap.mixture.n_components
    palette = component_colors(k)
    em_colors = blend(snap.resp, palette)
    np.testing.assert_array_equal(w.view.point_colors(), em_colors)
    tools = w.analysis_tools["explore"]
    tools.kmeans_action.setChecked(True)
    # EM's colours stay on the main plot, untouched
    np.testing.assert_array_equal(w.view.point_colors(), em_colors)
    assert w.view.color_override() is None
    # k-means' hard assignment is in the panel beside it: every point one component colour,
    # each cluster renamed to the EM component it overlaps most
    dock = kmeans_dock(w)
    assert dock.isVisible()
    result = kmeans(np.asarray(snap.X), k, seed=0)
    em = snap.resp.argmax(axis=1)
    aligned = align_to_components(em, result.labels, k)
    np.testing.assert_array_equal(dock.drawn_points(), np.arange(len(snap.X)))
    np.testing.assert_array_equal(dock.point_colors(), palette[aligned])
    assert len(np.unique(dock.point_colors(), axis=0)) == k
    # the points where k-means and EM disagree are ringed
    np.testing.assert_array_equal(dock.ringed_points(), np.flatnonzero(aligned != em))
    # the renaming is the best one-to-one renaming (check all of them: k! is small)
    from itertools import permutations

    best = max(np.mean(np.array(p)[result.labels] == em) for p in permutations(range(k)))
    assert tools.agreement == pytest.approx(best)
    assert f"{best:.1%}" in w.view.caption() and f"{best:.1%}" in dock.text.text()
    # the centres as stars, on the main plot and in the panel (centre c: cluster named c)
    stars = w.view.marker_points()
    np.testing.assert_allclose(np.sort(stars, axis=0), np.sort(np.asarray(result.centers), axis=0))
    for c in range(k):
        np.testing.assert_allclose(dock.centers()[c], snap.X[aligned == c].mean(axis=0),
                                   rtol=1e-9)

    tools.kmeans_action.setChecked(False)
    np.testing.assert_array_equal(w.view.point_colors(), em_colors)
    assert len(w.view.marker_points()) == 0 and not dock.isVisible()


def test_closing_the_kmeans_panel_turns_it_off(faithful):
    w = faithful
    tools = w.analysis_tools["explore"]
    tools.kmeans_action.setChecked(True)
    kmeans_dock(w).close()
    assert not tools.kmeans_action.isChecked()
    assert "k-means" not in w.view.caption() and len(w.view.marker_points()) == 0


def test_kmeans_follows_a_step_back_in_history(faithful, qtbot):
    w = faithful
    tools = w.analysis_tools["explore"]
    tools.kmeans_action.setChecked(True)
    w.session.go_to(1)  # the first E-step: other responsibilities, same k-means
    qtbot.waitUntil(lambda: w.session.snapshot.phase == "E")
    snap = w.session.snapshot
    k = snap.mixture.n_components
    result = kmeans(np.asarray(snap.X), k, seed=0)
    aligned = align_to_components(snap.resp.argmax(axis=1), result.labels, k)
    np.testing.assert_array_equal(kmeans_dock(w).point_colors(), component_colors(k)[aligned])
    np.testing.assert_array_equal(w.view.point_colors(), blend(snap.resp, component_colors(k)))


def test_uncertainty_colours_and_kmeans_beside_them(faithful):
    # k-means no longer recolours the points (it sits beside, issue #11), so both can be on
    w = faithful
    tools = w.analysis_tools["explore"]
    tools.kmeans_action.setChecked(True)
    tools.uncertainty_action.setChecked(True)
    assert tools.kmeans_action.isChecked() and kmeans_dock(w).isVisible()
    resp = np.asarray(w.session.snapshot.resp)
    u = 1.0 - resp.max(axis=1)
    expected = unpack_argb32(uncertainty_argb32(u, resp.shape[1]))[:, :3]
    np.testing.assert_array_equal(w.view.point_colors(), expected)
    # sure points pale, the most shared point a deep green: the scale's own hue, not the red
    # or orange of a component (issue #13)
    most = int(np.argmax(u))
    r, g, b = (int(c) for c in w.view.point_colors()[most])
    assert g > r + 30 and g > b + 10
    assert "uncertainty" in w.view.caption()
    tools.uncertainty_action.setChecked(False)
    np.testing.assert_array_equal(
        w.view.point_colors(), blend(resp, component_colors(resp.shape[1]))
    )


def test_density_heat_map_is_the_mixture_density_over_the_view(faithful, qtbot):
    w = faithful
    view = w.view
    assert isinstance(view, PlotView2D)
    w.analysis_tools["explore"].density_action.setChecked(True)
    xs, ys, dens = view.density_map()
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    assert len(xs) == len(ys) == DENSITY_GRID
    assert xs[0] == pytest.approx(x0) and xs[-1] == pytest.approx(x1)
    assert ys[0] == pytest.approx(y0) and ys[-1] == pytest.approx(y1)
    mix = w.session.snapshot.mixture
    gx, gy = np.meshgrid(xs, ys)
    grid = np.dstack([gx, gy])
    expected = sum(
        wk * multivariate_normal(m, c).pdf(grid)
        for wk, m, c in zip(mix.weights, mix.means, mix.covariances, strict=True)
    )
    np.testing.assert_allclose(dens, expected, rtol=1e-9, atol=1e-300)
    cx, _ = view.contour_item.getData()
    assert cx is not None and np.isfinite(cx).sum() > 20

    # zooming recomputes it over the new range
    view.view_box.setRange(xRange=(2.0, 4.0), yRange=(60.0, 80.0), padding=0)
    qtbot.waitUntil(lambda: view.density_map()[0][0] == pytest.approx(2.0), timeout=3000)
    w.analysis_tools["explore"].density_action.setChecked(False)
    assert view.density_map() is None


def test_known_labels_shapes_legend_and_ari(iris):
    w = iris
    tools = w.analysis_tools["explore"]
    assert tools.labels_menu.isEnabled()
    names = [a.text() for a in tools.labels_menu.actions()]
    assert names == ["None", "Species"]
    next(a for a in tools.labels_menu.actions() if a.text() == "Species").trigger()
    species = np.asarray(w.dataset.labels["Species"])
    resp = np.asarray(w.session.snapshot.resp)
    # issue #11: the ARI of the mixture shown (its own E-step after an M-step), as exported
    fitted = w.session.stepper.responsibilities(w.session.snapshot)
    ari = adjusted_rand_score(species, fitted.argmax(axis=1))
    assert tools.ari == pytest.approx(ari, abs=1e-12)
    assert f"ARI = {ari:.2f} (Species vs clusters)" in w.view.caption()
    codes = w.view.points_item.symbol_codes
    values = np.unique(species)
    np.testing.assert_array_equal(values[codes], species)
    legend = w.view.symbol_legend()
    assert [label.text for _, label in legend.items] == [
        "<b>Species</b>",
        "setosa",
        "versicolor",
        "virginica",
    ]
    # colours stay the fit's blend
    np.testing.assert_array_equal(w.view.point_colors(), blend(resp, component_colors(3)))

    next(a for a in tools.labels_menu.actions() if a.text() == "None").trigger()
    assert w.view.points_item.symbol_codes is None
    assert w.view.symbol_legend() is None
    assert "ARI" not in w.view.caption()


def test_known_labels_in_1d_and_new_data_resets(qtbot):
    w = make_window(qtbot, "davis")
    converge(qtbot, w)
    tools = w.analysis_tools["explore"]
    tools.show_labels("sex")
    sex = np.asarray(w.dataset.labels["sex"])
    resp = w.session.stepper.responsibilities(w.session.snapshot)  # of the mixture shown
    assert tools.ari == pytest.approx(adjusted_rand_score(sex, resp.argmax(axis=1)), abs=1e-12)
    assert w.view.points_item.symbol_codes is not None
    assert w.open_sample("faithful")
    assert tools.label_column is None
    assert w.view.points_item.symbol_codes is None
    assert not tools.labels_menu.isEnabled()
    w.close()


def test_one_d_uncertainty(qtbot):
    w = make_window(qtbot, "galaxies")
    converge(qtbot, w)
    w.analysis_tools["explore"].uncertainty_action.setChecked(True)
    resp = np.asarray(w.session.snapshot.resp)
    expected = unpack_argb32(uncertainty_argb32(1 - resp.max(axis=1), resp.shape[1]))[:, :3]
    np.testing.assert_array_equal(w.view.point_colors(), expected)
    w.close()


def test_kmeans_of_many_points_runs_in_the_background(faithful, qtbot, monkeypatch):
    import gmm_gui.ui.analysis.kmeans_beside as explore_module

    monkeypatch.setattr(explore_module, "KMEANS_INLINE_MAX", 10)
    w = faithful
    tools = w.analysis_tools["explore"]
    tools.kmeans_action.setChecked(True)
    assert "running" in w.view.caption() and "running" in kmeans_dock(w).text.text()
    assert w.view.color_override() is None
    with qtbot.waitSignal(tools.kmeans_finished, timeout=10_000):
        pass
    snap = w.session.snapshot
    k = snap.mixture.n_components
    result = kmeans(np.asarray(snap.X), k, seed=0)
    aligned = align_to_components(snap.resp.argmax(axis=1), result.labels, k)
    np.testing.assert_array_equal(kmeans_dock(w).point_colors(), component_colors(k)[aligned])
    np.testing.assert_array_equal(w.view.point_colors(), blend(snap.resp, component_colors(k)))
    assert "running" not in w.view.caption()


@pytest.mark.parametrize("inline", [True, False])
@pytest.mark.parametrize(
    "rows",
    [
        "1,2\n2,1\n3,5\n8,8\n9,7\n",  # 5 points, K = 6
        "1,2\n2,1\n3,5\n8,8\n9,7\n1,2\n8,8\n",  # 7 points, only 5 distinct, K = 6
    ],
)
def test_kmeans_with_more_gaussians_than_distinct_points_says_so(
    qtbot, tmp_path, monkeypatch, rows, inline
):
    import gmm_gui.ui.analysis.kmeans_beside as explore_module

    if not inline:
        monkeypatch.setattr(explore_module, "KMEANS_INLINE_MAX", 1)
    path = tmp_path / "five.csv"
    path.write_text("x,y\n" + rows)
    w = MainWindow()
    qtbot.addWidget(w)
    w.set_animation_ms(0)
    w.show()
    qtbot.waitExposed(w)
    w.k_spin.setValue(2)
    assert w.open_file(str(path))
    for p in ([1, 1], [5, 5], [8, 2], [2, 8]):  # clicked in: K = 6, more than the 5 points
        w.session.add_component(np.array(p, float))
    assert w.session.stepper.start.n_components == 6
    tools = w.analysis_tools["explore"]
    tools.draw_samples(10, seed=1)
    tools.kmeans_action.setChecked(True)
    qtbot.waitUntil(lambda: not tools.kmeans_running, timeout=10_000)
    problem = "k-means needs at least K = 6 distinct points, and the data have only 5"
    caption = w.view.caption()
    assert problem in caption and "10 points drawn from the model" in caption
    assert problem in kmeans_dock(w).text.text() and len(kmeans_dock(w).point_colors()) == 0
    assert w.view.color_override() is None and len(w.view.marker_points()) == 0
    for _ in range(2):  # the next snapshots: said again, nothing raised
        with qtbot.waitSignal(w.session.snapshot_changed, timeout=10_000):
            w.session.step()
    assert problem in w.view.caption() and "10 points drawn" in w.view.caption()
    tools.kmeans_action.setChecked(False)
    assert "k-means" not in w.view.caption()
    w.close()


def test_export_samples_to_a_name_that_cannot_be_a_file_says_so(faithful, monkeypatch, tmp_path):
    w = faithful
    tools = w.analysis_tools["explore"]
    tools.draw_samples(20, seed=3)
    bad = str(tmp_path / "sam\0ples.csv")  # a NUL byte: ValueError, not OSError, from open()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (bad, "")))
    boxes = []
    def shown(box):
        boxes.append((box.windowTitle(), box.text()))

    monkeypatch.setattr(QMessageBox, "exec", shown)
    tools.export_samples_action.trigger()
    assert [title for title, _ in boxes] == ["Export samples"]
    assert boxes[0][1].startswith(f"Could not write {bad}: ")
    assert w.last_problem == boxes[0][1]
    assert not list(tmp_path.iterdir())


def test_ari_after_an_m_step_is_that_of_the_mixture_shown(qtbot):
    from gmm_gui.model import e_step

    w = make_window(qtbot, "iris")
    tools = w.analysis_tools["explore"]
    tools.show_labels("Species")
    species = np.asarray(w.dataset.labels["Species"])
    for _ in range(3):
        w.actions_by_name["next_iteration"].trigger()
        assert w.session.wait_idle()
    snap = w.session.snapshot
    tools.refresh()
    assert snap.phase == "M" and snap.iteration == 3
    own, _ = e_step(snap.X, snap.mixture)
    assert tools.ari == pytest.approx(adjusted_rand_score(species, own.argmax(axis=1)), abs=1e-12)
    w.close()
