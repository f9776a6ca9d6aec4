"""Widgets: sliders that redraw an image, for exploring a model by hand.

The first drawing is an ordinary output, so a saved notebook (GitHub, nbviewer)
shows it too; moving a slider in a live kernel (JupyterLab, Colab) redraws that
same output in place.
"""
from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from .plots import _images


def _figure(imgs: torch.Tensor, title: str | None) -> plt.Figure:
    """One row of images as a closed figure, ready to display: each image at least 1.3 in wide, and a
    few images larger (one image 3.2 in, about 160 px on screen), so a single digit can be judged."""
    side = max(1.3, min(3.2, 8.0 / len(imgs)))
    fig, axes = plt.subplots(1, len(imgs), figsize=(side * len(imgs), side + 0.45), squeeze=False)
    for ax, img in zip(axes[0], imgs):
        ax.imshow(img[0].clamp(0, 1).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    plt.close(fig)  # displayed explicitly below, not again at the end of the cell
    return fig


class _Sliders:
    """The sliders' box, with a plain-text line that says what the picture below shows.

    A static viewer (GitHub, an untrusted notebook in JupyterLab) shows this text instead of the
    widgets; the box's own text would be a raw ``VBox(children=(IntSlider(...),))``.
    """

    def __init__(self, box: W.Box, sliders: dict[str, W.ValueWidget]):
        self.box = box
        self.text = ("sliders: " + ", ".join(f"{s.description or name} = {s.value}" for name, s in sliders.items())
                     + " (यह cell चलाकर इन्हें हिलाएँ / run this cell to move them)")

    def _repr_mimebundle_(self, **kwargs) -> dict:
        return {**self.box._repr_mimebundle_(**kwargs), "text/plain": self.text}


def image_explorer(draw: Callable[..., torch.Tensor], title: Callable[..., str] | None = None,
                   **sliders: W.ValueWidget) -> None:
    """Show the sliders and draw(**slider values) as a row of images, redrawn whenever a slider moves."""
    if not sliders:
        raise ValueError("give at least one slider, for example alpha=ipywidgets.FloatSlider(...)")

    def figure() -> plt.Figure:
        values = {name: s.value for name, s in sliders.items()}
        return _figure(_images(draw(**values)), title(**values) if title else None)

    display(_Sliders(W.VBox(list(sliders.values())), sliders))
    handle = display(figure(), display_id=True)
    for s in sliders.values():
        s.observe(lambda _change: handle.update(figure()), names="value")
