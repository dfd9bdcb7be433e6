"""Bundled sample data sets, found from a checkout and from an installed wheel alike.

The CSV files are copied unchanged from the R exports in ``shared/datasets`` so that the app's
loader is exercised on real files: quoted headers, an unnamed row-index column, ``NA``, labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from gmm_gui.model import Mixture


@dataclass(frozen=True)
class Sample:
    """A bundled data set: a file, the columns worth plotting and a start worth seeing first.

    ``start_method`` and ``seed`` give the first start drawn when the sample opens.
    ``start_means`` and ``start_sd``, when given, place the first start by hand instead, as the
    lecture does: equal weights, one mean per component, the same standard deviation for all.
    Davis opens that way (160 and 180 cm, sd 8): the first E-step gives the far-left outlier
    almost entirely to the nearer Gaussian, which then widens towards it, peels off and, near
    iteration 22, collapses onto that single point, the singular-covariance lesson, with the
    engine's warning. (k-means++ puts a centre on the outlier at once, so nearly every random
    start skips the story and collapses at the first step.)
    """

    key: str
    title: str
    filename: str
    columns: tuple[str, ...]
    n_components: int
    description: str
    start_method: str = "kmeans++"
    seed: int = 0
    start_means: tuple[tuple[float, ...], ...] | None = None
    start_sd: float | None = None

    def start_mixture(self) -> Mixture | None:
        """The hand-placed first start, or ``None`` when the sample starts from ``start_method``."""
        if self.start_means is None or self.start_sd is None:
            return None
        means = np.array(self.start_means, dtype=float)
        n_components, n_features = means.shape
        cov = np.eye(n_features) * self.start_sd**2
        return Mixture(
            np.full(n_components, 1.0 / n_components), means, np.repeat(cov[None], n_components, 0)
        )

    @property
    def path(self) -> Path:
        """Path of the sample's CSV file inside the installed package."""
        return sample_path(self.filename)


SAMPLES: tuple[Sample, ...] = (
    Sample("faithful", "Old Faithful eruptions", "faithful.csv", ("eruptions", "waiting"), 2,
           "Eruption length and waiting time of the Old Faithful geyser: two clear clusters."),
    Sample("davis", "Davis heights (1-D)", "Davis.csv", ("height",), 2,
           "Heights of 200 men and women; one far-left outlier (a data-entry error).",
           start_means=((160.0,), (180.0,)), start_sd=8.0),
    Sample("galton", "Galton children's heights (1-D)", "GaltonFamilies.csv", ("childHeight",), 2,
           "Heights of Galton's sons and daughters: a bimodal 1-D mixture."),
    Sample("galaxies", "Galaxy velocities (1-D)", "galaxies.csv", ("x",), 4,
           "Velocities of 82 galaxies: several modes, a hard case for choosing K."),
    Sample("iris", "Iris petals", "iris.csv", ("Petal.Length", "Petal.Width"), 3,
           "Fisher's iris flowers, petal length against width; species as known labels."),
)


def sample_path(filename: str) -> Path:
    """Return the path of a bundled sample file.

    Raises ``FileNotFoundError`` if the file is not part of the installed package.
    """
    ref = resources.files(__name__).joinpath("samples", filename)
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(f"bundled sample {filename!r} is missing from the installation")
    return path


def match_sample(path: str | Path, columns: tuple[str, ...] | list[str] | None) -> Sample | None:
    """The sample whose file is named as ``path``'s and whose columns are ``columns`` (or any
    columns when ``None``), else ``None``; so that ``gmm-gui Davis.csv --columns height`` opens
    with the sample's start."""
    name = Path(path).name
    for sample in SAMPLES:
        if sample.filename == name and (columns is None or tuple(columns) == sample.columns):
            return sample
    return None


def get_sample(key: str) -> Sample:
    """Look a sample up by key (``"faithful"``, ``"davis"``, ...)."""
    for sample in SAMPLES:
        if sample.key == key:
            return sample
    known = ", ".join(s.key for s in SAMPLES)
    raise KeyError(f"no bundled sample {key!r}; known samples: {known}")
