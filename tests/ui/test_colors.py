"""Component colours and the responsibility blend."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.ui.colors import (
    _BLOCK,
    MAX_CHROMA_GAIN,
    NEUTRAL,
    PALETTE,
    blend,
    blend_argb32,
    blend_mix,
    blend_mix_argb32,
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


def lch(lab):
    lab = np.atleast_2d(lab)
    return lab[:, 0], np.hypot(lab[:, 1], lab[:, 2]), np.arctan2(lab[:, 2], lab[:, 1])


def test_half_and_half_lies_between_the_two_colours_and_keeps_their_colourfulness():
    a, b = component_colors(2)
    mid = blend(np.array([[0.5, 0.5]]), np.array([a, b]))[0]
    la, lb, lm = srgb_to_lab(np.array([a, b, mid]))
    (light_a, light_b, light_m), (c_a, c_b, c_m), (h_a, h_b, h_m) = lch(np.array([la, lb, lm]))
    # lightness half-way (up to rounding to 8 bits)
    assert light_m == pytest.approx((light_a + light_b) / 2, abs=0.005)
    # as colourful as its parents on average, not the grey of a plain OKLab average
    assert c_m == pytest.approx((c_a + c_b) / 2, abs=0.01)
    plain = (la + lb) / 2
    assert np.hypot(plain[1], plain[2]) < 0.03 < c_m - 0.1
    # its hue between theirs, the short way round the hue circle
    span = (h_b - h_a + np.pi) % (2 * np.pi) - np.pi
    offset = (h_m - h_a) % (2 * np.pi) if span > 0 else (h_a - h_m) % (2 * np.pi)
    assert 0.15 * abs(span) < offset < 0.85 * abs(span)
    # and not the muddy, too-dark average of the gamma-encoded values
    naive = srgb_to_lab(((a.astype(float) + b) / 2)[None])[0]
    assert lm[0] > naive[0] + 0.02


def test_half_blue_half_orange_does_not_look_like_no_e_step_yet():
    mid = blend(np.array([[0.5, 0.5]]), component_colors(2))
    lab_mid, lab_neutral = srgb_to_lab(np.vstack([mid, [NEUTRAL]]))
    assert np.linalg.norm(lab_mid - lab_neutral) > 0.15
    _, (c_mid, c_neutral), _ = lch(np.array([lab_mid, lab_neutral]))
    assert c_mid > 0.1 and c_neutral < 0.01
    # every half-and-half mix of two palette colours is clearly apart from the no-E-step grey
    colors = component_colors(10)
    for i, j in itertools.combinations(range(10), 2):
        resp = np.zeros((1, 10))
        resp[0, [i, j]] = 0.5
        lab = srgb_to_lab(blend(resp, colors))[0]
        assert np.linalg.norm(lab - lab_neutral) > 0.1, (i, j)


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
    light, chroma, hue = lch(srgb_to_lab(blend(resp, colors)))
    palette = srgb_to_lab(colors[[i, j]])
    (light_i, light_j), (c_i, c_j), (h_i, h_j) = lch(palette)
    # lightness and chroma go evenly from one colour's to the other's (sRGB's gamut and the
    # rounding to 8 bits may take a little off) ...
    np.testing.assert_allclose(light, (1 - ts) * light_i + ts * light_j, atol=0.03)
    # ... except that where two nearly opposite hues cancel, the chroma is raised at most
    # tenfold above the plain average's
    plain = np.hypot(*(np.outer(1 - ts, palette[0]) + np.outer(ts, palette[1]))[:, 1:].T)
    expected = np.minimum((1 - ts) * c_i + ts * c_j, MAX_CHROMA_GAIN * plain)
    np.testing.assert_allclose(chroma, expected, atol=0.04)
    # the hue turns one way only, the short way round, from one colour's to the other's
    span = (h_j - h_i + np.pi) % (2 * np.pi) - np.pi
    along = ((hue - h_i) * np.sign(span) + 0.2) % (2 * np.pi) - 0.2
    assert np.all(np.diff(along) >= -0.05)
    assert np.all((along >= -0.05) & (along <= abs(span) + 0.05))


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


def test_blocked_packing_is_the_packing_of_each_point_alone():
    """Blended and packed in cache-sized blocks (two and a bit here): every point's colour is
    the one it gets on its own, at the blocks' seams too."""
    rng = np.random.default_rng(1)
    n = 2 * _BLOCK + 17
    resp = rng.dirichlet(np.full(5, 0.3), size=n)
    colors = component_colors(5)
    mix, argb = blend_mix_argb32(resp, colors)
    np.testing.assert_array_equal(mix, blend_mix(resp, colors))
    np.testing.assert_array_equal(argb, mix_to_argb32(mix))
    picks = np.r_[0, _BLOCK - 1, _BLOCK, 2 * _BLOCK, n - 1, rng.integers(0, n, 50)]
    alone = np.array([mix_to_argb32(mix[:, [i]])[0] for i in picks])
    np.testing.assert_array_equal(argb[picks], alone)
    np.testing.assert_array_equal(argb[picks], blend_argb32(resp[picks], colors))


def test_blend_agrees_with_an_independent_oklab_mix():
    # Oracle: average the OKLab coordinates, give the average the mean chroma (at most ten
    # times its own) in its own hue, convert back with the published formulas.
    rng = np.random.default_rng(1)
    colors = component_colors(6)
    resp = rng.dirichlet(np.ones(6) * 0.5, size=300)
    palette = srgb_to_lab(colors)
    lab = resp @ palette
    mean_chroma = resp @ np.hypot(palette[:, 1], palette[:, 2])
    plain_chroma = np.hypot(lab[:, 1], lab[:, 2])
    chroma = np.minimum(mean_chroma, 10 * plain_chroma)
    hue = np.arctan2(lab[:, 2], lab[:, 1])
    lab[:, 1] = chroma * np.cos(hue)
    lab[:, 2] = chroma * np.sin(hue)
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
