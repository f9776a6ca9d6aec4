"""Exercises of chapter 04 (from_ae_to_vae): sampling from the prior, log-mean-exp, effective sample size."""
from __future__ import annotations

import math

import torch
from torch import nn

from . import Exercise, Wrong, call, expect

CHAPTER = "04_from_ae_to_vae"


def _tensor(out, en_what: str, hi_what: str) -> torch.Tensor:
    """The learner's result as a detached float64 tensor, or a bilingual reason why it is not a tensor."""
    expect(torch.is_tensor(out), f"{en_what}: return a torch tensor, not {type(out).__name__}",
           f"{hi_what}: torch tensor return करें, {type(out).__name__} नहीं")
    return out.detach().double()


# ---------------------------------------------------------------- exercise 1: sampling from the prior

class _RecordingDecoder(nn.Module):
    """A small fixed decoder (latent -> 784 Bernoulli means) that records every code it is given."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Linear(latent_dim, 784)
        with torch.no_grad():
            g = torch.Generator().manual_seed(7)
            self.net.weight.copy_(torch.randn(784, latent_dim, generator=g))
            self.net.bias.copy_(torch.randn(784, generator=g))
        self.seen: list[torch.Tensor] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(z) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if torch.is_tensor(z) else type(z).__name__
            raise Wrong(f"the decoder was given codes of shape {shape}; it expects (n, latent_dim), "
                        f"here (n, {self.latent_dim}): one row per sample; use the arguments n and latent_dim, do not hard-code "
                        "sizes",
                        f"decoder को {shape} shape के codes मिले; उसे (n, latent_dim) चाहिए, यहाँ (n, {self.latent_dim}): "
                        "हर sample की एक row; arguments n और latent_dim इस्तेमाल करें, sizes hard-code न करें")
        self.seen.append(z.detach().clone().float())
        return torch.sigmoid(self.net(z))


def _draw(fn, n: int, latent_dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the learner's sampler; return (its images, the codes the decoder saw, the decoder's images of the first 200)."""
    dec = _RecordingDecoder(latent_dim)
    out = call(fn, dec, n, latent_dim, torch.Generator().manual_seed(seed))
    expect(torch.is_tensor(out), f"the decoded samples: return a torch tensor, not {type(out).__name__}",
           f"decode किए गए samples: torch tensor return करें, {type(out).__name__} नहीं")
    out = out.detach()
    expect(len(dec.seen) > 0, "the decoder was never called: decode the codes with decoder(z)",
           "decoder कभी call नहीं हुआ: codes को decoder(z) से decode करें")
    z = torch.cat(dec.seen)
    with torch.no_grad():
        want = dec.net(z[:200]).sigmoid()
    return out, z, want


def _check_sample_prior(fn) -> None:
    n, d = 4000, 5
    out, z, want = _draw(fn, n, d, seed=0)
    expect(len(z) == n, f"the decoder saw {len(z)} codes; draw exactly n = {n} codes, one per sample",
           f"decoder ने {len(z)} codes देखे; ठीक n = {n} codes बनाएँ, हर sample का एक")
    expect(out.numel() == n * 784, f"return the {n} decoded images, shape (n, 784); got shape {tuple(out.shape)}",
           f"{n} decode की गई images return करें, shape (n, 784); मिली shape {tuple(out.shape)}")
    expect(torch.allclose(out.reshape(n, 784)[:200].float(), want, atol=1e-5),
           "return what the decoder gave for your codes, unchanged",
           "आपके codes पर decoder ने जो दिया, वही बिना बदले return करें")
    expect(len(torch.unique(z, dim=0)) == n, "some codes repeat: draw a fresh code for every sample",
           "कुछ codes दोहराए गए हैं: हर sample के लिए नया code बनाएँ")
    if bool((z >= 0).all()) and bool((z < 1).all()):
        raise Wrong("all your codes lie in [0, 1): torch.rand is uniform on [0, 1), but the prior is "
                    "N(0, I): use torch.randn",
                    "आपके सारे codes [0, 1) में हैं: torch.rand [0, 1) पर uniform है, पर prior N(0, I) है: torch.randn लें")
    mean, std = z.mean(0), z.std(0)
    r2 = lambda t: [round(float(v), 2) for v in t]   # noqa: E731
    expect(bool((mean.abs() < 0.08).all()), f"the codes' mean per dimension is {r2(mean)}; "
           "under N(0, I) it is 0 in every dimension",
           f"हर dimension में codes का mean {r2(mean)} है; N(0, I) में यह हर dimension में 0 है")
    # The tails: among n * d = 20,000 draws of N(0, 1) about 19 lie beyond ±3.3, and none does with probability
    # about e^-19, so a correct sampler never fails this; clipping or truncating at ±2.5 always does.
    biggest = float(z.abs().max())
    expect(biggest > 3.3, f"your largest |number| is {biggest:.2f} among {z.numel():,}; under N(0, 1) about 19 of "
           f"{z.numel():,} lie beyond ±3.3: your codes are not Gaussian in the tails. Do not clip (clamp) or truncate "
           "them: the truncation trick makes nicer-looking images, but it is not sampling from the prior",
           f"{z.numel():,} numbers में आपका सबसे बड़ा |number| {biggest:.2f} है; N(0, 1) में {z.numel():,} में से लगभग 19 "
           "±3.3 से बाहर होते हैं: आपके codes tails में Gaussian नहीं हैं। उन्हें clip (clamp) या truncate न करें: truncation "
           "trick से images अच्छी दिखती हैं, पर वह prior से sampling नहीं है")
    # The pooled standard deviation of all n * d numbers: its standard error is about 1 / sqrt(2 n d) = 0.005, so
    # 0.02 is about 4 standard errors; a sampler scaled by 0.95 fails it.
    pooled = float(z.std())
    expect(abs(pooled - 1) < 0.02, f"the standard deviation of all your {z.numel():,} numbers is {pooled:.3f}; under "
           "N(0, I) it is 1 (no scaling, no truncation): draw torch.randn as it comes",
           f"आपके सारे {z.numel():,} numbers का standard deviation {pooled:.3f} है; N(0, I) में यह 1 है (न scaling, "
           "न truncation): torch.randn जैसा आता है वैसा ही लें")
    expect(bool(((std - 1).abs() < 0.06).all()), f"the codes' standard deviation per dimension is "
           f"{r2(std)}; under N(0, I) it is 1 (no scaling)",
           f"हर dimension में codes का standard deviation {r2(std)} है; N(0, I) में यह 1 है "
           "(कोई scaling नहीं)")
    corr = torch.corrcoef(z.T) - torch.eye(d)
    expect(float(corr.abs().max()) < 0.1, "the dimensions of your codes are correlated; under N(0, I) they are "
           "independent: draw every number separately (torch.randn(n, latent_dim))",
           "आपके codes की dimensions आपस में correlated हैं; N(0, I) में वे स्वतंत्र हैं: हर number अलग से बनाएँ "
           "(torch.randn(n, latent_dim))")
    tails = float((z.abs() > 2).float().mean())
    expect(abs(tails - 0.0455) < 0.012, f"{tails:.1%} of your numbers lie beyond ±2; under N(0, 1) about 4.6% do: "
           "the numbers are not Gaussian",
           f"आपके {tails:.1%} numbers ±2 से बाहर हैं; N(0, 1) में लगभग 4.6% होते हैं: numbers Gaussian नहीं हैं")
    first, _, _ = _draw(fn, 300, d, seed=0)
    again, _, _ = _draw(fn, 300, d, seed=0)
    other, _, _ = _draw(fn, 300, d, seed=1)
    expect(again.shape == first.shape and torch.equal(again, first)
           and not (other.shape == first.shape and torch.equal(other, first)),
           "draw the random numbers from the `generator` argument (torch.randn(..., generator=generator)), so that "
           "the same seed gives the same samples",
           "random numbers `generator` argument से लें (torch.randn(..., generator=generator)), ताकि एक ही seed से "
           "वही samples मिलें")
    small, z_small, _ = _draw(fn, 7, 3, seed=2)
    expect(tuple(z_small.shape) == (7, 3), f"with n = 7 and latent_dim = 3 the codes must have shape (7, 3), got "
           f"{tuple(z_small.shape)}: use the arguments, do not hard-code sizes",
           f"n = 7 और latent_dim = 3 पर codes की shape (7, 3) होनी चाहिए, मिली {tuple(z_small.shape)}: arguments "
           "इस्तेमाल करें, sizes hard-code न करें")


ex1 = Exercise(
    CHAPTER, 1, _check_sample_prior,
    hints=[("नया digit बनाने के लिए किसी image की ज़रूरत नहीं: prior से codes लें और decoder से images बनवाएँ। "
            "Encoder इसमें कहीं नहीं आता।",
            "Making a new digit needs no image: draw codes from the prior and let the decoder turn them into images. "
            "The encoder plays no part."),
           ("Prior N(0, I) है: हर sample के लिए `latent_dim` स्वतंत्र standard normal numbers, यानी shape "
            "`(n, latent_dim)`। `torch.randn` एक `generator=` argument लेता है।",
            "The prior is N(0, I): `latent_dim` independent standard normal numbers per sample, that is shape "
            "`(n, latent_dim)`. `torch.randn` takes a `generator=` argument."),
           ("`z = torch.randn(n, latent_dim, generator=generator)`, फिर `with torch.no_grad(): return decoder(z)`।",
            "`z = torch.randn(n, latent_dim, generator=generator)`, then `with torch.no_grad(): return decoder(z)`.")],
    solution_code="""
        def sample_prior(decoder, n, latent_dim, generator):
            z = torch.randn(n, latent_dim, generator=generator)   # n codes from the prior N(0, I)
            with torch.no_grad():                                  # sampling needs no gradients
                return decoder(z)
    """,
)


# ---------------------------------------------------------------- exercise 2: log-mean-exp

def _lme64(log_w: torch.Tensor) -> torch.Tensor:
    """Reference: log of the mean of exp over the last dim, in float64, shifted by each row's max."""
    a = log_w.double()
    m = a.max(-1, keepdim=True).values
    return (m + (a - m).exp().mean(-1, keepdim=True).log()).squeeze(-1)


def _check_log_mean_exp(fn) -> None:
    g = torch.Generator().manual_seed(4)
    safe = 3 * torch.randn(4, 50, generator=g)                       # exp() is fine here, even in float32
    out = _tensor(call(fn, safe.clone()), "log_mean_exp", "log_mean_exp")
    want = safe.double().exp().mean(-1).log()                        # the naive formula, float64, safe inputs
    if out.shape != want.shape:
        expect(tuple(out.shape) != (50,), "you averaged over dim 0 (the rows); average over the last dim, "
               "the K weights of each row", "आपने dim 0 (rows) पर औसत लिया; आखिरी dim पर, हर row के K weights पर, औसत लें")
        expect(False, f"for log_w of shape (4, 50) return one number per row, shape (4,); got {tuple(out.shape)}",
               f"(4, 50) shape के log_w के लिए हर row का एक number return करें, shape (4,); मिली {tuple(out.shape)}")
    close = lambda v, w: bool(torch.allclose(v, w, atol=1e-4, rtol=1e-5))   # noqa: E731
    if not close(out, want):
        expect(not close(out, torch.logsumexp(safe.double(), -1)),
               "this is log of the SUM of exp(log_w); the mean needs one more term: subtract log K",
               "यह exp(log_w) के SUM का log है; mean के लिए एक term और: log K घटाएँ")
        expect(not close(out, safe.double().mean(-1)),
               "this is the mean of the logs, not the log of the mean: by Jensen's inequality it is lower; "
               "exponentiate, average, then take the log (stably)",
               "यह logs का mean है, mean का log नहीं: Jensen's inequality से यह कम होता है; exp लें, औसत लें, फिर log "
               "(stable तरीके से)")
        expect(not close(out, safe.double().max(-1).values),
               "this is only the largest log weight; after subtracting the max, add back log of the mean of "
               "exp(log_w - max)", "यह सिर्फ़ सबसे बड़ा log weight है; max घटाने के बाद exp(log_w - max) के mean का log "
               "वापस जोड़ें")
        expect(False, f"for these log weights the answer is {want.numpy().round(4).tolist()}, got "
               f"{out.numpy().round(4).tolist()}", f"इन log weights के लिए answer {want.numpy().round(4).tolist()} है, "
               f"मिला {out.numpy().round(4).tolist()}")
    tiny = safe - 1000.0                                             # exp(-1000) is 0 even in float64
    out_tiny = _tensor(call(fn, tiny.clone()), "log_mean_exp", "log_mean_exp")
    expect(bool(torch.isfinite(out_tiny).all()),
           "with log weights near -1000 your answer is -inf or nan: exp(-1000) underflows to 0 (in float32 and "
           "even in float64). Subtract each row's max before exp, add it back after the log (or use torch.logsumexp)",
           "log weights -1000 के आस-पास होने पर आपका answer -inf या nan है: exp(-1000) 0 बन जाता है (float32 में, "
           "float64 में भी)। exp से पहले हर row का max घटाएँ, log के बाद वापस जोड़ें (या torch.logsumexp लें)")
    expect(close(out_tiny, _lme64(tiny)), "with log weights near -1000 the answer must be 1000 below the one for the "
           "same weights near 0", "log weights -1000 के आस-पास हों तो answer, 0 के आस-पास वाले उन्हीं weights के answer से "
           "ठीक 1000 कम होना चाहिए")
    short = safe[:2, :7]                                             # K = 7: the answer depends on K
    out_short = _tensor(call(fn, short.clone()), "log_mean_exp", "log_mean_exp")
    expect(out_short.shape == (2,) and close(out_short, _lme64(short)),
           "with K = 7 weights per row the answer is wrong: take K from the input (log_w.shape[-1]), do not "
           "hard-code it", "हर row में K = 7 weights होने पर answer गलत है: K input से लें (log_w.shape[-1]), "
           "hard-code न करें")
    big = safe + 1000.0
    out_big = _tensor(call(fn, big.clone()), "log_mean_exp", "log_mean_exp")
    expect(bool(torch.isfinite(out_big).all()) and close(out_big, _lme64(big)),
           "with log weights near +1000 your answer is wrong (exp overflows to inf): subtract each row's max first",
           "log weights +1000 के आस-पास होने पर answer गलत है (exp overflow होकर inf बनता है): पहले हर row का max घटाएँ")
    mixed = torch.stack([safe[0] - 1000.0, safe[1]])                 # two rows on very different scales
    out_mixed = _tensor(call(fn, mixed.clone()), "log_mean_exp", "log_mean_exp")
    expect(bool(torch.isfinite(out_mixed).all()) and close(out_mixed, _lme64(mixed)),
           "when one row is near -1000 and another near 0, the first row fails: subtract each ROW's own max "
           "(max(dim=-1, keepdim=True)), not one max of the whole tensor",
           "जब एक row -1000 के पास और दूसरी 0 के पास हो, तो पहली row गलत आती है: हर ROW का अपना max घटाएँ "
           "(max(dim=-1, keepdim=True)), पूरे tensor का एक max नहीं")


ex2 = Exercise(
    CHAPTER, 2, _check_log_mean_exp,
    hints=[("Weights w_k = exp(log w_k) इतने छोटे हो सकते हैं कि computer उन्हें 0 कर दे। एक common factor "
            "बाहर निकालें ताकि बचे हुए numbers 1 के आस-पास रहें।",
            "The weights w_k = exp(log w_k) can be so small that the computer rounds them to 0. Take a common "
            "factor out so that what is left stays near 1."),
           ("log((1/K) Σ_k exp(a_k)) = m + log((1/K) Σ_k exp(a_k - m)) हर m के लिए सच है; "
            "m = हर row का max लें (`log_w.max(dim=-1, keepdim=True)`), तो सबसे बड़ा term exp(0) = 1 है।",
            "log((1/K) Σ_k exp(a_k)) = m + log((1/K) Σ_k exp(a_k - m)) holds for every m; "
            "take m = each row's max (`log_w.max(dim=-1, keepdim=True)`), so the largest term is exp(0) = 1."),
           ("`return torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])` (torch.logsumexp अंदर यही max "
            "घटाता है)।",
            "`return torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])` (torch.logsumexp subtracts the "
            "max inside).")],
    solution_code="""
        def log_mean_exp(log_w):
            K = log_w.shape[-1]
            return torch.logsumexp(log_w, dim=-1) - math.log(K)   # log (1/K) sum_k exp(log_w_k), stably
    """,
)


# ---------------------------------------------------------------- exercise 3: effective sample size

def _ess64(log_w: torch.Tensor) -> torch.Tensor:
    a = log_w.double()
    return torch.exp(2 * torch.logsumexp(a, -1) - torch.logsumexp(2 * a, -1))


def _check_ess(fn) -> None:
    g = torch.Generator().manual_seed(9)
    K = 200
    log_w = -300 + 2 * torch.randn(3, K, generator=g)                # like log p(x|z): far below 0
    out = _tensor(call(fn, log_w.clone()), "effective_sample_size", "effective_sample_size")
    want = _ess64(log_w)
    expect(tuple(out.shape) == (3,), f"for log_w of shape (3, {K}) return one ESS per row, shape (3,); got "
           f"{tuple(out.shape)}", f"(3, {K}) shape के log_w के लिए हर row का एक ESS return करें, shape (3,); मिली "
           f"{tuple(out.shape)}")
    expect(bool(torch.isfinite(out).all()),
           "your ESS is nan or inf: exp(-300) underflows in float32, so both sums are 0 and 0/0 = nan. Work from the "
           "log weights: subtract each row's max before exp (or use torch.logsumexp / torch.softmax)",
           "आपका ESS nan या inf है: float32 में exp(-300) 0 बन जाता है, तो दोनों sums 0 हैं और 0/0 = nan। log weights से "
           "काम करें: exp से पहले हर row का max घटाएँ (या torch.logsumexp / torch.softmax लें)")
    close = lambda v, w: bool(torch.allclose(v, w, rtol=1e-3))   # noqa: E731
    if not close(out, want):
        expect(not close(out, want / K), f"you returned ESS / K (a share between 1/K and 1); return the ESS itself, "
               f"a number between 1 and K = {K}", f"आपने ESS / K लौटाया (1/K और 1 के बीच का हिस्सा); ESS खुद return करें, "
               f"1 और K = {K} के बीच का number")
        expect(not close(out, 1 / want), "your result is 1 / ESS: the ESS is (sum of w)^2 / (sum of w^2), not the other "
               "way round", "आपका result 1 / ESS है: ESS = (w का sum)^2 / (w^2 का sum), उलटा नहीं")
        a = log_w.double()
        expect(not close(out, a.sum(-1) ** 2 / (a ** 2).sum(-1)),
               "you used the log weights as if they were weights: exponentiate first, w = exp(log_w) (stably)",
               "आपने log weights को ही weights मान लिया: पहले exp लें, w = exp(log_w) (stable तरीके से)")
        shifted = (a - a.max(-1, keepdim=True).values).exp()
        expect(not close(out, 1 / (shifted ** 2).sum(-1)),
               "1 / sum(w^2) is the ESS only for weights normalised to sum 1: divide the weights by their sum first "
               "(torch.softmax(log_w, dim=-1) does it stably)",
               "1 / sum(w^2) ESS तभी है जब weights का sum 1 हो: पहले weights को उनके sum से divide करें "
               "(torch.softmax(log_w, dim=-1) यह stable तरीके से करता है)")
        expect(False, f"for these log weights the ESS is {want.numpy().round(2).tolist()}, got "
               f"{out.numpy().round(2).tolist()}", f"इन log weights के लिए ESS {want.numpy().round(2).tolist()} है, "
               f"मिला {out.numpy().round(2).tolist()}")
    equal = _tensor(call(fn, torch.full((2, 50), -700.0)), "effective_sample_size", "effective_sample_size")
    expect(bool(torch.isfinite(equal).all()) and torch.allclose(equal, torch.full_like(equal, 50.0), rtol=1e-4),
           f"50 equal weights (log w = -700) must give ESS = 50, got {equal.numpy().round(3).tolist()}",
           f"50 बराबर weights (log w = -700) पर ESS = 50 आना चाहिए, मिला {equal.numpy().round(3).tolist()}")
    one = torch.full((1, 50), -2000.0)
    one[0, 17] = -900.0                                             # one weight dominates all others
    single = _tensor(call(fn, one), "effective_sample_size", "effective_sample_size")
    expect(bool(torch.isfinite(single).all()) and abs(float(single[0]) - 1.0) < 1e-4,
           f"when one weight dominates all others the ESS must be 1, got {single.numpy().round(3).tolist()}",
           f"जब एक weight बाकी सब पर हावी हो तो ESS 1 होना चाहिए, मिला {single.numpy().round(3).tolist()}")


ex3 = Exercise(
    CHAPTER, 3, _check_ess,
    hints=[("ESS पूछता है: ये K weighted samples कितने बराबर-weight वाले samples के बराबर हैं? सब weights बराबर हों "
            "तो K, एक ही weight हावी हो तो 1। Weights exp(-300) जैसे छोटे हैं, इसलिए logs में काम करें।",
            "The ESS asks: how many equally weighted samples are these K weighted samples worth? All weights equal "
            "gives K, one dominant weight gives 1. The weights are as small as exp(-300), so work in logs."),
           ("ESS = (Σ_k w_k)^2 / Σ_k w_k^2 किसी भी common factor से नहीं बदलता; logs में: "
            "log ESS = 2 logsumexp(log w) - logsumexp(2 log w)।",
            "ESS = (Σ_k w_k)^2 / Σ_k w_k^2 does not change under any common factor; in logs: "
            "log ESS = 2 logsumexp(log w) - logsumexp(2 log w)."),
           ("`w = torch.softmax(log_w, dim=-1)` (weights जिनका sum 1 है), फिर `return 1 / (w ** 2).sum(-1)`।",
            "`w = torch.softmax(log_w, dim=-1)` (weights that sum to 1), then `return 1 / (w ** 2).sum(-1)`.")],
    solution_code="""
        def effective_sample_size(log_w):
            w = torch.softmax(log_w, dim=-1)        # normalised weights, computed stably from the logs
            return 1 / (w ** 2).sum(dim=-1)         # (sum w)^2 / sum w^2 with sum w = 1
    """,
)
