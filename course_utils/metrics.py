"""Metrics: the numbers that say how good a model is, for chapters 03, 12 and 13.

- psnr                    image quality after denoising or compression, in dB
- auroc, roc_curve        anomaly scores against true labels, threshold-free
- linear_probe_accuracy   how much class information frozen features hold
- near_zero_mask/fraction how sparse a code is, with a scale-free threshold
- quantize_uniform        a code stored with `bits` bits per number (compression)
- confident_share         how often a classifier (the "judge") is sure an image shows some class

Each function checks its input and says in the error what was wrong.
"""
from __future__ import annotations

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray


def _flat_1d(a: ArrayLike | list, name: str) -> np.ndarray:
    """`a` as a 1-D NumPy array, or a clear error."""
    arr = a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one number per example), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def _binary_labels(scores: ArrayLike | list, labels: ArrayLike | list) -> tuple[np.ndarray, np.ndarray]:
    """Scores as float64 and labels as bool, checked: same length, finite, both classes present."""
    s = _flat_1d(scores, "scores").astype(np.float64)
    y = _flat_1d(labels, "labels")
    if len(s) != len(y):
        raise ValueError(f"scores has {len(s)} entries but labels has {len(y)}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinity")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1, False, True}:
        raise ValueError(f"labels must be 0/1 or bool (1 = anomaly / positive), got values {sorted(values)[:5]}")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError("labels hold only one class; AUROC and the ROC curve need positives and negatives")
    return s, y


def psnr(x_hat: torch.Tensor, x: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Per-image PSNR in dB: 10·log10(data_range² / mean squared error over the pixels of each image)."""
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat has shape {tuple(x_hat.shape)} but x has {tuple(x.shape)}")
    if x.ndim < 2:
        raise ValueError(f"expected a batch of images (N, ...), got shape {tuple(x.shape)}")
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    mse = (x_hat.detach().float() - x.detach().float()).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(data_range ** 2 / mse.clamp_min(1e-10))  # a perfect copy reads 100 dB


def auroc(scores: ArrayLike | list, labels: ArrayLike | list) -> float:
    """Area under the ROC curve by ranks (Mann-Whitney U): P(score of a positive > score of a negative), ties count 1/2."""
    s, y = _binary_labels(scores, labels)
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2          # 1-based rank, averaged over ties
    ranks = average_rank[inverse]
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def roc_curve(scores: ArrayLike | list, labels: ArrayLike | list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, threshold) for 'positive if score >= threshold', from (0, 0) to (1, 1)."""
    s, y = _binary_labels(scores, labels)
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last_of_tie = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s) - 1]   # one point per distinct score
    tp = np.cumsum(y_sorted)[last_of_tie]
    fp = np.cumsum(~y_sorted)[last_of_tie]
    fpr = np.r_[0.0, fp / (~y).sum()]
    tpr = np.r_[0.0, tp / y.sum()]
    thresholds = np.r_[np.inf, s_sorted[last_of_tie]]
    return fpr, tpr, thresholds


def linear_probe_accuracy(f_train: torch.Tensor, y_train: torch.Tensor, f_test: torch.Tensor,
                          y_test: torch.Tensor, weight_decay: float = 1e-3, steps: int = 100) -> float:
    """Test accuracy of L2-regularised softmax regression (L-BFGS) on frozen features standardised with train statistics."""
    for name, f, y in (("train", f_train, y_train), ("test", f_test, y_test)):
        if f.ndim != 2:
            raise ValueError(f"{name} features must be (N, D), got shape {tuple(f.shape)}; flatten images first")
        if y.ndim != 1 or len(y) != len(f):
            raise ValueError(f"{name} labels must be 1-D with one label per row of features: "
                             f"features {tuple(f.shape)}, labels {tuple(y.shape)}")
    if f_train.shape[1] != f_test.shape[1]:
        raise ValueError(f"train features have {f_train.shape[1]} columns but test features {f_test.shape[1]}")
    if weight_decay < 0 or steps < 1:
        raise ValueError(f"weight_decay must be >= 0 and steps >= 1, got {weight_decay} and {steps}")
    y_train, y_test = y_train.long(), y_test.long()
    if int(torch.unique(y_train).numel()) < 2:
        raise ValueError("y_train holds a single class; a classifier needs at least two")
    if int(y_train.min()) < 0 or int(y_test.min()) < 0:
        raise ValueError("labels must be class indices 0, 1, 2, ...")
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    with torch.no_grad():
        f_train, f_test = f_train.detach().float(), f_test.detach().float()
        mean, std = f_train.mean(0), f_train.std(0)
        std = torch.where(std > 1e-8, std, torch.ones_like(std))       # constant features (border pixels)
        a, b = (f_train - mean) / std, (f_test - mean) / std
    w = torch.zeros(a.shape[1], n_classes, requires_grad=True)   # the problem is convex: start at 0, no seed needed
    bias = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(a @ w + bias, y_train) + weight_decay * w.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():        # works even when called inside torch.no_grad()
        opt.step(closure)
    with torch.no_grad():
        return float(((b @ w + bias).argmax(1) == y_test).float().mean())


def near_zero_mask(z: torch.Tensor, tol: float = 0.05) -> torch.Tensor:
    """True where |z| <= tol × (99th percentile of |z| over all of z): near zero on the code's own scale."""
    if z.ndim != 2:
        raise ValueError(f"codes must be (N, D), got shape {tuple(z.shape)}")
    if not 0 < tol < 1:
        raise ValueError(f"tol must be between 0 and 1, got {tol}")
    mag = z.detach().abs().float()
    return mag <= tol * torch.quantile(mag.flatten(), 0.99)


def near_zero_fraction(z: torch.Tensor, tol: float = 0.05) -> float:
    """Fraction of code values that are near zero (see near_zero_mask): a scale-free sparsity measure."""
    return float(near_zero_mask(z, tol).float().mean())


def quantize_uniform(z: torch.Tensor, bits: int, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Round each column of z to one of 2**bits evenly spaced levels in [lo, hi] and return the levels' values."""
    if not isinstance(bits, int) or not 1 <= bits <= 24:
        raise ValueError(f"bits must be an integer from 1 to 24, got {bits!r}")
    if z.ndim != 2:
        raise ValueError(f"codes must be (N, D), got shape {tuple(z.shape)}")
    lo, hi = torch.as_tensor(lo, dtype=z.dtype), torch.as_tensor(hi, dtype=z.dtype)
    if lo.shape not in ((), (z.shape[1],)) or hi.shape != lo.shape:
        raise ValueError(f"lo and hi must be scalars or shaped ({z.shape[1]},), got {tuple(lo.shape)} and {tuple(hi.shape)}")
    if bool((hi < lo).any()):
        raise ValueError("every hi must be >= its lo")
    step = (hi - lo) / (2 ** bits - 1)
    safe = torch.where(step > 0, step, torch.ones_like(step))              # a constant column keeps lo
    level = torch.round((torch.minimum(torch.maximum(z, lo), hi) - lo) / safe)
    return torch.where(step > 0, lo + level * step, lo.expand_as(z))


def bits_per_image(n_numbers: int, bits_per_number: int) -> int:
    """Bits to store one image's code of n_numbers values at bits_per_number each (no entropy coding)."""
    if n_numbers < 1 or bits_per_number < 1:
        raise ValueError(f"both must be positive, got {n_numbers} and {bits_per_number}")
    return n_numbers * bits_per_number



@torch.no_grad()
def confident_share(classifier: torch.nn.Module, images: torch.Tensor, threshold: float = 0.9,
                    batch_size: int = 1000) -> float:
    """Share of `images` on which `classifier` names a class with softmax probability above `threshold`.

    Chapter 01's "judge" measure: a proxy for "looks like a digit". It can be fooled both ways (sure of
    a nonsense image, unsure of an odd real digit), so compare rates with each other and with real
    images, never read one as the truth. The classifier is put in eval mode.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}.")
    if len(images) == 0:
        raise ValueError("images is empty: there is nothing to judge.")
    classifier.eval()
    sure = 0
    for i in range(0, len(images), batch_size):
        p = torch.softmax(classifier(images[i:i + batch_size]), dim=1)
        sure += int((p.max(1).values > threshold).sum())
    return sure / len(images)
