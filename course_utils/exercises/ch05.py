"""Exercises of chapter 05 (elbo): the Gaussian KL, a one-sample negative ELBO, a Gaussian log-likelihood with sigma."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import Exercise, call, expect

CHAPTER = "05_elbo"


def _tensor_scalar(out) -> float:
    """The learner's result as a float; it must be a one-number torch tensor (that carries gradients)."""
    expect(torch.is_tensor(out), f"return a torch tensor (so that training can backpropagate), not {type(out).__name__}",
           f"torch tensor return करें (ताकि training में backpropagation हो सके), {type(out).__name__} नहीं")
    expect(out.numel() == 1,
           f"return one number (a mean over the images), but the result has shape {tuple(out.shape)}",
           f"एक ही number return करें (images पर mean), पर result की shape {tuple(out.shape)} है")
    expect(out.requires_grad, "the result carries no gradient: keep it a torch computation (no .item(), no NumPy)",
           "result में gradient नहीं है: पूरी गणना torch में रखें (.item() या NumPy नहीं)")
    val = float(out.detach())
    expect(math.isfinite(val), f"the result is {val}: look for log of a negative number or of zero",
           f"result {val} है: किसी negative number या zero का log तो नहीं लिया?")
    return val


def _close(v: float, w: float, rtol: float = 1e-4) -> bool:
    return abs(v - w) <= rtol * max(1.0, abs(w))


# ---------------------------------------------------------------- exercise 1: the Gaussian KL

def _kl_terms(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) of every image and dimension, (N, D)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


def _check_kl(fn) -> None:
    g = torch.Generator().manual_seed(5)
    N, D = 16, 4
    mu = 1.5 * torch.randn(N, D, generator=g, dtype=torch.float64)
    logvar = torch.empty(N, D, dtype=torch.float64).uniform_(-3.0, 1.0, generator=g)  # mostly negative: a log
    mu_in, lv_in = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    val = _tensor_scalar(call(fn, mu_in, lv_in))
    terms = _kl_terms(mu, logvar)
    want = float(terms.sum(1).mean())
    if not _close(val, want):
        expect(not _close(val, -want), "the sign is flipped: a KL divergence is never negative; "
               "KL = 1/2 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)",
               "sign उलटा है: KL divergence कभी negative नहीं होता; KL = 1/2 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)")
        expect(not _close(val, want / D), f"you averaged over the {D} latent dimensions: the KL is a SUM over them "
               "(a mean divides its weight by the number of dimensions)",
               f"आपने {D} latent dimensions पर mean लिया: KL उन पर SUM है (mean उसका weight dimensions की गिनती से "
               "divide कर देता है)")
        expect(not _close(val, want * N), f"you summed over the {N} images: sum over the latent dimensions, then "
               "take the MEAN over the images",
               f"आपने {N} images पर sum लिया: latent dimensions पर sum, फिर images पर MEAN लें")
        expect(not _close(val, 2 * want), "the factor 1/2 is missing", "1/2 का factor छूट गया है")
        std = (0.5 * logvar).exp()
        expect(not _close(val, float((0.5 * (mu.pow(2) + std - 1 - logvar)).sum(1).mean())),
               "you used the standard deviation exp(logvar / 2) where the variance exp(logvar) belongs",
               "जहाँ variance exp(logvar) चाहिए, वहाँ आपने standard deviation exp(logvar / 2) लिया है")
        expect(not _close(val, float((0.5 * (mu.pow(2) + (2 * logvar).exp() - 1 - 2 * logvar)).sum(1).mean())),
               "you read logvar as log(sigma): logvar is log(sigma^2), so the variance is exp(logvar), not exp(2 logvar)",
               "आपने logvar को log(sigma) माना: logvar = log(sigma^2) है, इसलिए variance exp(logvar) है, exp(2 logvar) नहीं")
        expect(not _close(val, want + 0.5 * D) and not _close(val, want - 0.5 * D),
               "the constant is wrong: each dimension has a '- 1' inside the bracket, "
               "1/2 (mu^2 + exp(logvar) - 1 - logvar)",
               "constant गलत है: हर dimension के bracket में '- 1' है, 1/2 (mu^2 + exp(logvar) - 1 - logvar)")
    # The defining property, KL(q || p) = E_q[log q(z) - log p(z)], against a Monte Carlo estimate with its error.
    S = 4000
    z = mu + (0.5 * logvar).exp() * torch.randn(S, N, D, generator=g, dtype=torch.float64)
    log_q = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi))
    log_p = -0.5 * (z.pow(2) + math.log(2 * math.pi))
    per_sample = (log_q - log_p).sum(2).mean(1)            # (S,): one estimate of the per-image KL per draw
    mc, se = float(per_sample.mean()), float(per_sample.std() / math.sqrt(S))
    expect(abs(val - mc) < 4 * se + 1e-9,
           f"KL(q || p) = E_q[log q(z) - log p(z)]: a Monte Carlo estimate gives {mc:.3f} ± {se:.3f} "
           f"(mean over images of the sum over dimensions), yours is {val:.3f}",
           f"KL(q || p) = E_q[log q(z) - log p(z)]: Monte Carlo अनुमान {mc:.3f} ± {se:.3f} है "
           f"(dimensions पर sum का images पर mean), आपका {val:.3f}")
    expect(_close(val, want, 1e-6), f"the closed form gives {want:.6f}, yours is {val:.6f}",
           f"closed form {want:.6f} देता है, आपका {val:.6f}")
    out = call(fn, mu_in, lv_in)
    out.backward()
    expect(mu_in.grad is not None and lv_in.grad is not None,
           "the result does not carry gradients back to mu and logvar", "result से mu और logvar तक gradient नहीं पहुँचता")
    at_prior = _tensor_scalar(call(fn, torch.zeros(3, 5, requires_grad=True), torch.zeros(3, 5, requires_grad=True)))
    expect(abs(at_prior) < 1e-6, f"q = N(0, I) is the prior itself, so the KL must be 0, got {at_prior:.4g}",
           f"q = N(0, I) खुद prior है, इसलिए KL 0 होना चाहिए, मिला {at_prior:.4g}")


ex1 = Exercise(
    CHAPTER, 1, _check_kl,
    hints=[("हर image और हर latent dimension j के लिए दो one-dimensional Gaussians, N(mu_j, sigma_j^2) और N(0, 1), "
            "के बीच के KL का closed form है। फिर dimensions पर जोड़ें और images पर औसत लें।",
            "For every image and every latent dimension j, the KL between two one-dimensional Gaussians, "
            "N(mu_j, sigma_j^2) and N(0, 1), has a closed form. Then add over the dimensions and average over images."),
           ("एक dimension का term: 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), और logvar = log sigma^2, तो "
            "sigma^2 = `logvar.exp()`।",
            "One dimension's term: 1/2 (mu^2 + sigma^2 - 1 - log sigma^2), and logvar = log sigma^2, so "
            "sigma^2 = `logvar.exp()`."),
           ("`return (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=1).mean()`",
            "`return (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=1).mean()`")],
    solution_code="""
        def gaussian_kl(mu, logvar):
            per_dim = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)   # KL of each image and latent dimension
            return per_dim.sum(dim=1).mean()                           # sum over dimensions, mean over images
    """,
)


# ---------------------------------------------------------------- exercise 2: a one-sample negative ELBO

def _check_neg_elbo(fn) -> None:
    g = torch.Generator().manual_seed(7)
    N, P, D = 8, 784, 3
    x = torch.bernoulli(torch.full((N, P), 0.3), generator=g)
    logits = 2 * torch.randn(N, P, generator=g)
    mu, logvar = torch.randn(N, D, generator=g), torch.randn(N, D, generator=g) - 1
    args = [t.clone().requires_grad_(t is not x) for t in (logits, x, mu, logvar)]
    val = _tensor_scalar(call(fn, *args))
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)        # -log p(x|z), (N,)
    kl = _kl_terms(mu, logvar).sum(1)
    want = float((bce + kl).mean())
    if not _close(val, want):
        r, k = float(bce.mean()), float(kl.mean())
        expect(not _close(val, -want), "this is the ELBO, not the negative ELBO: the loss to minimise is -ELBO = "
               "reconstruction (BCE) + KL, a positive number on binary images",
               "यह ELBO है, negative ELBO नहीं: minimise करने वाला loss -ELBO = reconstruction (BCE) + KL है, "
               "binary images पर एक positive number")
        expect(not _close(val, r - k), "the KL enters -ELBO with a PLUS sign: -ELBO = BCE + KL",
               "-ELBO में KL PLUS sign से आता है: -ELBO = BCE + KL")
        expect(not _close(val, r / P + k) and not _close(val, r / P),
               "the reconstruction term is averaged over the 784 pixels (the default reduction='mean' of "
               "F.binary_cross_entropy_with_logits): sum it over the pixels of each image; the mean makes the KL "
               "784 times too heavy",
               "reconstruction term 784 pixels पर average हुआ है (F.binary_cross_entropy_with_logits का default "
               "reduction='mean'): हर image के pixels पर sum लें; mean से KL 784 गुना भारी हो जाता है")
        expect(not _close(val, r + k / D), "the KL is averaged over the latent dimensions: sum it over them",
               "KL latent dimensions पर average हुआ है: उन पर sum लें")
        expect(not _close(val, N * want), "you summed over the images: take the mean over the images",
               "आपने images पर sum लिया: images पर mean लें")
        expect(not _close(val, r), "the KL term is missing: -ELBO = BCE + KL(q(z|x) || p(z))",
               "KL term छूट गया है: -ELBO = BCE + KL(q(z|x) || p(z))")
        twice = float(F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none").sum(1).mean())
        expect(not _close(val, twice + k), "the sigmoid was applied twice: the decoder gives logits, and "
               "binary_cross_entropy_with_logits applies the sigmoid itself",
               "sigmoid दो बार लगा है: decoder logits देता है, और binary_cross_entropy_with_logits sigmoid खुद लगाता है")
        mse = float((torch.sigmoid(logits) - x).pow(2).sum(1).mean())
        expect(not _close(val, mse + k), "this is MSE, not the Bernoulli negative log-likelihood: use the binary "
               "cross-entropy of the logits against x",
               "यह MSE है, Bernoulli negative log-likelihood नहीं: logits और x की binary cross-entropy लें")
        expect(False, f"-ELBO should be {want:.3f} for these inputs (BCE {r:.3f} + KL {k:.3f}), got {val:.3f}",
               f"इन inputs पर -ELBO {want:.3f} होना चाहिए (BCE {r:.3f} + KL {k:.3f}), मिला {val:.3f}")
    out = call(fn, *args)
    out.backward()
    expect(all(a.grad is not None for a in (args[0], args[2], args[3])),
           "the result does not carry gradients back to logits, mu and logvar",
           "result से logits, mu और logvar तक gradient नहीं पहुँचता")
    big = torch.full((2, 784), 30.0)          # the decoder is sure every pixel is 1: the sigmoid rounds to 1
    sure_out = call(fn, big, torch.ones(2, 784), torch.zeros(2, 3), torch.zeros(2, 3))
    sure = float(sure_out.detach().reshape(-1)[0]) if torch.is_tensor(sure_out) else float("nan")
    expect(0 <= sure < 1e-6, f"with logits 30 on an all-ones image -ELBO must be (nearly) 0, got {sure:.4g}: "
           "compute the BCE from the logits (binary_cross_entropy_with_logits), not log(sigmoid(...))",
           f"सब 1 वाली image पर logits 30 के साथ -ELBO (लगभग) 0 होना चाहिए, मिला {sure:.4g}: BCE logits से निकालें "
           "(binary_cross_entropy_with_logits), log(sigmoid(...)) से नहीं")


ex2 = Exercise(
    CHAPTER, 2, _check_neg_elbo,
    hints=[("-ELBO के दो हिस्से हैं: reconstruction, यानी Bernoulli decoder का -log p(x|z), हर image के सारे "
            "pixels पर जोड़ा हुआ; और KL(q(z|x) || p(z)), latent dimensions पर जोड़ा हुआ। दोनों का जोड़, images पर औसत।",
            "-ELBO has two parts: the reconstruction, -log p(x|z) under the Bernoulli decoder, summed over all "
            "pixels of an image; and KL(q(z|x) || p(z)), summed over the latent dimensions. Their sum, averaged over "
            "the images."),
           ("`F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(dim=1)` हर image का "
            "-log p(x|z) है; KL exercise 1 वाला है: `0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)`।",
            "`F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(dim=1)` is each image's "
            "-log p(x|z); the KL is exercise 1's: `0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)`."),
           ("`recon = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1)`, "
            "`kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(1)`, `return (recon + kl).mean()`",
            "`recon = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1)`, "
            "`kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(1)`, `return (recon + kl).mean()`")],
    solution_code="""
        def neg_elbo(logits, x, mu, logvar):
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)  # -log p(x|z) per image
            kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=1)                    # KL(q(z|x) || p(z))
            return (recon + kl).mean()                                                          # mean over images
    """,
)


# ---------------------------------------------------------------- exercise 3: a Gaussian log-likelihood with sigma

def _check_gauss(fn) -> None:
    g = torch.Generator().manual_seed(9)
    N, P = 6, 784
    x = torch.rand(N, P, generator=g, dtype=torch.float64)
    x_hat = torch.rand(N, P, generator=g, dtype=torch.float64)
    sigma = 0.3
    out = call(fn, x.clone(), x_hat.clone(), sigma)
    expect(torch.is_tensor(out), f"return a torch tensor, not {type(out).__name__}",
           f"torch tensor return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == (N,), f"return one log-likelihood per image, shape ({N},); got shape {tuple(out.shape)}",
           f"हर image की एक log-likelihood return करें, shape ({N},); मिली shape {tuple(out.shape)}")
    val = out.detach().to(torch.float64)
    sq = (x - x_hat).pow(2).sum(1)
    want = -sq / (2 * sigma**2) - 0.5 * P * math.log(2 * math.pi * sigma**2)
    if not torch.allclose(val, want, rtol=1e-5, atol=1e-4):
        near = lambda w: torch.allclose(val, w, rtol=1e-5, atol=1e-4)  # noqa: E731
        expect(not near(-want), "this is the negative log-likelihood: return log p(x | x_hat), which is mostly negative "
               "here, not its negative", "यह negative log-likelihood है: log p(x | x_hat) return करें, जो यहाँ "
               "ज़्यादातर negative है, उसका negative नहीं")
        expect(not near(-sq / (2 * sigma**2)), "the normalising constant -784/2 log(2 pi sigma^2) is missing: without "
               "it the numbers are not a log-density and depend on sigma in the wrong way",
               "normalising constant -784/2 log(2 pi sigma^2) छूट गया है: उसके बिना ये numbers log-density नहीं हैं "
               "और sigma पर गलत ढंग से निर्भर करते हैं")
        wrong_var = -sq / (2 * sigma) - 0.5 * P * math.log(2 * math.pi * sigma)
        expect(not near(wrong_var), "sigma is the standard deviation: the variance is sigma**2, in both places",
               "sigma standard deviation है: variance sigma**2 है, दोनों जगह")
        expect(not near(want / P), "you averaged over the pixels: the log-likelihood of an image is a SUM over its "
               "784 pixels", "आपने pixels पर average लिया: एक image की log-likelihood उसके 784 pixels पर SUM है")
        expect(not near(-sq / sigma**2 - 0.5 * P * math.log(2 * math.pi * sigma**2)),
               "the factor 1/2 in front of the squared error is missing: -||x - x_hat||^2 / (2 sigma^2)",
               "squared error के आगे 1/2 का factor छूट गया है: -||x - x_hat||^2 / (2 sigma^2)")
        expect(False, f"for the first image log p(x | x_hat) should be {float(want[0]):.3f}, got {float(val[0]):.3f}",
               f"पहली image के लिए log p(x | x_hat) {float(want[0]):.3f} होना चाहिए, मिला {float(val[0]):.3f}")
    other = call(fn, x.clone(), x_hat.clone(), 1.0)
    expect(torch.is_tensor(other) and torch.allclose(other.detach().to(torch.float64),
                                                     -sq / 2 - 0.5 * P * math.log(2 * math.pi), rtol=1e-5, atol=1e-4),
           "use the argument sigma; with sigma = 1 the answer is wrong", "argument sigma इस्तेमाल करें; sigma = 1 पर answer गलत है")


ex3 = Exercise(
    CHAPTER, 3, _check_gauss,
    hints=[("हर pixel i एक स्वतंत्र Gaussian N(x_hat_i, sigma^2) है; एक image की log-likelihood सारे pixels की "
            "log-densities का जोड़ है। Normal distribution की density में एक constant भी है: उसे न छोड़ें।",
            "Every pixel i is an independent Gaussian N(x_hat_i, sigma^2); an image's log-likelihood is the sum of "
            "its pixels' log-densities. The normal density has a constant too: keep it."),
           ("एक pixel: -(x_i - x_hat_i)^2 / (2 sigma^2) - 1/2 log(2 pi sigma^2)। `dim=1` पर sum करें, images पर "
            "नहीं।",
            "One pixel: -(x_i - x_hat_i)^2 / (2 sigma^2) - 1/2 log(2 pi sigma^2). Sum over `dim=1`, not over images."),
           ("`D = x.shape[1]`; `return -(x - x_hat).pow(2).sum(dim=1) / (2 * sigma**2) - 0.5 * D * "
            "math.log(2 * math.pi * sigma**2)`",
            "`D = x.shape[1]`; `return -(x - x_hat).pow(2).sum(dim=1) / (2 * sigma**2) - 0.5 * D * "
            "math.log(2 * math.pi * sigma**2)`")],
    solution_code="""
        def gaussian_log_likelihood(x, x_hat, sigma):
            D = x.shape[1]                                              # pixels per image
            squared_error = (x - x_hat).pow(2).sum(dim=1)               # chapter 01's per-image error
            return -squared_error / (2 * sigma**2) - 0.5 * D * math.log(2 * math.pi * sigma**2)
    """,
)
