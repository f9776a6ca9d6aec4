import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import data


MNIST_ROOT = os.environ.get(data.ENV_VAR)  # read before any fixture hides it


def _mnist_dir() -> Path:
    root = MNIST_ROOT
    for cand in [Path(root) / "mnist" if root else None, Path(root) if root else None]:
        if cand and (cand / "t10k-images-idx3-ubyte.gz").exists():
            return cand
    pytest.skip("set COURSE_DATA to the folder with the MNIST test split to run this test")


def test_load_mnist_shapes_range_and_split(mnist):
    assert mnist.x_train.shape == (2000, 1, 28, 28) and mnist.x_test.shape == (500, 1, 28, 28)
    assert mnist.x_train.dtype == torch.float32 and mnist.y_train.dtype == torch.int64
    assert float(mnist.x_train.min()) == 0.0 and float(mnist.x_train.max()) == 1.0
    assert set(mnist.y_train.tolist()) == set(range(10))
    assert mnist.classes == [str(d) for d in range(10)]


def test_split_is_deterministic_and_disjoint(capsys):
    a = data.load_mnist(n_train=3000, n_test=1000, download=False)
    b = data.load_mnist(n_train=3000, n_test=1000, download=False, verbose=False)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    out = capsys.readouterr().out
    if "only the official test split" in a.note:  # the offline machines: announced in one line
        assert out.count("\n") == 1 and "3,000 train / 1,000 test" in out
        train = {t.numpy().tobytes() for t in a.x_train}
        assert not any(t.numpy().tobytes() in train for t in a.x_test), "train and test overlap"


def test_unknown_dataset_name_is_refused():
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'.*fashion_mnist"):
        data.load_dataset("cifar")


def test_too_many_images_is_refused():
    with pytest.raises(ValueError, match="at most"):
        data.load_mnist(n_train=9000, n_test=2000, download=False, path=_mnist_dir())


def test_missing_files_list_every_place_and_the_fix(isolated_data):
    with pytest.raises(data.DataNotFoundError) as info:
        data.load_mnist(download=False, path=isolated_data / "nowhere")
    msg = str(info.value)
    for place in ["nowhere", "repo_data", "debian", "cache"]:
        assert place in msg
    assert "COURSE_DATA" in msg and "नहीं मिला" in msg
    with pytest.raises(data.DataNotFoundError, match="apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist(download=False)


def test_explicit_path_and_plain_idx_files(isolated_data):
    src = _mnist_dir()
    folder = isolated_data / "plain"
    folder.mkdir()
    for stem in data.SPLIT_FILES["test"]:  # decompressed files are accepted too
        (folder / stem).write_bytes(gzip.decompress((src / f"{stem}.gz").read_bytes()))
    d = data.load_mnist(n_train=100, n_test=100, path=folder, download=False, verbose=False)
    assert d.x_train.shape == (100, 1, 28, 28)


def test_corrupted_file_is_rejected(isolated_data):
    src = _mnist_dir()
    folder = isolated_data / "bad"
    folder.mkdir()
    shutil.copy(src / "t10k-labels-idx1-ubyte.gz", folder)
    raw = bytearray(gzip.decompress((src / "t10k-images-idx3-ubyte.gz").read_bytes()))
    raw[5000] ^= 0xFF  # one flipped pixel
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(data.DataChecksumError, match="t10k-images-idx3-ubyte.*delete it"):
        data.load_mnist(path=folder, download=False)


def test_truncated_gz_names_the_file_and_the_fix(isolated_data):
    """A download cut short used to raise a bare EOFError from gzip."""
    src = _mnist_dir()
    folder = isolated_data / "cut"
    folder.mkdir()
    shutil.copy(src / "t10k-labels-idx1-ubyte.gz", folder)
    whole = (src / "t10k-images-idx3-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(data.DataChecksumError, match="t10k-images-idx3-ubyte.gz.*truncated or damaged.*delete it"):
        data.load_mnist(path=folder, download=False)


def test_split_seed_comes_from_the_environment(isolated_data, monkeypatch):
    src = _mnist_dir()
    draws = {}
    for seed in ("0", "1"):
        monkeypatch.setenv(data.SPLIT_SEED_VAR, seed)
        draws[seed] = data.load_mnist(n_train=100, n_test=50, path=src, download=False, verbose=False)
    assert not torch.equal(draws["0"].x_train, draws["1"].x_train)
    explicit = data.load_mnist(n_train=100, n_test=50, path=src, download=False, verbose=False, seed=0)
    assert torch.equal(explicit.x_train, draws["0"].x_train)          # an explicit seed wins
    monkeypatch.setenv(data.SPLIT_SEED_VAR, "one")
    with pytest.raises(ValueError, match="COURSE_SPLIT_SEED must be an integer"):
        data.load_mnist(n_train=100, n_test=50, path=src, download=False, verbose=False)


def test_failed_download_leaves_no_partial_file(isolated_data, monkeypatch):
    import torchvision.datasets as tvd

    class BrokenMNIST:
        def __init__(self, root, train, download):
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True)
            (raw / "train-images-idx3-ubyte.gz").write_bytes(b"half a file")
            raise RuntimeError("network unreachable")

    monkeypatch.setattr(tvd, "MNIST", BrokenMNIST)
    with pytest.raises(data.DataNotFoundError, match="Download failed.*network unreachable"):
        data.load_mnist()
    files = [p for p in (isolated_data / "cache").rglob("*") if p.is_file()]
    assert files == [], f"partial files left behind: {files}"


def test_successful_download_is_moved_into_the_cache(isolated_data, monkeypatch):
    import torchvision.datasets as tvd

    src = _mnist_dir()

    class OfflineMNIST:  # stands in for the network: copies the real test split
        def __init__(self, root, train, download):
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for stem in data.SPLIT_FILES["test"]:
                shutil.copy(src / f"{stem}.gz", raw)

    monkeypatch.setattr(tvd, "MNIST", OfflineMNIST)
    d = data.load_mnist(n_train=50, n_test=50, verbose=False)
    assert d.x_test.shape == (50, 1, 28, 28)
    assert (isolated_data / "cache" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()
    assert not list((isolated_data / "cache").glob(".download-*")), "temporary folder left behind"


def test_fashion_mnist_full_official_splits():
    if not (data.DEBIAN_ROOT / "fashion-mnist").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    f = data.load_fashion_mnist(n_train=60000, n_test=10000, download=False, verbose=False)
    assert f.x_train.shape == (60000, 1, 28, 28) and len(f.classes) == 10
    assert torch.bincount(f.y_test).tolist() == [1000] * 10


def test_pil_dataset_for_dataloaders(mnist):
    from torchvision import transforms

    ds = data.PILImageDataset(mnist.x_test[:5], mnist.y_test[:5], transforms.ToTensor())
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and torch.allclose(x, mnist.x_test[0], atol=1 / 255)
    with pytest.raises(ValueError, match="shape"):
        data.PILImageDataset(torch.zeros(3, 28, 28), torch.zeros(3))


def test_parse_idx_rejects_garbage():
    with pytest.raises(data.DataChecksumError, match="IDX"):
        data._parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 9]) + bytes(3), "x")
    arr = data._parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]), "x")
    assert np.array_equal(arr, [7, 8, 9])


# --- the same data on every machine -------------------------------------------------------------

def test_mnist_is_the_course_split_of_the_test_file_even_beside_a_train_file(isolated_data, monkeypatch):
    """A learner online has MNIST's train file too; the course still draws from the test file alone."""
    from course_utils.tools import fake_online

    src = _mnist_dir()
    offline = data.load_mnist(path=src, download=False, verbose=False)
    online = fake_online.make_online_folder(isolated_data / "online", real=src)
    with fake_online._accepted_as_official(online):          # the train file would pass as official
        got = data.load_mnist(path=online, download=False, verbose=False)
        opt_in = data.load_mnist(path=online, download=False, verbose=False, official=True)
    for part in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(got, part), getattr(offline, part)), part
    assert "the same on every machine" in got.note
    assert not torch.equal(opt_in.x_train, offline.x_train) and "Opt-in" in opt_in.note
    train_bytes = {t.numpy().tobytes() for t in offline.x_train}
    assert not any(t.numpy().tobytes() in train_bytes for t in offline.x_test), "held-out digits were trained on"


def test_official_opt_in_without_a_train_file_says_what_is_missing(isolated_data):
    with pytest.raises(data.DataNotFoundError, match="train-images-idx3-ubyte.gz"):
        data.load_mnist(path=_mnist_dir(), download=False, official=True)


def test_the_fake_online_check_sees_a_loader_that_switches_to_the_train_file(isolated_data, monkeypatch):
    """The check must fail for the old loader (official splits wherever a train file exists), else it proves nothing."""
    from course_utils import zoo
    from course_utils.tools import fake_online

    src = _mnist_dir()
    monkeypatch.setenv(data.ENV_VAR, str(src))
    here = data.load_mnist(download=False, verbose=False)
    online = fake_online.make_online_folder(isolated_data / "online", real=src)
    monkeypatch.setattr(zoo, "_FINGERPRINTS", {})
    assert fake_online.check(online, here) == []
    monkeypatch.setitem(data.COURSE_SOURCE, "mnist", "official")        # the loader before the fix
    monkeypatch.setattr(zoo, "_FINGERPRINTS", {})
    problems = fake_online.check(online, here)
    assert any("x_train differs" in p for p in problems)
    assert any(p.startswith("zoo vae2d: its record was made on other images") for p in problems)
