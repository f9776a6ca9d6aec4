"""Losses, written out so that every reduction is visible.

Convention: a loss is summed over the pixels of one image and averaged over the
images of a batch ("per image"). Chapter 01 explains why: with a per-pixel mean
the same numbers are 784 times smaller, and in a VAE that silently multiplies the
KL weight by 784.

Input checks. The BCE losses check their inputs (NaN, values outside [0, 1]) and
name the fix. A check costs one pass over the batch, so ``fit()`` runs it on its
first step only and then trains inside ``with checks(False):``: the usual mistakes
(images not divided by 255, probabilities where logits belong, NaN in the data)
show in every batch, and a NaN that appears later makes the loss NaN, which fit()
reports itself. Called by hand, outside fit(), every call is checked.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F

_CHECKS = True  # switched only through checks(); fit() switches it off after its first step


@contextmanager
def checks(enabled: bool) -> Iterator[None]:
    """Turn the losses' input checks on or off inside a `with` block; the previous setting comes back after it."""
    global _CHECKS
    before, _CHECKS = _CHECKS, bool(enabled)
    try:
        yield
    finally:
        _CHECKS = before


def checks_enabled() -> bool:
    """Whether the losses check their inputs right now (True except inside `with checks(False):`)."""
    return _CHECKS


def _check_pair(x_hat: torch.Tensor, x: torch.Tensor) -> None:
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat has shape {tuple(x_hat.shape)} but x has {tuple(x.shape)}; "
                         "reshape one of them (for example x.view(len(x), -1)).")


def _nan_error(name: str, t: torch.Tensor) -> ValueError:
    n_bad = int(torch.isnan(t).sum())
    return ValueError(
        f"{name} contains NaN ({n_bad:,} of {t.numel():,} values). NaN usually comes from a model that "
        "diverged (lower the learning rate), from log(0), or from a division by zero earlier in the "
        "computation; look for the first step where the loss stopped being finite. "
        f"/ {name} में NaN है ({n_bad:,} / {t.numel():,} values)। NaN अक्सर diverge हुए model "
        "(learning rate कम करें), log(0) या शून्य से भाग (division by zero) से आता है; "
        "वह पहला step ढूँढें जहाँ loss finite नहीं रहा।")


_RANGE_FIX = {
    "x": ("Scale the images by 1/255 (x = x / 255), or use MSE for data that is not in [0, 1].",
          "images को 255 से divide करें (x = x / 255), या [0, 1] से बाहर वाले data के लिए MSE इस्तेमाल करें।"),
    "x_hat": ("End the decoder with a sigmoid, or hand its raw outputs (logits) to bce_logits_per_image.",
              "decoder के आखिर में sigmoid लगाएँ, या उसके raw outputs (logits) bce_logits_per_image को दें।"),
}


def _check_probabilities(name: str, t: torch.Tensor) -> None:
    """One pass (aminmax): NaN, or a value outside [0, 1], raises an error that names the fix."""
    lo, hi = (float(v) for v in torch.aminmax(t.detach()))
    if lo != lo or hi != hi:  # aminmax propagates NaN
        raise _nan_error(name, t.detach())
    if lo < 0 or hi > 1:
        en, hi_fix = _RANGE_FIX[name]
        raise ValueError(f"BCE needs {name} in [0, 1] but it spans [{lo:.3g}, {hi:.3g}]. {en} "
                         f"/ BCE के लिए {name} का [0, 1] में होना ज़रूरी है, पर यह [{lo:.3g}, {hi:.3g}] में है। "
                         f"उपाय: {hi_fix}")


def _check_logits(t: torch.Tensor) -> None:
    """One pass (aminmax): logits may be any real number, but not NaN or infinite."""
    lo, hi = (float(v) for v in torch.aminmax(t.detach()))
    if lo != lo or hi != hi:
        raise _nan_error("logits", t.detach())
    if abs(lo) == float("inf") or abs(hi) == float("inf"):
        raise ValueError(
            f"logits span [{lo:.3g}, {hi:.3g}]: an infinite logit makes BCE NaN. The model has diverged "
            "(lower the learning rate) or the logits passed through log/exp; hand the loss the raw output "
            "of the last Linear layer. / logits में inf है, जिससे BCE NaN हो जाता है: model diverge हुआ है "
            "(learning rate कम करें) या logits log/exp से गुज़रे हैं; loss को आखिरी Linear layer का raw output दें।")


def mse_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over pixels, averaged over images: (1/N) Σ_n ||x_n - x̂_n||²."""
    _check_pair(x_hat, x)
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def bce_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy summed over pixels, averaged over images; x and x_hat must lie in [0, 1].

    Prefer bce_logits_per_image with a decoder that returns logits: the same loss, computed
    without taking log of a sigmoid that has rounded to 0 or 1 (and faster).
    """
    _check_pair(x_hat, x)
    if _CHECKS:
        _check_probabilities("x_hat", x_hat)
        _check_probabilities("x", x)
    try:
        return F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
    except RuntimeError:  # torch's own range check fired (checks switched off): say what is wrong instead
        _check_probabilities("x_hat", x_hat)
        _check_probabilities("x", x)
        raise


class _BCEWithLogitsSum(torch.autograd.Function):
    """Σ BCE(sigmoid(l), x) over all elements, with its gradient written out: ∂/∂l = σ(l) − x.

    The same numbers as F.binary_cross_entropy_with_logits(l, x, reduction="sum"), computed with
    fewer passes over the batch. Forward: BCE = max(l, 0) − x·l + log(1 + e^(−|l|)), and
    log(1 + e^(−|l|)) = −log σ(|l|), whose argument is at least 1/2, so no log(0) and no overflow.
    (torch's own version calls log1p, which on some AVX-512 CPUs runs several times slower than
    log; see benchmarks/bench_training.py.)
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, x)
        per_element = torch.relu(logits) - x * logits
        return per_element.sub_(torch.sigmoid(logits.abs()).log_()).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, x = ctx.saved_tensors
        d_logits = (torch.sigmoid(logits) - x) * grad if ctx.needs_input_grad[0] else None
        d_x = -logits * grad if ctx.needs_input_grad[1] else None  # only if the target itself is learned
        return d_logits, d_x


def bce_logits_per_image(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """BCE of sigmoid(logits) against x, summed over pixels, averaged over images; x must lie in [0, 1].

    Equals bce_per_image(torch.sigmoid(logits), x), but computed from the logits directly, so it
    stays exact where the sigmoid rounds to 0 or 1 (there bce_per_image hits log(0), which torch
    clamps to -100). The gradient per logit is σ(logit) − x: prediction minus target.
    torch's binary_cross_entropy_with_logits accepts any target without a word; this one checks x.
    """
    _check_pair(logits, x)
    if _CHECKS:
        _check_logits(logits)
        _check_probabilities("x", x)
    return _BCEWithLogitsSum.apply(logits, x) / len(x)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims, averaged over images."""
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape.")
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()


def gaussian_kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_u, exp(logvar_u)) || N(0, 1)) of each latent dimension u, averaged over images: shape (D,).

    Its sum is gaussian_kl(mu, logvar). A dimension whose KL is near 0 carries no information about x
    (its posterior is the prior); chapter 08 reads this next to the active-unit count.
    """
    if mu.shape != logvar.shape or mu.dim() != 2:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must both be (N, D).")
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(0)


def negative_elbo(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  beta: float = 1.0) -> dict[str, torch.Tensor]:
    """The VAE loss with its terms named, per image: {"loss": recon + beta * kl, "recon": ..., "kl": ...}.

    recon = -log p(x|z) of a Bernoulli decoder with these logits (BCE summed over pixels), kl =
    KL(q(z|x) || N(0, I)) summed over latent dimensions; both averaged over the images of the batch.
    With beta = 1, "loss" is a one-sample estimate of -ELBO in nats per image. x must be in [0, 1]
    (binary for a normalised likelihood; chapter 05). Chapters write this by hand before using it.
    """
    recon, kl = bce_logits_per_image(logits, x), gaussian_kl(mu, logvar)
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}
