"""Evaluating generative models (chapter 12): likelihood by importance sampling, and sample quality in a judge's features.

Every estimator here is named after what it estimates and tested on its degenerate case (tests/test_evaluation.py):

- ``iwae_log_weights`` / ``iwae_bound``: the importance-weighted bound of Burda et al. (2016),
  log p̂_k(x) = log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x). k = 1 is the ELBO (one draw); its
  expectation rises with k and reaches log p(x) as k → ∞. When q is the exact posterior every weight is equal
  and the bound is exact for every k. Units: nats of a Bernoulli likelihood of binary images.
- ``effective_sample_size``: Kish's ESS = (Σ w)² / Σ w² of the k weights, between 1 and k.
- ``log_px_quadrature``: log p(x) of a 2-D latent model by a grid sum (chapter 04), the exact value the
  IWAE bound converges to.
- ``frechet_distance``: the Fréchet (2-Wasserstein) distance between two Gaussians fitted to feature sets;
  in the course judge's 64 features it is *not* Inception FID and its numbers are not comparable to it.
- ``precision_recall``: k-nearest-neighbour precision and recall of Kynkäänniemi et al. (2019): the share of
  generated points inside the real manifold (quality) and of real points inside the generated one (coverage).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _check_images(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    if not torch.is_tensor(x) or not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a float tensor of images, got {type(x).__name__}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} holds no images; pass at least one.")
    return x.flatten(1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) of binary images x under Bernoulli(sigmoid(logits)), summed over pixels: x·l − softplus(l)."""
    return (x * logits - F.softplus(logits)).sum(-1)


def _standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)


@torch.no_grad()
def iwae_log_weights(model: nn.Module, x: torch.Tensor, k: int, seed: int = 0,
                     y: torch.Tensor | None = None, max_rows: int = 20_000) -> torch.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x) for k draws z_i ~ q(z|x) per image: shape (N, k).

    `model` has encode(x) -> (mu, logvar) and decode_logits(z) -> logits (a course VAE; with y given, a CVAE's
    encode(x, y) and decode_logits(z, y)); x must be binary (0 or 1), as the Bernoulli likelihood assumes.
    The draws come from a generator seeded with `seed`; the caller's random numbers are not touched."""
    xf = _check_images(x)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    if not torch.all((xf == 0) | (xf == 1)):
        raise ValueError("iwae_log_weights needs binary images (a Bernoulli likelihood); binarise them first with "
                         "course_utils.data.binarize(x). / images binary (0 या 1) होनी चाहिए।")
    mu, logvar = model.encode(x) if y is None else model.encode(x, y)
    std = torch.exp(0.5 * logvar)
    g = torch.Generator().manual_seed(seed)
    n, d = mu.shape
    per_chunk = max(1, max_rows // n)
    out = []
    for start in range(0, k, per_chunk):
        s = min(per_chunk, k - start)
        eps = torch.randn(n, s, d, generator=g)
        z = mu[:, None] + std[:, None] * eps
        zf = z.reshape(n * s, d)
        logits = model.decode_logits(zf) if y is None else model.decode_logits(zf, y.repeat_interleave(s))
        log_px_z = bernoulli_log_likelihood(logits.reshape(n, s, -1), xf[:, None])
        log_q = (-0.5 * (eps.pow(2) + math.log(2 * math.pi)) - 0.5 * logvar[:, None]).sum(-1)
        out.append(log_px_z + _standard_normal_log_density(z) - log_q)
    return torch.cat(out, dim=1)


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """log p̂_k(x) = logsumexp_i(log w_i) − log k per image (rows of log_w): a lower bound on log p(x) in expectation."""
    if log_w.ndim != 2 or log_w.shape[1] < 1:
        raise ValueError(f"log_w must have shape (N, k) with k >= 1, got {tuple(log_w.shape)}")
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


def effective_sample_size(log_w: torch.Tensor) -> torch.Tensor:
    """Kish's effective sample size (Σ w)² / Σ w² per image: k when all weights are equal, 1 when one dominates."""
    if log_w.ndim != 2:
        raise ValueError(f"log_w must have shape (N, k), got {tuple(log_w.shape)}")
    return torch.exp(2 * torch.logsumexp(log_w, 1) - torch.logsumexp(2 * log_w, 1))


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    """The mean of per-image values and its standard error over images (std / √N; nan for a single image)."""
    v = values.double().flatten()
    if v.numel() == 0:
        raise ValueError("no values to average")
    se = float(v.std() / math.sqrt(v.numel())) if v.numel() > 1 else float("nan")
    return float(v.mean()), se


def bits_per_dim(nats: float | torch.Tensor, dims: int = 784) -> float | torch.Tensor:
    """Nats per image as bits per pixel: nats / (dims · ln 2)."""
    if dims < 1:
        raise ValueError(f"dims must be positive, got {dims}")
    return nats / (dims * math.log(2))


@torch.no_grad()
def log_px_quadrature(model: nn.Module, x: torch.Tensor, half_width: float = 5.0, n: int = 201) -> torch.Tensor:
    """log p(x) of a model with a 2-D latent: the sum of p(x|z) p(z) h² over an n×n grid on [−w, w]² (chapter 04).

    Exact up to the grid's error, which the caller shows is small by comparing two grids; x binary."""
    xf = _check_images(x)
    grid = torch.linspace(-half_width, half_width, n)
    h = float(grid[1] - grid[0])
    z = torch.cartesian_prod(grid, grid)
    if getattr(model, "fc_mu", None) is not None and model.fc_mu.out_features != 2:
        raise ValueError(f"log_px_quadrature needs a 2-D latent, the model has {model.fc_mu.out_features}")
    logits = model.decode_logits(z)                                           # (n², 784)
    log_prior = _standard_normal_log_density(z)
    out = torch.empty(len(xf))
    for start in range(0, len(xf), 50):
        xb = xf[start:start + 50]
        ll = xb @ logits.T - F.softplus(logits).sum(1)                         # (b, n²)
        out[start:start + 50] = torch.logsumexp(ll + log_prior, dim=1) + 2 * math.log(h)
    return out


# ---------------------------------------------------------------- sample quality in a judge's features

@torch.no_grad()
def judge_features(judge: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The course judge's penultimate layer (models.ConvClassifier: 64 ReLU features) for images (N, 1, 28, 28)."""
    _check_images(images, "images")
    body = judge.net[:-1]
    was = judge.training
    judge.eval()
    try:
        return torch.cat([body(images[i:i + batch_size].reshape(-1, 1, 28, 28))
                          for i in range(0, len(images), batch_size)])
    finally:
        judge.train(was)


def _features(a: torch.Tensor, name: str) -> torch.Tensor:
    if not torch.is_tensor(a) or a.ndim != 2:
        raise ValueError(f"{name} must be a (N, features) tensor, got {getattr(a, 'shape', type(a).__name__)}")
    if len(a) < 2:
        raise ValueError(f"{name} needs at least 2 rows to fit a covariance, got {len(a)}")
    if not torch.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or inf features: check the images and the judge first.")
    return a.double()


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a^½ Σ_b Σ_a^½)^½): the Fréchet distance of Gaussians fitted to two feature sets.

    0 for identical sets. Biased upwards at small N (the covariances are estimated): compare only distances
    computed with the same number of samples, and print the real-vs-real floor beside them."""
    a, b = _features(a, "a"), _features(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of features, got {a.shape[1]} and {b.shape[1]}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T
    middle = root_a @ cov_b @ root_a
    cross = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def _kth_neighbour_radius(a: torch.Tensor, k: int) -> torch.Tensor:
    d = torch.cdist(a, a)
    return d.kthvalue(k + 1, dim=1).values          # the 0th neighbour is the point itself


def _inside(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int = 2000) -> torch.Tensor:
    hits = []
    for i in range(0, len(points), chunk):
        hits.append((torch.cdist(points[i:i + chunk], centres) <= radii[None]).any(1))
    return torch.cat(hits)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Kynkäänniemi et al. (2019): (precision, recall) of generated features against real ones.

    Each set's manifold is the union of balls around its points, each ball reaching the point's k-th nearest
    neighbour in its own set. Precision: the share of `fake` inside the real manifold (are samples realistic?).
    Recall: the share of `real` inside the fake manifold (is every kind of real image produced?)."""
    real, fake = _features(real, "real"), _features(fake, "fake")
    if k < 1 or k >= min(len(real), len(fake)):
        raise ValueError(f"k must be between 1 and the smaller set's size minus 1, got k={k} for sets of "
                         f"{len(real)} and {len(fake)}")
    precision = _inside(fake, real, _kth_neighbour_radius(real, k)).double().mean()
    recall = _inside(real, fake, _kth_neighbour_radius(fake, k)).double().mean()
    return float(precision), float(recall)
