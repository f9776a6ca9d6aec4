"""Applications of a trained VAE (chapter 13): anomaly scores, a complexity-corrected likelihood, missing pixels.

Images are (N, 1, 28, 28) tensors with pixels in [0, 1]; a mask `missing` is a bool tensor of the same shape,
True where a pixel is missing. Functions that draw random numbers take a seed or a torch.Generator and leave
the caller's random numbers alone.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.evaluation import iwae_bound, iwae_log_weights


def _check_images(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """x as (N, 1, 28, 28) floats in [0, 1], or a clear error."""
    if not torch.is_tensor(x) or x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{name} must be images of shape (N, 1, 28, 28), got "
                         f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}; use x.view(-1, 1, 28, 28).")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name} must have pixels in [0, 1], got {x.min():.3g}..{x.max():.3g}; divide 8-bit "
                         "images by 255.")
    return x.float()


def _check_mask(missing: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """`missing` as a bool tensor shaped like x, or a clear error."""
    if not torch.is_tensor(missing) or missing.dtype != torch.bool:
        raise ValueError("missing must be a bool tensor (True = the pixel is missing), got "
                         f"{getattr(missing, 'dtype', type(missing).__name__)}; use mask.bool().")
    if missing.shape != x.shape:
        raise ValueError(f"missing must have the shape of the images, {tuple(x.shape)}, got {tuple(missing.shape)}.")
    return missing


# ------------------------------------------------------------------ anomaly scores

@torch.no_grad()
def squared_error(reconstruct: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Sum over the 784 pixels of (x − reconstruct(x))², one number per image: chapter 03's anomaly score."""
    x = _check_images(x)
    return (reconstruct(x).reshape(x.shape) - x).pow(2).flatten(1).sum(1)


@torch.no_grad()
def elbo_and_iwae(model: nn.Module, x_binary: torch.Tensor, k: int = 100, seed: int = 0
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(ELBO, IWAE bound) per binary image, in nats, both from the same k draws z ~ q(z|x) (evaluation.iwae_log_weights).

    The ELBO estimate is the mean of the k log-weights; the IWAE bound is their log-mean-exp. Their negatives
    are anomaly scores (a low likelihood = anomalous)."""
    log_w = iwae_log_weights(model, _check_images(x_binary, "x_binary"), k, seed=seed)
    return log_w.mean(1), iwae_bound(log_w)


def cb_log_density(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x | logits) of a continuous Bernoulli, elementwise: x·η − softplus(η) + log C, C = η / tanh(η/2).

    The normaliser C of chapter 10 written in the logit η (C → 2 as η → 0); faster than, and as exact as,
    torch.distributions.ContinuousBernoulli(logits=η).log_prob(x) in float64."""
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"x must lie in [0, 1] (a continuous Bernoulli lives there), got {x.min():.3g}..{x.max():.3g}.")
    small = logits.abs() < 1e-3
    safe = torch.where(small, torch.ones_like(logits), logits).abs()
    log_c = torch.where(small, math.log(2) + logits.pow(2) / 12, safe.log() - torch.tanh(safe / 2).log())
    return x * logits - F.softplus(logits) + log_c


@torch.no_grad()
def cb_log_weights(model: nn.Module, x: torch.Tensor, k: int, seed: int = 0) -> torch.Tensor:
    """log w = log p(x|z) + log p(z) − log q(z|x) for k draws per grey image, continuous-Bernoulli decoder: (N, k).

    The twin of evaluation.iwae_log_weights for chapter 10's decoder (a density on [0, 1]^784, nats can be
    negative); the draws come from a generator seeded with `seed`."""
    x = _check_images(x)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn(len(x), k, mu.shape[1], generator=torch.Generator().manual_seed(seed))
    z = mu[:, None] + std[:, None] * eps
    logits = model.decode_logits(z.reshape(-1, mu.shape[1])).reshape(len(x), k, -1)
    log_px_z = cb_log_density(logits, x.flatten(1)[:, None]).sum(-1)
    log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
    log_q = (-0.5 * (eps.pow(2) + math.log(2 * math.pi)) - 0.5 * logvar[:, None]).sum(-1)
    return log_px_z + log_pz - log_q


# ------------------------------------------------------------------ pixel statistics and complexity

def zero_share(x: torch.Tensor) -> torch.Tensor:
    """Share of each image's pixels that are exactly 0 (black background), shape (N,)."""
    return (_check_images(x) == 0).flatten(1).float().mean(1)


def compressed_bits(x: torch.Tensor) -> torch.Tensor:
    """Length in bits of each image's 8-bit pixels compressed by zlib (level 9): a generic complexity measure, (N,)."""
    pixels = (_check_images(x) * 255).round().to(torch.uint8).flatten(1).numpy()
    return torch.tensor([8.0 * len(zlib.compress(row.tobytes(), 9)) for row in pixels])


def density_code_length_bits(neg_log_density_nats: torch.Tensor, n_pixels: int = 784) -> torch.Tensor:
    """Bits to code an 8-bit image with a model of density p on [0, 1]^n: −log2 p(x) + n·log2(256).

    An 8-bit pixel stands for a bin of width 1/256, so P(bin) ≈ p(x)·(1/256)^n (the density is smooth within a
    bin): the same units as a compressor's output, for the same 8-bit image."""
    if n_pixels < 1:
        raise ValueError(f"n_pixels must be positive, got {n_pixels}.")
    return torch.as_tensor(neg_log_density_nats, dtype=torch.float64) / math.log(2) + n_pixels * 8


def complexity_corrected_score(model_bits: torch.Tensor, compressor_bits: torch.Tensor) -> torch.Tensor:
    """Serrà et al. (2020): S(x) = model code length − compressor code length, in bits; higher = more anomalous."""
    model_bits, compressor_bits = torch.as_tensor(model_bits), torch.as_tensor(compressor_bits)
    if model_bits.shape != compressor_bits.shape:
        raise ValueError(f"model_bits {tuple(model_bits.shape)} and compressor_bits {tuple(compressor_bits.shape)} "
                         "must be one number per image each.")
    return model_bits.double() - compressor_bits.double()


# ------------------------------------------------------------------ missing pixels

def half_mask(n: int, side: str = "bottom") -> torch.Tensor:
    """Masks (n, 1, 28, 28) hiding one half of every image: side is 'top', 'bottom', 'left' or 'right'."""
    halves = {"top": (slice(0, 14), slice(None)), "bottom": (slice(14, 28), slice(None)),
              "left": (slice(None), slice(0, 14)), "right": (slice(None), slice(14, 28))}
    if side not in halves:
        raise ValueError(f"side must be one of {sorted(halves)}, got {side!r}.")
    if n < 1:
        raise ValueError(f"n must be positive, got {n}.")
    missing = torch.zeros(n, 1, 28, 28, dtype=torch.bool)
    rows, cols = halves[side]
    missing[:, :, rows, cols] = True
    return missing


def random_mask(n: int, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Masks (n, 1, 28, 28) hiding each pixel independently with probability p."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}.")
    return torch.rand(n, 1, 28, 28, generator=generator) < p


def fill(x: torch.Tensor, missing: torch.Tensor, guess: torch.Tensor) -> torch.Tensor:
    """A new tensor: x where observed, `guess` (broadcast to x's shape) where missing; x is not changed."""
    missing = _check_mask(missing, x)
    return torch.where(missing, torch.as_tensor(guess, dtype=x.dtype).expand_as(x), x)


def missing_error(x_hat: torch.Tensor, x: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """Mean squared error over each image's missing pixels only, shape (N,); observed pixels do not count."""
    missing = _check_mask(missing, x)
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat must have the shape of x, {tuple(x.shape)}, got {tuple(x_hat.shape)}.")
    n_missing = missing.flatten(1).sum(1)
    if bool((n_missing == 0).any()):
        raise ValueError("an image has no missing pixel: its error over the missing pixels is undefined.")
    return ((x_hat - x).pow(2) * missing).flatten(1).sum(1) / n_missing


class Imputation(NamedTuple):
    """What `impute` returns: the point estimate, the last completion of each chain and the acceptance rate."""

    estimate: torch.Tensor     # observed pixels kept; missing = mean of p(x_miss|z) over the second half of the chain
    completion: torch.Tensor   # observed pixels kept; missing = p(x_miss|z) at the chain's last z (one plausible digit)
    accept_rate: float         # share of proposals accepted (1.0 for pseudo-Gibbs, which accepts all)


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))) summed over the latent dimensions."""
    return (-0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi))).sum(1)


@torch.no_grad()
def impute(model: nn.Module, x: torch.Tensor, missing: torch.Tensor, steps: int = 200,
           method: str = "metropolis", seed: int = 0, start: float = 0.0) -> Imputation:
    """Fill the missing pixels of binary images with a Bernoulli VAE, by pseudo-Gibbs or Metropolis-within-Gibbs.

    Both put `start` in the holes (0: black background), then repeat: propose z ~ q(z | current image);
    'pseudo-gibbs' (Rezende et al. 2014) always accepts it, 'metropolis' (Mattei & Frellsen 2018, Algorithm 1)
    accepts it with the Metropolis-Hastings ratio for the target p(z | current image), the likelihood taken over
    all 784 pixels of the completed image; then draw the missing pixels from p(x_miss | z). That is a Gibbs
    sampler on (z, x_miss) whose x_miss-marginal is p(x_miss | observed pixels). Watch accept_rate: a chain
    that accepts almost nothing is stuck where it started."""
    x = _check_images(x)
    missing = _check_mask(missing, x)
    if not torch.all((x == 0) | (x == 1)):
        raise ValueError("impute needs binary images (the VAE's Bernoulli likelihood); binarise them first with "
                         "course_utils.data.binarize(x). / images binary (0 या 1) होनी चाहिए।")
    if method not in ("metropolis", "pseudo-gibbs"):
        raise ValueError(f"method must be 'metropolis' or 'pseudo-gibbs', got {method!r}.")
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}.")
    g = torch.Generator().manual_seed(seed)

    def log_lik(image: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:   # log p(image | z), all 784 pixels
        return (image.flatten(1) * logits - F.softplus(logits)).sum(1)

    def log_prior(z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)

    if not 0 <= start <= 1:
        raise ValueError(f"start must be a pixel value in [0, 1], got {start}.")
    current = fill(x, missing, torch.tensor(float(start)))
    mu, logvar = model.encode(current)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
    logits = model.decode_logits(z).reshape(len(x), -1)
    total, counted, accepted = torch.zeros_like(x), 0, 0.0
    for step in range(steps):
        mu, logvar = model.encode(current)
        proposal = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
        new_logits = model.decode_logits(proposal).reshape(len(x), -1)
        if method == "metropolis":
            log_ratio = (log_lik(current, new_logits) + log_prior(proposal) + _log_normal(z, mu, logvar)
                         - log_lik(current, logits) - log_prior(z) - _log_normal(proposal, mu, logvar))
            accept = torch.rand(len(x), generator=g).log() < log_ratio
        else:
            accept = torch.ones(len(x), dtype=torch.bool)
        z = torch.where(accept[:, None], proposal, z)
        logits = torch.where(accept[:, None], new_logits, logits)
        accepted += float(accept.float().mean())
        probs = torch.sigmoid(logits).reshape(x.shape)
        current = fill(x, missing, torch.bernoulli(probs, generator=g))
        if step >= steps // 2:
            total += probs
            counted += 1
    return Imputation(fill(x, missing, total / counted), fill(x, missing, probs), accepted / steps)


@torch.no_grad()
def iterate_reconstruction(reconstruct: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                           missing: torch.Tensor, start: torch.Tensor, steps: int = 20) -> torch.Tensor:
    """An autoencoder's imputation: start from `start` in the holes, then `steps` times put reconstruct(x) there."""
    x = _check_images(x)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    current = fill(x, missing, start)
    for _ in range(steps):
        current = fill(x, missing, reconstruct(current).reshape(x.shape))
    return current


def label_draw(y: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of `per_class` random examples of every class in y (the few labelled examples), seeded."""
    if per_class < 1:
        raise ValueError(f"per_class must be positive, got {per_class}.")
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in torch.unique(y):
        where = (y == c).nonzero().squeeze(1)
        if len(where) < per_class:
            raise ValueError(f"class {int(c)} has only {len(where)} examples, fewer than per_class = {per_class}.")
        picks.append(where[torch.randperm(len(where), generator=g)[:per_class]])
    return torch.cat(picks)


__all__ = ["squared_error", "elbo_and_iwae", "cb_log_density", "cb_log_weights", "zero_share", "compressed_bits",
           "density_code_length_bits", "complexity_corrected_score", "half_mask", "random_mask", "fill",
           "missing_error", "Imputation", "impute", "iterate_reconstruction", "label_draw"]
