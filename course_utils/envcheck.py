"""Environment check for chapter 00: what is missing, and the command that fixes it."""
from __future__ import annotations

import importlib
import inspect
import os
import sys
from dataclasses import dataclass

from . import data

PACKAGES = {  # import name -> pip name
    "torch": "torch==2.14.1", "torchvision": "torchvision==0.29.1", "numpy": "numpy",
    "matplotlib": "matplotlib", "ipywidgets": "ipywidgets", "tqdm": "tqdm", "sklearn": "scikit-learn",
}


@dataclass
class Item:
    """One line of the report: what was checked, whether it is fine, and how to fix it."""

    what: str
    ok: bool
    detail: str
    fix: str = ""


def check_environment(datasets: tuple[str, ...] = ("mnist", "fashion_mnist")) -> list[Item]:
    """Check Python, the packages and the data the course needs; never download anything."""
    items = [Item("Python", sys.version_info >= (3, 10), sys.version.split()[0],
                  "install Python 3.10 or newer (3.11 is tested)")]
    for module, pip_name in PACKAGES.items():
        try:
            mod = importlib.import_module(module)
            items.append(Item(module, True, getattr(mod, "__version__", "?")))
        except Exception as err:  # missing, or torchvision built for another torch
            items.append(Item(module, False, f"{type(err).__name__}: {str(err)[:80]}",
                              f"pip install '{pip_name}'  (or: pip install -e . from the course folder)"))
    for name in datasets:
        try:
            found = {split: data._load_split(name, split, None, False)
                     for split in (("test",) if data.COURSE_SOURCE[name] == "test-file" else ("train", "test"))}
            items.append(Item(f"data: {name}", True, _data_detail(found)))
        except (data.DataNotFoundError, data.DataChecksumError) as err:
            fix = ("sudo apt-get install dataset-fashion-mnist" if name == "fashion_mnist"
                   else f"set {data.ENV_VAR} to a folder with t10k-images-idx3-ubyte.gz, or go online once")
            items.append(Item(f"data: {name}", False, str(err).splitlines()[0][:90], fix))
    import torch
    items.append(Item("CPU threads", True, f"{torch.get_num_threads()} of {os.cpu_count()} cores (no GPU needed)"))
    return items


def _data_detail(found: dict) -> str:
    """What the course will train and test on: the course split of each dataset (data.COURSE_SOURCE)."""
    if "train" in found:
        return f"train {len(found['train'][1]):,} / test {len(found['test'][1]):,} images, checksums OK"
    params = inspect.signature(data.load_dataset).parameters
    n_train, n_test = params["n_train"].default, params["n_test"].default
    return (f"the course split: {n_train:,} train / {n_test:,} test from the {len(found['test'][1]):,} digits of "
            "the official test file; checksums OK")


# Marks that common fonts have (DejaVu, Noto), each with a word, so a line reads right even as a box.
OK_MARK, FAIL_MARK = "✓ OK  ", "✗ FAIL"


def report(items: list[Item]) -> bool:
    """Print the check as a short table; return True when nothing is missing."""
    for it in items:
        print(f"{OK_MARK if it.ok else FAIL_MARK} {it.what:<22} {it.detail}")
        if not it.ok:
            print(f"       → fix / उपाय: {it.fix}")
    ok = all(it.ok for it in items)
    print("\n" + ("✓ OK: सब तैयार / Everything is ready." if ok else
                  "✗ FAIL: ऊपर की FAIL lines ठीक करें, फिर kernel restart करें / "
                  "Fix the FAIL lines above, then restart the kernel."))
    return ok
