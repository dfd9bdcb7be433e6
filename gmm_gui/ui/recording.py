"""Record an EM run as an animation (GIF or MP4): one frame per half-step, the glide between.

Frames are drawn by a plot view made for the recording and never shown (see
:mod:`gmm_gui.ui.figures`), so the animation looks as the window does: the start, then E1
(points recoloured), M1 (Gaussians moved), E2, ... Each half-step's frame is held for the
interval of the window's speed; the glide to it (``glide_ms``, the window's animation) adds
frames at 25 per second. Pillow writes a GIF (the optional extra ``gmm-gui[record]``) and
imageio-ffmpeg's own ffmpeg an MP4 (H.264, the extra ``gmm-gui[mp4]``); the file is written
atomically.

The window's menu entry is one line (:mod:`gmm_gui.ui.figure_dialogs` asks for the file and
shows progress with Cancel)::

    menu.addAction("Record run (GIF or MP4)…", lambda: record_run_dialog(window))
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io.atomic import atomic_path
from gmm_gui.ui.figures import (
    Cancelled,
    ProgressCallback,
    draw_symbols,
    figure_state,
    offscreen_view,
    render_view,
    run_states,
    source_of,
    state_caption,
    symbols_of,
)
from gmm_gui.ui.views import PlotViewBase
from gmm_gui.ui.views.transition import DEFAULT_ANIMATION_MS

__all__ = [
    "FFMPEG_MISSING",
    "FRAME_MS",
    "PILLOW_MISSING",
    "RECORD_SIZE",
    "RecordingUnavailable",
    "frame_plan",
    "record_run",
]

#: Duration of one glide frame (25 frames per second).
FRAME_MS = 40
#: Logical size of a recording (width, height).
RECORD_SIZE = QSize(720, 480)
#: What to do when Pillow is missing, in one line.
PILLOW_MISSING = "recording a GIF needs Pillow: pip install 'gmm-gui[record]'"
#: What to do when imageio-ffmpeg is missing, in one line.
FFMPEG_MISSING = "recording an MP4 needs imageio-ffmpeg: pip install 'gmm-gui[mp4]'"
#: Hold of the first and the last frame, so a looping GIF shows where it starts and ends.
_FIRST_HOLD_MS = 1500
_LAST_HOLD_MS = 2500


class RecordingUnavailable(RuntimeError):
    """The library that writes the animation is not installed; the message says what to do."""


def frame_plan(n_states: int, glide_ms: int, hold_ms: int) -> list[tuple[int, float, int]]:
    """Which frames an animation of ``n_states`` states has, and how long each is shown.

    Parameters
    ----------
    n_states : int
        States of the run (the start and each half-step).
    glide_ms : int
        Duration of the glide to each state (0: none).
    hold_ms : int
        How long each state is shown once reached (the first and the last longer).

    Returns
    -------
    list of (state, s, duration_ms)
        The frame shows the glide to state ``state`` at eased progress ``s`` (1.0: the state
        itself); ``duration_ms`` how long it stays.
    """
    glides = max(0, round(glide_ms / FRAME_MS))
    plan: list[tuple[int, float, int]] = []
    for i in range(n_states):
        if i > 0:
            for g in range(1, glides + 1):
                t = g / (glides + 1)
                plan.append((i, t * t * (3.0 - 2.0 * t), FRAME_MS))  # the view's smooth-step
        hold = _FIRST_HOLD_MS if i == 0 else _LAST_HOLD_MS if i == n_states - 1 else hold_ms
        plan.append((i, 1.0, max(FRAME_MS, int(hold))))
    return plan


def _glide(view: PlotViewBase, snap: Snapshot, s: float) -> None:
    """Draw the glide to ``snap`` at eased progress ``s`` (1.0: ``snap`` itself).

    The view's own transition (:mod:`gmm_gui.ui.views.transition`) draws the frames, driven
    here instead of by its timer, so a glide in a recording is the glide in the window.
    """
    if view.snapshot() is not snap:
        if s >= 1.0:
            view.set_snapshot(snap, animate=False)
            return
        view.set_animation_ms(10_000)  # started, then stopped at once: frames are drawn here
        view.set_snapshot(snap, animate=True)
        view._clock.stop()
    if s >= 1.0:
        view._on_frame(1.0)
    else:
        view._apply_frame(float(s))


def _rgb_bytes(image: QImage) -> tuple[int, int, bytes]:
    """Width, height and the rows of ``image`` as packed RGB bytes (no row padding)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    data = bytes(rgb.constBits())
    line = rgb.bytesPerLine()
    if line != 3 * width:
        data = b"".join(data[y * line : y * line + 3 * width] for y in range(height))
    return width, height, data


class _GifSink:
    """Frames collected, then written by Pillow with one palette (see :meth:`finish`)."""

    def __init__(self) -> None:
        try:
            from PIL import Image
        except ImportError:
            raise RecordingUnavailable(PILLOW_MISSING) from None
        self._image = Image
        self._frames: list = []
        self._durations: list[int] = []

    def begin(self, path: Path) -> None:
        pass

    def add(self, image: QImage, duration_ms: int) -> None:
        width, height, data = _rgb_bytes(image)
        self._frames.append(self._image.frombytes("RGB", (width, height), data))
        self._durations.append(int(duration_ms))

    def finish(self, path: Path) -> int:
        """Write the GIF; with one palette for every frame the writer stores each frame as its
        change from the one before (a glide changes a small part of the picture), several
        times smaller than a palette per frame."""
        Image = self._image  # noqa: N806
        frames = self._frames
        picks = frames[:: max(1, len(frames) // 8)][:8] + [frames[-1]]
        width, height = picks[0].size
        montage = Image.new("RGB", (width, height * len(picks)))
        for i, picture in enumerate(picks):
            montage.paste(picture, (0, i * height))
        palette = montage.quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        indexed = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
        indexed[0].save(
            str(path),
            format="GIF",
            save_all=True,
            append_images=indexed[1:],
            duration=self._durations,
            loop=0,
            optimize=False,
            disposal=1,
        )
        return len(indexed)

    def close(self) -> None:
        self._frames = []


class _Mp4Sink:
    """Frames streamed to ffmpeg (imageio-ffmpeg's), H.264 at 25 frames per second.

    A video has one frame rate, so a frame held longer is written several times.
    """

    def __init__(self) -> None:
        try:
            import imageio_ffmpeg
        except ImportError:
            raise RecordingUnavailable(FFMPEG_MISSING) from None
        self._ffmpeg = imageio_ffmpeg
        self._writer = None
        self._path: Path | None = None
        self._count = 0

    def begin(self, path: Path) -> None:
        self._path = path

    def add(self, image: QImage, duration_ms: int) -> None:
        # yuv420p needs even sizes
        width, height = image.width() - image.width() % 2, image.height() - image.height() % 2
        if (width, height) != (image.width(), image.height()):
            image = image.copy(0, 0, width, height)
        _, _, data = _rgb_bytes(image)
        if self._writer is None:
            writer = self._ffmpeg.write_frames(
                str(self._path),
                (width, height),
                fps=1000 / FRAME_MS,
                codec="libx264",
                pix_fmt_in="rgb24",
                pix_fmt_out="yuv420p",
                macro_block_size=1,  # the size as it is (even already), never resized
                output_params=["-f", "mp4", "-movflags", "+faststart"],
                ffmpeg_log_level="error",
            )
            writer.send(None)  # start ffmpeg
            self._writer = writer
        for _ in range(max(1, round(duration_ms / FRAME_MS))):
            self._writer.send(data)
            self._count += 1

    def finish(self, path: Path) -> int:
        self._writer.close()  # ffmpeg writes the end of the file
        self._writer = None
        return self._count

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def record_run(
    target: object,
    n_steps: int,
    path: str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    *,
    glide_ms: int | None = None,
    hold_ms: int | None = None,
    size: QSize = RECORD_SIZE,
) -> int:
    """Record ``n_steps`` EM iterations of the run as an animated GIF or an MP4 video.

    The pictures are the start and each half-step (``2 * n_steps + 1`` of them, fewer if EM
    converges sooner), with ``glide_ms / 40`` glide pictures before each half-step's. A GIF
    has one frame per picture, each shown for its own time; a video, at 25 frames per second,
    repeats a picture for as many frames as it is shown.

    Parameters
    ----------
    target : MainWindow, PlotViewBase or Stepper
        Where the run comes from (:func:`gmm_gui.ui.figures.source_of`); a window's run
        starts at its start, using the states already in its history.
    n_steps : int
        EM iterations to record.
    path : str or Path
        The ``.gif`` or ``.mp4`` to write (atomically).
    progress : callable(done, total), optional
        Called as the half-steps are computed and the pictures drawn.
    should_cancel : callable() -> bool, optional
        Polled between half-steps and pictures; when it says so nothing is written.
    glide_ms : int, optional
        Duration of the glide to each state; default the window's (0 for none).
    hold_ms : int, optional
        How long each half-step is shown; default the interval of the window's speed.
    size : QSize
        Logical size of the pictures.

    Returns
    -------
    int
        Number of frames written (of the GIF, or of the video).

    Raises
    ------
    RecordingUnavailable
        If the library for the format is not installed (:data:`PILLOW_MISSING`,
        :data:`FFMPEG_MISSING`).
    Cancelled
        If cancelled.
    ValueError
        For another suffix, or nothing to run.
    OSError
        If the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"Record as .gif or .mp4, not {path.suffix or 'no suffix'!r}.")
    sink = _GifSink() if suffix == ".gif" else _Mp4Sink()
    stepper, names, n_features = source_of(target)
    session = getattr(target, "session", None)
    if glide_ms is None:
        window_ms = getattr(target, "_animation_ms", None)
        glide_ms = DEFAULT_ANIMATION_MS if window_ms is None else int(window_ms)
    if hold_ms is None:
        interval = getattr(session, "interval_ms", None)
        hold_ms = max(400, int(interval) - glide_ms) if interval is not None else 700
    n_steps = max(0, int(n_steps))
    total = 4 * n_steps + 1
    states = run_states(
        stepper,
        n_steps,
        None if progress is None else (lambda done, _t: progress(done, total)),
        should_cancel,
    )
    states = [figure_state(s) for s in states]
    plan = frame_plan(len(states), glide_ms, hold_ms)
    key_frames = [n for n, (_, s, _) in enumerate(plan) if s >= 1.0]
    try:
        with offscreen_view(n_features, size, names) as view, atomic_path(path) as tmp:
            sink.begin(tmp)
            for n, (i, s, duration) in enumerate(plan):
                if should_cancel is not None and should_cancel():
                    raise Cancelled
                if n == 0:
                    view.set_snapshot(states[0], animate=False)
                    draw_symbols(view, symbols_of(target))
                _glide(view, states[i], s)
                if s >= 1.0:
                    view.set_caption(state_caption(states[i]))
                sink.add(render_view(view), duration)
                if progress is not None and n in key_frames:
                    progress(2 * n_steps + key_frames.index(n) + 1, total)
            return sink.finish(tmp)
    finally:
        sink.close()
