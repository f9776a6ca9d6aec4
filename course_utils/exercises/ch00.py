"""Exercises of chapter 00 (start_here)."""
from __future__ import annotations

import torch

from . import Exercise, call, expect

CHAPTER = "00_start_here"


def _as_tensor(out):
    """A NumPy array counts as an answer too: it is compared as a tensor."""
    if not torch.is_tensor(out) and type(out).__module__ == "numpy" and hasattr(out, "shape"):
        return torch.as_tensor(out)
    return out


def _check_mean_image(fn) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, 1, 28, 28, generator=g)
    y = torch.tensor([3, 1, 3, 0, 3, 1, 2, 2, 3, 0, 1, 3])
    out = _as_tensor(call(fn, x, y, 3))
    expect(torch.is_tensor(out), f"return a tensor, not {type(out).__name__}",
           f"tensor return करें, {type(out).__name__} नहीं")
    want = x[y == 3, 0].mean(0)
    if tuple(out.shape) in ((1, 28, 28), (1, 1, 28, 28)) and torch.allclose(out.float().reshape(28, 28), want,
                                                                             atol=1e-5):
        expect(False, f"the values are right but the shape is {tuple(out.shape)}: drop the channel dimension "
               "(index [0] or .squeeze()) to get one (28, 28) image",
               f"values सही हैं पर shape {tuple(out.shape)} है: channel वाला dimension हटाएँ ([0] या .squeeze()), "
               "ताकि एक (28, 28) image मिले")
    expect(tuple(out.shape) == (28, 28), f"return shape (28, 28), got {tuple(out.shape)}",
           f"shape (28, 28) होनी चाहिए, मिली {tuple(out.shape)}")
    got = out.float()
    close = lambda a, b: torch.allclose(a, b, atol=1e-5)  # noqa: E731
    expect(not close(got, x[y == 3, 0].sum(0)),
           "this is the sum of the images, not their mean: divide by how many images of that digit there are "
           "(or use .mean)",
           "यह images का sum है, mean नहीं: उस digit की images की गिनती से divide करें (या .mean इस्तेमाल करें)")
    expect(not close(got, x[:, 0].mean(0)),
           "this is the mean of ALL the images: first keep only the images whose label is `digit` (y == digit)",
           "यह सारी images का mean है: पहले सिर्फ़ वे images चुनें जिनका label `digit` है (y == digit)")
    expect(close(got, want),
           "the values are not the mean over the images of that digit only",
           "values सिर्फ़ उसी digit की images का mean नहीं हैं")
    other = _as_tensor(call(fn, x, y, 0))
    expect(torch.is_tensor(other) and other.numel() == 784 and close(other.float().reshape(28, 28), x[y == 0, 0].mean(0)),
           "it works for digit 3 but not for digit 0: use the `digit` argument",
           "digit 3 के लिए सही, पर digit 0 के लिए नहीं: `digit` argument इस्तेमाल करें")


ex1 = Exercise(
    CHAPTER, 1, _check_mean_image,
    hints=[("दो कदम: पहले सिर्फ़ वे images चुनें जिनका label `digit` है, फिर उनका pixel-दर-pixel औसत लें।",
            "Two steps: first keep only the images whose label is `digit`, then average them pixel by pixel."),
           ("`y == digit` एक boolean mask देता है, और `x[y == digit]` की shape (k, 1, 28, 28) है; images वाले "
            "dimension (dim 0) पर mean लें और channel हटाएँ।",
            "`y == digit` gives a boolean mask, and `x[y == digit]` has shape (k, 1, 28, 28); average over the "
            "image dimension (dim 0) and drop the channel."),
           ("पूरी line: `return x[y == digit].mean(dim=0)[0]`", "The whole line: `return x[y == digit].mean(dim=0)[0]`")],
    solution_code="""
        def mean_image(x, y, digit):
            return x[y == digit].mean(dim=0)[0]
    """,
)
