"""Exercises of chapter 00 (start_here)."""
from __future__ import annotations

import torch

from . import Exercise, call, expect

CHAPTER = "00_start_here"


def _check_mean_image(fn) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, 1, 28, 28, generator=g)
    y = torch.tensor([3, 1, 3, 0, 3, 1, 2, 2, 3, 0, 1, 3])
    out = call(fn, x, y, 3)
    expect(torch.is_tensor(out), f"return a tensor, not {type(out).__name__}",
           f"tensor return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == (28, 28), f"return shape (28, 28), got {tuple(out.shape)}",
           f"shape (28, 28) होनी चाहिए, मिली {tuple(out.shape)}")
    want = x[y == 3, 0].mean(0)
    expect(torch.allclose(out.float(), want, atol=1e-5),
           "the values are not the mean over the images of that digit only",
           "values सिर्फ़ उसी digit की images का mean नहीं हैं")
    other = call(fn, x, y, 0)
    expect(torch.allclose(other.float(), x[y == 0, 0].mean(0), atol=1e-5),
           "it works for digit 3 but not for digit 0: use the `digit` argument",
           "digit 3 के लिए सही, पर digit 0 के लिए नहीं: `digit` argument इस्तेमाल करें")


ex1 = Exercise(
    CHAPTER, 1, _check_mean_image,
    hints=[("`y == digit` एक boolean mask देता है; उससे `x` की सही rows चुनें।",
            "`y == digit` gives a boolean mask; use it to pick the rows of `x`."),
           ("`x[y == digit]` की shape (k, 1, 28, 28) है; images वाले dimension पर mean लें और channel हटाएँ।",
            "`x[y == digit]` has shape (k, 1, 28, 28); average over the image dimension and drop the channel."),
           ("`return x[y == digit].mean(dim=0)[0]`", "`return x[y == digit].mean(dim=0)[0]`")],
    solution_code="""
        def mean_image(x, y, digit):
            return x[y == digit].mean(dim=0)[0]
    """,
)
