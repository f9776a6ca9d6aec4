"""Exercises of chapter 07 (vae_on_mnist): one training step by hand, latent interpolation, the quantile grid."""
from __future__ import annotations

import copy
import numbers

import torch
import torch.nn.functional as F

from ..models import MLPVAE
from . import Exercise, Wrong, call, expect

CHAPTER = "07_vae_on_mnist"


def _number(value, key: str) -> float:
    """One returned term as a Python float, or a bilingual reason why it is not one number."""
    if torch.is_tensor(value):
        expect(value.numel() == 1, f"the term {key!r} must be one number, but it has shape {tuple(value.shape)}",
               f"term {key!r} एक ही number होना चाहिए, पर इसकी shape {tuple(value.shape)} है")
        return float(value.detach())
    expect(isinstance(value, numbers.Real) and not isinstance(value, bool),
           f"the term {key!r} must be a number, not {type(value).__name__}",
           f"term {key!r} एक number होना चाहिए, {type(value).__name__} नहीं")
    return float(value)


def _close(a: float, b: float, rel: float = 1e-4) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


# ---------------------------------------------------------------- exercise 1: one training step by hand

class _Recorder(MLPVAE):
    """A small MLPVAE that remembers whether it was in train mode when it encoded and decoded."""

    def __init__(self):
        super().__init__(latent=4, hidden=32)
        self.modes: list[bool] = []
        self.zs: list[torch.Tensor] = []     # every latent batch the decoder was given

    def encode(self, x):
        self.modes.append(self.training)
        return super().encode(x)

    def decode_logits(self, z):
        self.modes.append(self.training)
        self.zs.append(z.detach().clone())
        return super().decode_logits(z)


def _model(log_sigma2: float, seed: int) -> _Recorder:
    """A fresh recorder with fixed weights; the encoder's log-variance is the constant `log_sigma2`."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _Recorder()
    with torch.no_grad():
        model.fc_logvar.weight.zero_()
        model.fc_logvar.bias.fill_(log_sigma2)
    return model.eval()


def _terms(model, x, z_from_mu: bool = True):
    """Reference terms with z = mu (exact when the posterior's variance is tiny) on targets x."""
    mu, logvar = model.encode(x)
    logits = model.decode_logits(mu).view_as(x)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl_each = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return logits, recon, kl_each


def _run(fn, model, x, lr=0.05, stale=False, seed=0):
    """Call fn(model, x, opt) with an SGD optimiser; return its terms and the optimiser."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    if stale:   # gradients left over from an earlier step: a correct step clears them first
        g = torch.Generator().manual_seed(99)
        for p in model.parameters():
            p.grad = 100 * torch.randn(p.shape, generator=g)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        out = call(fn, model, x, opt)
    expect(isinstance(out, dict), f"return a dict of the terms {{'loss', 'recon', 'kl'}}, not {type(out).__name__}",
           f"terms का dict {{'loss', 'recon', 'kl'}} return करें, {type(out).__name__} नहीं")
    missing = {"loss", "recon", "kl"} - set(out)
    expect(not missing, f"the returned dict lacks {sorted(missing)}; return {{'loss': ..., 'recon': ..., 'kl': ...}}",
           f"लौटाए गए dict में {sorted(missing)} नहीं है; {{'loss': ..., 'recon': ..., 'kl': ...}} return करें")
    return {k: _number(out[k], k) for k in ("loss", "recon", "kl")}


def _check_train_step(fn) -> None:
    g = torch.Generator().manual_seed(7)
    x = torch.bernoulli(torch.rand(16, 1, 28, 28, generator=g) * 0.6, generator=g)   # binary: any draw returns x
    n, d = len(x), 4

    # 1. Tiny posterior variance (log sigma^2 = -30): z = mu for any eps, so every term is exact.
    model = _model(-30.0, seed=1)
    before = copy.deepcopy(model)
    got = _run(fn, model, x, stale=True)
    with torch.no_grad():
        logits, recon, kl_each = _terms(before, x)
    kl = float(kl_each.sum(1).mean())
    recon = float(recon)
    expect(all(model.modes),
           "the forward pass ran in eval mode: call model.train() at the start of the step, before encoding",
           "forward pass eval mode में चला: step की शुरुआत में, encode से पहले, model.train() चलाएँ")
    if not _close(got["recon"], recon):
        expect(not _close(got["recon"], recon / 784),
               "recon is a mean over the pixels: sum the BCE over the 784 pixels of each image, then average over images",
               "recon pixels पर mean है: हर image के 784 pixels पर BCE का sum लें, फिर images पर mean")
        expect(not _close(got["recon"], recon * n),
               "recon is summed over the images of the batch too: average it over the images (divide by len(x))",
               "recon batch की images पर भी जोड़ा गया है: images पर mean लें (len(x) से divide करें)")
        double = float(F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="sum")) / n
        expect(not _close(got["recon"], double, 1e-3),
               "sigmoid twice: decode_logits already gives logits, and binary_cross_entropy_with_logits applies the "
               "sigmoid itself; hand it the logits, not sigmoid(logits) or decode()",
               "sigmoid दो बार: decode_logits logits देता है और binary_cross_entropy_with_logits खुद sigmoid लगाता है; "
               "उसे logits दें, sigmoid(logits) या decode() नहीं")
        expect(False, f"for this batch recon should be {recon:.3f} nats per image, got {got['recon']:.3f}",
               f"इस batch पर recon {recon:.3f} nats प्रति image होना चाहिए, मिला {got['recon']:.3f}")
    if not _close(got["kl"], kl):
        expect(not _close(got["kl"], kl / d),
               "the KL is averaged over the latent dimensions: sum it over the dimensions (dim 1), average over images",
               "KL latent dimensions पर mean है: dimensions (dim 1) पर sum लें, images पर mean")
        expect(not _close(got["kl"], kl * n),
               "the KL is summed over the images: average it over the images of the batch",
               "KL images पर जोड़ा गया है: batch की images पर mean लें")
        expect(not _close(got["kl"], -kl),
               "the KL has the wrong sign: KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) is never negative",
               "KL का sign उलटा है: KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) कभी negative नहीं होता")
        expect(False, f"for this batch the KL should be {kl:.3f} nats per image, got {got['kl']:.3f}",
               f"इस batch पर KL {kl:.3f} nats प्रति image होना चाहिए, मिला {got['kl']:.3f}")
    expect(_close(got["loss"], got["recon"] + got["kl"]),
           f"loss should be recon + kl = {got['recon'] + got['kl']:.3f}, got {got['loss']:.3f}",
           f"loss = recon + kl = {got['recon'] + got['kl']:.3f} होना चाहिए, मिला {got['loss']:.3f}")

    # The step itself: one SGD step on the reference loss from the same weights gives the reference weights.
    ref = copy.deepcopy(before)
    _, r, k = _terms(ref, x)
    grads = torch.autograd.grad(r + k.sum(1).mean(), list(ref.parameters()))
    gen = torch.Generator().manual_seed(99)
    stale = [100 * torch.randn(p.shape, generator=gen) for p in ref.parameters()]   # the same draws as _run's
    params, start = [p.detach() for p in model.parameters()], [p.detach() for p in before.parameters()]
    moved = max(float((p - q).abs().max()) for p, q in zip(params, start))
    expect(moved > 0, "the parameters did not change: call loss.backward() and then opt.step()",
           "parameters नहीं बदले: loss.backward() और फिर opt.step() चलाएँ")

    def gap(grad_list):
        return max(float((p - (q - 0.05 * gr)).abs().max()) for p, q, gr in zip(params, start, grad_list))
    if gap(grads) > 1e-4:
        expect(gap([gr + st for gr, st in zip(grads, stale)]) > 1e-4,
               "the step used gradients left over from before: call opt.zero_grad() before loss.backward()",
               "step में पहले के बचे हुए gradients भी जुड़ गए: loss.backward() से पहले opt.zero_grad() चलाएँ")
        expect(False, "the parameters moved, but not by one optimiser step on loss = recon + kl; "
               "compute the loss, then opt.zero_grad(), loss.backward(), opt.step(), in that order",
               "parameters बदले, पर loss = recon + kl पर एक optimizer step जितने नहीं; loss निकालें, फिर "
               "opt.zero_grad(), loss.backward(), opt.step(), इसी क्रम में")

    # 2. Grey images: the step must train on a fresh Bernoulli draw, not on the grey values or a threshold.
    grey = 0.2 + 0.6 * torch.rand(16, 1, 28, 28, generator=g)
    model = _model(-30.0, seed=2)
    with torch.no_grad():
        _, grey_recon, _ = _terms(model, grey)
        _, thresh_recon, _ = _terms(model, (grey > 0.5).float())
    got = _run(fn, copy.deepcopy(model), grey)
    expect(not _close(got["recon"], float(grey_recon), 1e-5),
           "the step trained on the grey values: draw binary targets first, xb = torch.bernoulli(x), and use xb "
           "as the encoder's input and as the target (dynamic binarisation)",
           "step grey values पर train हुआ: पहले binary targets निकालें, xb = torch.bernoulli(x), और xb को encoder के "
           "input और target दोनों में इस्तेमाल करें (dynamic binarisation)")
    expect(not _close(got["recon"], float(thresh_recon), 1e-5),
           "a fixed threshold (x > 0.5) is not a Bernoulli draw: use xb = torch.bernoulli(x), a fresh draw every step",
           "fixed threshold (x > 0.5) Bernoulli draw नहीं है: xb = torch.bernoulli(x) लें, हर step पर नया draw")
    again = _run(fn, copy.deepcopy(model), grey, seed=1)
    expect(again["recon"] != got["recon"],
           "two steps with different random seeds trained on the same targets: draw torch.bernoulli(x) inside the step",
           "अलग random seeds वाले दो steps एक ही targets पर चले: torch.bernoulli(x) step के अंदर निकालें")

    # 3. The sample itself: a posterior that is the same for every image, with distinct non-zero log-variances
    #    (sigma = 2, 1/2, 2, 1/2), on 500 images. The decoder records z; (z - mu) / sigma must be standard
    #    normal noise: unit variance in every dimension (exp(logvar) as the std gives 2 and 1/2, a rescaled std
    #    another factor), different in every row (one eps for the batch) and uncorrelated across the dimensions.
    _sample_checks(fn)


_MU_Z = torch.tensor([0.5, -1.0, 2.0, 0.0])
_SIGMA_Z = torch.tensor([2.0, 0.5, 2.0, 0.5])
_N_Z = 2000    # images in the sampling check: the std of their eps has an SE of 1 / sqrt(2 * 2000) = 0.016


def _recorded_z(fn, seed: int) -> torch.Tensor:
    model = _model(0.0, seed=3)
    with torch.no_grad():
        model.fc_mu.weight.zero_()
        model.fc_mu.bias.copy_(_MU_Z)
        model.fc_logvar.bias.copy_(2 * torch.log(_SIGMA_Z))
    x = torch.bernoulli(torch.full((_N_Z, 1, 28, 28), 0.3), generator=torch.Generator().manual_seed(5))
    _run(fn, model, x, seed=seed)
    zs = [z for z in model.zs if tuple(z.shape) == (len(x), 4)]
    expect(len(zs) > 0, "the decoder never got a batch of latent codes of shape (N, 4): decode z = mu + std * eps "
           "with model.decode_logits(z)",
           "decoder को कभी (N, 4) shape के latent codes का batch नहीं मिला: z = mu + std * eps को "
           "model.decode_logits(z) से decode करें")
    return zs[0].double()


def _sample_checks(fn) -> None:
    z = _recorded_z(fn, seed=0)
    n = len(z)
    eps = (z - _MU_Z.double()) / _SIGMA_Z.double()       # what the step used as noise, if z = mu + sigma * eps
    expect(eps.abs().max() > 1e-6,
           "z does not depend on the random draw: sample z = mu + exp(0.5 * logvar) * torch.randn_like(mu) "
           "(the reparameterization trick), do not decode mu itself during training",
           "z random draw पर निर्भर नहीं है: z = mu + exp(0.5 * logvar) * torch.randn_like(mu) sample करें "
           "(reparameterization trick); training में सीधे mu को decode न करें")
    expect((eps - eps[0]).abs().max() > 1e-6,
           "every image of the batch got the same eps: torch.randn(latent_dim) broadcasts one draw over the batch; "
           "draw one eps per element with torch.randn_like(mu)",
           "batch की हर image को एक ही eps मिला: torch.randn(latent_dim) एक ही draw पूरे batch पर broadcast करता है; "
           "torch.randn_like(mu) से हर element का अपना eps लें")
    spread = eps.std(0)
    # Per dimension the std of 1,000 draws has an SE of 0.022, so tol = 0.1 is 4.5 SE: a correct answer is rejected
    # with probability about 3e-5 (4 dimensions). Pooled over the 4 dimensions (4,000 draws, SE 0.011), tol = 0.05
    # is again 4.5 SE, and an std rescaled by 1.1 (or 0.9) lies 4.5 SE beyond it: accepted with probability ~1e-5.
    tol, pooled_tol = 0.1, 0.05
    pooled = (eps - eps.mean(0)).pow(2).mean().sqrt()
    if not (bool(((spread - 1).abs() < tol).all()) and abs(float(pooled) - 1) < pooled_tol):
        as_std = bool(((spread / _SIGMA_Z.double() - 1).abs() < tol).all())
        expect(not as_std,
               "z spreads around mu by exp(logvar), not exp(0.5 * logvar): std = torch.exp(logvar) takes the "
               "variance as the standard deviation; write std = torch.exp(0.5 * logvar)",
               "z, mu के आसपास exp(logvar) जितना फैलता है, exp(0.5 * logvar) जितना नहीं: std = torch.exp(logvar) "
               "variance को standard deviation मान लेता है; std = torch.exp(0.5 * logvar) लिखें")
        expect(False,
               f"z spreads around mu by {[round(v, 2) for v in (spread * _SIGMA_Z.double()).tolist()]} where the "
               f"posterior's std is {_SIGMA_Z.tolist()}: the noise must be exactly std * eps with std = "
               "exp(0.5 * logvar) and eps standard normal (torch.randn_like), no extra factor",
               f"z, mu के आसपास {[round(v, 2) for v in (spread * _SIGMA_Z.double()).tolist()]} जितना फैलता है, जबकि "
               f"posterior की std {_SIGMA_Z.tolist()} है: noise ठीक std * eps होना चाहिए, std = exp(0.5 * logvar) और "
               "eps standard normal (torch.randn_like), कोई extra factor नहीं")
    expect(bool((eps.mean(0).abs() < 5 / n ** 0.5).all()),
           f"z is not centred on mu (mean of (z - mu) / std: {[round(v, 2) for v in eps.mean(0).tolist()]}): "
           "eps must be standard normal, torch.randn_like(mu), not torch.rand_like",
           f"z, mu पर centred नहीं है ((z - mu) / std का mean: {[round(v, 2) for v in eps.mean(0).tolist()]}): "
           "eps standard normal होना चाहिए, torch.randn_like(mu), torch.rand_like नहीं")
    off = (torch.corrcoef(eps.T) - torch.eye(4, dtype=eps.dtype)).abs().max().item()
    expect(off < 5 / n ** 0.5,
           f"the latent dimensions share their noise (correlation {off:.2f} between dimensions, 0 expected): draw "
           "one eps per element, torch.randn_like(mu), not one per image",
           f"latent dimensions एक ही noise बाँट रही हैं (dimensions के बीच correlation {off:.2f}, 0 होना चाहिए): "
           "हर element का अपना eps लें, torch.randn_like(mu), हर image का एक नहीं")
    other = _recorded_z(fn, seed=1)
    expect(not torch.equal(other, z),
           "two steps with different random seeds drew the same z: draw eps inside the step from torch's random "
           "numbers (torch.randn_like(mu)), not from a generator seeded anew at every call",
           "अलग random seeds वाले दो steps में एक ही z आया: eps step के अंदर torch के random numbers से लें "
           "(torch.randn_like(mu)), हर call पर नए सिरे से seed किए generator से नहीं")


ex1 = Exercise(
    CHAPTER, 1, _check_train_step,
    hints=[("एक step में क्रम यह है: mode चुनें, इस batch के binary targets निकालें, encode करें, z sample करें, "
            "decode करें, दोनों terms जोड़ें, फिर optimizer के तीन calls। Terms को numbers के रूप में लौटाएँ।",
            "One step goes in this order: choose the mode, draw this batch's binary targets, encode, sample z, "
            "decode, add the two terms, then the optimiser's three calls. Return the terms as numbers."),
           ("`xb = torch.bernoulli(x)`; `mu, logvar = model.encode(xb)`; `z = mu + torch.exp(0.5 * logvar) * "
            "torch.randn_like(mu)`; `logits = model.decode_logits(z).view_as(xb)`। Recon: BCE with logits, pixels "
            "पर sum और images पर mean; KL: dimensions पर sum और images पर mean।",
            "`xb = torch.bernoulli(x)`; `mu, logvar = model.encode(xb)`; `z = mu + torch.exp(0.5 * logvar) * "
            "torch.randn_like(mu)`; `logits = model.decode_logits(z).view_as(xb)`. Recon: BCE with logits, a sum "
            "over pixels and a mean over images; KL: a sum over dimensions and a mean over images."),
           ("`recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction=\"sum\") / len(xb)`, "
            "`kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()`, `loss = recon + kl`; फिर "
            "`opt.zero_grad()`, `loss.backward()`, `opt.step()`, और `return {\"loss\": loss.item(), \"recon\": "
            "recon.item(), \"kl\": kl.item()}`। सबसे पहले `model.train()`।",
            "`recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction=\"sum\") / len(xb)`, "
            "`kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()`, `loss = recon + kl`; then "
            "`opt.zero_grad()`, `loss.backward()`, `opt.step()`, and `return {\"loss\": loss.item(), \"recon\": "
            "recon.item(), \"kl\": kl.item()}`. First of all `model.train()`.")],
    solution_code="""
        def train_step(model, x, opt):
            model.train()                                             # train mode, explicitly
            xb = torch.bernoulli(x)                                   # dynamic binarisation: a fresh draw
            mu, logvar = model.encode(xb)                             # q(z|x)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)   # reparameterize
            logits = model.decode_logits(z).view_as(xb)               # p(x|z), as logits
            recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="sum") / len(xb)
            kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()
            loss = recon + kl                                         # -ELBO, nats per image
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.item(), "recon": recon.item(), "kl": kl.item()}
    """,
)


# ---------------------------------------------------------------- exercise 2: interpolation in latent space

def _as_tensor(out, what_en: str, what_hi: str) -> torch.Tensor:
    if not torch.is_tensor(out):
        try:
            out = torch.as_tensor(out)
        except (TypeError, ValueError, RuntimeError):
            raise Wrong(f"return {what_en} as a tensor, not {type(out).__name__}",
                        f"{what_hi} tensor के रूप में return करें, {type(out).__name__} नहीं") from None
    return out.detach().float()


def _check_interpolate(fn) -> None:
    g = torch.Generator().manual_seed(4)
    z0, z1 = torch.randn(5, generator=g), torch.randn(5, generator=g)
    keep0, keep1 = z0.clone(), z1.clone()
    n = 7
    out = _as_tensor(call(fn, z0, z1, n), "the path", "path")
    expect(torch.equal(z0, keep0) and torch.equal(z1, keep1), "your function changed z0 or z1 in place",
           "आपके function ने z0 या z1 को in place बदल दिया")
    t = torch.linspace(0, 1, n)[:, None]
    want = z0 + t * (z1 - z0)
    if tuple(out.shape) == (5, n):
        expect(False, f"the path has shape (D, n) = {tuple(out.shape)}: put one point per row, shape (n, D)",
               f"path की shape (D, n) = {tuple(out.shape)} है: हर row में एक point रखें, shape (n, D)")
    expect(tuple(out.shape) == (n, 5),
           f"with n = {n} and D = 5 the path should have shape ({n}, 5), got {tuple(out.shape)}; "
           "n points, both ends included",
           f"n = {n} और D = 5 पर path की shape ({n}, 5) होनी चाहिए, मिली {tuple(out.shape)}; n points, दोनों छोर शामिल")
    if not torch.allclose(out, want, atol=1e-5):
        expect(not torch.allclose(out, want.flip(0), atol=1e-5),
               "the path runs backwards: the first row must be z0 and the last z1",
               "path उलटा चल रहा है: पहली row z0 होनी चाहिए और आखिरी z1")
        expect(torch.allclose(out[0], z0, atol=1e-5), "the first point must be z0 itself (t = 0)",
               "पहला point खुद z0 होना चाहिए (t = 0)")
        expect(torch.allclose(out[-1], z1, atol=1e-5),
               "the last point must be z1 itself (t = 1): use t = torch.linspace(0, 1, n), which includes both ends",
               "आखिरी point खुद z1 होना चाहिए (t = 1): t = torch.linspace(0, 1, n) लें, जिसमें दोनों छोर हैं")
        steps = (out[1:] - out[:-1]).norm(dim=1)
        expect(bool((steps - steps.mean()).abs().max() < 1e-4),
               "the points are not equally spaced: on a straight line, take t in equal steps from 0 to 1",
               "points बराबर दूरी पर नहीं हैं: सीधी line पर t को 0 से 1 तक बराबर steps में लें")
        expect(False, "every point should be z0 + t * (z1 - z0) with t = torch.linspace(0, 1, n)",
               "हर point z0 + t * (z1 - z0) होना चाहिए, t = torch.linspace(0, 1, n)")
    two = _as_tensor(call(fn, z0, z1, 2), "the path", "path")
    expect(tuple(two.shape) == (2, 5) and torch.allclose(two, torch.stack([z0, z1]), atol=1e-6),
           "with n = 2 the path is just [z0, z1]; use the argument n, do not hard-code the number of points",
           "n = 2 पर path सिर्फ़ [z0, z1] है; argument n इस्तेमाल करें, points की संख्या hard-code न करें")


ex2 = Exercise(
    CHAPTER, 2, _check_interpolate,
    hints=[("सीधी line पर चलने का मतलब: एक ही direction, बराबर steps। दोनों छोर path में शामिल हैं, और हर point एक row है।",
            "Walking a straight line means one direction and equal steps. Both ends belong to the path, and every "
            "point is one row."),
           ("Point t पर path है z0 + t (z1 - z0), t 0 से 1 तक। `torch.linspace(0, 1, n)` दोनों छोर समेत n values देता है; "
            "`[:, None]` से वह column बनता है जो (D,) vectors के साथ broadcast होता है।",
            "At t the path is z0 + t (z1 - z0), with t from 0 to 1. `torch.linspace(0, 1, n)` gives n values "
            "including both ends; `[:, None]` makes it a column that broadcasts with the (D,) vectors."),
           ("`t = torch.linspace(0, 1, n)[:, None]` और `return z0 + t * (z1 - z0)`: shape (n, D), पहली row z0, "
            "आखिरी z1।",
            "`t = torch.linspace(0, 1, n)[:, None]` and `return z0 + t * (z1 - z0)`: shape (n, D), first row z0, "
            "last row z1.")],
    solution_code="""
        def interpolate(z0, z1, n):
            t = torch.linspace(0, 1, n)[:, None]     # n steps from 0 to 1, both ends included, as a column
            return z0 + t * (z1 - z0)                # row k is the point at t_k, shape (n, D)
    """,
)


# ---------------------------------------------------------------- exercise 3: the quantile grid of a 2-D latent

def _fake_decoder():
    """A decoder stand-in that remembers every latent batch it gets and returns images that depend on z."""
    seen: list[torch.Tensor] = []
    w = torch.randn(2, 784, generator=torch.Generator().manual_seed(8))

    def decode(z):
        z = torch.as_tensor(z, dtype=torch.float32)
        expect(z.dim() == 2 and z.shape[1] == 2,
               f"decode wants latent points of shape (N, 2), got {tuple(z.shape)}",
               f"decode को (N, 2) shape के latent points चाहिए, मिले {tuple(z.shape)}")
        seen.append(z.detach().clone())
        return torch.sigmoid(z @ w)
    return decode, seen


def _quantiles(p: torch.Tensor) -> torch.Tensor:
    return torch.distributions.Normal(0.0, 1.0).icdf(p)


def _check_decode_grid(fn) -> None:
    n = 5
    decode, seen = _fake_decoder()
    out = call(fn, decode, n)
    expect(len(seen) > 0, "decode was never called: decode the grid's latent points with the decode argument",
           "decode कभी call नहीं हुआ: grid के latent points को decode argument से decode करें")
    z = torch.cat(seen)
    out = _as_tensor(out, "the decoded images", "decoded images")
    q = _quantiles((torch.arange(n) + 0.5) / n)
    rows, cols = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    want = torch.stack([q[cols.flatten()], q[rows.flatten()]], dim=1)   # row r*n + c holds (q_c, q_r)
    expect(tuple(z.shape) == (n * n, 2),
           f"with n = {n} decode {n * n} latent points (an n x n grid), got {z.shape[0]}",
           f"n = {n} पर {n * n} latent points decode करें (n x n grid), मिले {z.shape[0]}")
    expect(bool(torch.isfinite(z).all()),
           "some latent points are infinite: Phi^-1(0) and Phi^-1(1) are -inf and +inf; take the middles "
           "p_k = (k + 0.5) / n, never 0 or 1",
           "कुछ latent points infinite हैं: Phi^-1(0) और Phi^-1(1) -inf और +inf हैं; बीच वाले p_k = (k + 0.5) / n "
           "लें, कभी 0 या 1 नहीं")
    if not torch.allclose(z, want, atol=1e-4):
        xs = torch.unique(torch.round(z[:, 0] * 1e4)) / 1e4
        if xs.numel() == n:
            d = xs[1:] - xs[:-1]
            expect(not bool((d - d.mean()).abs().max() < 1e-3),
                   "the grid is evenly spaced in z: space it evenly in probability instead, z = Phi^-1(p_k) with "
                   "p_k = (k + 0.5) / n, so that every cell holds the same prior mass",
                   "grid z में बराबर दूरी पर है: उसे probability में बराबर रखें, z = Phi^-1(p_k), p_k = (k + 0.5) / n, "
                   "ताकि हर cell में prior का बराबर हिस्सा हो")
            other = _quantiles(torch.arange(1, n + 1) / (n + 1.0))
            expect(not torch.allclose(xs, other, atol=1e-3),
                   "these are the quantiles k / (n + 1); this course's grid takes the middles of n equal-probability "
                   "slices, p_k = (k + 0.5) / n",
                   "ये k / (n + 1) वाले quantiles हैं; इस course का grid n बराबर probability वाले हिस्सों के बीच लेता है, "
                   "p_k = (k + 0.5) / n")
        expect(not torch.allclose(z, want.flip(1), atol=1e-4),
               "the two coordinates are swapped: point r*n + c is (q_c, q_r), z_1 along the columns",
               "दोनों coordinates उलटे हैं: point r*n + c = (q_c, q_r), z_1 columns के साथ बदलता है")
        as_set = lambda t: sorted(tuple(round(v, 3) for v in row) for row in t.tolist())  # noqa: E731
        expect(as_set(z) != as_set(want),
               "the right points in the wrong order: point r*n + c (row r, column c) is (q_c, q_r)",
               "points सही हैं पर क्रम गलत: point r*n + c (row r, column c) = (q_c, q_r)")
        expect(False, f"point r*n + c should be (Phi^-1(p_c), Phi^-1(p_r)) with p_k = (k + 0.5) / n; the first "
               f"points should be {[[round(v, 3) for v in row] for row in want[:2].tolist()]}, got "
               f"{[[round(v, 3) for v in row] for row in z[:2].tolist()]}",
               f"point r*n + c = (Phi^-1(p_c), Phi^-1(p_r)), p_k = (k + 0.5) / n होना चाहिए; पहले points "
               f"{[[round(v, 3) for v in row] for row in want[:2].tolist()]} होने चाहिए, मिले "
               f"{[[round(v, 3) for v in row] for row in z[:2].tolist()]}")
    expect(tuple(out.shape) != (n * n, 2),
           "you returned the latent points: return the decoded images, decode(z)",
           "आपने latent points लौटाए: decoded images, decode(z), return करें")
    expect(out.numel() == n * n * 784 and torch.allclose(out.reshape(n * n, 784), decode(want), atol=1e-5),
           "return decode(z) for the grid's points, in the grid's order (one image per point)",
           "grid के points का decode(z), grid के क्रम में, return करें (हर point की एक image)")


ex3 = Exercise(
    CHAPTER, 3, _check_decode_grid,
    hints=[("Prior के हिसाब से बराबर grid: हर coordinate पर prior की probability को n बराबर हिस्सों में बाँटें और हर "
            "हिस्से के बीच वाला z लें। फिर दोनों coordinates के सारे जोड़े बनाकर decode करें।",
            "A grid that is even under the prior: split the prior's probability along each coordinate into n equal "
            "slices and take the z in the middle of each slice. Then form every pair of the two coordinates and "
            "decode."),
           ("Slice k का बीच probability p_k = (k + 0.5) / n पर है, और z_k = Phi^-1(p_k): "
            "`torch.distributions.Normal(0, 1).icdf(p)`। Point r*n + c = (z_c, z_r); `torch.meshgrid(..., "
            "indexing=\"ij\")` जोड़े बनाता है।",
            "Slice k's middle is at probability p_k = (k + 0.5) / n, and z_k = Phi^-1(p_k): "
            "`torch.distributions.Normal(0, 1).icdf(p)`. Point r*n + c = (z_c, z_r); `torch.meshgrid(..., "
            "indexing=\"ij\")` forms the pairs."),
           ("`q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(n) + 0.5) / n)`, `rows, cols = "
            "torch.meshgrid(q, q, indexing=\"ij\")`, `z = torch.stack([cols.flatten(), rows.flatten()], dim=1)`, "
            "`return decode(z)`।",
            "`q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(n) + 0.5) / n)`, `rows, cols = "
            "torch.meshgrid(q, q, indexing=\"ij\")`, `z = torch.stack([cols.flatten(), rows.flatten()], dim=1)`, "
            "`return decode(z)`.")],
    solution_code="""
        def decode_grid(decode, n):
            q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(n) + 0.5) / n)   # Phi^-1 of the slice middles
            rows, cols = torch.meshgrid(q, q, indexing="ij")                              # rows[r, c] = q_r, cols[r, c] = q_c
            z = torch.stack([cols.flatten(), rows.flatten()], dim=1)                      # point r*n + c is (q_c, q_r)
            return decode(z)
    """,
)
