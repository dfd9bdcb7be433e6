"""Component colours and the responsibility blend."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.ui.colors import (
    NEUTRAL,
    PALETTE,
    blend,
    blend_argb32,
    blend_mix,
    component_colors,
    lab_to_srgb,
    mix_to_argb32,
    pack_argb32,
    qcolor,
    srgb_to_lab,
    unpack_argb32,
)

# Colour-vision-deficiency simulation, Machado, Oliveira & Fernandes (2009), severity 1.0,
# applied to linear RGB: an independent check that the palette stays distinguishable.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def linear(rgb):
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb8(lin):
    lin = np.clip(lin, 0, 1)
    return 255 * np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def test_reference_oklab_values():
    # Values published with the OKLab definition (Ottosson 2020).
    lab = srgb_to_lab([[255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]])
    expected = [
        [1.0, 0.0, 0.0],
        [0.627955, 0.224863, 0.125846],
        [0.866440, -0.233888, 0.179498],
        [0.452014, -0.032457, -0.311528],
    ]
    np.testing.assert_allclose(lab, expected, atol=2e-5)


def test_lab_round_trip_is_exact_for_every_grey_and_the_palette():
    greys = np.repeat(np.arange(256)[:, None], 3, axis=1)
    for rgb in (greys, PALETTE, np.array([NEUTRAL])):
        np.testing.assert_array_equal(lab_to_srgb(srgb_to_lab(rgb)), rgb)


def test_palette_shape_dtype_and_lecture_order():
    c = component_colors(10)
    assert c.shape == (10, 3) and c.dtype == np.uint8
    assert tuple(c[0]) == (0, 114, 178)  # blue
    assert tuple(c[1]) == (230, 159, 0)  # orange
    assert len({tuple(row) for row in c}) == 10
    assert component_colors(0).shape == (0, 3)
    np.testing.assert_array_equal(component_colors(13)[10:], c[:3])  # repeats beyond ten
    for k in range(10):
        q = qcolor(k, alpha=90)
        assert (q.red(), q.green(), q.blue(), q.alpha()) == (*c[k], 90)


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_palette_stays_distinguishable_for_ten_components(vision):
    lin = linear(component_colors(10))
    if vision != "normal":
        lin = np.clip(lin @ np.array(CVD[vision]).T, 0, 1)
    lab = srgb_to_lab(np.round(to_srgb8(lin)))
    gaps = [np.linalg.norm(lab[i] - lab[j]) for i, j in itertools.combinations(range(10), 2)]
    # 0.02 is about one just-noticeable difference in OKLab; small markers need several.
    assert min(gaps) > 0.06, min(gaps)
    if vision == "normal":
        assert min(gaps[:1]) > 0.2  # blue vs orange, the two of the lecture, far apart


def test_one_hot_responsibilities_give_the_component_colours_exactly():
    colors = component_colors(5)
    resp = np.eye(5)[[0, 3, 1, 4, 2, 2]]
    out = blend(resp, colors)
    assert out.shape == (6, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, colors[[0, 3, 1, 4, 2, 2]])


def test_half_and_half_lies_between_the_two_colours():
    a, b = component_colors(2)
    mid = blend(np.array([[0.5, 0.5]]), np.array([a, b]))[0]
    la, lb, lm = srgb_to_lab(np.array([a, b, mid]))
    d_ab = np.linalg.norm(la - lb)
    # on the segment between them (up to rounding to 8 bits), in the middle of it
    assert np.linalg.norm(la - lm) + np.linalg.norm(lm - lb) == pytest.approx(d_ab, abs=0.01)
    assert np.linalg.norm(la - lm) == pytest.approx(d_ab / 2, abs=0.01)
    assert min(la[0], lb[0]) - 0.005 <= lm[0] <= max(la[0], lb[0]) + 0.005
    # and not the muddy, too-dark average of the gamma-encoded values
    naive = srgb_to_lab(((a.astype(float) + b) / 2)[None])[0]
    assert lm[0] > naive[0] + 0.02


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 10),
    pair=st.tuples(st.integers(0, 9), st.integers(0, 9)).filter(lambda p: p[0] != p[1]),
    ts=st.lists(st.floats(0, 1), min_size=2, max_size=12),
)
def test_blend_moves_monotonically_from_one_colour_to_the_other(k, pair, ts):
    i, j = (p % k for p in pair)
    if i == j:
        return
    colors = component_colors(k)
    ts = np.sort(np.asarray(ts))
    resp = np.zeros((len(ts), k))
    resp[:, i] = 1 - ts
    resp[:, j] = ts
    lab = srgb_to_lab(blend(resp, colors))
    li, lj = srgb_to_lab(colors[[i, j]])
    along = (lab - li) @ (lj - li) / np.dot(lj - li, lj - li)
    assert np.all(np.diff(along) >= -0.01)  # rounding to 8 bits may wobble a little
    np.testing.assert_allclose(along, ts, atol=0.03)


def test_argb_packing_matches_the_blend():
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(4), size=500)
    colors = component_colors(4)
    rgb = blend(resp, colors)
    argb = blend_argb32(resp, colors)
    assert argb.dtype == np.uint32 and argb.shape == (500,)
    np.testing.assert_array_equal(argb, pack_argb32(rgb))
    np.testing.assert_array_equal(unpack_argb32(argb), rgb)
    np.testing.assert_array_equal(argb >> 24, 255)
    # float32 responsibilities give the same colours, and the mix is planar (3, n)
    mix = blend_mix(resp.astype(np.float32), colors)
    assert mix.shape == (3, 500) and mix.dtype == np.float32
    assert np.mean(mix_to_argb32(mix) == argb) > 0.99


def test_blend_agrees_with_an_independent_oklab_mix():
    # Oracle: average the OKLab coordinates, convert back with the published formulas.
    rng = np.random.default_rng(1)
    colors = component_colors(6)
    resp = rng.dirichlet(np.ones(6) * 0.5, size=300)
    lab = resp @ srgb_to_lab(colors)
    l_ = lab[:, 0] + 0.3963377774 * lab[:, 1] + 0.2158037573 * lab[:, 2]
    m_ = lab[:, 0] - 0.1055613458 * lab[:, 1] - 0.0638541728 * lab[:, 2]
    s_ = lab[:, 0] - 0.0894841775 * lab[:, 1] - 1.2914855480 * lab[:, 2]
    lms = np.stack([l_, m_, s_], axis=1) ** 3
    lin = (
        lms
        @ np.array(
            [
                [4.0767416621, -3.3077115913, 0.2309699292],
                [-1.2684380046, 2.6097574011, -0.3413193965],
                [-0.0041960863, -0.7034186147, 1.7076147010],
            ]
        ).T
    )
    expected = np.round(to_srgb8(lin))
    assert np.max(np.abs(blend(resp, colors) - expected)) <= 1


def test_blend_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="expected"):
        blend(np.ones((3, 2)) / 2, component_colors(3))


def test_blend_cache_gives_what_blend_gives_and_forgets_freed_arrays():
    from gmm_gui.ui.colors import BlendCache, blend_mix, component_colors, mix_to_argb32

    cache = BlendCache(size=2)
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=500)
    assert cache.lookup(resp) is None
    cache.prepare(resp)
    mix, argb = cache.lookup(resp)
    np.testing.assert_array_equal(mix, blend_mix(resp, component_colors(3)))
    np.testing.assert_array_equal(argb, mix_to_argb32(mix))
    assert cache.lookup(resp.copy()) is None  # by identity, not by value
    others = [rng.dirichlet(np.ones(3), size=10) for _ in range(2)]
    for other in others:
        cache.prepare(other)
    assert cache.lookup(resp) is None  # only the newest `size` are kept
    assert cache.lookup(others[-1]) is not None
