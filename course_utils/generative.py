"""Chapter 14: a small GAN and a small diffusion model (DDPM), to set beside the course's VAE.

Both work on grey MNIST digits in [0, 1], shape (N, 1, 28, 28), like the course's other models.

- ``GAN``: a DCGAN-like generator (z -> 7x7 -> 14x14 -> 28x28, transposed convolutions) and a discriminator (two
  stride-2 convolutions). ``gan_loss`` trains both with ONE optimiser: the discriminator's loss is computed on
  detached fakes, and the generator's loss through the discriminator with detached parameters
  (``torch.func.functional_call``), so each player's gradient comes only from its own loss: a *simultaneous-gradient*
  GAN (both players step at once), with the non-saturating generator loss of Goodfellow et al. (2014).
- ``DDPM``: Ho et al.'s (2020) denoising diffusion model, an MLP noise predictor with a per-pixel skip.
  ``q_sample`` draws x_t ~ q(x_t|x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) in closed form; ``ddpm_loss`` is the simple loss
  ‖ε − ε_θ(x_t, t)‖² (summed over pixels, averaged over images); ``DDPM.sample`` is ancestral sampling on a
  respaced schedule of any number of steps; ``DDPM.bits_per_dim`` estimates the variational bound
  (Ho et al.'s discretised decoder on 8-bit grey images) in bits per pixel.

Units: the DDPM bound is a likelihood of 8-bit grey images (256 levels per pixel). It is NOT comparable to the
VAE's Bernoulli likelihood of binarised digits (2 levels per pixel); chapter 14 prints them in separate columns.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call


def _check_grey(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """x as (N, 1, 28, 28) grey images in [0, 1], or a clear error."""
    if not torch.is_tensor(x) or not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a float tensor of grey images, got {type(x).__name__}.")
    if x.dim() == 2 and x.shape[1] == 784:
        x = x.view(-1, 1, 28, 28)
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28) or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, 1, 28, 28) or (N, 784) with N ≥ 1, got {tuple(x.shape)}.")
    if float(x.min()) < 0 or float(x.max()) > 1:
        raise ValueError(f"{name} must hold grey values in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]; "
                         "divide 8-bit images by 255. / values [0, 1] में होनी चाहिए।")
    return x


# ------------------------------------------------------------------------------------------------------------- GAN

class GAN(nn.Module):
    """A DCGAN-like generator G(z) of 28x28 grey images and a discriminator D(x) that returns one logit per image."""

    def __init__(self, latent: int = 16, width: int = 32):
        super().__init__()
        if latent < 1 or width < 2:
            raise ValueError(f"latent must be ≥ 1 and width ≥ 2, got {latent} and {width}.")
        self.latent = latent
        self.generator = nn.Sequential(
            nn.Linear(latent, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),   # 14x14
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1))                    # -> logits (N, 1, 28, 28)
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, width // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),           # -> 14x14
            nn.Conv2d(width // 2, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),       # -> 7x7
            nn.Flatten(), nn.Linear(width * 7 * 7, 1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images G(z) in [0, 1], shape (N, 1, 28, 28), for codes z of shape (N, latent)."""
        if z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (N, {self.latent}), got {tuple(z.shape)}.")
        return torch.sigmoid(self.generator(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images from z ~ N(0, I), in eval mode (batch-norm uses its running statistics)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}.")
        was = self.training
        self.eval()
        try:
            return self.decode(torch.randn(n, self.latent, generator=generator))
        finally:
            self.train(was)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's logit D(x) per image, shape (N,): high means "real"."""
        return self.discriminator(x.view(-1, 1, 28, 28)).squeeze(1)


def gan_loss(model: GAN, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """d_loss + g_loss for one optimiser: each player's gradient comes only from its own loss (simultaneous GAN).

    d_loss = −log D(x) − log(1 − D(G(z))) on detached fakes (reaches only D's parameters);
    g_loss = −log D(G(z)), the non-saturating generator loss, through D with detached parameters (reaches only G's).
    Nats per image; a discriminator that cannot tell real from fake has d_loss = 2 ln 2 ≈ 1.386, g_loss = ln 2."""
    x = _check_grey(x)
    z = torch.randn(len(x), model.latent, device=x.device)
    fake = model.decode(z)
    d_loss = F.softplus(-model(x)).mean() + F.softplus(model(fake.detach())).mean()
    frozen = {f"discriminator.{k}": p.detach() for k, p in model.discriminator.named_parameters()}
    g_logit = functional_call(model, frozen, (fake,), strict=False)
    g_loss = F.softplus(-g_logit).mean()
    return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss,
            "d_real": torch.sigmoid(model(x)).mean().detach()}


# ------------------------------------------------------------------------------------------------------- diffusion

def linear_betas(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> torch.Tensor:
    """Ho et al.'s linear noise schedule β_1 … β_T (float64), each in (0, 1)."""
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}.")
    if not 0 < beta_1 <= beta_T < 1:
        raise ValueError(f"need 0 < beta_1 ≤ beta_T < 1, got {beta_1} and {beta_T}.")
    return torch.linspace(beta_1, beta_T, T, dtype=torch.float64)


def respace(alpha_bar: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`steps` evenly spaced timesteps τ (1 … T, the last is T) and the shorter chain's betas 1 − ᾱ_τi / ᾱ_τi−1."""
    T = len(alpha_bar)
    if not isinstance(steps, int) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an integer from 1 to T = {T}, got {steps!r}.")
    taus = torch.linspace(T, 1, steps).round().long().flip(0).unique()   # ascending, ends at T
    ab = alpha_bar[taus - 1]
    prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    return taus, 1 - ab / prev


def _time_features(t: torch.Tensor, dim: int, T: int) -> torch.Tensor:
    """Sinusoidal features of the timestep t (1 … T), shape (N, dim), as in the Transformer's positions."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32) / half)
    angle = (t.float() / T * 1000.0)[:, None] * freqs[None] / 10
    return torch.cat([angle.sin(), angle.cos()], dim=1)


class DDPM(nn.Module):
    """A DDPM on grey digits: a fixed noise schedule (T steps) and a network ε_θ(x_t, t) that predicts the noise.

    ε_θ(x_t, t) = s(t) ⊙ x_t + MLP(x_t, t): an MLP 784 -> hidden -> hidden -> 784 (rank ≤ hidden, sees the whole
    image) plus a per-pixel scale s(t) of x_t (full rank: an MLP alone cannot pass 784 independent noise values
    through `hidden` units). Images are scaled to [−1, 1] inside: x_0 = 2x − 1. The schedule is a non-persistent
    buffer (not saved with the weights)."""

    def __init__(self, hidden: int = 128, T: int = 1000, time_dim: int = 32):
        super().__init__()
        if hidden < 1 or T < 1 or time_dim < 2 or time_dim % 2:
            raise ValueError(f"hidden and T must be ≥ 1 and time_dim even and ≥ 2, got {hidden}, {T} and {time_dim}.")
        self.T, self.time_dim = T, time_dim
        betas = linear_betas(T)
        self.register_buffer("betas", betas, persistent=False)
        self.register_buffer("alpha_bar", torch.cumprod(1 - betas, 0), persistent=False)
        self.inp, self.mid, self.out = nn.Linear(784, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 784)
        self.t1, self.t2 = nn.Linear(time_dim, hidden), nn.Linear(time_dim, hidden)
        self.skip = nn.Linear(time_dim, 784)   # s(t): one scale per pixel and timestep
        self.network_calls = 0   # how many times ε_θ has run on a batch (sampling cost counted, not timed)

    def eps(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The predicted noise ε_θ(x_t, t), shape (N, 784), for x_t (N, 784) in the [−1, 1] scale and t in 1 … T."""
        if x_t.dim() != 2 or x_t.shape[1] != 784 or t.shape != (x_t.shape[0],):
            raise ValueError(f"eps wants x_t (N, 784) and t (N,), got {tuple(x_t.shape)} and {tuple(t.shape)}.")
        self.network_calls += 1
        e = _time_features(t, self.time_dim, self.T)
        h = F.silu(self.inp(x_t) + self.t1(e))
        h = h + F.silu(self.mid(h) + self.t2(e))
        return self.skip(e) * x_t + self.out(h)

    def _check_t(self, t: torch.Tensor, n: int) -> torch.Tensor:
        if t.shape != (n,) or t.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"t must be an integer tensor of shape ({n},), got {t.dtype} {tuple(t.shape)}.")
        if int(t.min()) < 0 or int(t.max()) > self.T:
            raise ValueError(f"t must lie in 0 … T = {self.T}, got values from {int(t.min())} to {int(t.max())}.")
        return t

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε: a draw of q(x_t|x_0) for x_0 (N, 784) in [−1, 1]; t = 0 returns x_0."""
        t = self._check_t(t, x0.shape[0])
        noise = torch.randn_like(x0) if noise is None else noise
        ab = torch.cat([torch.ones(1, dtype=self.alpha_bar.dtype), self.alpha_bar])[t].float()[:, None]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    @torch.no_grad()
    def sample(self, n: int, steps: int = 50, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images in [0, 1], (N, 1, 28, 28), by ancestral sampling on a respaced chain of `steps` network calls.

        Each step draws x_τi−1 ~ N(μ_θ, β̃ I) with the posterior variance β̃ of the respaced chain; the last step
        returns the mean (no noise), clipped to [−1, 1]."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}.")
        taus, betas = respace(self.alpha_bar, steps)
        ab = self.alpha_bar[taus - 1].tolist()
        x = torch.randn(n, 784, generator=generator)
        for i in range(len(taus) - 1, -1, -1):
            beta, a_bar = float(betas[i]), ab[i]
            a_prev = ab[i - 1] if i > 0 else 1.0
            eps = self.eps(x, taus[i].repeat(n))
            x = (x - beta / math.sqrt(1 - a_bar) * eps) / math.sqrt(1 - beta)     # the mean μ_θ(x_τi, τi)
            if i > 0:
                x = x + math.sqrt(beta * (1 - a_prev) / (1 - a_bar)) * torch.randn(n, 784, generator=generator)
        return ((x.clamp(-1, 1) + 1) / 2).view(n, 1, 28, 28)

    @torch.no_grad()
    def bits_per_dim(self, x: torch.Tensor, draws: int = 1, seed: int = 0) -> torch.Tensor:
        """The DDPM variational bound −log p(x) ≤ L_T + Σ_t≥2 L_t−1 + L_0 per image, in bits per pixel (8-bit grey x).

        Σ_t≥2 is estimated by `draws` timesteps per image drawn uniformly from 2 … T (× (T − 1)): unbiased, noisy.
        p_θ(x_t−1|x_t) has variance β_t (Ho et al.'s σ² = β); L_0 is their discretised Gaussian over 256 levels.
        Bits per pixel of 8-bit images, not comparable to a Bernoulli bound of binarised digits."""
        x = _check_grey(x)
        if draws < 1:
            raise ValueError(f"draws must be at least 1, got {draws}.")
        g = torch.Generator().manual_seed(seed)
        x0 = (x.flatten(1) * 2 - 1).double()
        n, d = x0.shape
        ab, betas = self.alpha_bar, self.betas
        # L_T = KL(q(x_T|x_0) || N(0, I)): tiny when ᾱ_T ≈ 0
        m, v = ab[-1].sqrt() * x0, 1 - ab[-1]
        total = 0.5 * (m.pow(2) + v - 1 - v.log()).sum(1)
        mid = torch.zeros(n, dtype=torch.float64)
        for _ in range(draws if self.T > 1 else 0):   # T = 1: no terms between L_T and L_0
            t = torch.randint(2, self.T + 1, (n,), generator=g)
            noise = torch.randn(n, d, generator=g, dtype=torch.float64)
            a_t, a_prev, beta = ab[t - 1][:, None], ab[t - 2][:, None], betas[t - 1][:, None]
            x_t = a_t.sqrt() * x0 + (1 - a_t).sqrt() * noise
            eps = self.eps(x_t.float(), t).double()
            # ‖μ̃ − μ_θ‖² = β² / ((1 − β)(1 − ᾱ_t)) ‖ε − ε_θ‖²; variances: q's β̃_t, p's β_t
            post_var = beta * (1 - a_prev) / (1 - a_t)
            r = post_var / beta
            kl = (beta.pow(2) / ((1 - beta) * (1 - a_t)) * (noise - eps).pow(2) / (2 * beta)).sum(1) \
                + 0.5 * d * (r - 1 - r.log()).squeeze(1)
            mid += (self.T - 1) * kl / draws
        total += mid
        # L_0 = −log p(x_0|x_1): a Gaussian N(μ_θ(x_1, 1), β_1) integrated over each pixel's bin of width 2/255
        t1 = torch.ones(n, dtype=torch.long)
        noise = torch.randn(n, d, generator=g, dtype=torch.float64)
        x1 = ab[0].sqrt() * x0 + (1 - ab[0]).sqrt() * noise
        eps = self.eps(x1.float(), t1).double()
        mean = (x1 - betas[0] / (1 - ab[0]).sqrt() * eps) / (1 - betas[0]).sqrt()
        std = betas[0].sqrt()
        upper = torch.where(x0 > 1 - 1e-6, torch.full_like(x0, math.inf), (x0 + 1 / 255 - mean) / std)
        lower = torch.where(x0 < -1 + 1e-6, torch.full_like(x0, -math.inf), (x0 - 1 / 255 - mean) / std)
        normal = torch.distributions.Normal(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))
        prob = (normal.cdf(upper) - normal.cdf(lower)).clamp_min(1e-12)
        total += -prob.log().sum(1)
        return (total / (d * math.log(2))).float()


def ddpm_loss(model: DDPM, x: torch.Tensor, t: torch.Tensor | None = None,
              noise: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Ho et al.'s simple loss ‖ε − ε_θ(x_t, t)‖², summed over pixels, averaged over images; t ~ U{1, …, T}.

    The ELBO's L_t−1 is this same squared error times a weight β_t² / (2σ_t² (1 − β_t)(1 − ᾱ_t)); the simple
    loss drops the weight (Ho et al. 2020, eq. 14)."""
    x0 = _check_grey(x).flatten(1) * 2 - 1
    if t is None:
        t = torch.randint(1, model.T + 1, (len(x0),), device=x0.device)
    if int(t.min()) < 1:
        raise ValueError("the loss needs t ≥ 1 (t = 0 has no noise to predict).")
    noise = torch.randn_like(x0) if noise is None else noise
    err = (noise - model.eps(model.q_sample(x0, t, noise), t)).pow(2).sum(1)
    return {"loss": err.mean()}
