"""Plots: image grids, reconstructions, loss curves and latent scatters.

Each function draws one figure and calls ``plt.show()`` (so no stray
``<Figure ...>`` repr lands in a notebook) unless you pass an ``ax`` to draw into.
Titles and labels are English: matplotlib cannot shape Devanagari.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch


def _images(x: torch.Tensor) -> torch.Tensor:
    """Accept (N, 784), (N, 28, 28) or (N, 1, 28, 28) and return (N, 1, 28, 28) on the CPU."""
    x = x.detach().cpu().float()
    if x.ndim == 2 and x.shape[1] == 784:
        return x.view(-1, 1, 28, 28)
    if x.ndim == 3:
        return x.unsqueeze(1)
    if x.ndim == 4 and x.shape[1] == 1:
        return x
    raise ValueError(f"expected images shaped (N, 784), (N, 28, 28) or (N, 1, 28, 28), got {tuple(x.shape)}")


def image_grid(x: torch.Tensor, nrow: int = 10, padding: int = 2) -> torch.Tensor:
    """Tile images (N, 1, H, W) into one (rows*(H+p)+p, nrow*(W+p)+p) picture with `padding`-pixel gaps of 0."""
    imgs = _images(x)
    n, _, h, w = imgs.shape
    rows, cols = (n + nrow - 1) // nrow, min(nrow, n)
    grid = imgs.new_zeros(rows * (h + padding) + padding, cols * (w + padding) + padding)
    for i, img in enumerate(imgs):
        r, c = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top:top + h, left:left + w] = img[0]
    return grid


def show_images(x: torch.Tensor, nrow: int = 10, title: str | None = None, ax=None,
                scale: float = 1.0) -> None:
    """Show images as one grid, nrow per row (white gaps: the colour map is gray_r)."""
    imgs = _images(x)
    grid = image_grid(imgs, nrow=nrow)
    own = ax is None
    if own:
        rows = (len(imgs) + nrow - 1) // nrow
        _, ax = plt.subplots(figsize=(scale * 0.6 * min(nrow, len(imgs)), scale * 0.6 * rows + 0.4))
    ax.imshow(grid.clamp(0, 1).numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if own:
        plt.show()


def show_reconstructions(x: torch.Tensor, x_hat: torch.Tensor, n: int = 10,
                         title: str = "top: original, bottom: reconstruction") -> None:
    """Originals in the top row and their reconstructions below."""
    a, b = _images(x)[:n], _images(x_hat)[:n]
    if len(a) != len(b):
        raise ValueError(f"{len(a)} originals but {len(b)} reconstructions")
    show_images(torch.cat([a, b]), nrow=len(a), title=title)


def plot_history(history: dict[str, list[float]], keys: list[str] | None = None,
                 title: str = "training curves", ax=None, logy: bool = False) -> None:
    """Per-epoch curves of the chosen history terms (default: all)."""
    keys = keys or list(history)
    missing = [k for k in keys if k not in history]
    if missing:
        raise KeyError(f"history has no {missing}; it has {sorted(history)}")
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(5, 3.2))
    for k in keys:
        ax.plot(range(1, len(history[k]) + 1), history[k], marker="o", ms=3, label=k)
    ax.set(xlabel="epoch", ylabel="loss per image", title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    if own:
        plt.show()


def plot_latent(z: torch.Tensor, labels: torch.Tensor, title: str = "latent space", ax=None,
                classes: list[str] | None = None) -> None:
    """Scatter of 2-D codes coloured by label."""
    z = z.detach().cpu()
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"plot_latent needs codes of shape (N, 2), got {tuple(z.shape)}; project them first")
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    sc = ax.scatter(z[:, 0].numpy(), z[:, 1].numpy(), c=labels.cpu().numpy(), cmap="tab10", s=4, alpha=0.7, vmin=-0.5, vmax=9.5)
    cbar = plt.colorbar(sc, ax=ax, ticks=range(10))
    if classes:
        cbar.ax.set_yticklabels(classes)
    ax.set(xlabel="dimension 1", ylabel="dimension 2", title=title)
    if own:
        plt.show()
