"""Where VAEs went next, in miniature (chapter 14): each idea small enough to read in one sitting and to run on a CPU.

- ``log_weights`` / ``iwae_loss``: the importance-weighted bound of Burda et al. (2016) as a training objective,
  L_k = E[log (1/k) Σ_i w_i], w_i = p(x|z_i) p(z_i) / q(z_i|x); k = 1 is the ELBO of that one draw.
  ``gradient_snr`` measures Rainforth et al.'s (2018) signal-to-noise ratio |E[g]| / std(g) of its gradient.
- ``PlanarFlow``: Rezende & Mohamed's (2015) planar flow f(z) = z + û tanh(wᵀz + b) on top of a diagonal Gaussian,
  log q_K(z_K) = log q_0(z_0) − Σ_k log|det ∂f_k/∂z|; ``fit_posteriors`` fits one q per image (a fixed decoder) to
  measure the ELBO gap with and without a flow.
- ``TwoLevelVAE`` / ``hvae_terms``: a two-level hierarchical VAE z2 → z1 → x with the KL of each level.
- ``gumbel_softmax``: the concrete relaxation of Jang et al. / Maddison et al. (2017), y = softmax((log π + g)/τ),
  with the straight-through option (hard one-hot forward, soft gradient backward); ``discrete_gradient_draws`` and
  ``bias_and_variance`` measure it against chapter 11's VQ straight-through and the score function.
- ``MixturePrior`` / ``fit_mixture_prior``: a learned prior, a mixture of diagonal Gaussians fitted by EM to codes.

Units: nats of a Bernoulli likelihood of binary images (as in course_utils.evaluation). This module imports neither
course_utils.zoo nor course_utils.tools.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.evaluation import bernoulli_log_likelihood

LOG_2PI = math.log(2 * math.pi)


def _binary_images(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    if not torch.is_tensor(x) or not torch.is_floating_point(x) or x.dim() < 2 or len(x) == 0:
        raise ValueError(f"{name} must be a float tensor of images (N, ...) with N >= 1, got "
                         f"{type(x).__name__} {tuple(getattr(x, 'shape', ()))}.")
    xf = x.flatten(1)
    if not torch.all((xf == 0) | (xf == 1)):
        raise ValueError(f"{name} must be binary (0 or 1) for a Bernoulli likelihood; binarise it first with "
                         "course_utils.data.binarize(x) or torch.bernoulli(x). / images binary (0 या 1) होनी चाहिए।")
    return xf


def _check_k(k: int, name: str = "k") -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{name} must be a whole number of samples >= 1, got {k!r}.")
    return k


def normal_log_density(z: torch.Tensor, mu: torch.Tensor | None = None, logvar: torch.Tensor | None = None) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dimension (mu = 0, logvar = 0 when not given)."""
    mu = torch.zeros_like(z) if mu is None else mu
    logvar = torch.zeros_like(z) if logvar is None else logvar
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(-1)


# ---------------------------------------------------------------- IWAE (Burda et al. 2016)

def log_weights(model: nn.Module, x: torch.Tensor, k: int, eps: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x), z_i = mu + σ eps_i, shape (N, k), with gradients.

    The differentiable twin of evaluation.iwae_log_weights (which runs without gradients): with the same
    generator seed and k the draws and the numbers are the same (while N·k fits in one of its chunks, 20,000 rows).
    eps (N, k, D) may be given to fix the draws."""
    xf = _binary_images(x)
    _check_k(k)
    mu, logvar = model.encode(x)
    n, d = mu.shape
    if eps is None:
        eps = torch.randn(n, k, d, generator=generator)
    elif tuple(eps.shape) != (n, k, d):
        raise ValueError(f"eps must have shape (N, k, D) = {(n, k, d)}, got {tuple(eps.shape)}.")
    z = mu[:, None] + torch.exp(0.5 * logvar)[:, None] * eps
    logits = model.decode_logits(z.reshape(n * k, d)).reshape(n, k, -1)
    log_q = normal_log_density(z, mu[:, None], logvar[:, None])
    return bernoulli_log_likelihood(logits, xf[:, None]) + normal_log_density(z) - log_q


def iwae_loss(model: nn.Module, x: torch.Tensor, k: int = 5) -> dict[str, torch.Tensor]:
    """{"loss": −L_k, "elbo": the mean log weight} per image, averaged over images: the IWAE objective for fit()."""
    lw = log_weights(model, x, k)
    bound = torch.logsumexp(lw, dim=1) - math.log(k)
    return {"loss": -bound.mean(), "elbo": lw.mean().detach()}


def gradient_snr(model: nn.Module, x: torch.Tensor, k: int, draws: int = 100, seed: int = 0,
                 groups: dict[str, list[nn.Parameter]] | None = None) -> dict[str, float]:
    """Rainforth et al.'s (2018) signal-to-noise ratio of the gradient of L_k: per parameter |mean| / std over
    `draws` independent one-batch gradients; the median over each group's parameters (default: encoder, decoder)
    whose gradient varies at all (a weight of an always-blank pixel or of a dead unit gets exactly 0 every time).

    The default groups are those of models.MLPVAE: fc1, fc_mu, fc_logvar (encoder) and fc2, fc3 (decoder)."""
    _check_k(k)
    if draws < 2:
        raise ValueError(f"draws must be at least 2 to estimate a standard deviation, got {draws}.")
    if groups is None:
        named = dict(model.named_parameters())
        top = {n: n.split(".")[0] for n in named}
        if set(top.values()) != {"fc1", "fc_mu", "fc_logvar", "fc2", "fc3"}:
            raise ValueError("the default groups fit a models.MLPVAE (fc1, fc_mu, fc_logvar | fc2, fc3); for another "
                             "model pass groups={'encoder': [...], 'decoder': [...]}.")
        groups = {"encoder": [p for n, p in named.items() if top[n] in ("fc1", "fc_mu", "fc_logvar")],
                  "decoder": [p for n, p in named.items() if top[n] in ("fc2", "fc3")]}
    g = torch.Generator().manual_seed(seed)
    params = [p for ps in groups.values() for p in ps]
    grads: list[torch.Tensor] = []
    was = model.training
    model.eval()
    try:
        for _ in range(draws):
            lw = log_weights(model, x, k, generator=g)
            bound = (torch.logsumexp(lw, dim=1) - math.log(k)).mean()
            gs = torch.autograd.grad(bound, params)
            grads.append(torch.cat([t.flatten() for t in gs]))
    finally:
        model.train(was)
    G = torch.stack(grads)                                  # (draws, all parameters)
    std = G.std(0)
    snr = G.mean(0).abs() / std
    out, start = {}, 0
    for name, ps in groups.items():
        size = sum(p.numel() for p in ps)
        part, moving = snr[start:start + size], std[start:start + size] > 0
        if not moving.any():
            raise ValueError(f"no parameter of group {name!r} has a gradient that varies over the draws.")
        out[name] = float(part[moving].median())
        start += size
    return out


# ---------------------------------------------------------------- a flow posterior (Rezende & Mohamed 2015)

class PlanarFlow(nn.Module):
    """`layers` planar maps f(z) = z + û tanh(wᵀz + b), one set of (u, w, b) per posterior (n of them).

    û = u + (m(wᵀu) − wᵀu) w / ‖w‖², m(a) = −1 + softplus(a), keeps wᵀû ≥ −1 so that f is invertible.
    log|det ∂f/∂z| = log|1 + ûᵀw (1 − tanh²(wᵀz + b))|. All weights zero: the identity, log-det 0."""

    def __init__(self, dim: int, layers: int, n: int = 1, init_std: float = 0.01, seed: int = 0):
        super().__init__()
        if dim < 1 or layers < 0 or n < 1:
            raise ValueError(f"PlanarFlow needs dim >= 1, layers >= 0, n >= 1, got {dim}, {layers}, {n}.")
        g = torch.Generator().manual_seed(seed)
        self.u = nn.Parameter(init_std * torch.randn(n, layers, dim, generator=g))
        self.w = nn.Parameter(init_std * torch.randn(n, layers, dim, generator=g))
        self.b = nn.Parameter(torch.zeros(n, layers))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_K, Σ_k log|det ∂f_k/∂z|) for z of shape (n, S, dim); the log-det has shape (n, S)."""
        n, layers, dim = self.u.shape
        if z.dim() != 3 or z.shape[2] != dim or (n != 1 and z.shape[0] != n):
            raise ValueError(f"z must have shape (n, S, dim) = ({n}, S, {dim}), got {tuple(z.shape)}.")
        logdet = torch.zeros(z.shape[:2])
        for k in range(layers):
            u, w, b = self.u[:, k, None], self.w[:, k, None], self.b[:, k, None]      # (n, 1, dim), (n, 1)
            wu = (w * u).sum(-1, keepdim=True)
            u_hat = u + (F.softplus(wu) - 1 - wu) * w / (w.pow(2).sum(-1, keepdim=True) + 1e-12)
            a = (z * w).sum(-1) + b                                                  # (n, S)
            h = torch.tanh(a)
            z = z + u_hat * h[..., None]
            logdet = logdet + torch.log((1 + (1 - h.pow(2)) * (u_hat * w).sum(-1)).abs() + 1e-12)
        return z, logdet


@dataclass
class Posteriors:
    """One fitted q per image: a diagonal Gaussian (mu, logvar) and, optionally, a planar flow on top."""

    mu: torch.Tensor
    logvar: torch.Tensor
    flow: PlanarFlow | None


def posterior_log_weights(model: nn.Module, x: torch.Tensor, post: Posteriors, samples: int,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """log w = log p(x|z_K) + log p(z_K) − log q_K(z_K), log q_K = log q_0(z_0) − Σ log|det|, shape (N, samples)."""
    xf = _binary_images(x)
    _check_k(samples, "samples")
    n, d = post.mu.shape
    if n != len(xf):
        raise ValueError(f"the posteriors were fitted to {n} images, x has {len(xf)}.")
    eps = torch.randn(n, samples, d, generator=generator)
    z0 = post.mu[:, None] + torch.exp(0.5 * post.logvar)[:, None] * eps
    log_q = normal_log_density(z0, post.mu[:, None], post.logvar[:, None])
    z = z0
    if post.flow is not None:
        z, logdet = post.flow(z0)
        log_q = log_q - logdet
    logits = model.decode_logits(z.reshape(n * samples, d)).reshape(n, samples, -1)
    return bernoulli_log_likelihood(logits, xf[:, None]) + normal_log_density(z) - log_q


def fit_posteriors(model: nn.Module, x: torch.Tensor, flow_layers: int = 0, steps: int = 200, samples: int = 8,
                   lr: float = 0.02, seed: int = 0) -> Posteriors:
    """Maximise each image's ELBO over its own q (the decoder fixed), starting from the encoder's q.

    flow_layers = 0: a diagonal Gaussian per image (removes the amortisation gap); > 0: the same plus a planar
    flow (also shrinks the approximation gap); steps = 0: the encoder's own q, unfitted. Returns the fitted
    posteriors; the model is not changed."""
    _binary_images(x)
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}.")
    g = torch.Generator().manual_seed(seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:
        p.requires_grad_(False)
    try:
        with torch.no_grad():
            mu0, lv0 = model.encode(x)
        post = Posteriors(mu0.clone().requires_grad_(True), lv0.clone().requires_grad_(True),
                          PlanarFlow(mu0.shape[1], flow_layers, n=len(mu0), seed=seed) if flow_layers else None)
        params = [post.mu, post.logvar] + (list(post.flow.parameters()) if post.flow is not None else [])
        opt = torch.optim.Adam(params, lr=lr) if steps else None
        for _ in range(steps):
            loss = -posterior_log_weights(model, x, post, samples, generator=g).mean(1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p in trainable:
            p.requires_grad_(True)
    post.mu, post.logvar = post.mu.detach(), post.logvar.detach()
    if post.flow is not None:
        post.flow.requires_grad_(False)
    return post


# ---------------------------------------------------------------- a two-level hierarchical VAE

class TwoLevelVAE(nn.Module):
    """z2 → z1 → x: p(z2) = N(0, I), p(z1|z2) a Gaussian from a small net, p(x|z1) Bernoulli; q(z1|x) q(z2|x).

    The encoder's hidden layer feeds both levels' Gaussians; the generative path is top-down."""

    def __init__(self, z1: int = 12, z2: int = 4, hidden: int = 40, n_pixels: int = 784):
        super().__init__()
        if min(z1, z2, hidden, n_pixels) < 1:
            raise ValueError(f"sizes must be positive, got z1={z1}, z2={z2}, hidden={hidden}, n_pixels={n_pixels}.")
        self.fc1 = nn.Linear(n_pixels, hidden)
        self.q1, self.q2 = nn.Linear(hidden, 2 * z1), nn.Linear(hidden, 2 * z2)
        self.p1 = nn.Sequential(nn.Linear(z2, hidden), nn.ReLU(), nn.Linear(hidden, 2 * z1))
        self.fc2, self.fc3 = nn.Linear(z1, hidden), nn.Linear(hidden, n_pixels)

    def encode_levels(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mu1, logvar1, mu2, logvar2) of q(z1|x) and q(z2|x)."""
        h = torch.relu(self.fc1(x.flatten(1)))
        mu1, lv1 = self.q1(h).chunk(2, dim=1)
        mu2, lv2 = self.q2(h).chunk(2, dim=1)
        return mu1, lv1, mu2, lv2

    def prior_z1(self, z2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of p(z1|z2)."""
        return self.p1(z2).chunk(2, dim=1)

    def decode_logits(self, z1: torch.Tensor) -> torch.Tensor:
        """Logits of p(x|z1), flat (N, 784)."""
        return self.fc3(torch.relu(self.fc2(z1)))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images (Bernoulli means, (n, 784)) by ancestral sampling z2 ~ p(z2), z1 ~ p(z1|z2), x from p(x|z1)."""
        z2 = torch.randn(n, self.q2.out_features // 2, generator=generator)
        mu, lv = self.prior_z1(z2)
        z1 = mu + torch.exp(0.5 * lv) * torch.randn(mu.shape, generator=generator)
        return torch.sigmoid(self.decode_logits(z1))


def gaussian_kl_two(mu_q: torch.Tensor, lv_q: torch.Tensor, mu_p: torch.Tensor, lv_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_q, e^lv_q) || N(mu_p, e^lv_p)) per dimension (same shape as the inputs)."""
    return 0.5 * (lv_p - lv_q + (lv_q.exp() + (mu_q - mu_p).pow(2)) * torch.exp(-lv_p) - 1)


def hvae_terms(model: TwoLevelVAE, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per image (averaged over images): recon = −log p(x|z1), kl1 = E_q(z2|x)[KL(q(z1|x) || p(z1|z2))],
    kl2 = KL(q(z2|x) || N(0, I)); loss = recon + kl1 + kl2 = −ELBO (one draw of z1 and z2). x binary."""
    xf = _binary_images(x)
    mu1, lv1, mu2, lv2 = model.encode_levels(xf)
    z2 = mu2 + torch.exp(0.5 * lv2) * torch.randn_like(mu2)
    z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn_like(mu1)
    pmu, plv = model.prior_z1(z2)
    recon = -bernoulli_log_likelihood(model.decode_logits(z1), xf).mean()
    kl1 = gaussian_kl_two(mu1, lv1, pmu, plv).sum(1).mean()
    kl2 = gaussian_kl_two(mu2, lv2, torch.zeros_like(mu2), torch.zeros_like(lv2)).sum(1).mean()
    return {"loss": recon + kl1 + kl2, "recon": recon, "kl1": kl1, "kl2": kl2}


# ---------------------------------------------------------------- a discrete latent: Gumbel-softmax

def gumbel_softmax(logits: torch.Tensor, tau: float, hard: bool = False,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """y = softmax((log π + g) / τ), g_k = −log(−log U_k), U_k ~ Uniform(0, 1), over the last dimension.

    hard=True: the straight-through version, the one-hot argmax of y forward and y's gradient backward."""
    if not torch.is_tensor(logits) or not torch.is_floating_point(logits) or logits.dim() < 1 or logits.shape[-1] < 2:
        raise ValueError(f"logits must be a float tensor whose last dimension holds >= 2 categories, got "
                         f"{tuple(getattr(logits, 'shape', ()))}.")
    if not (isinstance(tau, (int, float)) and tau > 0 and math.isfinite(tau)):
        raise ValueError(f"the temperature tau must be a positive number, got {tau!r}.")
    u = torch.rand(logits.shape, generator=generator).clamp(1e-10, 1 - 1e-7)
    y = torch.softmax((torch.log_softmax(logits, -1) - torch.log(-torch.log(u))) / tau, dim=-1)
    if not hard:
        return y
    one_hot = F.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)
    return y + (one_hot - y).detach()


GRADIENT_KINDS = ("gumbel-softmax", "straight-through", "vq", "score function")


def discrete_gradient_draws(f: Callable[[torch.Tensor], torch.Tensor], logits_fn: Callable[[torch.Tensor], torch.Tensor],
                            codebook: torch.Tensor, z: torch.Tensor, kind: str, draws: int,
                            tau: float = 1.0, baseline: float = 0.0,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """`draws` one-sample estimates of ∇_z E_{k~π(z)}[f(c_k)], shape (draws, D), for a categorical over the rows c_k
    of `codebook` with logits logits_fn(z); f maps vectors (R, D) to losses (R,).

    kind "gumbel-softmax": f(y C) with y relaxed at temperature tau; "straight-through": the same with the hard
    one-hot forward; "vq": chapter 11's nearest code (argmax of the logits) forward, identity backward, no
    randomness; "score function": (f(c_k) − baseline) ∇ log π_k with k ~ π (chapter 06), unbiased."""
    if kind not in GRADIENT_KINDS:
        raise ValueError(f"kind must be one of {GRADIENT_KINDS}, got {kind!r}.")
    _check_k(draws, "draws")
    if z.dim() != 1 or codebook.dim() != 2 or codebook.shape[1] != z.shape[0]:
        raise ValueError(f"z must be one vector (D,) and codebook (K, D) with the same D, got {tuple(z.shape)} and "
                         f"{tuple(codebook.shape)}.")
    zs = z.detach().expand(draws, -1).clone().requires_grad_(True)
    logits = logits_fn(zs)
    if kind == "vq":
        loss = f(zs + (codebook[logits.argmax(-1)] - zs).detach())
    elif kind == "score function":
        logp = torch.log_softmax(logits, -1)
        k = torch.multinomial(logp.detach().exp(), 1, generator=generator).squeeze(1)
        with torch.no_grad():
            f_k = f(codebook[k])
        loss = (f_k - baseline) * logp[torch.arange(draws), k]
    else:
        y = gumbel_softmax(logits, tau, hard=kind == "straight-through", generator=generator)
        loss = f(y @ codebook)
    return torch.autograd.grad(loss.sum(), zs)[0]


def bias_and_variance(draws: torch.Tensor, exact: torch.Tensor, batches: int = 10) -> dict[str, float]:
    """Chapter 06's measure of a gradient estimator from its draws (R, D) and the exact gradient (D,):
    variance = Σ_d Var[ĝ_d]; noise = variance / R (what ‖mean − exact‖² shows even without bias);
    bias² = ‖mean − exact‖² − noise (an unbiased estimate; it can come out slightly negative).
    bias2_se and variance_se: standard errors from the spread of the same two numbers over `batches` equal
    batches of the draws (heavy-tailed draws, as Gumbel-softmax's at small τ, make them large)."""
    if draws.dim() != 2 or exact.shape != draws.shape[1:] or len(draws) < 2:
        raise ValueError(f"draws must be (R, D) with R >= 2 and exact (D,), got {tuple(draws.shape)} and "
                         f"{tuple(exact.shape)}.")
    if not 2 <= batches <= len(draws) // 2:
        raise ValueError(f"batches must be between 2 and R/2 = {len(draws) // 2} (two draws per batch at least), "
                         f"got {batches}.")

    def measure(g: torch.Tensor) -> tuple[float, float]:
        var = float(g.var(0).sum())
        return float((g.mean(0) - exact).pow(2).sum()) - var / len(g), var

    bias2, variance = measure(draws)
    per = len(draws) // batches
    parts = torch.tensor([measure(draws[i * per:(i + 1) * per]) for i in range(batches)])   # (batches, 2)
    se = parts.std(0) / math.sqrt(batches)
    return {"bias2": bias2, "variance": variance, "noise": variance / len(draws),
            "bias2_se": float(se[0]), "variance_se": float(se[1])}


# ---------------------------------------------------------------- a learned prior: a mixture of Gaussians

class MixturePrior(nn.Module):
    """p(z) = Σ_c π_c N(z; m_c, diag exp(s_c)): C diagonal Gaussians with weights π = softmax(logits)."""

    def __init__(self, means: torch.Tensor, logvars: torch.Tensor, logits: torch.Tensor | None = None):
        super().__init__()
        if means.dim() != 2 or logvars.shape != means.shape:
            raise ValueError(f"means and logvars must both be (C, D), got {tuple(means.shape)} and {tuple(logvars.shape)}.")
        logits = torch.zeros(len(means)) if logits is None else logits
        if logits.shape != (len(means),):
            raise ValueError(f"logits must have shape (C,) = ({len(means)},), got {tuple(logits.shape)}.")
        self.means, self.logvars, self.logits = nn.Parameter(means.clone()), nn.Parameter(logvars.clone()), \
            nn.Parameter(logits.clone())

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) for z (..., D): log Σ_c π_c N(z; m_c, s_c)."""
        if z.shape[-1] != self.means.shape[1]:
            raise ValueError(f"z must have {self.means.shape[1]} dimensions in its last axis, got {tuple(z.shape)}.")
        comp = normal_log_density(z[..., None, :], self.means, self.logvars)          # (..., C)
        return torch.logsumexp(comp + torch.log_softmax(self.logits, 0), dim=-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws (n, D): a component c ~ π, then z ~ N(m_c, s_c)."""
        c = torch.multinomial(torch.softmax(self.logits, 0), n, replacement=True, generator=generator)
        eps = torch.randn(n, self.means.shape[1], generator=generator)
        return self.means[c] + torch.exp(0.5 * self.logvars[c]) * eps


@torch.no_grad()
def fit_mixture_prior(z: torch.Tensor, components: int, iters: int = 50, seed: int = 0,
                      min_logvar: float = -6.0) -> MixturePrior:
    """A MixturePrior fitted to codes z (N, D) by EM (means started at `components` random rows of z)."""
    if z.dim() != 2 or not torch.isfinite(z).all():
        raise ValueError(f"z must be a finite (N, D) tensor of codes, got shape {tuple(z.shape)}.")
    if not 1 <= components <= len(z):
        raise ValueError(f"components must be between 1 and the {len(z)} codes, got {components}.")
    g = torch.Generator().manual_seed(seed)
    z = z.double()
    means = z[torch.randperm(len(z), generator=g)[:components]].clone()
    logvars = z.var(0).log().expand(components, -1).clone()
    logits = torch.zeros(components, dtype=z.dtype)
    for _ in range(iters):
        comp = normal_log_density(z[:, None], means, logvars) + torch.log_softmax(logits, 0)      # (N, C)
        r = torch.softmax(comp, dim=1)                                                           # responsibilities
        nk = r.sum(0).clamp_min(1e-8)
        means = (r.T @ z) / nk[:, None]
        var = (r.T @ z.pow(2)) / nk[:, None] - means.pow(2)
        logvars = var.clamp_min(math.exp(min_logvar)).log()
        logits = nk.log()
    return MixturePrior(means.float(), logvars.float(), logits.float())
