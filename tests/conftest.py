"""Fixtures shared by the unit tests."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_utils import data  # noqa: E402


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """A loader that searches only empty folders under tmp_path (no env var, no Debian, no cache)."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "REPO_DATA", tmp_path / "repo_data")
    monkeypatch.setattr(data, "DEBIAN_ROOT", tmp_path / "debian")
    monkeypatch.setattr(data, "CACHE", tmp_path / "cache")
    data._load_split.cache_clear()
    yield tmp_path
    data._load_split.cache_clear()


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST data as the course loads it (skips if the machine has none)."""
    try:
        return data.load_mnist(n_train=2000, n_test=500, download=False, verbose=False)
    except data.DataNotFoundError as err:
        pytest.skip(f"no MNIST on this machine: {err}")
