"""Diagnostics of a VAE: KL per latent dimension, active units, and an automatic checklist.

Chapter 08 (VAE training dynamics) explains every function here.

- ``kl_per_dimension(mu, logvar)``: KL(q(z_u|x) || N(0, 1)) of each latent dimension u, averaged over
  images, shape (D,). Its sum is the KL term of the negative ELBO (chapter 05).
- ``posterior_means(model, x)``: (mu, logvar) of q(z|x) for every image, in eval mode, without gradients.
- ``unit_activity(mu)`` and ``active_units(mu, threshold=0.01)``: A_u = Cov_x(E_q[z_u]), the variance over
  the data of each dimension's posterior mean (Burda et al., 2016), and the number of dimensions with
  A_u above the threshold. An *inactive* dimension has a posterior mean that does not move with x, so
  q(z_u|x) ≈ p(z_u) and z_u carries no information about x. (Not chapter 03's *dead unit*, a ReLU unit
  that is 0 for every input.)
- ``check_vae(model, loss_fn, x)``: runs the implementation checklist and prints a pass/fail table.

The contract of ``check_vae``:

- ``model.encode(x) -> (mu, logvar)``, both of shape (N, D), as in ``models.MLPVAE``;
- ``loss_fn(model, x) -> {"loss", "recon", "kl"}``: the negative ELBO of the batch x per image
  (summed over pixels and latent dimensions, averaged over images), its reconstruction term and its
  analytic KL term, with ``loss = recon + beta * kl`` for one beta > 0 (the `kl_sign` check verifies
  this form, so a free-bits loss, a KL² or a Monte Carlo KL fails it: check the loss without such
  training-only terms; it also fails beta = 0, a loss that forgets the KL, as at step 0 of a warm-up).
  The loss may binarise x dynamically (``torch.bernoulli(x)``), as the course trains; it is the same
  loss fit() gets;
- ``x``: a batch of training images in the form the loss receives (grey values in [0, 1]);
- for the `likelihood` check, ``model.forward_logits(x) -> (logits, mu, logvar)`` as in
  ``models.GaussianVAE``: on 0/1 images the loss's recon must equal the Bernoulli negative
  log-likelihood of those logits, summed over pixels. Pass ``likelihood=None`` for another decoder
  (Gaussian, continuous Bernoulli); the row is then left out, not reported as passed.

It returns a ``VAEReport``, a list of ``Check(name, passed, detail)``; ``report.passed`` is True when
every check passed. Run it on a trained model: before training the posterior means hardly move with x,
so an untrained VAE fails the active-unit check (and passes the others). The model's mode, its
gradients and the caller's random numbers are left as they were, and so is the loss: every check
calls a fresh copy of ``loss_fn`` (its closure variables, default arguments or attributes copied), so
a warm-up step counter kept there does not advance. State kept in a global variable is not copied.
"""
from __future__ import annotations

import contextlib
import copy
import math
import random
import types
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from course_utils import losses

ACTIVE_THRESHOLD = 0.01        # Burda et al. (2016): a unit is active if Cov_x(E_q[z_u]) > 0.01
LOGVAR_RANGE = (-15.0, 10.0)   # outside it a variance is e^-15 (std 5.5e-4) or e^10 (std 148): something broke


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_u, exp(logvar_u)) || N(0, 1)) of every latent dimension u, averaged over images: shape (D,).

    The same function as losses.gaussian_kl_per_dim, under the name this module's readers look for."""
    return losses.gaussian_kl_per_dim(mu, logvar)


@torch.no_grad()
def posterior_means(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, logvar) of q(z|x) for all of x, in eval mode and without gradients; the model's mode is restored."""
    was_training = model.training
    model.eval()
    try:
        pairs = [model.encode(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def unit_activity(mu: torch.Tensor) -> torch.Tensor:
    """A_u = Cov_x(E_q[z_u]): the variance over images of each dimension's posterior mean, shape (D,)."""
    if mu.dim() != 2 or len(mu) < 2:
        raise ValueError(f"mu must have shape (N, D) with N >= 2 images, got {tuple(mu.shape)}.")
    return mu.var(0)


def active_units(mu: torch.Tensor, threshold: float = ACTIVE_THRESHOLD) -> int:
    """How many latent dimensions have A_u = Cov_x(E_q[z_u]) above `threshold` (Burda et al., 2016)."""
    return int((unit_activity(mu) > threshold).sum())


class Check(NamedTuple):
    """One line of check_vae's table."""

    name: str
    passed: bool
    detail: str


class VAEReport(list):
    """check_vae's result: a list of Check(name, passed, detail)."""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self)

    def failed(self) -> list[str]:
        """Names of the checks that failed."""
        return [c.name for c in self if not c.passed]

    def __getitem__(self, key):
        if isinstance(key, str):
            for c in self:
                if c.name == key:
                    return c
            raise KeyError(f"no check called {key!r}; the checks are {[c.name for c in self]}")
        return super().__getitem__(key)

    def table(self) -> str:
        titles = [TITLES.get(c.name, c.name) for c in self]
        width = max(len(t) for t in titles)
        rows = [f"{'✓ pass' if c.passed else '✗ FAIL'}  {t:<{width}}  {c.detail}" for c, t in zip(self, titles)]
        verdict = ("all checks passed / सारे checks पास" if self.passed
                   else f"{len(self.failed())} check(s) failed / {len(self.failed())} check fail हुए")
        return "\n".join(rows + [verdict])


# The checks, in the order of the table. Names are short and English; each title is bilingual.
TITLES = {
    "inputs": "inputs in [0, 1], finite / inputs [0, 1] में",
    "likelihood": "recon = Bernoulli NLL on 0/1 images / recon = Bernoulli NLL",
    "kl_sum": "KL summed over latent dims, per image / KL latent dims पर sum",
    "kl_sign": "KL >= 0, loss = recon + beta*KL, one beta / KL >= 0, एक beta",
    "gradients": "recon gradient reaches mu and logvar / gradient mu, logvar तक",
    "eval": "eval: encoder deterministic, ELBO sampled / eval mode",
    "logvar": f"logvar in [{LOGVAR_RANGE[0]:g}, {LOGVAR_RANGE[1]:g}] / logvar की range",
    "active": f"active units (A_u > {ACTIVE_THRESHOLD:g}) >= 1 / active units",
}


def _fresh_copy(loss_fn: Callable) -> Callable:
    """A copy of loss_fn with its own state: closure variables, default arguments or a callable's attributes.

    check_vae calls the loss through such copies, so a counter the loss keeps (a KL warm-up's step)
    is where it was afterwards. What cannot be copied is shared, and a global variable is never copied."""
    if isinstance(loss_fn, types.FunctionType):
        memo: dict = {}
        cells = []
        for cell in loss_fn.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:            # an empty cell (a name not assigned yet)
                cells.append(cell)
                continue
            try:
                cells.append(types.CellType(copy.deepcopy(contents, memo)))
            except Exception:             # not copyable (a lock, a file): shared with the original
                cells.append(cell)
        try:
            defaults = copy.deepcopy(loss_fn.__defaults__, memo)
            kwdefaults = copy.deepcopy(loss_fn.__kwdefaults__, memo)
        except Exception:
            defaults, kwdefaults = loss_fn.__defaults__, loss_fn.__kwdefaults__
        fn = types.FunctionType(loss_fn.__code__, loss_fn.__globals__, loss_fn.__name__, defaults,
                                tuple(cells) if loss_fn.__closure__ else None)
        fn.__kwdefaults__ = kwdefaults
        return fn
    try:
        return copy.deepcopy(loss_fn)     # a callable object, a bound method, functools.partial
    except Exception:
        return loss_fn


def _terms(loss_fn: Callable, model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    out = _fresh_copy(loss_fn)(model, x)
    if not isinstance(out, dict) or not {"loss", "recon", "kl"} <= set(out):
        got = sorted(out) if isinstance(out, dict) else type(out).__name__
        raise TypeError(f"loss_fn must return a dict with 'loss', 'recon' and 'kl', got {got}")
    return out


@contextlib.contextmanager
def _encode_through(model: nn.Module, change: Callable):
    """Inside the block, model.encode(x) returns change(mu, logvar): the model's own methods call it too."""
    original, own = model.encode, "encode" in vars(model)
    model.encode = lambda x: change(*original(x))
    try:
        yield
    finally:
        if own:
            model.encode = original
        else:
            del model.encode      # the instance attribute goes; the class's encode is back


def _check_inputs(x: torch.Tensor, **_) -> tuple[bool, str]:
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return False, "x contains NaN or inf / x में NaN या inf"
    if lo < 0 or hi > 1:
        fix = "divide by 255 / 255 से divide करें" if hi > 1.5 else "clamp or rescale to [0, 1]"
        return False, f"x spans [{lo:.3g}, {hi:.3g}]: {fix}"
    if hi == 0:
        return False, "x is all zeros / x में सब 0"
    return True, f"x spans [{lo:.3g}, {hi:.3g}]"


def _check_likelihood(model, loss_fn, xb, **_) -> tuple[bool, str]:
    """On 0/1 images and with z pinned to mu, recon must be the Bernoulli NLL of the decoder's logits."""
    if not hasattr(model, "forward_logits"):
        return False, ("model has no forward_logits(x) -> (logits, mu, logvar) to compare with; "
                       "pass likelihood=None to skip this check")
    model.eval()
    pinned = lambda mu, logvar: (mu, torch.full_like(logvar, -40.0))   # std 2e-9: z = mu, whatever eps  # noqa: E731
    with torch.no_grad(), _encode_through(model, pinned):
        got = float(_terms(loss_fn, model, xb)["recon"])
        logits = model.forward_logits(xb)[0].reshape(len(xb), -1)
    target = xb.reshape(len(xb), -1)
    want = float(nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1).mean())
    close = lambda a, b: abs(a - b) <= 1e-3 * max(1.0, abs(b))  # noqa: E731
    if close(got, want):
        return True, f"recon = {got:.4g} = Bernoulli NLL of the logits, summed over {target.shape[1]} pixels"
    sq = (target - torch.sigmoid(logits)) ** 2
    if close(got, float(sq.sum(1).mean())) or close(got, float(sq.sum(1).mean()) / 2) or close(got, float(sq.mean())):
        return False, (f"recon = {got:.4g} is a squared error, the Bernoulli NLL is {want:.4g}: an MSE loss is a "
                       "Gaussian decoder, not the likelihood of 0/1 pixels; use BCE with logits / BCE लें")
    if close(got, want / target.shape[1]):
        return False, (f"recon = {got:.4g} = NLL/{target.shape[1]}: averaged over pixels (reduction='mean'?); "
                       "sum over pixels, average over images / pixels पर sum करें")
    if close(got, want * len(xb)):
        return False, f"recon = {got:.4g} = {len(xb)} x NLL: summed over images, average them / images पर mean लें"
    return False, f"recon = {got:.4g}, but the Bernoulli NLL of the decoder's logits is {want:.4g}"


def _check_kl_sum(model, loss_fn, xb, **_) -> tuple[bool, str]:
    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode(xb)
        want = float(kl_per_dimension(mu, logvar).sum())
        got = float(_terms(loss_fn, model, xb)["kl"])
    d = mu.shape[1]
    ok = abs(got - want) <= 1e-3 * max(1.0, abs(want))
    if ok:
        return True, f"kl = {got:.4g} = sum over {d} dims"
    if want and abs(got - want / d) <= 1e-3 * max(1.0, abs(want / d)):
        return False, f"kl = {got:.4g} = (sum)/{d}: averaged over dims, sum them / dims पर sum करें"
    if want and abs(got + want) <= 1e-3 * max(1.0, abs(want)):
        return False, f"kl = {got:.4g} = -(KL): sign flipped / sign उलटा"
    if want and abs(got - want * len(xb)) <= 1e-3 * max(1.0, abs(want * len(xb))):
        return False, f"kl = {got:.4g} = {len(xb)} x KL: summed over images, average them / images पर mean लें"
    return False, f"kl = {got:.4g}, but sum over dims of KL(q||p) = {want:.4g}"


def _check_kl_sign(model, loss_fn, xb, **_) -> tuple[bool, str]:
    """KL >= 0, and loss - recon = beta * kl with ONE beta > 0: derived at the model's KL and at a larger one."""
    model.train()
    with torch.no_grad():
        t = _terms(loss_fn, model, xb)
        loss, recon, kl = float(t["loss"]), float(t["recon"]), float(t["kl"])
        # move every posterior mean by s: the KL grows by about D s^2 / 2, at least doubling it
        s = 1.0 + math.sqrt(2 * max(kl, 0.0) / model.encode(xb[:1])[0].shape[1]) if math.isfinite(kl) else 1.0
        with _encode_through(model, lambda mu, logvar: (mu + s, logvar)):
            t2 = _terms(loss_fn, model, xb)
    loss2, recon2, kl2 = float(t2["loss"]), float(t2["recon"]), float(t2["kl"])
    if kl < 0 or kl2 < 0:
        return False, f"kl = {min(kl, kl2):.4g} < 0: KL is never negative / KL कभी negative नहीं"
    if not (math.isfinite(kl) and math.isfinite(kl2) and math.isfinite(loss2 - recon2)):
        return False, f"kl = {kl:.4g}, loss = {loss:.4g}: not finite / finite नहीं"
    if not kl2 > kl + 1e-3:
        return False, ("the loss's kl did not grow when encode's means moved: the loss must call "
                       "model.encode (or forward_logits), as the contract says")
    beta = (loss2 - recon2) / kl2
    if beta < -1e-3:
        return False, f"loss = recon {beta:+.3g} * kl: the KL is subtracted / KL घटाया गया है, जोड़ें"
    if abs(loss - (recon + beta * kl)) > 1e-4 * max(1.0, abs(loss)):
        beta_here = (loss - recon) / kl if kl > 1e-8 else float("nan")
        return False, (f"loss - recon is not beta * kl with one beta: {beta_here:.3g} at kl = {kl:.4g}, {beta:.3g} at "
                       f"kl = {kl2:.4g} (a KL², free bits, a sampled KL?); check the plain -ELBO / एक ही beta नहीं")
    if abs(beta) < 1e-6:
        return False, ("loss = recon + 0 * kl: the KL does not enter the loss (beta = 0); at warm-up step 0 this is "
                       "expected: check the loss after the warm-up / KL loss में नहीं आता (beta = 0); warm-up के "
                       "step 0 पर यह स्वाभाविक है: warm-up के बाद का loss जाँचें")
    return True, f"kl = {kl:.4g} >= 0, loss = recon + {beta:.3g} * kl (also at kl = {kl2:.4g})"


def _check_gradients(model, loss_fn, xb, **_) -> tuple[bool, str]:
    model.train()
    grads: dict[str, torch.Tensor] = {}

    def keep(mu, logvar):  # the model's own encode, with hooks that keep the gradient of mu and logvar
        for name, t in (("mu", mu), ("logvar", logvar)):
            if t.requires_grad:
                t.register_hook(lambda g, name=name: grads.__setitem__(name, g.detach().clone()))
        return mu, logvar

    with _encode_through(model, keep):
        recon = _terms(loss_fn, model, xb)["recon"]
        if not recon.requires_grad:
            return False, "recon has no gradient at all / recon में gradient नहीं"
        recon.backward()
    norms = {k: float(grads[k].abs().sum()) if k in grads else 0.0 for k in ("mu", "logvar")}
    missing = [k for k, v in norms.items() if not v > 0]
    if missing:
        return False, (f"recon sends no gradient to {' and '.join(missing)}: z must be mu + std * eps "
                       "(no detach, no torch.normal) / reparameterization देखें")
    return True, f"|grad mu| = {norms['mu']:.3g}, |grad logvar| = {norms['logvar']:.3g}"


def _check_eval(model, loss_fn, xb, **_) -> tuple[bool, str]:
    model.eval()
    with torch.no_grad():
        mu1, lv1 = model.encode(xb)
        mu2, lv2 = model.encode(xb)
        if not (torch.equal(mu1, mu2) and torch.equal(lv1, lv2)):
            return False, "encode(x) differs between two calls in eval mode (dropout? call model.eval())"
        torch.manual_seed(1)
        r1 = float(_terms(loss_fn, model, xb)["recon"])
        torch.manual_seed(2)
        r2 = float(_terms(loss_fn, model, xb)["recon"])
    if r1 == r2:
        return False, ("recon identical for two seeds in eval mode: z = mu is not the ELBO; sample z "
                       "for the ELBO, decode(mu) only for pictures / ELBO के लिए z sample करें")
    return True, f"encoder deterministic; recon {r1:.4g} vs {r2:.4g} (sampled)"


def _check_logvar(model, xb, **_) -> tuple[bool, str]:
    _, logvar = posterior_means(model, xb)
    lo, hi = float(logvar.min()), float(logvar.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return False, "logvar is NaN or inf / logvar NaN या inf"
    ok = LOGVAR_RANGE[0] <= lo and hi <= LOGVAR_RANGE[1]
    return ok, f"logvar spans [{lo:.3g}, {hi:.3g}]" + ("" if ok else ": exploding; lower the lr or clamp it")


def _check_active(model, xb, **_) -> tuple[bool, str]:
    mu, _ = posterior_means(model, xb)
    n = active_units(mu)
    return n >= 1, f"{n} of {mu.shape[1]} active" + ("" if n else ": posterior collapse / सब units collapse")


_CHECKS = {"inputs": _check_inputs, "likelihood": _check_likelihood, "kl_sum": _check_kl_sum, "kl_sign": _check_kl_sign,
           "gradients": _check_gradients, "eval": _check_eval, "logvar": _check_logvar, "active": _check_active}


def check_vae(model: nn.Module, loss_fn: Callable[[nn.Module, torch.Tensor], dict], x: torch.Tensor,
              verbose: bool = True, seed: int = 0, likelihood: str | None = "bernoulli") -> VAEReport:
    """Run the VAE implementation checklist on `model`, `loss_fn` and a batch `x`; print and return the table.

    See the module docstring for the contract. The comparisons use one fixed binarisation of x
    (torch.bernoulli with `seed`): on 0/1 images a loss that binarises again gets the same images, so its
    KL can be compared exactly with the encoder's. Use a few hundred images: active units need them.
    `likelihood="bernoulli"` checks recon against the Bernoulli NLL; None leaves that row out.
    """
    if likelihood not in ("bernoulli", None):
        raise ValueError(f"likelihood must be 'bernoulli' or None (no likelihood check), got {likelihood!r}.")
    if not hasattr(model, "encode"):
        raise TypeError("check_vae needs a model with encode(x) -> (mu, logvar), like models.MLPVAE.")
    if not torch.is_tensor(x) or len(x) < 2:
        raise ValueError("x must be a tensor of at least 2 images (a few hundred for the active-unit check).")
    report = VAEReport()
    was_training = model.training
    grads_before = [(p, p.grad) for p in model.parameters()]
    for p, _ in grads_before:          # backward() would add into them in place
        p.grad = None
    py, npy = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            g = torch.Generator().manual_seed(seed)
            clean = torch.nan_to_num(x.detach().float()).clamp(0, 1)
            xb = torch.bernoulli(clean, generator=g)          # fixed 0/1 images: bernoulli(xb) == xb
            for name, fn in _CHECKS.items():
                if name == "likelihood" and likelihood is None:
                    continue
                try:
                    passed, detail = fn(model=model, loss_fn=loss_fn, x=x, xb=xb)
                except Exception as err:  # a check that crashes is a failed check, with the reason
                    passed, detail = False, f"raised {type(err).__name__}: {str(err)[:120]}"
                report.append(Check(name, bool(passed), detail))
    finally:
        model.train(was_training)
        for p, grad in grads_before:   # the caller's gradients, untouched
            p.grad = grad
        random.setstate(py)
        np.random.set_state(npy)
    if verbose:
        print(report.table())
    return report
