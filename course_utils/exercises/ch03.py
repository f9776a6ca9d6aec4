"""Exercises of chapter 03 (autoencoder_family): KL sparsity penalty, masking noise, AUROC by hand."""
from __future__ import annotations

import torch

from ..metrics import auroc
from . import Exercise, Wrong, as_number, call, expect

CHAPTER = "03_autoencoder_family"


# ---------------------------------------------------------------- exercise 1: KL sparsity penalty

def _bernoulli_kl(p: torch.Tensor | float, q: torch.Tensor) -> torch.Tensor:
    return p * torch.log(p / q) + (1 - p) * torch.log((1 - p) / (1 - q))


def _check_kl(fn) -> None:
    g = torch.Generator().manual_seed(3)
    a = torch.sigmoid(2 * torch.randn(64, 16, generator=g) - 1)   # 64 inputs, 16 sigmoid units
    rho = 0.05
    a_in = a.clone().requires_grad_(True)
    out = call(fn, a_in, rho)
    expect(torch.is_tensor(out), f"return a torch tensor (so that training can backpropagate), not {type(out).__name__}",
           f"torch tensor return करें (ताकि training में backpropagation हो सके), {type(out).__name__} नहीं")
    val = as_number(out, "the penalty", "penalty")
    rho_hat = a.mean(0)
    want = float(_bernoulli_kl(rho, rho_hat).sum())
    close = lambda v, w: abs(v - w) <= 1e-4 * max(1.0, abs(w))  # noqa: E731
    if not close(val, want):
        expect(not close(val, want / a.shape[1]),
               "you averaged over the units: the penalty is a sum over the units j",
               "आपने units पर mean लिया है: penalty units j पर sum है")
        expect(not close(val, float(_bernoulli_kl(rho, a.mean(1)).sum())),
               "rho_hat_j is the mean of unit j over the batch (dim 0), not over the units of one input (dim 1)",
               "rho_hat_j unit j का batch पर mean है (dim 0), एक input की units पर नहीं (dim 1)")
        expect(not close(val, float(_bernoulli_kl(rho_hat, torch.tensor(rho)).sum())),
               "the arguments are swapped: it is KL(rho || rho_hat_j) = rho log(rho/rho_hat_j) + ...",
               "arguments उलटे हैं: KL(rho || rho_hat_j) = rho log(rho/rho_hat_j) + ... चाहिए")
        cross_entropy = -(rho * torch.log(rho_hat) + (1 - rho) * torch.log(1 - rho_hat))   # per unit
        expect(not close(val, float(cross_entropy.sum())) and not close(val, float(cross_entropy.mean())),
               "this is the binary cross-entropy between rho and rho_hat_j, not the KL: KL = cross-entropy - H(rho), "
               "so subtract the entropy H(rho) = -(rho log rho + (1 - rho) log(1 - rho)) for every unit "
               "(and sum over the units)",
               "यह rho और rho_hat_j के बीच binary cross-entropy है, KL नहीं: KL = cross-entropy - H(rho), इसलिए "
               "हर unit के लिए entropy H(rho) = -(rho log rho + (1 - rho) log(1 - rho)) घटाएँ (और units पर sum लें)")
        expect(not close(val, float((rho * torch.log(rho / rho_hat)).sum())),
               "the second term (1 - rho) log((1 - rho) / (1 - rho_hat_j)) is missing",
               "दूसरा term (1 - rho) log((1 - rho) / (1 - rho_hat_j)) छूट गया है")
        expect(not close(val, float(_bernoulli_kl(rho, a).sum(1).mean())),
               "apply the KL to the mean activation rho_hat_j of each unit, not to every single activation",
               "KL हर unit की mean activation rho_hat_j पर लगाएँ, हर अकेली activation पर नहीं")
        expect(False, f"for this batch the penalty should be {want:.4f}, got {val:.4f}",
               f"इस batch के लिए penalty {want:.4f} होनी चाहिए, मिली {val:.4f}")
    try:
        out.backward()
    except RuntimeError as err:
        raise Wrong(f"the result does not carry gradients back to the activations ({err}); "
                    "keep it a torch tensor: no .item(), no NumPy",
                    "result से activations तक gradient नहीं पहुँचता; इसे torch tensor ही रहने दें: "
                    ".item() या NumPy नहीं") from err
    expect(a_in.grad is not None and bool(torch.isfinite(a_in.grad).all()),
           "the gradient with respect to the activations is missing or not finite",
           "activations के हिसाब से gradient नहीं मिला या finite नहीं है")
    on_target = as_number(call(fn, torch.full((32, 8), 0.2), 0.2), "the penalty", "penalty")
    expect(abs(on_target) < 1e-5,
           f"when every unit's mean activation equals rho the penalty must be 0, got {on_target:.4g}; "
           "use the argument rho, do not hard-code 0.05",
           f"जब हर unit की mean activation rho के बराबर हो तो penalty 0 होनी चाहिए, मिली {on_target:.4g}; "
           "argument rho इस्तेमाल करें, 0.05 hard-code न करें")


ex1 = Exercise(
    CHAPTER, 1, _check_kl,
    hints=[("Penalty हर unit j के लिए target rate rho की तुलना उस unit की batch पर औसत activation rho_hat_j से करती "
            "है, और फिर सारी units पर जोड़ती है।",
            "The penalty compares, for every unit j, the target rate rho with that unit's average activation "
            "rho_hat_j over the batch, and then adds up over all the units."),
           ("`rho_hat = a.mean(dim=0)` हर unit का एक number देता है (K numbers)। KL(rho || rho_hat_j) के दो terms हैं: "
            "`rho * torch.log(rho / rho_hat)` और `(1 - rho) * torch.log((1 - rho) / (1 - rho_hat))`।",
            "`rho_hat = a.mean(dim=0)` gives one number per unit (K numbers). KL(rho || rho_hat_j) has two terms: "
            "`rho * torch.log(rho / rho_hat)` and `(1 - rho) * torch.log((1 - rho) / (1 - rho_hat))`."),
           ("`return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()`: "
            "units पर sum, और result tensor ही रहे (कोई `.item()` नहीं)।",
            "`return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()`: "
            "a sum over the units, and the result stays a tensor (no `.item()`).")],
    solution_code="""
        def kl_sparsity(a, rho):
            rho_hat = a.mean(dim=0)                  # mean activation of each unit over the batch
            kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
            return kl.sum()                          # summed over the units
    """,
)


# ---------------------------------------------------------------- exercise 2: masking noise

def _check_masking(fn) -> None:
    g = torch.Generator().manual_seed(5)
    x = 0.1 + 0.9 * torch.rand(100, 1, 28, 28, generator=g)   # every pixel > 0, so a 0 can only come from the mask
    before = x.clone()
    out = call(fn, x, 0.3, torch.Generator().manual_seed(0))
    expect(torch.is_tensor(out), f"return a tensor, not {type(out).__name__}",
           f"tensor return करें, {type(out).__name__} नहीं")
    expect(torch.equal(x, before), "your function changed its input x in place; return a new tensor",
           "आपके function ने input x को in place बदल दिया; नया tensor return करें")
    expect(tuple(out.shape) == tuple(x.shape), f"the output shape {tuple(out.shape)} is not the input's {tuple(x.shape)}",
           f"output की shape {tuple(out.shape)} input की shape {tuple(x.shape)} जैसी नहीं है")
    out = out.float()
    kept = out != 0
    if not torch.allclose(out[kept], x[kept], atol=1e-6):
        changed = ((out - x).abs() > 1e-6) & kept          # changed, but not to 0
        if bool(changed.any()):
            level = out[changed]
            expect(not bool((level == level[0]).all()),
                   f"the dropped pixels become {float(level[0]):g}; masking noise sets them to 0",
                   f"हटाए गए pixels {float(level[0]):g} बन जाते हैं; masking noise उन्हें 0 करता है")
        expect(not torch.allclose(out[kept], x[kept] / 0.7, atol=1e-5),
               "kept pixels were divided by (1 - p): that is dropout, not masking noise; keep them unchanged",
               "बचे pixels को (1 - p) से divide किया गया है: यह dropout है, masking noise नहीं; उन्हें वैसे ही रखें")
        expect(False, "a pixel that is not set to 0 must keep its original value",
               "जो pixel 0 नहीं किया गया, उसकी value वही रहनी चाहिए")
    dropped = 1 - kept.float().mean().item()
    expect(abs(dropped - 0.7) > 0.02,
           f"{dropped:.0%} of the pixels were set to 0 with p = 0.3: p is the probability to DROP a pixel, not to keep it",
           f"p = 0.3 पर {dropped:.0%} pixels 0 हुए: p किसी pixel को हटाने (0 करने) की probability है, रखने की नहीं")
    per_image = 1 - kept.flatten(1).float().mean(1)
    expect(not bool(((per_image < 0.01) | (per_image > 0.99)).all()),
           "whole images were dropped or kept: drop pixels independently, one random number per pixel "
           "(torch.rand(x.shape, ...)), so that each image loses about 30% of its pixels",
           "पूरी images हटीं या बचीं: pixels अलग-अलग हटाएँ, हर pixel के लिए एक random number (torch.rand(x.shape, ...)), "
           "ताकि हर image के लगभग 30% pixels 0 हों")
    expect(not torch.equal(kept[0], kept[1]), "every image needs its own random mask, not one mask shared by all",
           "हर image का अपना random mask होना चाहिए, सबके लिए एक ही mask नहीं")
    expect(abs(dropped - 0.3) < 0.01, f"with p = 0.3 about 30% of the pixels should be 0, got {dropped:.1%}",
           f"p = 0.3 पर लगभग 30% pixels 0 होने चाहिए, मिले {dropped:.1%}")
    expect(bool(((per_image > 0.2) & (per_image < 0.4)).all()),
           "drop pixels independently, not whole images: each image should lose about 30% of its pixels",
           "pixels अलग-अलग हटाएँ, पूरी image नहीं: हर image के लगभग 30% pixels ही 0 होने चाहिए")
    again = call(fn, x, 0.3, torch.Generator().manual_seed(0))
    other = call(fn, x, 0.3, torch.Generator().manual_seed(1))
    expect(torch.equal(again.float(), out) and not torch.equal(other.float(), out),
           "draw the random numbers from the `generator` argument (torch.rand(x.shape, generator=generator)), "
           "so that the same seed gives the same noise",
           "random numbers `generator` argument से लें (torch.rand(x.shape, generator=generator)), "
           "ताकि एक ही seed से वही noise मिले")
    none = call(fn, x, 0.0, torch.Generator().manual_seed(0))
    expect(torch.equal(none.float(), x), "with p = 0 the images must come back unchanged",
           "p = 0 पर images बिना बदले लौटनी चाहिए")
    full = call(fn, x, 1.0, torch.Generator().manual_seed(0))
    expect(bool((full == 0).all()), "with p = 1 every pixel must be 0", "p = 1 पर हर pixel 0 होना चाहिए")


ex2 = Exercise(
    CHAPTER, 2, _check_masking,
    hints=[("हर pixel अपना अलग सिक्का उछालता है: probability p से वह 0 हो जाता है, वरना ठीक वैसा ही रहता है। कुछ भी "
            "rescale नहीं होता, और x खुद नहीं बदलता।",
            "Every pixel tosses its own biased coin: with probability p it becomes 0, otherwise it stays exactly as "
            "it was. Nothing is rescaled, and x itself does not change."),
           ("`torch.rand(x.shape, generator=generator)` हर pixel के लिए [0, 1) में एक uniform number देता है; "
            "`>= p` उसे keep-mask बना देता है, जो probability 1 - p से True है (True = रखें)।",
            "`torch.rand(x.shape, generator=generator)` gives one uniform number in [0, 1) per pixel; `>= p` turns "
            "it into a keep-mask that is True with probability 1 - p (True = keep)."),
           ("`keep = torch.rand(x.shape, generator=generator) >= p`, फिर `return x * keep`: multiply नया tensor "
            "बनाता है, x नहीं बदलता; `1 / (1 - p)` से scale न करें।",
            "`keep = torch.rand(x.shape, generator=generator) >= p`, then `return x * keep`: the product is a new "
            "tensor, x is not changed; do not rescale by `1 / (1 - p)`.")],
    solution_code="""
        def masking_noise(x, p, generator):
            keep = torch.rand(x.shape, generator=generator) >= p   # each pixel survives with probability 1 - p
            return x * keep                                        # dropped pixels become 0, kept ones unchanged
    """,
)


# ---------------------------------------------------------------- exercise 3: AUROC by hand

def _ties_as(scores: torch.Tensor, labels: torch.Tensor, weight: float) -> float:
    pos, neg = scores[labels], scores[~labels]
    return float(((pos[:, None] > neg[None, :]).float() + weight * (pos[:, None] == neg[None, :]).float()).mean())


def _check_auroc(fn) -> None:
    g = torch.Generator().manual_seed(11)
    cases = []
    labels = torch.rand(300, generator=g) < 0.2
    cases.append((torch.randn(300, generator=g) + 1.0 * labels, labels))                 # continuous scores
    labels = torch.rand(200, generator=g) < 0.5
    cases.append((torch.randint(0, 4, (200,), generator=g).float() + labels.float(), labels))   # many ties
    for scores, labels in cases:
        val = as_number(call(fn, scores.clone(), labels.clone()), "AUROC", "AUROC")
        want = auroc(scores, labels)
        if abs(val - want) > 1e-6:
            n_pairs = int(labels.sum()) * int((~labels).sum())
            expect(abs(val - want * n_pairs) > 1e-6 * n_pairs,
                   f"you got {val:g}, the number of winning pairs; AUROC is a fraction: divide by the number of "
                   f"(positive, negative) pairs, n_pos * n_neg = {n_pairs}",
                   f"आपको {val:g} मिला, यानी जीतने वाली जोड़ियों की गिनती; AUROC एक fraction है: (positive, negative) "
                   f"जोड़ियों की गिनती n_pos * n_neg = {n_pairs} से divide करें")
            expect(abs(val - (1 - want)) > 1e-6,
                   f"you got {val:.4f} = 1 - AUROC: the scores' sign or the classes are flipped; True marks a positive "
                   "(anomaly), and a HIGHER score must mean 'more likely positive'",
                   f"आपको {val:.4f} = 1 - AUROC मिला: scores का sign या classes उलटे हैं; True positive (anomaly) है, "
                   "और ज़्यादा score का मतलब 'positive होने की ज़्यादा संभावना' है")
            expect(abs(val - _ties_as(scores, labels, 0.0)) > 1e-6 and abs(val - _ties_as(scores, labels, 1.0)) > 1e-6,
                   "ties between a positive and a negative score must count 1/2",
                   "किसी positive और negative के बराबर scores (ties) को 1/2 गिनें")
            expect(False, f"AUROC should be {want:.4f} for these scores, got {val:.4f}",
                   f"इन scores के लिए AUROC {want:.4f} होना चाहिए, मिला {val:.4f}")
    perfect = as_number(call(fn, torch.tensor([0.1, 0.2, 0.8, 0.9]), torch.tensor([False, False, True, True])),
                      "AUROC", "AUROC")
    expect(abs(perfect - 1) < 1e-9, f"a perfect ranking must give 1.0, got {perfect}",
           f"perfect ranking पर 1.0 आना चाहिए, मिला {perfect}")


ex3 = Exercise(
    CHAPTER, 3, _check_auroc,
    hints=[("AUROC = probability कि एक random positive (anomaly) का score एक random negative (normal) के score से "
            "ज़्यादा हो; बराबर scores आधे गिने जाते हैं। सब (positive, negative) जोड़ियों को गिनें।",
            "AUROC = the probability that a random positive (anomaly) scores higher than a random negative (normal); "
            "equal scores count one half. Count over all (positive, negative) pairs."),
           ("`pos, neg = scores[labels], scores[~labels]`; `pos[:, None] > neg[None, :]` एक "
            "(n_pos, n_neg) matrix देता है जिसमें हर जोड़ी की तुलना है।",
            "`pos, neg = scores[labels], scores[~labels]`; `pos[:, None] > neg[None, :]` is an "
            "(n_pos, n_neg) matrix comparing every pair."),
           ("`((pos[:, None] > neg[None, :]).float() + 0.5 * (pos[:, None] == neg[None, :]).float()).mean()`, "
            "फिर `float(...)`।",
            "`((pos[:, None] > neg[None, :]).float() + 0.5 * (pos[:, None] == neg[None, :]).float()).mean()`, "
            "then `float(...)`.")],
    solution_code="""
        def auroc_by_hand(scores, labels):
            pos, neg = scores[labels], scores[~labels]            # anomalies, normal digits
            wins = (pos[:, None] > neg[None, :]).float()          # every (anomaly, normal) pair
            ties = (pos[:, None] == neg[None, :]).float()
            return float((wins + 0.5 * ties).mean())
    """,
)
