"""Exercises of chapter 13 (applications): the error on missing pixels, the Metropolis-Hastings log-ratio, and the
complexity-corrected anomaly score."""
from __future__ import annotations

import math

import torch

from . import Exercise, call, expect

CHAPTER = "13_applications"


def _tensor(out, n: int, what_en: str, what_hi: str) -> torch.Tensor:
    """`out` as a float64 tensor of shape (n,), or Wrong naming what came back."""
    expect(torch.is_tensor(out), f"return a torch tensor ({what_en}), not {type(out).__name__}",
           f"एक torch tensor ({what_hi}) return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == (n,), f"return one number per image, shape ({n},), got {tuple(out.shape)}",
           f"हर image के लिए एक number लौटाएँ, shape ({n},), मिली {tuple(out.shape)}")
    out = out.detach().double()
    expect(bool(torch.isfinite(out).all()), "some values are nan or infinite", "कुछ values nan या infinite हैं")
    return out


# ---------------------------------------------------------------- exercise 2: error on the missing pixels only

def _case1() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(13)
    x = torch.rand(6, 1, 28, 28, generator=g, dtype=torch.float64)
    x_hat = (x + 0.3 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    missing = torch.rand(x.shape, generator=g) < torch.tensor([0.1, 0.3, 0.5, 0.7, 0.9, 0.5]).view(6, 1, 1, 1)
    x_hat[~missing] = x[~missing]            # observed pixels are kept, as every imputation method does
    x_hat[5] = x[5]                          # image 5: a perfect imputation, error 0
    return x_hat, x, missing


def _check_missing_mse(fn) -> None:
    x_hat, x, missing = _case1()
    out = _tensor(call(fn, x_hat.clone(), x.clone(), missing.clone()), len(x), "the error of each image",
                  "हर image की error")
    sq = (x_hat - x).pow(2).flatten(1)
    m = missing.flatten(1)
    want = (sq * m).sum(1) / m.sum(1)
    if not torch.allclose(out, want, atol=1e-9):
        expect(not torch.allclose(out, sq.mean(1), atol=1e-9),
               "you averaged over all 784 pixels (divided by 784): the observed pixels dilute it; divide by each "
               "image's own number of missing pixels", "आपने सारे 784 pixels पर औसत लिया (784 से भाग दिया): observed "
               "pixels उसे पतला कर देते हैं; हर image के अपने गायब pixels की गिनती से भाग दें")
        expect(not torch.allclose(out, (sq * m).sum(1), atol=1e-9),
               "you summed the squared errors of the missing pixels but did not divide by how many there are",
               "आपने गायब pixels की squared errors जोड़ीं पर उनकी गिनती से भाग नहीं दिया")
        expect(not torch.allclose(out, (sq * m).sum(1) / (m.sum() / len(m)), atol=1e-9),
               "you divided by the average number of missing pixels; each image has its own count",
               "आपने गायब pixels की औसत गिनती से भाग दिया; हर image की अपनी गिनती है")
        expect(not torch.allclose(out, (sq * ~m).sum(1) / (~m).sum(1), atol=1e-9),
               "you measured the observed pixels (mask inverted): True in `missing` marks a missing pixel",
               "आपने observed pixels मापे (mask उलटा): `missing` में True गायब pixel है")
        expect(False, "the error differs from the mean squared error over each image's missing pixels",
               "error हर image के गायब pixels पर mean squared error से अलग है")
    expect(float(out[5]) == 0.0, "a perfect imputation must have error 0", "सही imputation की error 0 होनी चाहिए")


ex2 = Exercise(
    CHAPTER, 2, _check_missing_mse,
    hints=[("हर image के लिए: गायब pixels पर squared errors का जोड़, भाग उस image के गायब pixels की गिनती।",
            "For each image: the sum of squared errors over the missing pixels, divided by that image's number of "
            "missing pixels."),
           ("`missing.float()` से गुणा करने पर observed pixels की error 0 हो जाती है; `.flatten(1).sum(1)` हर image "
            "का जोड़ देता है।",
            "Multiplying by `missing.float()` sets the observed pixels' error to 0; `.flatten(1).sum(1)` gives each "
            "image's sum."),
           ("`m = missing.flatten(1).float()`, `return ((x_hat - x).flatten(1) ** 2 * m).sum(1) / m.sum(1)`।",
            "`m = missing.flatten(1).float()`, `return ((x_hat - x).flatten(1) ** 2 * m).sum(1) / m.sum(1)`.")],
    solution_code="""
        def missing_mse(x_hat, x, missing):
            m = missing.flatten(1).float()                      # 1 where the pixel is missing
            squared = (x_hat - x).flatten(1) ** 2
            return (squared * m).sum(1) / m.sum(1)              # each image divided by its own count
    """,
)


# ---------------------------------------------------------------- exercise 3: the Metropolis-Hastings log-ratio

def _check_log_acceptance(fn) -> None:
    g = torch.Generator().manual_seed(2)
    parts = [torch.randn(7, generator=g, dtype=torch.float64) * 5 for _ in range(6)]
    lik_new, prior_new, q_new, lik_old, prior_old, q_old = parts
    out = _tensor(call(fn, *[p.clone() for p in parts]), 7, "log rho of each image", "हर image का log rho")
    want = lik_new + prior_new + q_old - lik_old - prior_old - q_new
    if not torch.allclose(out, want, atol=1e-9):
        expect(not torch.allclose(out, lik_new + prior_new + q_new - lik_old - prior_old - q_old, atol=1e-9),
               "the proposal's terms are the wrong way round: q of the OLD z goes in the numerator and q of the NEW "
               "proposal in the denominator (the proposal corrects for where it likes to go)",
               "proposal वाले terms उलटे हैं: अंश में पुराने z का q और हर में नए proposal का q आता है (proposal अपनी "
               "पसंद की जगहों का हिसाब बराबर करता है)")
        expect(not torch.allclose(out, lik_new + prior_new - lik_old - prior_old, atol=1e-9),
               "you left out the proposal's terms: that is Metropolis with a symmetric proposal, but q(z|x) is not "
               "symmetric", "आपने proposal वाले terms छोड़ दिए: यह symmetric proposal वाला Metropolis है, पर q(z|x) "
               "symmetric नहीं है")
        expect(not torch.allclose(out, lik_new - lik_old + q_old - q_new, atol=1e-9),
               "you left out the prior p(z): the target is p(x|z) p(z)", "आपने prior p(z) छोड़ दिया: target "
               "p(x|z) p(z) है")
        expect(not torch.allclose(out, -want, atol=1e-9), "the sign is flipped: new over old, not old over new",
               "sign उलटा है: नया बटा पुराना, पुराना बटा नया नहीं")
        expect(not torch.allclose(out, want.exp(), atol=1e-9) and not torch.allclose(out, want.clamp(max=0).exp(),
                                                                                     atol=1e-9),
               "return the log of rho, not rho itself", "rho का log लौटाएँ, खुद rho नहीं")
        expect(False, "log rho differs from log p(x|z~) + log p(z~) + log q(z_t) - log p(x|z_t) - log p(z_t) "
               "- log q(z~)", "log rho, log p(x|z~) + log p(z~) + log q(z_t) - log p(x|z_t) - log p(z_t) - "
               "log q(z~) से अलग है")


ex3 = Exercise(
    CHAPTER, 3, _check_log_acceptance,
    hints=[("$\\rho$ एक भिन्न है; उसका log अंश के logs का जोड़ घटा हर के logs का जोड़ है।",
            "$\\rho$ is a fraction; its log is the sum of the numerator's logs minus the sum of the denominator's."),
           ("अंश: नए $\\tilde z$ पर likelihood और prior, और *पुराने* $z_t$ पर $q$। हर: पुराने $z_t$ पर likelihood और "
            "prior, और *नए* $\\tilde z$ पर $q$।",
            "Numerator: likelihood and prior at the new $\\tilde z$, and $q$ at the *old* $z_t$. Denominator: "
            "likelihood and prior at the old $z_t$, and $q$ at the *new* $\\tilde z$."),
           ("`return log_lik_new + log_prior_new + log_q_old - log_lik_old - log_prior_old - log_q_new`।",
            "`return log_lik_new + log_prior_new + log_q_old - log_lik_old - log_prior_old - log_q_new`.")],
    solution_code="""
        def log_acceptance(log_lik_new, log_prior_new, log_q_new, log_lik_old, log_prior_old, log_q_old):
            # target p(x|z) p(z) (x = the current completed image) at the new point over the old one, times q(old) / q(new)
            return (log_lik_new + log_prior_new - log_lik_old - log_prior_old) + (log_q_old - log_q_new)
    """,
)


# ---------------------------------------------------------------- exercise 1: the complexity-corrected score

def _check_complexity_score(fn) -> None:
    nll = torch.tensor([-1400.0, -1150.0, -900.0, 200.0], dtype=torch.float64)       # nats of a density
    bits = torch.tensor([1500.0, 3700.0, 2500.0, 4000.0], dtype=torch.float64)
    out = _tensor(call(fn, nll.clone(), bits.clone()), 4, "S of each image, in bits", "हर image का S, bits में")
    want = nll / math.log(2) + 784 * 8 - bits
    if not torch.allclose(out, want, atol=1e-6):
        expect(not torch.allclose(out, nll + 784 * 8 - bits, atol=1e-6) and
               not torch.allclose(out, nll - bits, atol=1e-6),
               "nats and bits are mixed: divide the nats by ln 2 to get bits before subtracting",
               "nats और bits मिला दिए: घटाने से पहले nats को ln 2 से भाग देकर bits बनाएँ")
        expect(not torch.allclose(out, nll / math.log(2) - bits, atol=1e-6),
               "the constant 784 * 8 bits is missing: an 8-bit pixel is a bin of width 1/256, so the model's code "
               "length is -log2 p(x) + 784 * log2(256)", "constant 784 * 8 bits छूट गया: 8-bit pixel 1/256 चौड़ा एक "
               "bin है, तो model की code length -log2 p(x) + 784 * log2(256) है")
        expect(not torch.allclose(out, -want, atol=1e-6), "the sign is flipped: S = model bits - zlib bits (a higher "
               "S = more anomalous)", "sign उलटा है: S = model bits - zlib bits (ज़्यादा S = ज़्यादा anomalous)")
        expect(not torch.allclose(out, nll * math.log(2) + 784 * 8 - bits, atol=1e-6),
               "you multiplied by ln 2; bits = nats / ln 2", "आपने ln 2 से गुणा किया; bits = nats / ln 2")
        expect(False, "S differs from nll / ln 2 + 784 * 8 - zlib_bits", "S, nll / ln 2 + 784 * 8 - zlib_bits से अलग है")


ex1 = Exercise(
    CHAPTER, 1, _check_complexity_score,
    hints=[("दोनों lengths एक ही इकाई (bits) और एक ही चीज़ (8-bit image) की हों, फिर घटाएँ: model की length घटा zlib की।",
            "Both lengths must be in the same unit (bits) and of the same thing (the 8-bit image); then subtract: "
            "the model's length minus zlib's."),
           ("nats से bits: $\\ln 2$ से भाग। Density से 8-bit bins: हर pixel पर $\\log_2 256 = 8$ bits जोड़ें।",
            "Nats to bits: divide by $\\ln 2$. From a density to 8-bit bins: add $\\log_2 256 = 8$ bits per pixel."),
           ("`return nll_nats / math.log(2) + 784 * 8 - zlib_bits`।",
            "`return nll_nats / math.log(2) + 784 * 8 - zlib_bits`.")],
    solution_code="""
        import math

        def complexity_score(nll_nats, zlib_bits):
            model_bits = nll_nats / math.log(2) + 784 * 8     # -log2 p(x) + 784 * log2(256): the 8-bit image's bits
            return model_bits - zlib_bits                     # higher = more anomalous
    """,
)
