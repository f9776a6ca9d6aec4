"""Training: seeding, CPU threads and one fit loop over in-memory tensors.

The loop batches by *indexing* a tensor that is already in memory
(``x[idx]``), instead of a DataLoader that turns each image into a tensor one at
a time. For small models the per-image Python work of a DataLoader can cost as much
as the model itself, so indexing is faster. The other defaults are fast too: fused
Adam (``adam``), and image models that hand logits to ``losses.bce_logits_per_image``;
the loss checks its inputs on the first step only. ``benchmarks/bench_training.py``
(``make bench``) measures fit() against the DataLoader loop of the reference PyTorch
VAE example, against a bare hand-written loop (fit's own overhead) and against the
model's FLOP floor; its last result is committed beside it.
"""
from __future__ import annotations

import math
import os
import random
import sys
from collections.abc import Callable
from typing import Union

import numpy as np
import torch
from tqdm.auto import tqdm

from course_utils import losses

LossOut = Union[torch.Tensor, dict[str, torch.Tensor]]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def setup(seed: int = 0, threads: int | None = None) -> torch.Generator:
    """Seed Python, NumPy and torch, set CPU threads (env COURSE_THREADS, else up to 2); return a generator."""
    if threads is None:
        threads = int(os.environ.get("COURSE_THREADS", min(2, os.cpu_count() or 1)))
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}.")
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def _as_terms(out: LossOut) -> dict[str, torch.Tensor]:
    """A loss function may return one tensor or a dict of terms whose 'loss' is optimised."""
    terms = out if isinstance(out, dict) else {"loss": out}
    if "loss" not in terms:
        raise KeyError(f"loss_fn returned terms {sorted(terms)}; one of them must be called 'loss'.")
    return terms


def _diverged(epoch: int, step: int, value: float) -> TrainingDiverged:
    return TrainingDiverged(
        f"Loss became {value} at epoch {epoch}, step {step} / epoch {epoch}, step {step} पर loss {value} हो गया.\n"
        "Try / उपाय: a smaller learning rate; inputs scaled to [0, 1] for BCE; clamp the log-variance; "
        "check the loss for log(0) or division by zero.")


def _step_terms(loss_fn: Callable[..., LossOut], model: torch.nn.Module, args: tuple,
                check_inputs: bool) -> dict[str, torch.Tensor]:
    """The loss terms of one step; without check_inputs, the losses skip their pass over the batch."""
    if check_inputs:
        return _as_terms(loss_fn(model, *args))
    with losses.checks(False):
        return _as_terms(loss_fn(model, *args))


def adam(model: torch.nn.Module, lr: float = 1e-3) -> torch.optim.Adam:
    """Adam over the model's parameters, fused into one kernel per step where this torch supports it (same maths, faster)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters; did you freeze them all?")
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # older torch: no fused Adam on the CPU
        return torch.optim.Adam(params, lr=lr)


def _bar(iterable, desc: str, enabled: bool, total: int | None = None) -> tqdm:
    """tqdm over `iterable`, gone when the loop ends (leave=False).

    In a notebook the bar is a widget whose plain text is frozen when it is displayed ("0/10"),
    and a saved notebook would show that stale line; so the widget is displayed without it.
    """
    notebook = sys.modules.get("tqdm.notebook")
    if not (enabled and notebook and issubclass(tqdm, notebook.tqdm_notebook)):
        return tqdm(iterable, desc=desc, total=total, disable=not enabled, leave=False)
    from IPython.display import display
    bar = tqdm(iterable, desc=desc, total=total, leave=False, display=False)
    display(bar.container, exclude=["text/plain"])
    return bar


def _epoch_bar(epochs: int, progress: bool) -> tqdm:
    """The bar over fit()'s epochs."""
    return _bar(range(1, epochs + 1), "epochs", progress)


def progress(iterable, desc: str = "runs", total: int | None = None) -> tqdm:
    """A progress bar for a hand-written loop that trains (``for seed in progress(SEEDS, "seeds"):``), gone when done."""
    if total is None and not hasattr(iterable, "__len__"):
        raise TypeError(f"progress() needs the number of items: pass total= for a {type(iterable).__name__}, "
                        "or a list / range. / progress() को items की गिनती चाहिए: total= दें।")
    return _bar(iterable, desc, True, total)


def fit(model: torch.nn.Module, loss_fn: Callable[..., LossOut], x: torch.Tensor,
        y: torch.Tensor | None = None, *, epochs: int = 5, batch_size: int = 128, lr: float = 1e-3,
        optimizer: torch.optim.Optimizer | None = None, x_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None, seed: int = 0, progress: bool = True,
        on_epoch_start: Callable[[int], None] | None = None) -> dict[str, list[float]]:
    """Train `model` by minimising loss_fn(model, xb[, yb])['loss']; return the per-epoch history of every term.

    The course's losses check their inputs on the first step only (a check costs a pass over the
    batch; see course_utils.losses); a loss that turns NaN or infinite later stops the training
    with TrainingDiverged, naming the epoch and step.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}.")
    if len(x) == 0:
        raise ValueError("x is empty: there is nothing to train on. Check the data loading and any filtering "
                         "of x (for example a class or mask that selects no image). / x खाली है: data देखें।")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}.")
    opt = optimizer or adam(model, lr)
    g = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {}
    bar = _epoch_bar(epochs, progress)
    for epoch in bar:
        if on_epoch_start:
            on_epoch_start(epoch)
        model.train()
        sums: dict[str, float] = {}
        perm = torch.randperm(len(x), generator=g)
        for step, start in enumerate(range(0, len(x), batch_size), 1):
            idx = perm[start:start + batch_size]
            args = (x[idx],) if y is None else (x[idx], y[idx])
            terms = _step_terms(loss_fn, model, args, check_inputs=epoch == 1 and step == 1)
            values = {k: float(v.detach()) for k, v in terms.items()}  # each term read once, as a number
            if not math.isfinite(values["loss"]):
                raise _diverged(epoch, step, values["loss"])
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v * len(idx)
        for k, v in sums.items():
            history.setdefault(k, []).append(v / len(x))
        if x_val is not None:
            for k, v in evaluate(model, loss_fn, x_val, y_val).items():
                history.setdefault(f"val_{k}", []).append(v)
        bar.set_postfix(loss=f"{history['loss'][-1]:.4g}")
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: torch.nn.Module, loss_fn: Callable[..., LossOut], x: torch.Tensor,
             y: torch.Tensor | None = None, batch_size: int = 1000) -> dict[str, float]:
    """Mean of every loss term over `x`, in eval mode, without gradients."""
    model.eval()
    sums: dict[str, float] = {}
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        args = (xb,) if y is None else (xb, y[start:start + batch_size])
        for k, v in _as_terms(loss_fn(model, *args)).items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(xb)
    out = {k: v / len(x) for k, v in sums.items()}
    if not all(math.isfinite(v) for v in out.values()):
        raise TrainingDiverged(f"evaluate: a loss term is not finite: {out}")
    return out


@torch.no_grad()
def encode_all(encoder: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
               batch_size: int = 1000) -> torch.Tensor:
    """Apply `encoder` to `x` in batches without gradients and stack the results."""
    return torch.cat([encoder(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
