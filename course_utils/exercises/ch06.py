"""Exercises of chapter 06 (reparameterization): reparameterize, the score-function estimator, the reparameterized one."""
from __future__ import annotations

import torch

from . import Exercise, Wrong, call, expect

CHAPTER = "06_reparameterization"


def _tensor(out, shape: tuple[int, ...], en_what: str, hi_what: str) -> torch.Tensor:
    """The learner's result as a detached float64 tensor of the given shape, or a bilingual reason."""
    expect(torch.is_tensor(out), f"{en_what} must be a torch tensor, not {type(out).__name__}",
           f"{hi_what} एक torch tensor होना चाहिए, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == shape,
           f"{en_what} should have shape {shape}, got {tuple(out.shape)}"
           + ("; average over the K samples (dim 0)" if out.dim() == 2 and len(shape) == 1 else ""),
           f"{hi_what} की shape {shape} होनी चाहिए, मिली {tuple(out.shape)}"
           + ("; K samples (dim 0) पर औसत लें" if out.dim() == 2 and len(shape) == 1 else ""))
    return out.detach().double()


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a, b, rtol=1e-4, atol=1e-6))


# ---------------------------------------------------------------- exercise 1: reparameterize

_MU_ROW = torch.tensor([0.5, -1.0, 2.0])
_LOGVAR_ROW = torch.tensor([0.0, -2.0, 1.5])
_N = 4000


def _check_reparameterize(fn) -> None:
    mu = _MU_ROW.repeat(_N, 1)              # 4,000 rows with the same (mu, logvar): the draws of one distribution
    logvar = _LOGVAR_ROW.repeat(_N, 1)
    mu_in, logvar_in = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    with torch.random.fork_rng(devices=[]):  # the verdict does not depend on the learner's global random state
        torch.manual_seed(0)
        out = call(fn, mu_in, logvar_in)
        again = call(fn, mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True))   # not re-seeded
    expect(torch.is_tensor(out), f"return a torch tensor z, not {type(out).__name__}",
           f"एक torch tensor z return करें, {type(out).__name__} नहीं")
    expect(tuple(out.shape) == tuple(mu.shape),
           f"z should have the shape of mu, {tuple(mu.shape)}, got {tuple(out.shape)}",
           f"z की shape mu जैसी, {tuple(mu.shape)}, होनी चाहिए, मिली {tuple(out.shape)}")
    z = out.detach().double()
    expect(not torch.allclose(z, mu.double()),
           "z equals mu: the draw must add the noise term, z = mu + std * eps",
           "z बिल्कुल mu है: draw में noise का term जोड़ना है, z = mu + std * eps")
    expect(not torch.equal(z[0], z[1]),
           "every row got the same eps: draw one eps per element, torch.randn_like(mu) (not torch.randn(D))",
           "हर row को एक ही eps मिला: हर element का अपना eps लें, torch.randn_like(mu) (torch.randn(D) नहीं)")
    expect(not (torch.is_tensor(again) and tuple(again.shape) == tuple(mu.shape)
                and torch.equal(again.detach().double(), z)),
           "two calls gave the same z: a fixed seed or generator inside reparameterize repeats the noise at every "
           "step; use torch.randn_like",
           "दो calls ने एक ही z दिया: reparameterize के अंदर तय seed या generator हर step पर वही noise दोहराता है; "
           "torch.randn_like इस्तेमाल करें")
    expect(out.requires_grad and out.grad_fn is not None,
           "no gradient can flow back from z: .sample() (or .detach()) cuts the graph; write z = mu + std * eps "
           "with eps = torch.randn_like(std), or use .rsample()",
           "z से वापस कोई gradient नहीं जा सकता: .sample() (या .detach()) graph काट देता है; z = mu + std * eps "
           "लिखें, eps = torch.randn_like(std), या .rsample() इस्तेमाल करें")
    mean, var = z.mean(0), z.var(0)
    want_mean, want_var = _MU_ROW.double(), _LOGVAR_ROW.double().exp()
    se_mean, se_var = (want_var / _N).sqrt(), want_var * (2 / (_N - 1)) ** 0.5
    mean_ok = bool(((mean - want_mean).abs() < 5 * se_mean).all())
    var_ok = bool(((var - want_var).abs() < 5 * se_var).all())
    if not var_ok:
        like = lambda v: bool(((var - v).abs() < 5 * v * (2 / (_N - 1)) ** 0.5 + 1e-9).all())  # noqa: E731
        expect(not like(want_var ** 2),
               "the variance of z is exp(2 * logvar): you used exp(logvar) as the standard deviation; "
               "exp(logvar) is the variance, the std is exp(0.5 * logvar)",
               "z का variance exp(2 * logvar) है: आपने exp(logvar) को standard deviation माना; "
               "exp(logvar) variance है, std exp(0.5 * logvar) है")
        expect(not like(_LOGVAR_ROW.double() ** 2),
               "you used logvar itself as the standard deviation; the std is exp(0.5 * logvar)",
               "आपने logvar को ही standard deviation मान लिया; std exp(0.5 * logvar) है")
        expect(not like(want_var / 12),
               "eps looks uniform on [0, 1) (torch.rand_like); it must be standard normal: torch.randn_like",
               "eps [0, 1) पर uniform लगता है (torch.rand_like); उसे standard normal होना चाहिए: torch.randn_like")
    std_now = want_var.sqrt()
    eps = (z - want_mean) / (std_now if var_ok else var.sqrt().clamp_min(1e-12))   # the noise, standardised
    corr = torch.corrcoef(eps.T)                                                    # (D, D) across the rows
    off = (corr - torch.eye(len(corr), dtype=corr.dtype)).abs().max().item()
    expect(off < 5 / _N ** 0.5,
           f"the latent dimensions of a row share their noise (correlation {off:.2f} between (z - mu) / std of two "
           "dimensions, 0 expected): one eps per row, such as torch.randn(N, 1), makes every dimension move together; "
           "q is a diagonal Gaussian, so draw one eps per element: torch.randn_like(mu)",
           f"एक row की latent dimensions एक ही noise बाँट रही हैं (दो dimensions के (z - mu) / std का correlation "
           f"{off:.2f}, 0 होना चाहिए): हर row का एक eps, जैसे torch.randn(N, 1), सारी dimensions को साथ-साथ हिलाता है; "
           "q एक diagonal Gaussian है, इसलिए हर element का अपना eps लें: torch.randn_like(mu)")
    expect(mean_ok, f"the mean of z over many draws should be mu = {want_mean.tolist()}, got "
                    f"{[round(v, 3) for v in mean.tolist()]}",
           f"बहुत-से draws पर z का mean mu = {want_mean.tolist()} होना चाहिए, मिला {[round(v, 3) for v in mean.tolist()]}")
    expect(var_ok, f"the variance of z should be exp(logvar) = {[round(v, 3) for v in want_var.tolist()]}, got "
                   f"{[round(v, 3) for v in var.tolist()]}",
           f"z का variance exp(logvar) = {[round(v, 3) for v in want_var.tolist()]} होना चाहिए, मिला "
           f"{[round(v, 3) for v in var.tolist()]}")
    try:
        out.sum().backward()
    except RuntimeError as err:
        raise Wrong(f"backward through z failed ({err})", f"z से backward नहीं हो पाया ({err})") from err
    expect(mu_in.grad is not None and logvar_in.grad is not None,
           "the gradient does not reach " + ("mu" if mu_in.grad is None else "logvar")
           + ": build z from mu and logvar themselves, with no .detach() and no .item()",
           "gradient " + ("mu" if mu_in.grad is None else "logvar") + " तक नहीं पहुँचता: z को mu और logvar से ही "
           "बनाएँ, बिना .detach() या .item() के")
    expect(bool(mu_in.grad.abs().sum() > 0 or logvar_in.grad.abs().sum() > 0),
           "z has a graph, but the gradient that comes back to mu and logvar is zero: the draw itself is not "
           "differentiable (torch.normal(mu, std) and .sample() give no gradient); write z = mu + std * eps",
           "z का graph है, पर mu और logvar तक लौटने वाला gradient zero है: draw खुद differentiable नहीं है "
           "(torch.normal(mu, std) और .sample() कोई gradient नहीं देते); z = mu + std * eps लिखें")
    expect(_close(mu_in.grad.double(), torch.ones_like(z)),
           "dz/dmu should be 1 for every element", "हर element के लिए dz/dmu = 1 होना चाहिए")
    expect(_close(logvar_in.grad.double(), 0.5 * (z - mu.double())),
           "dz/dlogvar should be 0.5 * (z - mu) = 0.5 * std * eps: write std = exp(0.5 * logvar)",
           "dz/dlogvar = 0.5 * (z - mu) = 0.5 * std * eps होना चाहिए: std = exp(0.5 * logvar) लिखें")


ex1 = Exercise(
    CHAPTER, 1, _check_reparameterize,
    hints=[("Randomness को एक अलग, parameter-free noise eps में रखें, और z को mu, logvar और eps से एक साधारण "
            "(differentiable) formula से बनाएँ। logvar variance का log है, std का नहीं।",
            "Keep the randomness in a separate, parameter-free noise eps, and build z from mu, logvar and eps with "
            "a plain (differentiable) formula. logvar is the log of the variance, not of the std."),
           ("std = exp(0.5 * logvar), क्योंकि sqrt(exp(logvar)) = exp(logvar / 2)। eps हर element के लिए अलग "
            "standard normal number है, mu जैसी shape में: `torch.randn_like(std)`।",
            "std = exp(0.5 * logvar), because sqrt(exp(logvar)) = exp(logvar / 2). eps is one standard normal "
            "number per element, in the shape of mu: `torch.randn_like(std)`."),
           ("`std = torch.exp(0.5 * logvar)`, `eps = torch.randn_like(std)`, `return mu + std * eps`।",
            "`std = torch.exp(0.5 * logvar)`, `eps = torch.randn_like(std)`, `return mu + std * eps`.")],
    solution_code="""
        def reparameterize(mu, logvar):
            std = torch.exp(0.5 * logvar)   # exp(logvar) is the variance; its square root is the std
            eps = torch.randn_like(std)     # one standard normal number per element, no parameters
            return mu + std * eps           # differentiable in mu and logvar
    """,
)


# ---------------------------------------------------------------- exercise 2: the score-function estimator

def _score_terms(f, mu, sigma, z):
    return f(z)[:, None] * (z - mu) / sigma ** 2


def _f_check(z):                      # a non-quadratic test function of z with shape (K, D)
    return (z ** 2).sum(1) + 3 * torch.sin(z).sum(1) + 5.0


def _case(K: int, seed: int, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    mu = torch.tensor([0.3, -0.8], dtype=dtype)
    sigma = torch.tensor([0.5, 2.0], dtype=dtype)        # sigma != 1, so that /sigma and /sigma**2 differ
    eps = torch.randn(K, 2, generator=g, dtype=dtype)
    return mu, sigma, eps


def _check_score(fn) -> None:
    mu, sigma, eps = _case(64, 1)
    z = mu + sigma * eps
    got = _tensor(call(fn, _f_check, mu.clone(), sigma.clone(), z.clone()), (2,), "the estimate", "estimate")
    want = _score_terms(_f_check, mu, sigma, z).mean(0)
    if not _close(got, want):
        K = len(z)
        expect(not _close(got, want * K), "you summed over the K samples: the estimator is their mean",
               "आपने K samples का जोड़ लिया: estimator उनका mean है")
        expect(not _close(got, ((z - mu) / sigma ** 2).mean(0)),
               "the factor f(z) is missing: the estimator is the mean of f(z_k) * (z_k - mu) / sigma**2",
               "factor f(z) छूट गया: estimator f(z_k) * (z_k - mu) / sigma**2 का mean है")
        expect(not _close(got, (_f_check(z)[:, None] * (z - mu) / sigma).mean(0)),
               "the score of a Gaussian is (z - mu) / sigma**2, not (z - mu) / sigma",
               "Gaussian का score (z - mu) / sigma**2 है, (z - mu) / sigma नहीं")
        expect(not _close(got, -want), "the sign is flipped: d/dmu log q(z) = (z - mu) / sigma**2, not (mu - z) / ...",
               "sign उलटा है: d/dmu log q(z) = (z - mu) / sigma**2, (mu - z) / ... नहीं")
        expect(not _close(got, (_f_check(z)[:, None] * (z - mu)).mean(0)),
               "divide by sigma**2: the score is (z - mu) / sigma**2", "sigma**2 से divide करें: score (z - mu) / sigma**2 है")
        expect(False, f"for these samples the estimate should be {[round(v, 4) for v in want.tolist()]}, got "
                      f"{[round(v, 4) for v in got.tolist()]}",
               f"इन samples के लिए estimate {[round(v, 4) for v in want.tolist()]} होना चाहिए, मिला "
               f"{[round(v, 4) for v in got.tolist()]}")
    # unbiased: on f(z) = ||z - a||^2 the exact gradient is 2 (mu - a); a large K must land within 4 standard errors
    a = torch.tensor([1.0, 0.5], dtype=torch.float64)
    mu, sigma, eps = _case(20000, 2)
    z = mu + sigma * eps
    quad = lambda z: (z - a).pow(2).sum(1)  # noqa: E731
    got = _tensor(call(fn, quad, mu.clone(), sigma.clone(), z.clone()), (2,), "the estimate", "estimate")
    se = _score_terms(quad, mu, sigma, z).std(0) / len(z) ** 0.5
    exact = 2 * (mu - a)
    expect(bool(((got - exact).abs() < 4 * se).all()),
           f"on f(z) = ||z - a||^2 with 20,000 samples the estimate {[round(v, 3) for v in got.tolist()]} is more "
           f"than 4 standard errors from the exact gradient 2 (mu - a) = {exact.tolist()}",
           f"f(z) = ||z - a||^2 पर 20,000 samples से estimate {[round(v, 3) for v in got.tolist()]} exact gradient "
           f"2 (mu - a) = {exact.tolist()} से 4 standard errors से ज़्यादा दूर है")


ex2 = Exercise(
    CHAPTER, 2, _check_score,
    hints=[("Score-function estimator f को differentiate नहीं करता: वह हर sample के f(z_k) को इस बात से तौलता है "
            "कि mu बदलने पर उस sample की log-density कितनी बदलती है, और फिर samples पर औसत लेता है।",
            "The score-function estimator never differentiates f: it weighs each sample's f(z_k) by how much that "
            "sample's log-density changes when mu changes, and averages over the samples."),
           ("N(mu, sigma**2) के लिए d/dmu log q(z) = (z - mu) / sigma**2। `f(z)` की shape (K,) है, इसलिए "
            "उसे `[:, None]` से (K, 1) बनाकर (K, D) से गुणा करें।",
            "For N(mu, sigma**2), d/dmu log q(z) = (z - mu) / sigma**2. `f(z)` has shape (K,), so make it (K, 1) "
            "with `[:, None]` before multiplying by a (K, D) tensor."),
           ("`return (f(z)[:, None] * (z - mu) / sigma**2).mean(dim=0)`।",
            "`return (f(z)[:, None] * (z - mu) / sigma**2).mean(dim=0)`.")],
    solution_code="""
        def score_function_grad(f, mu, sigma, z):
            score = (z - mu) / sigma**2                 # d/dmu log N(z; mu, sigma^2), one row per sample
            return (f(z)[:, None] * score).mean(dim=0)  # average of f(z_k) * score_k over the K samples
    """,
)


# ---------------------------------------------------------------- exercise 3: the reparameterized estimator

def _reparam_reference(f, mu, sigma, eps):
    mu, sigma = mu.clone().requires_grad_(True), sigma.clone().requires_grad_(True)
    f(mu + sigma * eps).mean().backward()
    return mu.grad, sigma.grad


def _pair(out) -> tuple[torch.Tensor, torch.Tensor]:
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"return two tensors, (grad_mu, grad_sigma), not {type(out).__name__}",
           f"दो tensors return करें, (grad_mu, grad_sigma), {type(out).__name__} नहीं")
    return (_tensor(out[0], (2,), "grad_mu", "grad_mu"), _tensor(out[1], (2,), "grad_sigma", "grad_sigma"))


def _check_reparam(fn) -> None:
    mu, sigma, eps = _case(64, 3)
    g_mu, g_sigma = _pair(call(fn, _f_check, mu.clone(), sigma.clone(), eps.clone()))
    w_mu, w_sigma = _reparam_reference(_f_check, mu, sigma, eps)
    if not (_close(g_mu, w_mu) and _close(g_sigma, w_sigma)):
        K = len(eps)
        expect(not (_close(g_mu, K * w_mu) and _close(g_sigma, K * w_sigma)),
               "you summed f over the K samples: average them (.mean()), so the estimate does not grow with K",
               "आपने K samples पर f का जोड़ लिया: उनका mean (.mean()) लें, ताकि estimate K के साथ न बढ़े")
        expect(not (_close(g_mu, w_sigma) and _close(g_sigma, w_mu)),
               "the two gradients are swapped: return (grad_mu, grad_sigma)",
               "दोनों gradients की जगह बदल गई: (grad_mu, grad_sigma) return करें")
        expect(not (_close(g_mu, w_mu) and _close(g_sigma, g_mu)),
               "grad_sigma equals grad_mu: by the chain rule dz/dsigma = eps, so each sample's df/dz is multiplied "
               "by its eps",
               "grad_sigma और grad_mu बराबर हैं: chain rule से dz/dsigma = eps, इसलिए हर sample का df/dz उसके eps से "
               "गुणा होता है")
        z = mu + sigma * eps
        expect(not _close(g_mu, _score_terms(_f_check, mu, sigma, z).mean(0)),
               "this is the score-function estimator (f(z) * (z - mu) / sigma**2); here differentiate "
               "f(mu + sigma * eps) itself with autograd",
               "यह score-function estimator है (f(z) * (z - mu) / sigma**2); यहाँ f(mu + sigma * eps) को ही autograd "
               "से differentiate करें")
        expect(_close(g_mu, w_mu), f"grad_mu should be {[round(v, 4) for v in w_mu.tolist()]} for these eps, got "
                                   f"{[round(v, 4) for v in g_mu.tolist()]}",
               f"इन eps के लिए grad_mu {[round(v, 4) for v in w_mu.tolist()]} होना चाहिए, मिला "
               f"{[round(v, 4) for v in g_mu.tolist()]}")
        expect(False, f"grad_sigma should be {[round(v, 4) for v in w_sigma.tolist()]} for these eps, got "
                      f"{[round(v, 4) for v in g_sigma.tolist()]}",
               f"इन eps के लिए grad_sigma {[round(v, 4) for v in w_sigma.tolist()]} होना चाहिए, मिला "
               f"{[round(v, 4) for v in g_sigma.tolist()]}")
    # unbiased: on f(z) = ||z - a||^2 the exact gradients are 2 (mu - a) and 2 sigma
    a = torch.tensor([1.0, 0.5], dtype=torch.float64)
    quad = lambda z: (z - a).pow(2).sum(1)  # noqa: E731
    mu, sigma, eps = _case(20000, 4)
    g_mu, g_sigma = _pair(call(fn, quad, mu.clone(), sigma.clone(), eps.clone()))
    z = mu + sigma * eps
    se_mu, se_sigma = (2 * (z - a)).std(0) / len(z) ** 0.5, (2 * (z - a) * eps).std(0) / len(z) ** 0.5
    expect(bool(((g_mu - 2 * (mu - a)).abs() < 4 * se_mu).all()
                and ((g_sigma - 2 * sigma).abs() < 4 * se_sigma).all()),
           "on f(z) = ||z - a||^2 with 20,000 samples the estimates are more than 4 standard errors from the exact "
           "gradients 2 (mu - a) and 2 sigma",
           "f(z) = ||z - a||^2 पर 20,000 samples से estimates exact gradients 2 (mu - a) और 2 sigma से 4 standard "
           "errors से ज़्यादा दूर हैं")


ex3 = Exercise(
    CHAPTER, 3, _check_reparam,
    hints=[("दिए गए eps से z को mu और sigma का function बनाएँ, K samples पर f का औसत लें, और autograd से mu और "
            "sigma के gradients निकालें। f का derivative हाथ से न लिखें।",
            "Build z from mu and sigma with the given eps, average f over the K samples, and let autograd give "
            "the gradients with respect to mu and sigma. Do not write f's derivative by hand."),
           ("`mu` और `sigma` की ऐसी copies बनाएँ जिनका gradient track हो: `mu = mu.clone().requires_grad_()`। "
            "फिर `f(mu + sigma * eps).mean()` पर `.backward()`।",
            "Make copies of `mu` and `sigma` whose gradients are tracked: `mu = mu.clone().requires_grad_()`. "
            "Then call `.backward()` on `f(mu + sigma * eps).mean()`."),
           ("`mu, sigma = mu.clone().requires_grad_(), sigma.clone().requires_grad_()`; "
            "`f(mu + sigma * eps).mean().backward()`; `return mu.grad, sigma.grad`।",
            "`mu, sigma = mu.clone().requires_grad_(), sigma.clone().requires_grad_()`; "
            "`f(mu + sigma * eps).mean().backward()`; `return mu.grad, sigma.grad`.")],
    solution_code="""
        def reparameterized_grads(f, mu, sigma, eps):
            mu, sigma = mu.clone().requires_grad_(), sigma.clone().requires_grad_()
            z = mu + sigma * eps               # the randomness sits in eps; z is a function of mu and sigma
            f(z).mean().backward()             # average over the K samples, then autograd
            return mu.grad, sigma.grad
    """,
)
