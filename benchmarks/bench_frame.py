"""Time one EM half-step plus recolour plus render of the 2-D view (issues 4 and 6).

Offscreen, d = 2, K = 5, a 960 x 720 view. Every frame is timed from the engine call to a
finished paint (``widget.grab()`` renders the whole view synchronously). Cases, each at
n = 1e4, 1e5 and 1e6 points:

* ``half_step_render``: E, M, E, M, ... as the Step buttons and Play do (the issue's figure): an
  E-step recolours every point, an M-step moves the ellipses (the colours are unchanged, so
  the cached point raster is reused);
* ``e_step_render``: E-steps only, with a new mixture each time (every frame recolours and
  re-rasterises every point: the worst case);
* ``m_step_render``: M-steps only;
* ``drag_preview``: a component's mean moved a little, E-step, recolour and render (what every
  mouse move of a drag costs);
* ``anim_frame``: one frame of a transition (parameters interpolated, colours re-blended in OKLab
  up to 100,000 points, cross-faded above) plus render;
* ``zoom_render``: the view range changed (the points are re-rasterised) plus render.

Targets: half_step_render median <= 16 ms at 1e4, <= 33 ms at 1e5, <= 150 ms at 1e6. The
machine's other load shows directly in these wall-clock figures: run it on an idle machine.

Prints a table, or with --json one JSON object per line:
{"case": "half_step_render", "n": 10000, "k": 5, "median_ms": 12.3}
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gmm_gui.controller.snapshot import Snapshot  # noqa: E402
from gmm_gui.model import Mixture, e_step, m_step  # noqa: E402
from gmm_gui.ui.views import PlotView2D  # noqa: E402

K = 5


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, Mixture]:
    """n points from 5 overlapping 2-D Gaussians, and a start mixture some way off."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.5, 4.0], [5.0, 5.0], [-2.0, 3.5]])
    labels = rng.integers(0, K, size=n)
    A = rng.normal(size=(K, 2, 2)) * 0.6
    X = centres[labels] + np.einsum("nij,nj->ni", A[labels], rng.normal(size=(n, 2)))
    start = Mixture(
        np.full(K, 1.0 / K),
        centres + rng.normal(scale=0.8, size=(K, 2)),
        np.repeat(np.eye(2)[None] * 1.5, K, axis=0),
    )
    return X, start


def timed(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def bench_size(app: QApplication, n: int, repeats: int) -> dict[str, float]:
    X, mixture = make_data(n)
    view = PlotView2D()
    view.set_axis_labels(["x", "y"])
    view.set_animation_ms(0)
    view.resize(960, 720)
    view.show()
    app.processEvents()
    resp, _ = e_step(X, mixture)
    view.set_snapshot(Snapshot(X=X, mixture=mixture, resp=resp, phase="E"), animate=False)
    view.grab()
    app.processEvents()

    state = {"mixture": mixture, "resp": resp, "phase": "E"}

    def half_step() -> None:
        if state["phase"] == "E":
            mix = m_step(X, state["resp"])
            snap = Snapshot(X=X, mixture=mix, resp=state["resp"], phase="M", editable=False)
            state.update(mixture=mix, phase="M")
        else:
            r, _ = e_step(X, state["mixture"])
            snap = Snapshot(X=X, mixture=state["mixture"], resp=r, phase="E", editable=False)
            state.update(resp=r, phase="E")
        view.set_snapshot(snap, animate=False)
        view.grab()

    def e_only() -> None:
        # a slightly different mixture every time, so every frame recolours every point
        mix = Mixture(
            state["mixture"].weights,
            state["mixture"].means + 0.01,
            state["mixture"].covariances,
        )
        r, _ = e_step(X, mix)
        state.update(mixture=mix, resp=r)
        view.set_snapshot(Snapshot(X=X, mixture=mix, resp=r, phase="E"), animate=False)
        view.grab()

    def m_only() -> None:
        mix = m_step(X, state["resp"])
        view.set_snapshot(Snapshot(X=X, mixture=mix, resp=state["resp"], phase="M"), animate=False)
        view.grab()

    drag_state = {"dx": 0.0}

    def drag_preview() -> None:
        drag_state["dx"] += 0.02
        base = state["mixture"]
        means = np.array(base.means)
        means[0] += drag_state["dx"]
        mix = Mixture(base.weights, means, base.covariances)
        r, _ = e_step(X, mix)
        view.set_snapshot(Snapshot(X=X, mixture=mix, resp=r, phase="start"), animate=False)
        view.grab()

    figures = {
        "half_step_render": timed(half_step, repeats),
        "e_step_render": timed(e_only, repeats),
        "m_step_render": timed(m_only, repeats),
        "drag_preview": timed(drag_preview, repeats),
    }

    # one animation frame: a transition from the current state to a new E-step
    mix_a = state["mixture"]
    mix_b = m_step(X, state["resp"])
    r_b, _ = e_step(X, mix_b)
    view.set_animation_ms(60_000)  # long: frames are driven by hand below
    view.set_snapshot(Snapshot(X=X, mixture=mix_b, resp=r_b, phase="E"), animate=True)
    s = {"t": 0.0}

    def anim_frame() -> None:
        s["t"] = (s["t"] + 0.07) % 1.0
        view._apply_frame(s["t"])  # what each tick of the animation timer does
        view.grab()

    figures["anim_frame"] = timed(anim_frame, repeats)
    view.finish_animation()
    del mix_a

    vb = view.view_box
    (x0, x1), (y0, y1) = vb.viewRange()
    z = {"i": 0}

    def zoom() -> None:
        z["i"] += 1
        f = 0.9 if z["i"] % 2 else 1 / 0.9
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        (a0, a1), (b0, b1) = vb.viewRange()
        vb.setRange(
            xRange=(cx + (a0 - cx) * f, cx + (a1 - cx) * f),
            yRange=(cy + (b0 - cy) * f, cy + (b1 - cy) * f),
            padding=0,
        )
        view.grab()

    figures["zoom_render"] = timed(zoom, repeats)
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if not args.json:
        print(f"{'case':<18} {'n':>9} {'k':>3} {'median_ms':>10}")
    for n in (int(v) for v in args.sizes.split(",")):
        repeats = 25 if n <= 10_000 else 15 if n <= 100_000 else 9
        for case, ms in bench_size(app, n, repeats).items():
            if args.json:
                print(json.dumps({"case": case, "n": n, "k": K, "median_ms": round(ms, 2)}))
            else:
                print(f"{case:<18} {n:>9} {K:>3} {ms:>10.1f}", flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: PySide6 6.12 can crash there, after the figures


if __name__ == "__main__":
    main()
