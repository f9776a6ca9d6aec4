"""Exercises of chapter 11 (VQ-VAE): nearest-code quantisation, the straight-through estimator, perplexity."""
from __future__ import annotations

import math

import torch

from . import Exercise, Wrong, call, expect

CHAPTER = "11_vq_vae"


# ---------------------------------------------------------------- exercise 1: quantize

def _case1() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(11)
    codebook = torch.randn(12, 3, generator=g, dtype=torch.float64)
    codebook[3] *= 4.0      # a long code: nearest by distance and largest dot product now differ
    z = torch.randn(200, 3, generator=g, dtype=torch.float64) * 1.5
    return z, codebook


def _check_quantize(fn) -> None:
    z, codebook = _case1()
    out = call(fn, z.clone(), codebook.clone())
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           "return two things, (indices, z_q)", "दो चीज़ें return करें, (indices, z_q)")
    idx, z_q = out
    expect(torch.is_tensor(idx) and torch.is_tensor(z_q), "indices and z_q must be torch tensors",
           "indices और z_q दोनों torch tensors हों")
    expect(tuple(idx.shape) == (len(z),), f"indices should have shape ({len(z)},), one per row of z, got "
           f"{tuple(idx.shape)}", f"indices की shape ({len(z)},) हो, z की हर row के लिए एक, मिली {tuple(idx.shape)}")
    expect(not idx.is_floating_point(), "indices must be integers (torch.long), as argmin returns them",
           "indices integers (torch.long) हों, जैसे argmin देता है")
    expect(tuple(z_q.shape) == tuple(z.shape), f"z_q should have the shape of z, {tuple(z.shape)}, got "
           f"{tuple(z_q.shape)}", f"z_q की shape z जैसी, {tuple(z.shape)}, हो, मिली {tuple(z_q.shape)}")
    idx = idx.long()
    expect(bool(((idx >= 0) & (idx < len(codebook))).all()), "indices must lie in 0..K-1",
           "indices 0..K-1 में हों")
    d = torch.cdist(z, codebook) ** 2
    best = d.min(1).values
    got = d.gather(1, idx[:, None]).squeeze(1)
    if not bool((got <= best + 1e-9).all()):
        expect(not torch.equal(idx, d.argmax(1)),
               "you picked the farthest code (argmax of the distance); the nearest one is the argmin",
               "आपने सबसे दूर वाला code चुना (distance का argmax); सबसे नज़दीकी code argmin है")
        expect(not torch.equal(idx, (z @ codebook.T).argmax(1)),
               "you picked the code with the largest dot product z·e; with codes of different lengths that is "
               "not the nearest one: use the (squared) Euclidean distance",
               "आपने सबसे बड़े dot product z·e वाला code चुना; अलग-अलग लंबाई के codes में वह सबसे नज़दीकी नहीं "
               "होता: (squared) Euclidean distance इस्तेमाल करें")
        expect(False, f"{int((got > best + 1e-9).sum())} of {len(z)} rows did not get their nearest code",
               f"{len(z)} में से {int((got > best + 1e-9).sum())} rows को सबसे नज़दीकी code नहीं मिला")
    expect(bool(torch.allclose(z_q.double(), codebook[idx])),
           "z_q must be the chosen codebook rows, codebook[indices], not the inputs z",
           "z_q चुनी गई codebook rows हों, codebook[indices], inputs z नहीं")
    tie_code = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)      # the origin is equally far from both
    idx_t, zq_t = call(fn, torch.zeros(1, 2, dtype=torch.float64), tie_code)
    expect(int(torch.as_tensor(idx_t).reshape(-1)[0]) in (0, 1) and
           bool(torch.allclose(torch.as_tensor(zq_t).double().reshape(1, 2), tie_code[int(torch.as_tensor(idx_t).reshape(-1)[0])])),
           "at a tie (two codes equally near) return one of them, and z_q must be that code",
           "tie पर (दो codes बराबर नज़दीक) उनमें से एक लौटाएँ, और z_q वही code हो")


ex1 = Exercise(
    CHAPTER, 1, _check_quantize,
    hints=[("हर row $z_n$ के लिए हर code $e_k$ से दूरी चाहिए: $N \\times K$ की एक table। फिर हर row में सबसे "
            "छोटी दूरी वाला column।",
            "For every row $z_n$ you need its distance to every code $e_k$: an $N \\times K$ table. Then, in every "
            "row, the column with the smallest distance."),
           ("`torch.cdist(z_e, codebook)` यह table देता है (squared दूरी का argmin भी वही है)। `argmin(dim=1)` "
            "indices देता है, और `codebook[indices]` vectors।",
            "`torch.cdist(z_e, codebook)` gives the table (the squared distance has the same argmin). "
            "`argmin(dim=1)` gives the indices, and `codebook[indices]` the vectors."),
           ("`indices = torch.cdist(z_e, codebook).argmin(1)`, `return indices, codebook[indices]`।",
            "`indices = torch.cdist(z_e, codebook).argmin(1)`, `return indices, codebook[indices]`.")],
    solution_code="""
        def quantize(z_e, codebook):
            # squared distances ||z||^2 - 2 z.e + ||e||^2, shape (N, K)
            d = (z_e ** 2).sum(1, keepdim=True) - 2 * z_e @ codebook.T + (codebook ** 2).sum(1)
            indices = d.argmin(1)              # nearest code; argmin picks the first one at a tie
            return indices, codebook[indices]
    """,
)


# ---------------------------------------------------------------- exercise 2: straight-through

def _check_straight_through(fn) -> None:
    g = torch.Generator().manual_seed(2)
    z_e = torch.randn(5, 4, generator=g, dtype=torch.float64).requires_grad_(True)
    z_q = (torch.randn(5, 4, generator=g, dtype=torch.float64)).requires_grad_(True)   # stands for codebook[indices]
    upstream = torch.randn(5, 4, generator=g, dtype=torch.float64)
    out = call(fn, z_e, z_q)
    expect(torch.is_tensor(out) and tuple(out.shape) == (5, 4), "return one tensor of the shape of z_q",
           "z_q की shape का एक tensor return करें")
    value_ok = bool(torch.allclose(out.detach(), z_q.detach()))
    if not value_ok:
        expect(not torch.allclose(out.detach(), z_e.detach()),
               "the output's value is z_e: the forward pass must give the quantised z_q (the detach is on the "
               "wrong term: write z_e + (z_q - z_e).detach())",
               "output की value z_e है: forward pass में quantised z_q आना चाहिए (detach गलत term पर है: "
               "z_e + (z_q - z_e).detach() लिखें)")
        expect(False, "the forward value must equal z_q", "forward value z_q के बराबर होनी चाहिए")
    expect(out.requires_grad, "no gradient can flow back: z_q.detach() alone cuts the encoder off; add z_e back "
           "so that the gradient reaches it", "कोई gradient वापस नहीं जाता: सिर्फ़ z_q.detach() encoder को काट देता "
           "है; z_e को वापस जोड़ें ताकि gradient उस तक पहुँचे")
    out.backward(upstream)
    expect(z_q.grad is None or bool((z_q.grad == 0).all()),
           "gradient flows into z_q (the codebook) through this path, and not unchanged to z_e: detach the "
           "difference, z_e + (z_q - z_e).detach(); the codebook learns from its own loss term",
           "इस रास्ते से gradient z_q (codebook) में जाता है, और z_e तक बिना बदले नहीं पहुँचता: फ़र्क को detach "
           "करें, z_e + (z_q - z_e).detach(); codebook अपने अलग loss term से सीखता है")
    expect(z_e.grad is not None and bool(torch.allclose(z_e.grad, upstream)),
           "the gradient at z_e must equal the gradient at the output (dL/dz_e = dL/dz_q): the encoder gets it "
           "unchanged", "z_e पर gradient output के gradient के बराबर हो (dL/dz_e = dL/dz_q): encoder को वह "
           "बिना बदले मिले")


ex2 = Exercise(
    CHAPTER, 2, _check_straight_through,
    hints=[("Forward में value $z_q$ चाहिए, पर backward में ऐसा दिखे जैसे output $z_e$ ही था। `.detach()` किसी "
            "term को value में रखता है और gradient से हटा देता है।",
            "Forward needs the value $z_q$, but backward should act as if the output were $z_e$ itself. "
            "`.detach()` keeps a term in the value and removes it from the gradient."),
           ("$z_e$ में एक ऐसा term जोड़ें जिसकी value $z_q - z_e$ हो पर जो gradient न ले।",
            "Add to $z_e$ a term whose value is $z_q - z_e$ but which takes no gradient."),
           ("`return z_e + (z_q - z_e).detach()`।", "`return z_e + (z_q - z_e).detach()`.")],
    solution_code="""
        def straight_through(z_e, z_q):
            # value: z_e + z_q - z_e = z_q; gradient: only through the first z_e, unchanged
            return z_e + (z_q - z_e).detach()
    """,
)


# ---------------------------------------------------------------- exercise 3: perplexity

def _number(out) -> float:
    expect(isinstance(out, (int, float)) or (torch.is_tensor(out) and out.numel() == 1) or
           (hasattr(out, "item") and getattr(out, "size", 1) == 1),
           f"return one number, not {type(out).__name__}", f"एक number return करें, {type(out).__name__} नहीं")
    return float(out)


def _check_perplexity(fn) -> None:
    K = 8
    uniform = torch.arange(K).repeat(5)
    one = torch.full((30,), 3)
    half = torch.tensor([0, 1, 2, 3] * 6)               # 4 of 8 codes used equally: 4 codes dead
    skew = torch.tensor([0] * 6 + [1] * 2)              # p = (3/4, 1/4)
    want_skew = math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    v_one = _number(call(fn, one.clone(), K))
    expect(not math.isnan(v_one), "perplexity is nan when some codes are unused: 0 * log 0 must count as 0; "
           "keep only the codes with p > 0", "कुछ codes इस्तेमाल न हों तो perplexity nan आती है: 0 * log 0 को 0 "
           "गिनें; सिर्फ़ p > 0 वाले codes रखें")
    v_uni = _number(call(fn, uniform.clone(), K))
    v_half = _number(call(fn, half.clone(), K))
    v_skew = _number(call(fn, skew.clone(), K))
    if abs(v_uni - K) > 1e-4:
        expect(abs(v_uni - math.log(K)) > 1e-4, "you returned the entropy; perplexity is exp(entropy)",
               "आपने entropy लौटाई; perplexity exp(entropy) है")
        expect(abs(v_uni - math.exp(math.log2(K))) > 1e-4 and abs(v_uni - 2 ** math.log(K)) > 1e-4,
               "the log and the exponential must have the same base: exp of an entropy in nats (or 2 to the power "
               "of one in bits); you mixed them", "log और exponential का base एक हो: nats वाली entropy का exp (या "
               "bits वाली का 2 की power); आपने दोनों मिला दिए")
        c = len(uniform) / K                              # every code's count in the uniform case
        for wrong_p, en, hi in ((c / K, "you divided the counts by K", "आपने counts को K से भाग दिया"),
                                (c, "you left the counts unnormalised", "आपने counts को normalise नहीं किया")):
            expect(abs(v_uni - math.exp(-K * wrong_p * math.log(wrong_p))) > 1e-4,
                   f"{en}: the shares are p = counts / number of indices, so that they sum to 1",
                   f"{hi}: हिस्से p = counts / indices की कुल संख्या हैं, ताकि उनका जोड़ 1 हो")
        expect(False, f"uniform use of all {K} codes must give perplexity {K}, got {v_uni:.4g}",
               f"सभी {K} codes बराबर इस्तेमाल हों तो perplexity {K} होनी चाहिए, मिली {v_uni:.4g}")
    expect(abs(v_one - 1) < 1e-4, f"one code used every time must give perplexity 1, got {v_one:.4g}",
           f"हर बार एक ही code हो तो perplexity 1 होनी चाहिए, मिली {v_one:.4g}")
    expect(abs(v_half - 4) < 1e-4, f"4 of {K} codes used equally must give 4 (dead codes add nothing), got "
           f"{v_half:.4g}", f"{K} में से 4 codes बराबर इस्तेमाल हों तो 4 आना चाहिए (dead codes कुछ नहीं जोड़ते), "
           f"मिला {v_half:.4g}")
    expect(abs(v_skew - want_skew) < 1e-4, f"usage (3/4, 1/4) must give exp(H) = {want_skew:.4f}, got {v_skew:.4g}",
           f"usage (3/4, 1/4) से exp(H) = {want_skew:.4f} आना चाहिए, मिला {v_skew:.4g}")
    grid = torch.tensor([[[0, 1], [2, 3]]] * 3)                 # a (3, 2, 2) grid: count every position
    try:
        v_grid = _number(call(fn, grid.clone(), K))
    except Wrong as w:
        raise Wrong(f"{w.en}; indices may come as a grid (N, H, W): flatten them first",
                    f"{w.hi}; indices grid (N, H, W) के रूप में भी आ सकते हैं: पहले flatten करें") from w
    expect(abs(v_grid - 4) < 1e-4, "indices may come as a grid (N, H, W): count every entry (flatten first)",
           "indices grid (N, H, W) के रूप में भी आ सकते हैं: हर entry गिनें (पहले flatten करें)")


ex3 = Exercise(
    CHAPTER, 3, _check_perplexity,
    hints=[("पहले हर code का हिस्सा $p_k$ निकालें (कितनी बार आया / कुल), फिर entropy $H = -\\sum_k p_k \\log p_k$, "
            "फिर perplexity $= e^{H}$। जो code कभी नहीं आया उसका term 0 है।",
            "First each code's share $p_k$ (times used / total), then the entropy $H = -\\sum_k p_k \\log p_k$, then "
            "perplexity $= e^{H}$. A code never used contributes 0."),
           ("`torch.bincount(indices.flatten(), minlength=K)` counts देता है; `p = p[p > 0]` से $0 \\log 0$ वाली "
            "nan से बचें।",
            "`torch.bincount(indices.flatten(), minlength=K)` gives the counts; `p = p[p > 0]` avoids the nan of "
            "$0 \\log 0$."),
           ("`p = torch.bincount(indices.flatten(), minlength=K).double()`, `p = p / p.sum()`, `p = p[p > 0]`, "
            "`return float(torch.exp(-(p * p.log()).sum()))`।",
            "`p = torch.bincount(indices.flatten(), minlength=K).double()`, `p = p / p.sum()`, `p = p[p > 0]`, "
            "`return float(torch.exp(-(p * p.log()).sum()))`.")],
    solution_code="""
        def perplexity(indices, K):
            counts = torch.bincount(indices.flatten().long(), minlength=K).double()
            p = counts / counts.sum()
            p = p[p > 0]                            # unused codes add 0 * log 0 = 0
            entropy = -(p * p.log()).sum()          # in nats
            return float(torch.exp(entropy))        # K for uniform use, 1 for a single code
    """,
)
