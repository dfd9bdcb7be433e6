"""gmm-gui: watch Expectation-Maximisation fit Gaussian mixture models."""

__version__ = "0.1.0"
