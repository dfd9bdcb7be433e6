"""Bundled sample data sets, found from a checkout and from an installed wheel alike.

The CSV files are copied unchanged from the R exports in ``shared/datasets`` so that the app's
loader is exercised on real files: quoted headers, an unnamed row-index column, ``NA``, labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """A bundled data set: a file and the columns worth plotting."""

    key: str
    title: str
    filename: str
    columns: tuple[str, ...]
    n_components: int
    description: str

    @property
    def path(self) -> Path:
        """Path of the sample's CSV file inside the installed package."""
        return sample_path(self.filename)


SAMPLES: tuple[Sample, ...] = (
    Sample("faithful", "Old Faithful eruptions", "faithful.csv", ("eruptions", "waiting"), 2,
           "Eruption length and waiting time of the Old Faithful geyser: two clear clusters."),
    Sample("davis", "Davis heights (1-D)", "Davis.csv", ("height",), 2,
           "Heights of 200 men and women; one far-left outlier (a data-entry error)."),
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


def get_sample(key: str) -> Sample:
    """Look a sample up by key (``"faithful"``, ``"davis"``, ...)."""
    for sample in SAMPLES:
        if sample.key == key:
            return sample
    known = ", ".join(s.key for s in SAMPLES)
    raise KeyError(f"no bundled sample {key!r}; known samples: {known}")
