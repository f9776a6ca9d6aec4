"""Losses, written out so that every reduction is visible.

Convention: a loss is summed over the pixels of one image and averaged over the
images of a batch ("per image"). Chapter 01 explains why: with a per-pixel mean
the same numbers are 784 times smaller, and in a VAE that silently multiplies the
KL weight by 784.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_pair(x_hat: torch.Tensor, x: torch.Tensor) -> None:
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat has shape {tuple(x_hat.shape)} but x has {tuple(x.shape)}; "
                         "reshape one of them (for example x.view(len(x), -1)).")


def mse_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over pixels, averaged over images: (1/N) Σ_n ||x_n - x̂_n||²."""
    _check_pair(x_hat, x)
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def bce_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy summed over pixels, averaged over images; x and x_hat must lie in [0, 1]."""
    _check_pair(x_hat, x)
    for name, t in (("x_hat", x_hat), ("x", x)):
        lo, hi = (float(v) for v in torch.aminmax(t.detach()))
        if lo < 0 or hi > 1:
            raise ValueError(
                f"BCE needs {name} in [0, 1] but it spans [{lo:.3g}, {hi:.3g}]. "
                "Scale images by 1/255, end the decoder with a sigmoid, or use BCE-with-logits / MSE. "
                f"/ BCE के लिए {name} का [0, 1] में होना ज़रूरी है।")
    return F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims, averaged over images."""
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape.")
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()
