"""Recording a run as an animated GIF: one frame per half-step, the glide between them."""

from __future__ import annotations

import builtins
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gmm_gui.ui.app import build_parser, build_window, main
from gmm_gui.ui.figures import Cancelled, run_states
from gmm_gui.ui.recording import (
    FRAME_MS,
    PILLOW_MISSING,
    RecordingUnavailable,
    frame_plan,
    record_run,
)


@pytest.fixture
def davis_window(qtbot, datasets_dir):
    args = build_parser().parse_args([str(datasets_dir / "Davis.csv"), "--columns", "height"])
    window = build_window(args)
    qtbot.addWidget(window)
    window.set_animation_ms(0)
    yield window
    window.close()


def frames_of(path):
    with Image.open(path) as image:
        out = []
        for i in range(image.n_frames):
            image.seek(i)
            out.append(np.asarray(image.convert("RGB")))
        return out


@pytest.mark.parametrize("n_steps", [1, 3])
def test_the_gif_has_a_frame_per_half_step(davis_window, tmp_path, n_steps):
    out = tmp_path / "run.gif"
    assert record_run(davis_window, n_steps, out, glide_ms=0) == 2 * n_steps + 1
    with Image.open(out) as image:
        assert image.n_frames == 2 * n_steps + 1
        assert image.size == (720, 480)
    frames = frames_of(out)
    # every frame differs from the one before (points recoloured, then Gaussians moved)
    for a, b in zip(frames, frames[1:], strict=False):
        assert np.any(a != b)
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]  # written atomically


def test_the_glide_adds_frames_between_the_half_steps(davis_window, tmp_path):
    out = tmp_path / "glide.gif"
    glide = 4 * FRAME_MS
    n = record_run(davis_window, 2, out, glide_ms=glide)
    assert n == 5 + 4 * 4  # five states, four glide frames before each of the last four
    with Image.open(out) as image:
        assert image.n_frames == n
    frames = frames_of(out)
    # the glide from E1 (frame 5) to M1 (frame 10) passes through pictures of neither
    e1, m1 = frames[5], frames[10]
    for between in frames[6:10]:
        assert np.mean(np.any(between != e1, axis=2)) > 0.001
        assert np.mean(np.any(between != m1, axis=2)) > 0.001
    # and goes one way: each glide frame is nearer M1 than the one before
    gaps = [np.mean(np.abs(f.astype(int) - m1)) for f in frames[5:11]]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] == 0


def test_frame_plan_holds_each_state_and_eases_between():
    plan = frame_plan(3, glide_ms=2 * FRAME_MS, hold_ms=600)
    assert [(i, s) for i, s, _ in plan if s >= 1.0] == [(0, 1.0), (1, 1.0), (2, 1.0)]
    glides = [s for _, s, _ in plan if s < 1.0]
    assert len(glides) == 4 and glides == sorted(glides[:2]) + sorted(glides[2:])
    assert all(0.0 < s < 1.0 for s in glides)
    assert plan[3][2] == 600  # a state in the middle is held for hold_ms


def test_the_recording_follows_the_windows_history(davis_window, tmp_path):
    # the window's own history is used and continued, and the window is left as it was
    stepper = davis_window.session.stepper
    stepper.next_iteration()
    before = (stepper.index, len(stepper.history))
    states = run_states(stepper, 3)
    assert [s.phase for s in states] == ["start", "E", "M", "E", "M", "E", "M"]
    assert states[1] is stepper.history[1] and states[2] is stepper.history[2]
    assert [s.iteration for s in states[2::2]] == [1, 2, 3]
    assert (stepper.index, len(stepper.history)) == before


def test_cancel_writes_nothing(davis_window, tmp_path):
    out = tmp_path / "run.gif"
    calls = []

    def cancel_after_a_while():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        record_run(davis_window, 3, out, should_cancel=cancel_after_a_while, glide_ms=0)
    assert list(tmp_path.iterdir()) == []


def test_progress_goes_up_to_its_total(davis_window, tmp_path):
    seen = []
    record_run(davis_window, 2, tmp_path / "r.gif", lambda d, t: seen.append((d, t)), glide_ms=0)
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_command_line_records_the_default_sample(qapp, tmp_path):
    out = tmp_path / "faithful.gif"
    assert main(["--steps", "2", "--glide", "0", "--record", str(out)]) == 0
    with Image.open(out) as image:
        assert image.n_frames == 5


def test_without_pillow_one_line_says_what_to_install(qapp, tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    monkeypatch.delitem(sys.modules, "PIL", raising=False)
    monkeypatch.delitem(sys.modules, "PIL.Image", raising=False)
    with pytest.raises(RecordingUnavailable, match=r"pip install 'gmm-gui\[record\]'"):
        record_run(object(), 1, tmp_path / "x.gif")
    assert main(["--steps", "1", "--record", str(tmp_path / "x.gif")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gmm-gui: error: {PILLOW_MISSING}"]
    assert not (tmp_path / "x.gif").exists()


def test_only_gif_and_mp4_are_accepted(qapp, capsys, tmp_path):
    assert main(["--record", str(tmp_path / "x.avi")]) == 2
    assert "must end in .gif or .mp4" in capsys.readouterr().err


def test_mp4_holds_each_picture_for_its_time_at_25_frames_a_second(davis_window, tmp_path):
    import imageio_ffmpeg

    out = tmp_path / "run.mp4"
    hold = 5 * FRAME_MS
    n = record_run(davis_window, 2, out, glide_ms=2 * FRAME_MS, hold_ms=hold)
    plan = frame_plan(5, 2 * FRAME_MS, hold)
    assert n == sum(round(d / FRAME_MS) for _, _, d in plan)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == n and seconds == pytest.approx(n * FRAME_MS / 1000, abs=0.1)
    decoded = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "rawvideo"]
        + ["-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(decoded) == n * 480 * 720 * 3  # n pictures of 720 x 480
    pictures = np.frombuffer(decoded, np.uint8).reshape(n, 480, 720, 3)
    # the video's pictures change where the run does: the start's hold, then the glide to E1
    first_hold = round(plan[0][2] / FRAME_MS)
    still = np.mean(np.abs(pictures[1].astype(int) - pictures[0]))
    moved = np.mean(np.abs(pictures[first_hold + 1].astype(int) - pictures[0]))
    assert still < 0.5 < moved
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp4"]


def test_cancelled_mp4_leaves_nothing(davis_window, tmp_path):
    calls = []

    def cancel_later():
        calls.append(1)
        return len(calls) > 8

    with pytest.raises(Cancelled):
        record_run(davis_window, 2, tmp_path / "run.mp4", should_cancel=cancel_later)
    assert list(tmp_path.iterdir()) == []


def test_without_imageio_ffmpeg_one_line_says_what_to_install(qapp, tmp_path, monkeypatch, capsys):
    from gmm_gui.ui.recording import FFMPEG_MISSING

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    with pytest.raises(RecordingUnavailable, match=r"pip install 'gmm-gui\[mp4\]'"):
        record_run(object(), 1, tmp_path / "x.mp4")
    assert main(["--steps", "1", "--record", str(tmp_path / "x.mp4")]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"gmm-gui: error: {FFMPEG_MISSING}"]
    assert list(tmp_path.iterdir()) == []
