"""Widgets: sliders that redraw an image, for exploring a model by hand.

Widgets need a live kernel (JupyterLab, Colab); a saved notebook or GitHub shows
only the first drawing.
"""
from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
import matplotlib.pyplot as plt
import torch

from .plots import _images


def image_explorer(draw: Callable[..., torch.Tensor], title: Callable[..., str] | None = None,
                   **sliders: W.Widget) -> W.interactive:
    """Show draw(**slider values) as images and redraw whenever a slider moves."""
    if not sliders:
        raise ValueError("give at least one slider, for example alpha=ipywidgets.FloatSlider(...)")

    def redraw(**values) -> None:
        imgs = _images(draw(**values))
        fig, axes = plt.subplots(1, len(imgs), figsize=(1.3 * len(imgs), 1.6), squeeze=False)
        for ax, img in zip(axes[0], imgs):
            ax.imshow(img[0].clamp(0, 1).numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
        if title:
            fig.suptitle(title(**values))
        plt.show()

    return W.interactive(redraw, **sliders)
