"""Component colours and the responsibility-weighted blend every point is drawn in.

A point's colour is the mix of its components' colours weighted by its responsibilities, so a
point half blue and half orange is drawn halfway between them. The mix is taken in OKLab
(Ottosson 2020), a perceptual space where lightness and hue mix evenly; averaging gamma-encoded
sRGB instead gives muddy, too-dark mixes. A plain OKLab average of two colours of opposite hue
(blue and orange are nearly so) lands near grey, which reads as "no E-step yet", not as "between";
so the mix keeps its colourfulness: its chroma is set to the responsibility-weighted mean of the
components' chromas, in the hue of the OKLab average (the chroma-weighted circular mean of the
hues). Half blue and half orange is then an olive green, as far from grey as its parents, and a
point owned by one component keeps exactly its colour. Points before any E-step are a light
grey, :data:`NEUTRAL`, paler than every mix.

Converting back to sRGB uses a 65,536-entry table for the transfer curve, so blending a million
points costs tens of milliseconds rather than a per-point ``pow``. Per-point colours are kept
planar (3, n) in OKLab's cube-root LMS space, an affine image of OKLab; a transition between two
frames interpolates linearly there.

The palette is qualitative and was chosen (greedily, in this order) to keep every pair as far
apart as possible in OKLab under normal vision and simulated protanopia, deuteranopia and
tritanopia (Machado et al. 2009): component 1 blue and component 2 orange, as in the lecture
figures, then colours from Paul Tol's and Okabe & Ito's colour-blind-safe schemes.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from PySide6.QtGui import QColor

__all__ = [
    "BLEND_CACHE",
    "BlendCache",
    "MAX_CHROMA_GAIN",
    "NEUTRAL",
    "PALETTE",
    "blend",
    "blend_argb32",
    "blend_mix",
    "component_colors",
    "lab_to_srgb",
    "mix_to_argb32",
    "pack_argb32",
    "qcolor",
    "srgb_to_lab",
    "uncertainty_argb32",
    "unpack_argb32",
]

#: Ten component colours (sRGB, 0-255), in the order components get them.
PALETTE: np.ndarray = np.array(
    [
        (0x00, 0x72, 0xB2),  # blue (Okabe-Ito)
        (0xE6, 0x9F, 0x00),  # orange (Okabe-Ito)
        (0xCC, 0x33, 0x11),  # red (Tol vibrant)
        (0x44, 0xAA, 0x99),  # teal (Tol muted)
        (0x33, 0x22, 0x88),  # indigo (Tol muted)
        (0x88, 0x22, 0x55),  # wine (Tol muted)
        (0xAA, 0x33, 0x77),  # purple (Tol bright)
        (0xDD, 0xCC, 0x77),  # sand (Tol muted)
        (0x88, 0xCC, 0xEE),  # cyan (Tol muted)
        (0xEE, 0x66, 0x77),  # rose (Tol bright)
    ],
    dtype=np.uint8,
)
PALETTE.setflags(write=False)

#: The uncertainty scale, from sure (a pale grey-green) to as unsure as can be (a deep green),
#: sRGB 0-255. Its own colours, not the components': the old grey-orange-red scale reused the
#: orange of component 2 and the red of component 3 (OKLab distance 0.02 from the red), so an
#: unsure point read as one of theirs. Green is the one hue the palette leaves free; every colour
#: of this scale is at least 0.075 in OKLab from every component colour (0.15 from the first
#: three), and it darkens steadily from sure to unsure.
UNCERTAINTY_STOPS: np.ndarray = np.array(
    [(200, 225, 215), (120, 195, 95), (35, 130, 55), (0, 66, 30)], dtype=np.uint8
)
UNCERTAINTY_STOPS.setflags(write=False)

#: Colour of points without responsibilities (no E-step yet), sRGB 0-255: a light grey, paler
#: than every mix of component colours (OKLab lightness 0.78 against at most 0.75 for the first
#: two components), so that a point shared half and half never looks like one not yet coloured.
NEUTRAL: tuple[int, int, int] = (185, 185, 185)

#: The most a mix's chroma is raised above that of the plain OKLab average (a mix of exactly
#: opposite hues has no hue to keep and stays grey rather than taking one at random).
MAX_CHROMA_GAIN = 10.0

_BLOCK = 32_768  # points blended at a time

# OKLab matrices (Ottosson 2020): linear sRGB -> LMS, LMS^(1/3) -> Lab, and their inverses.
_RGB_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_LMS_TO_LAB = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_LAB_TO_LMS = np.array(
    [
        [1.0, 0.3963377774, 0.2158037573],
        [1.0, -0.1055613458, -0.0638541728],
        [1.0, -0.0894841775, -1.2914855480],
    ]
)
_LMS_TO_RGB = np.array(
    [
        [4.0767416621, -3.3077115913, 0.2309699292],
        [-1.2684380046, 2.6097574011, -0.3413193965],
        [-0.0041960863, -0.7034186147, 1.7076147010],
    ]
)
_LMS_TO_RGB32 = _LMS_TO_RGB.astype(np.float32)

_LUT_SIZE = 65536
# Linear light in [0, 1], quantised to 16 bits -> sRGB-encoded 0..255.
_lin = np.linspace(0.0, 1.0, _LUT_SIZE)
_LINEAR_TO_SRGB8 = np.round(
    255.0 * np.where(_lin <= 0.0031308, 12.92 * _lin, 1.055 * _lin ** (1 / 2.4) - 0.055)
).astype(np.uint8)
del _lin
_LINEAR_TO_R32 = _LINEAR_TO_SRGB8.astype(np.uint32) << np.uint32(16)
_LINEAR_TO_G32 = _LINEAR_TO_SRGB8.astype(np.uint32) << np.uint32(8)
_LINEAR_TO_B32 = _LINEAR_TO_SRGB8.astype(np.uint32)


def _srgb8_to_linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB colours to OKLab.

    Parameters
    ----------
    rgb : array of shape (n_colors, 3)
        sRGB colours, 0-255 (any numeric dtype).

    Returns
    -------
    lab : float array of shape (n_colors, 3)
        OKLab ``L, a, b`` (``L`` is 0 for black and 1 for white).
    """
    lms = _srgb8_to_linear(rgb) @ _RGB_TO_LMS.T
    return np.cbrt(lms) @ _LMS_TO_LAB.T


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """Convert OKLab colours to sRGB, clipping to the sRGB gamut.

    Parameters
    ----------
    lab : array of shape (n_colors, 3)
        OKLab colours.

    Returns
    -------
    rgb : uint8 array of shape (n_colors, 3)
        sRGB colours, 0-255.
    """
    mix = np.asarray(lab, dtype=np.float64) @ _LAB_TO_LMS.T  # OKLab -> LMS' (cube-root LMS)
    return unpack_argb32(mix_to_argb32(np.ascontiguousarray(mix.T, dtype=np.float32)))


def mix_to_argb32(mix: np.ndarray, alpha: int = 255) -> np.ndarray:
    """Convert colours in the mixing space to packed ``0xAARRGGBB`` words (gamut-clipped).

    The mixing space is OKLab's cube-root LMS (``LMS'``), an affine image of OKLab: a weighted
    mean there is the same weighted mean in OKLab. Colours are stored planar, one row per
    channel, so that every pass over a million points reads contiguous memory.

    Parameters
    ----------
    mix : float32 array of shape (3, n_colors)
        ``LMS'`` colours, e.g. from :func:`blend_mix`.
    alpha : int
        Opacity 0-255 for every colour.

    Returns
    -------
    argb : uint32 array of shape (n_colors,)
    """
    mix = np.asarray(mix, dtype=np.float32)
    n = mix.shape[1]
    out = np.empty(n, dtype=np.uint32)
    for lo in range(0, n, _BLOCK):  # in blocks that stay in the cache, as blend_mix
        hi = min(lo + _BLOCK, n)
        _pack_block(mix[:, lo:hi], out[lo:hi], alpha)
    return out


def _pack_block(mix: np.ndarray, out: np.ndarray, alpha: int) -> None:
    """:func:`mix_to_argb32` of one block of ``LMS'`` colours (3, m), written into ``out``."""
    lms = mix * mix  # a new array: ``mix`` is kept
    lms *= mix  # LMS' -> LMS
    lin = _LMS_TO_RGB32 @ lms  # linear-light sRGB, (3, m)
    np.clip(lin, 0.0, 1.0, out=lin)
    lin *= _LUT_SIZE - 1
    lin += 0.5
    idx = lin.astype(np.uint16)
    np.take(_LINEAR_TO_R32, idx[0], out=out)
    out |= np.take(_LINEAR_TO_G32, idx[1])
    out |= np.take(_LINEAR_TO_B32, idx[2])
    if alpha:
        out |= np.uint32(alpha) << np.uint32(24)


def unpack_argb32(argb: np.ndarray) -> np.ndarray:
    """The sRGB channels of packed ``0xAARRGGBB`` words.

    Parameters
    ----------
    argb : uint32 array of shape (n_colors,)

    Returns
    -------
    rgb : uint8 array of shape (n_colors, 3)
    """
    argb = np.asarray(argb, dtype=np.uint32)
    out = np.empty((len(argb), 3), dtype=np.uint8)
    out[:, 0] = argb >> 16
    out[:, 1] = argb >> 8
    out[:, 2] = argb
    return out


def component_colors(n_components: int) -> np.ndarray:
    """The colour of each component.

    Parameters
    ----------
    n_components : int
        Number of components. Beyond ten the palette repeats.

    Returns
    -------
    colors : uint8 array of shape (n_components, 3)
        sRGB colours, 0-255; component 0 is blue, component 1 orange.
    """
    if n_components < 0:
        raise ValueError(f"n_components must be >= 0, got {n_components}")
    return PALETTE[np.arange(n_components) % len(PALETTE)].copy()


def _check_resp(resp: np.ndarray, colors: np.ndarray) -> np.ndarray:
    resp = np.asarray(resp)
    if resp.ndim != 2 or resp.shape[1] != len(colors):
        raise ValueError(
            f"resp has shape {resp.shape}; expected (n_samples, {len(colors)}) for "
            f"{len(colors)} colours"
        )
    return resp


def blend_mix(resp: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Each point's responsibility-weighted mix of component colours, in the mixing space.

    Lightness and the hue direction are the OKLab average of the component colours weighted by
    the responsibilities; the chroma is the weighted mean of their chromas (raised at most
    :data:`MAX_CHROMA_GAIN`-fold above the average's own), so that a mix of two colours of
    nearly opposite hue keeps their colourfulness instead of turning grey.

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
        Responsibilities (rows sum to one).
    colors : array of shape (n_components, 3)
        sRGB component colours, 0-255.

    Returns
    -------
    mix : float32 array of shape (3, n_samples)
        ``LMS'`` colour of each point, one row per channel (see :func:`mix_to_argb32`).
    """
    return _blend(resp, colors, None)


def blend_mix_argb32(resp: np.ndarray, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`blend_mix` and its :func:`mix_to_argb32`, in one pass over the points.

    Each block of points is blended and packed while it is in the cache (what the worker does
    for every half-step shown at a million points).

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
    colors : array of shape (n_components, 3)

    Returns
    -------
    mix : float32 array of shape (3, n_samples)
    argb : uint32 array of shape (n_samples,)
    """
    argb = np.empty(np.shape(resp)[0], dtype=np.uint32)
    return _blend(resp, colors, argb), argb


def _blend(resp: np.ndarray, colors: np.ndarray, argb: np.ndarray | None) -> np.ndarray:
    resp = _check_resp(resp, colors)
    dtype = np.float32 if resp.dtype == np.float32 else np.float64
    resp = np.asarray(resp, dtype=dtype)
    palette = srgb_to_lab(colors)  # (K, 3)
    chroma = np.hypot(palette[:, 1], palette[:, 2])
    # L, a, b of the plain average and the mean chroma, in one product per block
    table = np.vstack([palette.T, chroma[None, :]]).astype(dtype)  # (4, K)
    to_lms = _LAB_TO_LMS.astype(dtype)
    n = resp.shape[0]
    out = np.empty((3, n), dtype=np.float32)
    # In blocks that stay in the cache: a million points in one go spent most of the time
    # writing fresh temporaries.
    for lo in range(0, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        lab = table @ resp[lo:hi].T  # (4, m)
        a, b, target = lab[1], lab[2], lab[3]
        gain = a * a
        gain += b * b
        np.sqrt(gain, out=gain)  # the plain average's chroma (np.hypot is slower)
        np.maximum(gain, target * dtype(1.0 / MAX_CHROMA_GAIN), out=gain)
        np.maximum(gain, dtype(1e-12), out=gain)  # exact grey: a and b are 0 and stay so
        np.divide(target, gain, out=gain)
        a *= gain
        b *= gain
        out[:, lo:hi] = to_lms @ lab[:3]
        if argb is not None:
            _pack_block(out[:, lo:hi], argb[lo:hi], 255)
    return out


def blend_argb32(resp: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """:func:`blend`, packed as ``0xFFRRGGBB`` words (what the point renderer draws).

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
    colors : array of shape (n_components, 3)

    Returns
    -------
    argb : uint32 array of shape (n_samples,)
    """
    return mix_to_argb32(blend_mix(resp, colors))


def blend(resp: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Each point's responsibility-weighted mix of component colours.

    The mix is taken in OKLab and keeps the components' mean chroma (see :func:`blend_mix`):
    a point half blue, half orange is drawn halfway between them, not grey. It is clipped to the
    sRGB gamut.

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
        Responsibilities (rows sum to one).
    colors : array of shape (n_components, 3)
        sRGB component colours, 0-255 (e.g. from :func:`component_colors`).

    Returns
    -------
    rgb : uint8 array of shape (n_samples, 3)
        sRGB colour of each point; a point owned by one component gets exactly its colour.
    """
    return unpack_argb32(blend_argb32(resp, colors))


def pack_argb32(rgb: np.ndarray, alpha: int = 255) -> np.ndarray:
    """Pack sRGB colours into 32-bit ``0xAARRGGBB`` words (``QImage.Format_ARGB32`` pixels).

    Parameters
    ----------
    rgb : uint8 array of shape (n_colors, 3)
    alpha : int
        Opacity 0-255 for every colour.

    Returns
    -------
    argb : uint32 array of shape (n_colors,)
    """
    rgb = np.asarray(rgb, dtype=np.uint32)
    return (np.uint32(alpha) << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def qcolor(k: int, alpha: int = 255) -> QColor:
    """The colour of component ``k`` (0-based) as a ``QColor``, for tables and legends.

    Parameters
    ----------
    k : int
        Component index; beyond ten the palette repeats.
    alpha : int
        Opacity 0-255.

    Returns
    -------
    QColor
    """
    r, g, b = (int(v) for v in PALETTE[k % len(PALETTE)])
    return QColor(r, g, b, alpha)


def uncertainty_argb32(uncertainty: np.ndarray, n_components: int) -> np.ndarray:
    """Colours of points by how unsure the mixture is about them, pale to deep green.

    Parameters
    ----------
    uncertainty : array of shape (n_samples,)
        ``1 - max_k resp[i, k]`` (:func:`gmm_gui.model.uncertainty`).
    n_components : int
        Scales the colours so that the darkest red is the largest possible uncertainty,
        ``1 - 1 / n_components`` (a point shared equally by all components).

    Returns
    -------
    argb : uint32 array of shape (n_samples,)
        :data:`UNCERTAINTY_STOPS` interpolated linearly in sRGB.
    """
    u = np.asarray(uncertainty, dtype=np.float64).reshape(-1)
    top = 1.0 - 1.0 / max(int(n_components), 2)
    t = np.clip(u / top, 0.0, 1.0)
    stops = np.linspace(0.0, 1.0, len(UNCERTAINTY_STOPS))
    rgb = np.column_stack(
        [np.interp(t, stops, UNCERTAINTY_STOPS[:, c].astype(np.float64)) for c in range(3)]
    )
    return pack_argb32(np.round(rgb).astype(np.uint8))


class BlendCache:
    """Point colours blended ahead of time, found again by their responsibilities array.

    A worker thread that has just computed a half-step at a million points also blends its
    colours (:meth:`prepare`, about 40 ms), so that the view, handed the same ``resp`` array on
    the UI thread, only looks them up. Entries are keyed by the array's identity and dropped
    when it is freed; a few are kept.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: list[tuple[weakref.ref, np.ndarray, np.ndarray]] = []

    def prepare(self, resp: np.ndarray | None) -> None:
        """Blend ``resp`` (array of shape (n_samples, n_components)) and keep the result."""
        if resp is None or self.lookup(resp) is not None:
            return
        mix, argb = blend_mix_argb32(resp, component_colors(resp.shape[1]))
        with self._lock:
            alive = [item for item in self._items if item[0]() is not None]
            self._items = [*alive[-(self._size - 1) :], (weakref.ref(resp), mix, argb)]

    def lookup(self, resp: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(mix, argb)`` of a prepared ``resp``, as :func:`blend_mix` and
        :func:`mix_to_argb32` give them, or ``None``."""
        with self._lock:
            for ref, mix, argb in self._items:
                if ref() is resp:
                    return mix, argb
        return None


#: The cache the window's session fills from its worker thread and the views read.
BLEND_CACHE = BlendCache()
