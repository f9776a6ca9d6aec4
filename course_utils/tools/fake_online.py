"""Fake a learner's online machine and prove that the course gives it the same data as the build machine.

A learner online (Colab, a laptop that once downloaded MNIST) has MNIST's official *train* file beside the
test file, in torchvision's layout (``MNIST/raw``); the course's build machines have only the test file.
:func:`make_online_folder` builds such a folder: the real test files plus an official-looking train file
(60,000 images in valid IDX format, made from the test digits mirrored, so that any use of it shows). Then

* :func:`check` proves that the loader gives the same course split there as here, and that every zoo recipe
  sees the data fingerprint its record holds (so ``zoo.load`` uses the committed checkpoints there too);
* ``--run`` re-executes every chapter and solution that uses the zoo with ``COURSE_DATA`` pointing at it.

    python -m course_utils.tools.fake_online            # the data check (seconds)
    python -m course_utils.tools.fake_online --run      # and re-execute the chapters that use the zoo (minutes)
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from .. import data, zoo
from .build import ROOT, BuildError, sources
from .split_seeds import environment, execute_all


def _idx(array: np.ndarray) -> bytes:
    """uint8 `array` as IDX bytes (magic 0x08, one big-endian size per dimension)."""
    head = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return head + array.astype(np.uint8).tobytes()


def make_online_folder(folder: Path, real: str | Path | None = None) -> Path:
    """Write torchvision's layout under `folder`: the real MNIST test files and a 60,000-image train file."""
    images, labels = data._load_split("mnist", "test", None if real is None else str(real), False)
    raw = Path(folder) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images), compresslevel=1, mtime=0))
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels), mtime=0))
    mirrored = np.tile(images[:, :, ::-1], (6, 1, 1))        # 60,000 digits no test file holds
    (raw / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(mirrored), compresslevel=1, mtime=0))
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.tile(labels, 6)), mtime=0))
    return Path(folder)


@contextlib.contextmanager
def _accepted_as_official(folder: Path) -> Iterator[None]:
    """Let the loader accept the folder's train files as MNIST's official ones (their MD5 pinned for a block).

    The loader pins the official .gz files' MD5, which no made-up file can match; the check stands in for a
    real download by pinning the made-up files' MD5 instead, so the loader would use them if it ever read them."""
    raw = Path(folder) / "MNIST" / "raw"
    old = dict(data.GZ_MD5["mnist"])
    data.GZ_MD5["mnist"].update({stem: hashlib.md5((raw / f"{stem}.gz").read_bytes()).hexdigest()
                                 for stem in data.SPLIT_FILES["train"]})
    data._load_split.cache_clear()
    try:
        yield
    finally:
        data.GZ_MD5["mnist"].clear()
        data.GZ_MD5["mnist"].update(old)
        data._load_split.cache_clear()


def check(folder: Path, here: data.ImageData | None = None) -> list[str]:
    """Problems found when the loader and the zoo run on `folder` instead of this machine's data (empty: none).

    `here` is the course's MNIST as this machine loads it (default: load_mnist() now)."""
    problems = []
    raw = Path(folder) / "MNIST" / "raw"
    if data._find_split("mnist", "test", [raw]) is None:
        return [f"{raw} holds no MNIST test files: the check would read this machine's data instead"]
    here = here if here is not None else data.load_mnist(verbose=False)
    with _accepted_as_official(folder), environment(**{data.ENV_VAR: str(folder)}):
        official = data.load_mnist(path=folder, download=False, verbose=False, official=True)
        digits, _ = data._load_split("mnist", "test", str(folder), False)
        first = (official.x_train[0, 0].flip(-1) * 255).round().to(torch.uint8).numpy()
        if not (digits == first).all(axis=(1, 2)).any():
            problems.append("official=True did not read the folder's (mirrored) train file: the check cannot see a switch")
        there = data.load_mnist(download=False, verbose=False)
        for part in ("x_train", "y_train", "x_test", "y_test"):
            if not torch.equal(getattr(here, part), getattr(there, part)):
                problems.append(f"load_mnist().{part} differs on the online-looking folder")
        for name in sorted(zoo.RECIPES):
            if zoo.recipe(name).data.dataset == "mnist":
                why = zoo.data_mismatch(name, zoo.record(name))
                if why:
                    problems.append(f"zoo {name}: {why}")
    return problems


def zoo_users() -> list[str]:
    """The chapter and solution sources that load a model from the zoo."""
    return [p.relative_to(ROOT).as_posix() for p in sources() if "zoo.load(" in p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.fake_online", description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="store_true", help="also re-execute every source that uses the zoo there")
    parser.add_argument("names", nargs="*", help="with --run: only sources whose path contains one of these")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fake-online-") as tmp:
        folder = make_online_folder(Path(tmp))
        problems = check(folder)
        for p in problems:
            print(f"✗ {p}")
        print(f"{'✗' if problems else '✓'} data check on an online-looking folder: the same course split and "
              f"{sum(zoo.recipe(n).data.dataset == 'mnist' for n in zoo.RECIPES)} MNIST zoo fingerprints "
              f"({len(problems)} problem(s))", flush=True)
        if args.run and not problems:
            todo = [s for s in zoo_users() if not args.names or any(n in s for n in args.names)]
            try:
                problems += execute_all(todo, "online", **{data.ENV_VAR: str(folder)})
            except BuildError as err:
                print(f"✗ {err}", file=sys.stderr)
                return 2
            print(f"{'✗' if problems else '✓'} {len(todo)} notebooks re-executed on it, {len(problems)} failure(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
