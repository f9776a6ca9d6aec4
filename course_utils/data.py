"""Data: MNIST and Fashion-MNIST as in-memory tensors, found offline first.

Where the loader looks, in this order (the first place that has the files wins):

1. the ``path`` you pass to :func:`load_dataset`;
2. the folder in the environment variable ``COURSE_DATA``;
3. the repository's own ``data/`` folder;
4. Debian's dataset folder (``apt-get install dataset-fashion-mnist``);
5. torchvision's cache (``~/.cache/torch/datasets``), where a download lands.

If none has the files and the machine is online, torchvision downloads them into
the cache; a failed download leaves no partial file.  Every file is checked
against a pinned SHA-256 of its *decompressed* bytes, so a ``.gz`` compressed by
someone else (Debian does this) is still recognised as the same data.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

ENV_VAR = "COURSE_DATA"
SPLIT_SEED_VAR = "COURSE_SPLIT_SEED"   # draws another train/test sample; `make split-seeds` uses it
REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DEBIAN_ROOT = Path("/usr/share/datasets")
CACHE = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "datasets"

# Sub-folders of a search root that may hold a dataset's four IDX files.
FOLDERS = {
    "mnist": ["", "mnist", "MNIST/raw"],
    "fashion_mnist": ["", "fashion-mnist", "fashion_mnist", "FashionMNIST/raw"],
}
CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
# SHA-256 of the decompressed IDX bytes, computed from the files on the course's build machine.
SHA256 = {
    "mnist": {
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
# The MNIST training files never reached the offline build machine, so their decompressed
# SHA-256 is not pinned; they are accepted only next to their official .gz, whose MD5
# (the one torchvision pins) is checked instead.
GZ_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    },
}
SPLIT_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class DataNotFoundError(FileNotFoundError):
    """No searched place holds the dataset's files."""


class DataChecksumError(ValueError):
    """A file was found but its content is not the pinned one."""


@dataclass
class ImageData:
    """Images as float32 tensors in [0, 1] of shape (N, 1, 28, 28), labels as int64."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]
    note: str

    def __repr__(self) -> str:
        return (f"ImageData({self.name}: train {tuple(self.x_train.shape)}, "
                f"test {tuple(self.x_test.shape)}, pixels in [0, 1])")


def _check_name(name: str) -> str:
    key = name.lower().replace("-", "_")
    if key not in FOLDERS:
        raise ValueError(f"Unknown dataset {name!r} / अज्ञात dataset: choose one of {sorted(FOLDERS)}.")
    return key


def search_places(name: str, path: str | os.PathLike | None = None) -> list[Path]:
    """Every folder the loader looks in for dataset `name`, in search order."""
    key = _check_name(name)
    roots: list[Path] = []
    if path is not None:
        roots.append(Path(path))
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]))
    roots += [REPO_DATA, DEBIAN_ROOT, CACHE]
    return [root / sub if sub else root for root in roots for sub in FOLDERS[key]]


def _read_bytes(folder: Path, stem: str) -> bytes | None:
    """The decompressed bytes of `stem` in `folder` (plain or .gz), or None if absent."""
    if (folder / stem).is_file():
        return (folder / stem).read_bytes()
    gz = folder / f"{stem}.gz"
    if gz.is_file():
        try:
            return gzip.decompress(gz.read_bytes())
        except (EOFError, OSError, zlib.error) as err:  # truncated download, not gzip at all ...
            raise DataChecksumError(
                f"{gz}: cannot be decompressed ({type(err).__name__}: {err}); the file is truncated or damaged. "
                "Fix: delete it and load again. / फ़ाइल अधूरी या खराब है: इसे delete करके फिर से load करें।") from err
    return None


def _verify(key: str, folder: Path, stem: str, raw: bytes) -> None:
    """Raise DataChecksumError unless `raw` is the pinned content of file `stem`."""
    want = SHA256.get(key, {}).get(stem)
    if want is not None:
        got = hashlib.sha256(raw).hexdigest()
        where = folder / stem
    else:
        want = GZ_MD5[key][stem]
        gz = folder / f"{stem}.gz"
        got = hashlib.md5(gz.read_bytes()).hexdigest() if gz.is_file() else "(no .gz beside it)"
        where = gz
    if got != want:
        raise DataChecksumError(
            f"{where}: checksum {got} is not the expected {want}. The file is damaged or is not "
            f"{key}. Fix: delete it and load again. / फ़ाइल खराब है: इसे delete करके फिर से load करें।")


def _parse_idx(raw: bytes, stem: str) -> np.ndarray:
    """An IDX file's bytes as a uint8 array: (N, 28, 28) for images, (N,) for labels."""
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if raw[2] != 0x08 or data.size != int(np.prod(shape)):
        raise DataChecksumError(f"{stem} is not a valid uint8 IDX file. / यह सही IDX फ़ाइल नहीं है।")
    return data.reshape(shape)


def _find_split(key: str, split: str, places: list[Path]) -> tuple[np.ndarray, np.ndarray] | None:
    """(images, labels) of one split from the first place that has both files, verified."""
    for folder in places:
        stems = SPLIT_FILES[split]
        raws = [_read_bytes(folder, s) for s in stems]
        if all(r is not None for r in raws):
            for stem, raw in zip(stems, raws):
                _verify(key, folder, stem, raw)
            return _parse_idx(raws[0], stems[0]), _parse_idx(raws[1], stems[1])
    return None


def _download(key: str, cache: Path) -> None:
    """Download a dataset with torchvision into `cache`, all or nothing."""
    from torchvision import datasets

    folder = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}[key]  # torchvision's layout
    cls = getattr(datasets, folder)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        cls(root=str(tmp), train=True, download=True)
        cls(root=str(tmp), train=False, download=True)
        final = cache / folder / "raw"
        final.mkdir(parents=True, exist_ok=True)
        for f in (tmp / folder / "raw").iterdir():
            os.replace(f, final / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _not_found(key: str, places: list[Path], reason: str) -> DataNotFoundError:
    fix = ("sudo apt-get install dataset-fashion-mnist" if key == "fashion_mnist" else
           f"export {ENV_VAR}=/path/to/folder/with/t10k-images-idx3-ubyte.gz")
    listed = "\n  ".join(str(p) for p in places)
    return DataNotFoundError(
        f"{key} not found / {key} नहीं मिला. Searched, in order / इन जगहों पर खोजा:\n  {listed}\n"
        f"{reason}\nFix / उपाय: `{fix}`, or connect to the internet and load again "
        f"(torchvision downloads into {CACHE}).")


# Where each dataset's images come from by default (the *course split*), the same on every machine:
# - MNIST: the 10,000 digits of the official test file, split n_train / n_test by a pinned seed. Every MNIST
#   download holds that file, while the training file is missing on the course's offline build machines, so
#   drawing from the test file alone is the only source every machine shares. A loader that switched to the
#   official training file where it exists would hand a learner online "held-out" digits that the zoo's models
#   trained on.
# - Fashion-MNIST: the official 60,000 / 10,000 splits (Debian's package and every download hold all four files).
COURSE_SOURCE = {"mnist": "test-file", "fashion_mnist": "official"}


@lru_cache(maxsize=8)
def _load_split(key: str, split: str, path: str | None, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """Raw uint8 (images, labels) of one official split, searched and verified once per process."""
    places = search_places(key, path)
    found = _find_split(key, split, places)
    if found is None and download:
        try:
            _download(key, CACHE)
        except Exception as err:  # no network, server down, disk full ...
            raise _not_found(key, places, f"Download failed / download नहीं हुआ: {err}") from err
        found = _find_split(key, split, places)
    if found is None:
        wanted = " and ".join(f"{s}.gz" for s in SPLIT_FILES[split])
        raise _not_found(key, places, f"Needed / चाहिए: {wanted}. "
                         + ("" if download else "Download not attempted (download=False)."))
    return found


def _split_seed(seed: int | None) -> int:
    if seed is not None:
        return seed
    raw = os.environ.get(SPLIT_SEED_VAR, "0")
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{SPLIT_SEED_VAR} must be an integer, got {raw!r}; unset it or write e.g. "
                         f"{SPLIT_SEED_VAR}=1.") from None


def load_dataset(name: str, n_train: int = 8000, n_test: int = 2000,
                 path: str | os.PathLike | None = None, download: bool = True,
                 seed: int | None = None, verbose: bool = True, official: bool = False) -> ImageData:
    """Load `name` ('mnist' or 'fashion_mnist') as tensors: n_train / n_test images, fixed by `seed`.

    By default the *course split* (COURSE_SOURCE above): the same images on every machine, offline or
    online, so the notebooks' numbers and the zoo's checkpoints hold everywhere. ``official=True`` draws
    MNIST from the official 60,000 / 10,000 splits instead, for your own experiments (the zoo's models and
    the chapters' numbers do not hold on it). `seed` defaults to the environment variable COURSE_SPLIT_SEED,
    else 0: `make split-seeds` re-runs every notebook with other seeds to prove the asserts hold on any draw.
    """
    key = _check_name(name)
    seed = _split_seed(seed)
    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train and n_test must be positive, got {n_train} and {n_test}.")
    where = None if path is None else str(path)
    g = torch.Generator().manual_seed(seed)
    if official or COURSE_SOURCE[key] == "official":
        xi, yi = _load_split(key, "train", where, download)
        xt, yt = _load_split(key, "test", where, download)
        if n_train > len(xi) or n_test > len(xt):
            raise ValueError(f"{key} has {len(xi):,} train and {len(xt):,} test images; "
                             f"asked for {n_train:,} and {n_test:,}.")
        tr, te = torch.randperm(len(xi), generator=g)[:n_train], torch.randperm(len(xt), generator=g)[:n_test]
        note = (f"{key}: {n_train:,} train / {n_test:,} test images from the official "
                f"{len(xi):,} / {len(xt):,} splits (split seed {seed}).")
        if COURSE_SOURCE[key] != "official":
            note += (" Opt-in: not the course split, so the zoo's models and the chapters' numbers do not hold here "
                     "/ यह course का split नहीं है: zoo के models और chapters के numbers इस पर लागू नहीं होते।")
    else:
        xi, yi = xt, yt = _load_split(key, "test", where, download)
        if n_train + n_test > len(xt):
            raise ValueError(f"The course's {key} is the {len(xt):,} images of the official test file; "
                             f"n_train + n_test must be at most that, got {n_train + n_test:,}. For more training "
                             f"images use official=True (your own experiments only).")
        perm = torch.randperm(len(xt), generator=g)
        tr, te = perm[:n_train], perm[n_train:n_train + n_test]
        note = (f"{key}: the course split, {n_train:,} train / {n_test:,} test digits drawn (split seed {seed}) from "
                f"the {len(xt):,} of the official test file, the same on every machine "
                f"(course का split: official test file के digits, हर machine पर वही).")
    if verbose:
        print(note)
    to_x = lambda a, i: torch.from_numpy(a[i.numpy()].copy()).float().div_(255).unsqueeze(1)  # noqa: E731
    to_y = lambda a, i: torch.from_numpy(a[i.numpy()].astype(np.int64))  # noqa: E731
    return ImageData(key, to_x(xi, tr), to_y(yi, tr), to_x(xt, te), to_y(yt, te), CLASSES[key], note)


def load_mnist(n_train: int = 8000, n_test: int = 2000, **kwargs) -> ImageData:
    """MNIST digits as in-memory tensors (see load_dataset)."""
    return load_dataset("mnist", n_train, n_test, **kwargs)


def load_fashion_mnist(n_train: int = 8000, n_test: int = 2000, **kwargs) -> ImageData:
    """Fashion-MNIST clothes as in-memory tensors (see load_dataset)."""
    return load_dataset("fashion_mnist", n_train, n_test, **kwargs)


def binarize(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """One fixed Bernoulli draw of grey images: each pixel becomes 1 with probability equal to its grey value.

    The course's VAEs use a Bernoulli decoder, a distribution over black-and-white images. They are
    trained on *dynamic* binarisation (a fresh ``torch.bernoulli(x)`` of every batch, inside the loss)
    and evaluated on this *static* one (the same draw every time, fixed by `seed`), so that a held-out
    -ELBO in nats is a bound on -log p(x) of a fixed set of binary images (chapter 05 explains why).
    The caller's random numbers are not touched.
    """
    if not torch.is_floating_point(x):
        raise TypeError(f"binarize wants grey values as floats in [0, 1], got dtype {x.dtype}; divide by 255 first.")
    lo, hi = (float(v) for v in torch.aminmax(x)) if x.numel() else (0.0, 0.0)
    if not (0.0 <= lo and hi <= 1.0):
        raise ValueError(f"binarize wants grey values in [0, 1], got values in [{lo:.3g}, {hi:.3g}]; "
                         "scale the images by 1/255 first. / values [0, 1] में होने चाहिए: images को 255 से divide करें।")
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(x, generator=g)


class PILImageDataset(torch.utils.data.Dataset):
    """A torchvision-style dataset (PIL image, label) over in-memory images, for DataLoader pipelines."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, transform=None):
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(f"expected images of shape (N, 1, H, W), got {tuple(x.shape)}")
        self.pixels = (x[:, 0] * 255).round().to(torch.uint8).numpy()
        self.y, self.transform = y, transform

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        from PIL import Image

        img = Image.fromarray(self.pixels[i])  # uint8 (H, W) -> grayscale "L"
        return (self.transform(img) if self.transform else img), int(self.y[i])
