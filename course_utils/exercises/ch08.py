"""Exercises of chapter 08 (training dynamics): active units, the KL warm-up weight, free bits."""
from __future__ import annotations

import math
import numbers

import torch

from . import Exercise, Wrong, call, expect

CHAPTER = "08_training_dynamics"


def _number(out, en_what: str, hi_what: str) -> float:
    """The learner's result as a Python float, or a bilingual reason why it is not one number."""
    if torch.is_tensor(out):
        expect(out.numel() == 1, f"{en_what} must be one number, but it has shape {tuple(out.shape)}",
               f"{hi_what} एक ही number होना चाहिए, पर इसकी shape {tuple(out.shape)} है")
        return float(out.detach())
    if type(out).__module__ == "numpy" and getattr(out, "shape", None) == ():
        return float(out)
    expect(isinstance(out, numbers.Real) and not isinstance(out, bool),
           f"return a number, not {type(out).__name__}", f"एक number return करें, {type(out).__name__} नहीं")
    return float(out)


# ---------------------------------------------------------------- exercise 1: active units

def _mu_with_known_activity() -> tuple[torch.Tensor, int]:
    """Posterior means of 400 images, 9 dims: 5 active, 2 barely moving (std 0.05), 2 constant far from 0."""
    g = torch.Generator().manual_seed(8)
    n = 400
    cols = [1.0 * torch.randn(n, generator=g), 0.7 * torch.randn(n, generator=g),
            0.05 * torch.randn(n, generator=g),              # std 0.05: variance 0.0025, inactive
            torch.full((n,), 2.0),                           # constant far from 0: inactive
            0.5 * torch.randn(n, generator=g) - 1.0,
            0.05 * torch.randn(n, generator=g) + 0.8,        # inactive, mean far from 0
            0.3 * torch.randn(n, generator=g),               # variance 0.09: active
            0.2 * torch.randn(n, generator=g),               # variance 0.04: active
            torch.full((n,), -1.5)]                          # constant: inactive
    return torch.stack(cols, 1), 5


def _check_active(fn) -> None:
    mu, want = _mu_with_known_activity()
    before = mu.clone()
    out = call(fn, mu, 0.01)
    expect(torch.equal(mu, before), "your function changed mu in place; compute on a copy",
           "आपके function ने mu को in place बदल दिया; copy पर काम करें")
    if torch.is_tensor(out) and out.numel() > 1:
        raise Wrong(f"return the number of active dimensions (one integer), not a tensor of shape {tuple(out.shape)}; "
                    "for a mask m, that is int(m.sum())",
                    f"active dimensions की गिनती (एक integer) return करें, shape {tuple(out.shape)} वाला tensor नहीं; "
                    "mask m हो तो int(m.sum())")
    got = _number(out, "the count", "गिनती")
    if got != want:
        std = mu.std(0)
        expect(got != int((mu.var(1) > 0.01).sum()),
               "you took the variance over the dimensions of each image (dim 1); A_u is the variance over "
               "the images (dim 0) of one dimension's posterior mean",
               "आपने हर image की dimensions पर variance लिया (dim 1); A_u एक dimension के posterior mean का "
               "images पर variance है (dim 0)")
        expect(got != int((std > 0.01).sum()),
               "you compared the standard deviation with the threshold; A_u is a variance (std squared)",
               "आपने standard deviation की threshold से तुलना की; A_u variance है (std का square)")
        expect(got != int((mu.pow(2).mean(0) > 0.01).sum()) and got != int((mu.abs().mean(0) > 0.01).sum()),
               "you measured how far mu is from 0, not how much it varies between images: a dimension whose "
               "mean is 2.0 for every image carries no information about x; subtract the mean over images first",
               "आपने मापा कि mu 0 से कितना दूर है, यह नहीं कि images के बीच वह कितना बदलता है: जिस dimension का "
               "mean हर image पर 2.0 है वह x के बारे में कुछ नहीं बताती; पहले images पर mean घटाएँ")
        expect(got != mu.shape[1] - want,
               "you counted the inactive dimensions; count those whose variance is ABOVE the threshold",
               "आपने inactive dimensions गिनीं; वे गिनें जिनका variance threshold से ऊपर है")
        expect(False, f"this mu has {want} active dimensions (variance over images above 0.01), got {got:g}",
               f"इस mu में {want} active dimensions हैं (images पर variance 0.01 से ऊपर), मिलीं {got:g}")
    other, want_other = _number(call(fn, mu, 0.06), "the count", "गिनती"), int((mu.var(0) > 0.06).sum())
    expect(other == want_other,
           f"with threshold 0.06 the answer should be {want_other}, got {other:g}: use the argument "
           "threshold, do not hard-code 0.01",
           f"threshold 0.06 पर answer {want_other} होना चाहिए, मिला {other:g}: argument threshold "
           "इस्तेमाल करें, 0.01 hard-code न करें")


ex1 = Exercise(
    CHAPTER, 1, _check_active,
    hints=[("एक dimension तभी active है जब उसका posterior mean images के साथ बदले: पूछें कि mu का हर column "
            "images पर कितना फैला है, यह नहीं कि वह 0 से कितना दूर है।",
            "A dimension is active only if its posterior mean changes with the image: ask how much each column "
            "of mu spreads over the images, not how far it is from 0."),
           ("`mu.var(dim=0)` हर dimension का images पर variance देता है (D numbers)। उसकी threshold से "
            "तुलना करें और True values गिनें।",
            "`mu.var(dim=0)` gives each dimension's variance over the images (D numbers). Compare it with the "
            "threshold and count the True values."),
           ("`return int((mu.var(dim=0) > threshold).sum())`",
            "`return int((mu.var(dim=0) > threshold).sum())`")],
    solution_code="""
        def active_units(mu, threshold=0.01):
            activity = mu.var(dim=0)                 # A_u: variance over the images of each posterior mean
            return int((activity > threshold).sum())
    """,
)


# ---------------------------------------------------------------- exercise 2: the KL warm-up weight

def _check_warmup(fn) -> None:
    warmup = 200
    w = {s: _number(call(fn, s, warmup), "the weight", "weight") for s in (0, 1, 50, 100, 150, 199, 200, 201, 400, 5000)}
    expect(all(math.isfinite(v) for v in w.values()), "the weight must be a finite number",
           "weight एक finite number होना चाहिए")
    expect(not (w[0] >= 0.99 and w[400] <= 0.01),
           "the weight goes from 1 down to 0: a warm-up starts with a small KL weight and raises it to 1",
           "weight 1 से 0 की ओर जा रहा है: warm-up में KL weight छोटा शुरू होकर 1 तक बढ़ता है")
    expect(w[5000] <= 1 + 1e-6,
           f"after the warm-up the weight must stay 1, got {w[5000]:g} at step 5000: cap it with min(1, ...)",
           f"warm-up के बाद weight 1 ही रहना चाहिए, step 5000 पर {w[5000]:g} मिला: min(1, ...) से रोकें")
    expect(w[0] <= 1 / warmup + 1e-9, f"at step 0 the weight should be (about) 0, got {w[0]:g}",
           f"step 0 पर weight (लगभग) 0 होना चाहिए, मिला {w[0]:g}")
    expect(not (w[50] == 0 and w[150] == 0),
           "the weight stays 0 during the warm-up and jumps to 1: integer division (//) instead of /?",
           "warm-up के दौरान weight 0 रहता है और फिर अचानक 1: / की जगह integer division (//)?")
    expect(abs(w[100] - 0.5) <= 1 / warmup + 1e-6,
           f"halfway through the warm-up (step 100 of 200) the weight should be 0.5, got {w[100]:g}: a linear ramp",
           f"warm-up के बीच में (200 में से step 100) weight 0.5 होना चाहिए, मिला {w[100]:g}: linear ramp")
    expect(all(abs(w[s] - 1) < 1e-6 for s in (200, 201, 400, 5000)),
           "from step warmup on the weight must be exactly 1", "step warmup से weight ठीक 1 होना चाहिए")
    steps = sorted(w)
    expect(all(w[a] <= w[b] + 1e-9 for a, b in zip(steps, steps[1:])), "the weight must never decrease",
           "weight कभी घटना नहीं चाहिए")
    other = _number(call(fn, 30, 60), "the weight", "weight")
    expect(abs(other - 0.5) <= 1 / 60 + 1e-6,
           f"kl_weight(30, 60) should be 0.5, got {other:g}: use the argument warmup, do not hard-code it",
           f"kl_weight(30, 60) 0.5 होना चाहिए, मिला {other:g}: argument warmup इस्तेमाल करें, hard-code न करें")
    try:
        none = _number(fn(10, 0), "the weight", "weight")
    except ZeroDivisionError as err:
        raise Wrong("kl_weight(step, 0) divides by zero: warmup = 0 means no warm-up, so the weight is 1",
                    "kl_weight(step, 0) में शून्य से भाग: warmup = 0 का मतलब कोई warm-up नहीं, तो weight 1") from err
    except Wrong:
        raise
    except Exception as err:
        raise Wrong(f"kl_weight(10, 0) raised {type(err).__name__}: {err}; warmup = 0 means the weight is 1",
                    f"kl_weight(10, 0) में {type(err).__name__} आई; warmup = 0 का मतलब weight 1") from err
    expect(abs(none - 1) < 1e-9, f"with warmup = 0 (no warm-up) the weight should be 1, got {none:g}",
           f"warmup = 0 (कोई warm-up नहीं) पर weight 1 होना चाहिए, मिला {none:g}")
    first = _number(call(fn, 0, 0), "the weight", "weight")
    expect(abs(first - 1) < 1e-9,
           f"kl_weight(0, 0) should be 1, got {first:g}: warmup = 0 means the full KL from the very first step "
           "(a guard like max(warmup, 1) still gives 0 at step 0); handle warmup == 0 on its own",
           f"kl_weight(0, 0) 1 होना चाहिए, मिला {first:g}: warmup = 0 का मतलब पहले step से ही पूरा KL "
           "(max(warmup, 1) जैसी रोक step 0 पर फिर भी 0 देती है); warmup == 0 का case अलग से संभालें")


ex2 = Exercise(
    CHAPTER, 2, _check_warmup,
    hints=[("Weight training के शुरू में 0 से चलता है, warmup steps में सीधी line में बढ़ता है, और फिर 1 पर रुक "
            "जाता है। warmup = 0 का मतलब: कोई warm-up नहीं।",
            "The weight starts at 0 when training starts, grows along a straight line over warmup steps, and "
            "then stays at 1. warmup = 0 means: no warm-up."),
           ("Ramp `step / warmup` है; उसे `min(1.0, ...)` से 1 पर रोकें, और `warmup == 0` का case पहले अलग से "
            "संभालें।",
            "The ramp is `step / warmup`; cap it at 1 with `min(1.0, ...)`, and handle `warmup == 0` first, "
            "on its own."),
           ("`return 1.0 if warmup == 0 else min(1.0, step / warmup)`",
            "`return 1.0 if warmup == 0 else min(1.0, step / warmup)`")],
    solution_code="""
        def kl_weight(step, warmup):
            if warmup == 0:                          # no warm-up: the full KL from the first step
                return 1.0
            return min(1.0, step / warmup)           # linear ramp from 0 to 1, then 1
    """,
)


# ---------------------------------------------------------------- exercise 3: free bits

def _kl_dims(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)      # (N, D)


def _check_free_bits(fn) -> None:
    g = torch.Generator().manual_seed(11)
    n, d = 64, 6
    scale = torch.tensor([1.5, 1.0, 0.5, 0.1, 0.05, 0.02])           # dims 3-5 carry little KL
    mu = scale * torch.randn(n, d, generator=g)
    logvar = torch.log(1 - 0.9 * scale.clamp(max=1) ** 2) + 0.1 * torch.randn(n, d, generator=g)
    lam = 0.2
    mu_in, lv_in = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    out = call(fn, mu_in, lv_in, lam)
    expect(torch.is_tensor(out), f"return a torch tensor (training backpropagates through it), not {type(out).__name__}",
           f"torch tensor return करें (training उससे backpropagate करती है), {type(out).__name__} नहीं")
    val = _number(out, "the penalty", "penalty")
    per_dim = _kl_dims(mu, logvar).mean(0)                            # (D,) KL of each dim, averaged over images
    want = float(per_dim.clamp(min=lam).sum())
    close = lambda v, w: abs(v - w) <= 1e-4 * max(1.0, abs(w))  # noqa: E731
    if not close(val, want):
        expect(not close(val, float(per_dim.sum())),
               "this is the plain KL: no dimension is held at lam; take max(lam, KL_u) for every dimension u",
               "यह सादा KL है: कोई dimension lam पर नहीं रुकी; हर dimension u के लिए max(lam, KL_u) लें")
        expect(not close(val, float(_kl_dims(mu, logvar).clamp(min=lam).sum(1).mean())),
               "you applied max(lam, .) to every image's KL before averaging; free bits averages KL_u over "
               "the batch first, then takes max(lam, KL_u)",
               "आपने औसत से पहले हर image के KL पर max(lam, .) लगाया; free bits में पहले batch पर KL_u का औसत, "
               "फिर max(lam, KL_u)")
        expect(not close(val, float(per_dim.clamp(min=lam).mean())),
               "you averaged over the latent dimensions; the KL term is a sum over them",
               "आपने latent dimensions पर mean लिया; KL term उन पर sum है")
        expect(not close(val, max(lam, float(per_dim.sum()))) and not close(val, max(lam * d, float(per_dim.sum()))),
               "you held the total KL at lam; free bits holds each dimension separately: sum_u max(lam, KL_u)",
               "आपने कुल KL को lam पर रोका; free bits हर dimension को अलग से रोकता है: sum_u max(lam, KL_u)")
        expect(not close(val, float(per_dim.clamp(max=lam).sum())),
               "you took min(lam, KL_u): free bits is max(lam, KL_u), a floor, not a ceiling",
               "आपने min(lam, KL_u) लिया: free bits max(lam, KL_u) है, निचली सीमा (floor), ऊपरी सीमा (ceiling) नहीं")
        expect(False, f"for this batch the free-bits KL should be {want:.4f}, got {val:.4f}",
               f"इस batch के लिए free-bits KL {want:.4f} होना चाहिए, मिला {val:.4f}")
    try:
        out.backward()
    except RuntimeError as err:
        raise Wrong("the result carries no gradient back to mu and logvar; keep it a torch tensor (no .item())",
                    "result से mu और logvar तक gradient नहीं जाता; इसे torch tensor ही रहने दें (.item() नहीं)") from err
    below = per_dim < lam
    expect(mu_in.grad is not None and float(mu_in.grad[:, ~below].abs().sum()) > 0,
           "the dimensions above lam get no gradient", "lam से ऊपर वाली dimensions को gradient नहीं मिला")
    expect(float(mu_in.grad[:, below].abs().sum()) == 0 and float(lv_in.grad[:, below].abs().sum()) == 0,
           "the dimensions whose KL is below lam still get a gradient: below the floor the KL must not be pushed down",
           "जिन dimensions का KL lam से नीचे है उन्हें भी gradient मिला: floor के नीचे KL को नीचे नहीं धकेलना है")
    zero = _number(call(fn, mu, logvar, 0.0), "the penalty", "penalty")
    expect(close(zero, float(per_dim.sum())),
           f"with lam = 0 the result must be the plain KL {float(per_dim.sum()):.4f}, got {zero:.4f}; use the argument lam",
           f"lam = 0 पर result सादा KL {float(per_dim.sum()):.4f} होना चाहिए, मिला {zero:.4f}; argument lam इस्तेमाल करें")


ex3 = Exercise(
    CHAPTER, 3, _check_free_bits,
    hints=[("पहले हर latent dimension का KL निकालें, batch की images पर औसत लेकर। फिर हर dimension को अलग से "
            "देखें: अगर उसका KL lam से कम है, तो उसकी जगह lam गिनें। आखिर में dimensions पर जोड़ें।",
            "First compute the KL of each latent dimension, averaged over the images of the batch. Then look at "
            "each dimension on its own: if its KL is below lam, count lam instead. Finally add over the dimensions."),
           ("`kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0)` हर dimension का एक number देता है; "
            "`torch.clamp(kl, min=lam)` निचली सीमा (floor) लगाता है।",
            "`kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0)` gives one number per dimension; "
            "`torch.clamp(kl, min=lam)` applies the floor."),
           ("`return torch.clamp(0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0), min=lam).sum()`",
            "`return torch.clamp(0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0), min=lam).sum()`")],
    solution_code="""
        def free_bits_kl(mu, logvar, lam):
            kl_per_dim = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0)   # (D,), averaged over images
            return torch.clamp(kl_per_dim, min=lam).sum()                        # floor lam, summed over dims
    """,
)
