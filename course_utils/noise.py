"""Noise for denoising autoencoders (chapter 03): Gaussian and masking, seeded, never in place.

Both take images with pixels in [0, 1] and return new images in [0, 1]. Pass a
``torch.Generator`` to get the same noise every time (test sets); without one,
torch's global generator is used (training, after ``setup(seed)``).
"""
from __future__ import annotations

import torch


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """x + sigma·ε with ε ~ N(0, 1) per pixel, clipped back to [0, 1]."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return (x + sigma * eps).clamp(0, 1)


def masking_noise(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Set each pixel to 0 with probability p, independently; kept pixels are unchanged (no 1/(1-p) rescaling)."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep
