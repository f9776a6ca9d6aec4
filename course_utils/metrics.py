"""Metrics: the numbers that say how good a model is, for chapters 03, 12 and 13.

- psnr                    image quality after denoising or compression, in dB
- auroc, roc_curve        anomaly scores against true labels, threshold-free
- linear_probe_accuracy   how much class information frozen features hold
- near_zero_mask/fraction how sparse a code is, with a scale-free threshold
- quantize_uniform        a code stored with `bits` bits per number (compression)
- confident_share         how often a classifier (the "judge") is sure an image shows some class
- judged_classes, class_fidelity, class_shares, judge_ceiling
                          a judge's verdict on generated images, per requested class, and the same judge's
                          score on real images given the same treatment (its calibrated ceiling; chapters 10, 12)
- continuous_bernoulli_mean  the grey haze a continuous-Bernoulli decoder's mean puts on a pixel (a treatment)

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


# ---------------------------------------------------------------- judges of generated images (chapters 10, 12)

def _check_labels(labels: torch.Tensor, n: int, n_classes: int, what: str) -> torch.Tensor:
    labels = torch.as_tensor(labels)
    if torch.is_floating_point(labels) or labels.dim() != 1 or len(labels) != n:
        raise ValueError(f"{what} must be integer class labels of shape ({n},), one per image; got dtype "
                         f"{labels.dtype} and shape {tuple(labels.shape)}.")
    if n and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"{what} must lie in 0..{n_classes - 1}, got {int(labels.min())}..{int(labels.max())}.")
    return labels.long()


@torch.no_grad()
def judged_classes(judge: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The judge's class (argmax of its logits) for every image, in eval mode and in batches; shape (N,)."""
    if len(images) == 0:
        raise ValueError("images is empty: there is nothing to judge.")
    if not torch.isfinite(images).all():
        raise ValueError("images hold NaN or infinite values: a judge cannot read them (check the decoder's output).")
    was_training = judge.training
    judge.eval()
    try:
        return torch.cat([judge(images[i:i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])
    finally:
        judge.train(was_training)


def class_fidelity(judge: torch.nn.Module, images: torch.Tensor, requested: torch.Tensor,
                   n_classes: int = 10) -> torch.Tensor:
    """Conditioning fidelity, shape (n_classes,): of the images requested as class c, the share the judge calls c.

    Read it only beside judge_ceiling (the same judge on real images given the same treatment) and beside a
    control (class_shares of a model that ignores the label): alone it mixes the model with the judge."""
    requested = _check_labels(requested, len(images), n_classes, "requested")
    counts = torch.bincount(requested, minlength=n_classes)
    if (counts == 0).any():
        missing = (counts == 0).nonzero().flatten().tolist()
        raise ValueError(f"no image was requested as class {missing}: fidelity needs images of every class "
                         f"0..{n_classes - 1} (request n per class, e.g. torch.arange({n_classes}).repeat_interleave(n)).")
    hits = torch.bincount(requested[judged_classes(judge, images) == requested], minlength=n_classes)
    return hits.float() / counts.float()


def class_shares(judge: torch.nn.Module, images: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Share of `images` the judge assigns to each class, shape (n_classes,), summing to 1.

    The control of a model that ignores labels: had it been asked for class c, it would "score" share c."""
    pred = judged_classes(judge, images)
    if int(pred.max()) >= n_classes:
        raise ValueError(f"the judge names class {int(pred.max())}, but n_classes is {n_classes}.")
    return torch.bincount(pred, minlength=n_classes).float() / len(pred)


def judge_ceiling(judge: torch.nn.Module, x_real: torch.Tensor, y_real: torch.Tensor, treatment=None,
                  n_classes: int = 10) -> torch.Tensor:
    """The judge's per-class accuracy on real images given `treatment` (a function of images, None = as they are).

    Calibration: a judge that scores generated images must first score real images put through the same
    transformation the samples got (the same summary of the decoder: its mean, its parameter, a sample...).
    That accuracy is the ceiling a perfect generator would reach; print it beside every fidelity."""
    if x_real.numel() and (x_real.min() < 0 or x_real.max() > 1):
        raise ValueError(f"x_real must hold real images with values in [0, 1], got {x_real.min():.3g}.."
                         f"{x_real.max():.3g}.")
    treated = x_real if treatment is None else treatment(x_real)
    if not torch.is_tensor(treated) or treated.shape != x_real.shape:
        raise ValueError(f"treatment must return a tensor of the images' shape {tuple(x_real.shape)}, got "
                         f"{type(treated).__name__} {tuple(getattr(treated, 'shape', ()))}.")
    return class_fidelity(judge, treated, y_real, n_classes)


def continuous_bernoulli_mean(lam: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Mean of a continuous Bernoulli with parameter lam (clipped to [eps, 1 - eps]): lam/(2 lam - 1) + 1/(2 artanh(1 - 2 lam)).

    Used as a treatment: a pixel value x read as lam gives the image a continuous-Bernoulli decoder's *mean*
    would show if its lam were x. The mean tends to 0 only like -1/log(lam) (0.11 at lam = 1e-4, a logit of
    -9.2), so a background of zeros turns into a grey haze; eps sets how far the logits reach."""
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must lie strictly between 0 and 0.5, got {eps}.")
    if lam.numel() and (lam.min() < 0 or lam.max() > 1):
        raise ValueError(f"lam must lie in [0, 1] (a probability, such as sigmoid(logits)), got "
                         f"{lam.min():.3g}..{lam.max():.3g}.")
    probs = lam.double().clamp(eps, 1 - eps)
    mean = torch.distributions.ContinuousBernoulli(probs=probs, validate_args=False).mean
    return mean.to(lam.dtype)


def continuous_bernoulli_inverse_mean(x: torch.Tensor, tol: float = 1e-9) -> torch.Tensor:
    """The parameter lam whose continuous-Bernoulli mean equals x (the inverse of `continuous_bernoulli_mean`).

    Used as a treatment: if a perfect decoder's *mean* were the real image x, its lam would be this map of x
    (0.3 -> 0.065, 0.5 -> 0.5, 0.7 -> 0.935; 0 -> 0 and 1 -> 1 as limits). Solved by bisection on the logit,
    once per distinct pixel value, so it is cheap on 8-bit images."""
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"x must lie in [0, 1] (a continuous-Bernoulli mean, such as an image), got "
                         f"{x.min():.3g}..{x.max():.3g}.")
    values, inverse = torch.unique(x.double(), return_inverse=True)
    inner = (values > 0) & (values < 1)
    lo = torch.full_like(values, -1e6)
    hi = torch.full_like(values, 1e6)

    def mean_of_logit(eta):          # e^eta / (e^eta - 1) - 1/eta, with its limit 0.5 at eta = 0
        small = eta.abs() < 1e-6
        safe = torch.where(small, torch.ones_like(eta), eta)
        return torch.where(small, 0.5 + eta / 12, -1 / torch.expm1(-safe) - 1 / safe)

    for _ in range(200):
        mid = (lo + hi) / 2
        below = mean_of_logit(mid) < values
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        if (hi - lo).max() < tol:
            break
    lam = torch.sigmoid((lo + hi) / 2)
    lam = torch.where(inner, lam, values)
    return lam[inverse].reshape(x.shape).to(x.dtype)
