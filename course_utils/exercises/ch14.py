"""Exercises of chapter 14 (beyond the VAE): DDPM's closed-form forward sample q(x_t | x_0), a Gumbel-softmax sample
and its straight-through version, and the share of near-copies among a model's samples with a calibrated threshold."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import Exercise, Wrong, as_number, call, expect

CHAPTER = "14_beyond_vae"


def _same(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-6) -> bool:
    return tuple(a.shape) == tuple(b.shape) and bool(torch.allclose(a.double(), b.double(), atol=atol))


# ---------------------------------------------------------------- exercise 1: DDPM's forward process in closed form

def _schedule(steps: int = 50) -> torch.Tensor:
    betas = torch.linspace(1e-4, 0.2, steps, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)            # alpha_bar[t - 1] = alpha_bar_t for t = 1 .. steps, falling from ~1


def _check_q_sample(fn) -> None:
    g = torch.Generator().manual_seed(14)
    alpha_bar = _schedule()
    T = len(alpha_bar)
    x0 = torch.rand(5, 784, generator=g, dtype=torch.float64) * 2 - 1      # flattened images scaled to [-1, 1]
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.tensor([1, 8, 21, 36, T])
    try:
        out = call(fn, x0.clone(), t.clone(), alpha_bar.clone(), noise.clone())
    except Wrong as w:
        if "out of bounds" in w.en:
            raise Wrong(w.en + f" — t counts from 1 to T = {T}, so alpha_bar_t is alpha_bar[t - 1]",
                        w.hi + f" — t 1 से T = {T} तक गिना जाता है, तो alpha_bar_t, alpha_bar[t - 1] है") from w
        if "must match the size" in w.en:
            raise Wrong(w.en + " — alpha_bar of each image has shape (N,) and does not broadcast against images of "
                        "shape (N, 784): make it (N, 1) with [:, None]", w.hi + " — हर image का alpha_bar, shape (N,), "
                        "images की shape (N, 784) से broadcast नहीं होता: [:, None] से उसे (N, 1) बनाएँ") from w
        raise
    expect(torch.is_tensor(out), f"return a torch tensor (the noisy images x_t), not {type(out).__name__}",
           f"एक torch tensor (noisy images x_t) return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == tuple(x0.shape), f"x_t must have the shape of x0, {tuple(x0.shape)}; got "
           f"{tuple(out.shape)}", f"x_t की shape x0 जैसी, {tuple(x0.shape)}, होनी चाहिए; मिली {tuple(out.shape)}")
    out = out.detach().double()
    a = alpha_bar[t - 1][:, None]
    want = a.sqrt() * x0 + (1 - a).sqrt() * noise
    if _same(out, want):
        return
    expect(not _same(out, a.sqrt() * x0 + (1 - a) * noise),
           "the noise is scaled by the variance 1 - alpha_bar_t; scale it by the standard deviation "
           "sqrt(1 - alpha_bar_t)", "noise को variance 1 - alpha_bar_t से गुणा किया; उसे standard deviation "
           "sqrt(1 - alpha_bar_t) से गुणा करें")
    expect(not _same(out, a * x0 + (1 - a).sqrt() * noise),
           "the mean is sqrt(alpha_bar_t) * x0, not alpha_bar_t * x0 (the square root keeps the variance at 1)",
           "mean sqrt(alpha_bar_t) * x0 है, alpha_bar_t * x0 नहीं (square root से variance 1 पर रहता है)")
    expect(not _same(out, (1 - a).sqrt() * x0 + a.sqrt() * noise),
           "the two coefficients are swapped: x0 gets sqrt(alpha_bar_t), the noise sqrt(1 - alpha_bar_t)",
           "दोनों coefficients उलटे हैं: x0 को sqrt(alpha_bar_t) मिलता है, noise को sqrt(1 - alpha_bar_t)")
    for shifted in (t.clamp(max=T - 1), t - 2):
        b = alpha_bar[shifted.clamp(min=0)][:, None]
        expect(not _same(out, b.sqrt() * x0 + (1 - b).sqrt() * noise),
               "off by one: t counts from 1, so alpha_bar_t is alpha_bar[t - 1]",
               "एक index का फ़र्क: t 1 से गिना जाता है, तो alpha_bar_t, alpha_bar[t - 1] है")
    twice = torch.cumprod(alpha_bar, 0)[t - 1][:, None]
    expect(not _same(out, twice.sqrt() * x0 + (1 - twice).sqrt() * noise),
           "alpha_bar is already the cumulative product; do not take cumprod again",
           "alpha_bar पहले से cumulative product है; cumprod दोबारा न लें")
    first = alpha_bar[t[0] - 1]
    expect(not _same(out, first.sqrt() * x0 + (1 - first).sqrt() * noise),
           "every image has its own t: use its own alpha_bar_t, not one step for the whole batch",
           "हर image का अपना t है: उसका अपना alpha_bar_t लें, पूरे batch के लिए एक ही step नहीं")
    expect(False, "x_t differs from sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise with alpha_bar_t = "
           "alpha_bar[t - 1]", "x_t, sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise (alpha_bar_t = "
           "alpha_bar[t - 1]) से अलग है")


ex1 = Exercise(
    CHAPTER, 1, _check_q_sample,
    hints=[("Forward process का closed form: $q(x_t \\mid x_0) = \\mathcal{N}(\\sqrt{\\bar\\alpha_t}\\, x_0, "
            "(1 - \\bar\\alpha_t) I)$। एक Gaussian से sample = mean + standard deviation × noise।",
            "The forward process in closed form: $q(x_t \\mid x_0) = \\mathcal{N}(\\sqrt{\\bar\\alpha_t}\\, x_0, "
            "(1 - \\bar\\alpha_t) I)$. A Gaussian sample = mean + standard deviation × noise."),
           ("$t$ 1 से गिना जाता है, तो $\\bar\\alpha_t$ = `alpha_bar[t - 1]`, shape $(N,)$; images $(N, 784)$ से गुणा के "
            "लिए `[:, None]` लगाएँ। Standard deviation variance का square root है।",
            "$t$ counts from 1, so $\\bar\\alpha_t$ = `alpha_bar[t - 1]`, of shape $(N,)$; to multiply it with images "
            "$(N, 784)$ add `[:, None]`. The standard deviation is the square root of the variance."),
           ("`a = alpha_bar[t - 1][:, None]`, `return a.sqrt() * x0 + (1 - a).sqrt() * noise`।",
            "`a = alpha_bar[t - 1][:, None]`, `return a.sqrt() * x0 + (1 - a).sqrt() * noise`.")],
    solution_code="""
        def q_sample(x0, t, alpha_bar, noise):
            a = alpha_bar[t - 1][:, None]                       # alpha_bar_t of each image (t counts from 1), as a column
            return a.sqrt() * x0 + (1 - a).sqrt() * noise      # mean sqrt(a) x0, standard deviation sqrt(1 - a)
    """,
)


# ---------------------------------------------------------------- exercise 2: Gumbel-softmax and straight-through

def _gumbel_case() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(6, 5, generator=g, dtype=torch.float64) * 1.5       # log pi, unnormalised
    u = torch.rand(6, 5, generator=g, dtype=torch.float64).clamp(1e-9, 1 - 1e-9)
    gumbel = -torch.log(-torch.log(u))
    weights = torch.randn(6, 5, generator=g, dtype=torch.float64)             # a downstream loss sum(w * y)
    return logits, gumbel, weights


def _run_gumbel(fn, logits, gumbel, tau, hard, weights):
    """(output, gradient of sum(weights * output) with respect to the logits or None)."""
    leaf = logits.clone().requires_grad_(True)
    out = call(fn, leaf, gumbel.clone(), tau, hard)
    expect(torch.is_tensor(out), f"return a torch tensor (one sample per row), not {type(out).__name__}",
           f"एक torch tensor (हर row में एक sample) return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == tuple(logits.shape), f"return one sample per row, shape {tuple(logits.shape)}; got "
           f"{tuple(out.shape)}", f"हर row में एक sample लौटाएँ, shape {tuple(logits.shape)}; मिली {tuple(out.shape)}")
    grad = None
    if out.requires_grad:
        (grad,) = torch.autograd.grad((out.double() * weights).sum(), leaf, allow_unused=True)
    return out.detach().double(), grad


def _check_gumbel_softmax(fn) -> None:
    logits, gumbel, weights = _gumbel_case()
    for tau in (0.5, 2.0):
        out, _ = _run_gumbel(fn, logits, gumbel, tau, False, weights)
        want = F.softmax((logits + gumbel) / tau, dim=-1)
        if _same(out, want):
            continue
        expect(bool((out >= -1e-9).all()) and torch.allclose(out.sum(-1), torch.ones(len(out), dtype=out.dtype),
                                                             atol=1e-6),
               "each row must be a probability vector (non-negative, summing to 1 over the K categories): a softmax "
               "over the last dimension", "हर row एक probability vector हो (non-negative, K categories पर जोड़ 1): "
               "आखिरी dimension पर softmax")
        expect(not _same(out, F.softmax(logits / tau + gumbel, dim=-1)),
               "divide the noise by the temperature too: softmax((log pi + g) / tau), not softmax(log pi / tau + g)",
               "temperature से noise को भी भाग दें: softmax((log pi + g) / tau), softmax(log pi / tau + g) नहीं")
        expect(not _same(out, F.softmax(logits + gumbel, dim=-1)),
               f"the temperature is missing: at tau = {tau} the sample must be softmax((log pi + g) / tau)",
               f"temperature गायब है: tau = {tau} पर sample softmax((log pi + g) / tau) होना चाहिए")
        expect(not _same(out, F.softmax((logits - gumbel) / tau, dim=-1)),
               "add the Gumbel noise (log pi + g), do not subtract it", "Gumbel noise जोड़ें (log pi + g), घटाएँ नहीं")
        expect(not _same(out, F.softmax(logits / tau, dim=-1)),
               "the Gumbel noise is missing: without it the output is the same for every draw, not a sample",
               "Gumbel noise गायब है: उसके बिना हर draw पर output एक ही है, sample नहीं")
        expect(False, f"the soft sample differs from softmax((log pi + g) / tau) at tau = {tau}: use the given "
               "`gumbel` noise (torch's F.gumbel_softmax draws noise of its own)", f"tau = {tau} पर soft sample, "
               "softmax((log pi + g) / tau) से अलग है: दिया गया `gumbel` noise इस्तेमाल करें (torch का F.gumbel_softmax "
               "अपना अलग noise खींचता है)")
    # the straight-through version: one-hot forward, the soft sample's gradient backward
    tau = 0.5
    soft_leaf = logits.clone().requires_grad_(True)
    (soft_grad,) = torch.autograd.grad((F.softmax((soft_leaf + gumbel) / tau, dim=-1) * weights).sum(), soft_leaf)
    out, grad = _run_gumbel(fn, logits, gumbel, tau, True, weights)
    one_hot = F.one_hot((logits + gumbel).argmax(-1), logits.shape[-1]).double()
    if not _same(out, one_hot):
        expect(not _same(out, F.softmax((logits + gumbel) / tau, dim=-1)),
               "with hard=True the forward value must be exactly one-hot (the argmax), not the soft sample",
               "hard=True पर forward value ठीक one-hot (argmax) होनी चाहिए, soft sample नहीं")
        expect(not _same(out, F.one_hot(logits.argmax(-1), logits.shape[-1]).double()),
               "the hard sample is the argmax of log pi + g; without the noise it is always the most likely category",
               "hard sample, log pi + g का argmax है; noise के बिना वह हमेशा सबसे संभावित category है")
        expect(False, "with hard=True the output must be the one-hot vector of argmax(log pi + g), with the given "
               "`gumbel` noise", "hard=True पर output, दिए गए `gumbel` noise के साथ argmax(log pi + g) का one-hot "
               "vector होना चाहिए")
    expect(not (grad is not None and bool(grad.abs().sum() == 0)),
           "the gradient is exactly zero: in y_hard - y + y the two soft terms cancel; detach the subtracted one, "
           "y_hard - y.detach() + y", "gradient ठीक शून्य है: y_hard - y + y में दोनों soft terms कट जाते हैं; घटाए "
           "जाने वाले को detach करें, y_hard - y.detach() + y")
    expect(grad is not None and bool(grad.abs().sum() > 0),
           "the hard sample passes no gradient to the logits: one_hot and argmax cut it. Return "
           "y_hard - y_soft.detach() + y_soft (straight-through)", "hard sample से logits तक कोई gradient नहीं "
           "पहुँचता: one_hot और argmax उसे काट देते हैं। y_hard - y_soft.detach() + y_soft लौटाएँ (straight-through)")
    expect(_same(grad.double(), soft_grad, atol=1e-8),
           "the straight-through gradient must be the soft sample's gradient at the same tau (y_hard - "
           "y_soft.detach() + y_soft): the backward pass goes through y_soft only",
           "straight-through gradient उसी tau पर soft sample का gradient होना चाहिए (y_hard - y_soft.detach() + "
           "y_soft): backward pass सिर्फ़ y_soft से जाता है")


ex2 = Exercise(
    CHAPTER, 2, _check_gumbel_softmax,
    hints=[("Soft sample: $y = \\mathrm{softmax}((\\log \\pi + g) / \\tau)$, आखिरी dimension पर। Hard sample forward में "
            "$\\arg\\max(\\log \\pi + g)$ का one-hot है और backward में soft sample जैसा।",
            "Soft sample: $y = \\mathrm{softmax}((\\log \\pi + g) / \\tau)$ over the last dimension. The hard sample is "
            "the one-hot of $\\arg\\max(\\log \\pi + g)$ going forward, and behaves like the soft sample going backward."),
           ("`F.one_hot(index, K)` one-hot बनाता है (उसे `.to(y_soft.dtype)` करें)। `a - b.detach() + b` की value `a` है "
            "और gradient `b` का: यही straight-through है (chapter 11 का VQ भी यही करता है)।",
            "`F.one_hot(index, K)` makes the one-hot (cast it with `.to(y_soft.dtype)`). `a - b.detach() + b` has the "
            "value of `a` and the gradient of `b`: that is straight-through (chapter 11's VQ does the same)."),
           ("`y = F.softmax((logits + gumbel) / tau, dim=-1)`; `if not hard: return y`; `y_hard = F.one_hot(y.argmax(-1), "
            "y.shape[-1]).to(y.dtype)`; `return y_hard - y.detach() + y`।",
            "`y = F.softmax((logits + gumbel) / tau, dim=-1)`; `if not hard: return y`; `y_hard = F.one_hot(y.argmax(-1), "
            "y.shape[-1]).to(y.dtype)`; `return y_hard - y.detach() + y`.")],
    solution_code="""
        import torch.nn.functional as F

        def gumbel_softmax(logits, gumbel, tau, hard=False):
            y = F.softmax((logits + gumbel) / tau, dim=-1)      # the relaxed (concrete) sample
            if not hard:
                return y
            y_hard = F.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)
            return y_hard - y.detach() + y                      # forward: one-hot; backward: the soft sample's gradient
    """,
)


# ---------------------------------------------------------------- exercise 3: the share of near-copies

def _distances() -> dict[str, tuple[torch.Tensor, torch.Tensor, float]]:
    """Cases (sample distances, held-out distances, q), built so that no sample distance lies between the order
    statistics around the threshold (any reasonable quantile rule gives the same share), while some lie between the
    held-out minimum and the threshold, and some between the 1 % and the 5 % quantile (so that the minimum, a
    percent read as a fraction, a hard-coded q or a fixed distance each give another share)."""
    g = torch.Generator().manual_seed(3)
    heldout = 6 + torch.randn(1000, generator=g, dtype=torch.float64).abs() * 2       # held-out digits: >= 6
    heldout[:20] = torch.linspace(3.0, 3.95, 20, dtype=torch.float64)                   # the lowest 2 %: 3.0 .. 3.95
    novel = 5 + torch.rand(1930, generator=g, dtype=torch.float64) * 9                  # new samples: 5 .. 14
    copies = torch.rand(60, generator=g, dtype=torch.float64) * 2                       # near-copies: 0 .. 2
    close = 3.15 + torch.rand(9, generator=g, dtype=torch.float64) * 0.2               # above the minimum 3.0, below
    close = torch.cat([close, torch.tensor([3.002], dtype=torch.float64)])             # the 1 % quantile (~3.5)
    mixed = torch.cat([novel, copies, close])[torch.randperm(2000, generator=g)]
    copier = torch.rand(500, generator=g, dtype=torch.float64) * 2                      # a model that copies
    honest = 5 + torch.rand(500, generator=g, dtype=torch.float64) * 5                  # a model that never copies
    between = 4.5 + torch.rand(40, generator=g, dtype=torch.float64)                   # between the 1 % and 5 % quantiles
    five = torch.cat([copies, close, between, 6.5 + torch.rand(190, generator=g, dtype=torch.float64)])
    return {"mixed, distances x 10": (10 * mixed, 10 * heldout, 0.01), "mixed": (mixed, heldout, 0.01),
            "copier": (copier, heldout, 0.01), "honest": (honest, heldout, 0.01), "q = 5 %": (five, heldout, 0.05)}


def _share(sample: torch.Tensor, threshold: torch.Tensor | float) -> float:
    return float((sample < threshold).double().mean())


def _check_near_copy_share(fn) -> None:
    for name, (sample, heldout, q) in _distances().items():
        want = _share(sample, torch.quantile(heldout, q))
        out = as_number(call(fn, sample.clone(), heldout.clone(), q), "the share of near-copies",
                        "near-copies का हिस्सा")
        if abs(out - want) < 1e-6:
            continue
        expect(abs(out - 100 * want) > 1e-6, "return a share between 0 and 1, not a percentage",
               "0 और 1 के बीच का हिस्सा लौटाएँ, percentage नहीं")
        expect(abs(out - want * len(sample)) > 1e-6, "return the share (count / number of samples), not the count",
               "हिस्सा (गिनती / samples की संख्या) लौटाएँ, गिनती नहीं")
        expect(abs(out - (1 - want)) > 1e-6, "the comparison is the wrong way round: a near-copy is a sample whose "
               "distance to its nearest training image is SMALLER than the threshold", "तुलना उलटी है: near-copy वह "
               "sample है जिसकी अपनी nearest training image से दूरी threshold से *कम* है")
        own = _share(sample, torch.quantile(sample, q))
        expect(not (abs(out - own) < 0.002 and abs(want - own) > 0.002),
               "the threshold comes from the samples' own distances, so the share is about q whatever the model "
               "does; calibrate it on the held-out digits' distances", "threshold samples की अपनी दूरियों से निकला, "
               "तो model कुछ भी करे, हिस्सा लगभग q आता है; उसे held-out digits की दूरियों पर calibrate करें")
        expect(abs(out - _share(sample, torch.quantile(heldout, 1 - q))) > 1e-6, "the threshold is the q-quantile of "
               "the held-out distances (the closest q of held-out digits), not the (1 - q)-quantile", "threshold "
               "held-out दूरियों का q-quantile है (सबसे करीब q held-out digits), (1 - q)-quantile नहीं")
        expect(abs(out - _share(sample, torch.quantile(heldout, min(1.0, 100 * q)))) > 1e-6,
               "q is a fraction (0.01 = 1 %), not a percentage", "q एक fraction है (0.01 = 1 %), percentage नहीं")
        expect(abs(out - _share(sample, heldout.min())) > 1e-6,
               "the minimum of the held-out distances is not a quantile: take the q-quantile",
               "held-out दूरियों का minimum कोई quantile नहीं है: q-quantile लें")
        expect(abs(out - _share(sample, torch.quantile(heldout, q / 100))) > 1e-6,
               "np.percentile takes percents: use np.percentile(heldout_dist, 100 * q), or torch.quantile with q",
               "np.percentile percent लेता है: np.percentile(heldout_dist, 100 * q) लें, या q के साथ torch.quantile")
        expect(q == 0.01 or abs(out - _share(sample, torch.quantile(heldout, 0.01))) > 1e-6,
               f"use the q you are given (here q = {q}), not a fixed 0.01", f"जो q दिया गया है वही लें (यहाँ q = {q}), "
               "तय 0.01 नहीं")
        expect(False, f"case '{name}': the share {out:.4f} differs from the share of samples closer than the "
               f"q-quantile of the held-out distances ({want:.4f})", f"case '{name}': हिस्सा {out:.4f}, held-out "
               f"दूरियों के q-quantile से करीब वाले samples के हिस्से ({want:.4f}) से अलग है")


ex3 = Exercise(
    CHAPTER, 3, _check_near_copy_share,
    hints=[("\"करीब\" को मापें, मानें नहीं: held-out digits भी training set से कुछ दूरी पर हैं। Threshold उनकी दूरियों "
            "का q-quantile है; near-copy वह sample है जिसकी दूरी उससे कम है।",
            "Measure \"near\", do not assume it: held-out digits are also some distance from the training set. The "
            "threshold is the q-quantile of their distances; a near-copy is a sample whose distance is below it."),
           ("`torch.quantile(heldout_dist, q)` threshold देता है; `(sample_dist < threshold)` एक bool tensor है, और "
            "उसका float mean हिस्सा है।",
            "`torch.quantile(heldout_dist, q)` gives the threshold; `(sample_dist < threshold)` is a bool tensor, and "
            "its float mean is the share."),
           ("`threshold = torch.quantile(heldout_dist, q)`; `return (sample_dist < threshold).float().mean()`।",
            "`threshold = torch.quantile(heldout_dist, q)`; `return (sample_dist < threshold).float().mean()`.")],
    solution_code="""
        def near_copy_share(sample_dist, heldout_dist, q=0.01):
            threshold = torch.quantile(heldout_dist, q)         # as close as the closest q of held-out digits
            return (sample_dist < threshold).float().mean()     # the share of samples closer than that
    """,
)

