"""Chapter 11's discrete latents: a vector quantiser, a small VQ-VAE for 28x28 digits, a PixelCNN-style prior
over its grid of code indices, and the codebook's health measures (usage, perplexity, dead codes).

- ``VectorQuantizer(K, D)``: nearest-code quantisation with the straight-through gradient; the codebook
  learns by its loss term (default) or by exponential moving averages (``ema=True``); ``restart_every=N``
  re-seeds codes nobody used in the last N training steps with encoder outputs of the current batch.
- ``VQVAE``: two stride-2 convolutions to a 7x7 grid of D-dimensional vectors, the quantiser, and two
  transposed convolutions back to 28x28 logits.
- ``vq_loss(model, x, beta)``: reconstruction (Bernoulli cross-entropy on grey values, summed per image)
  + codebook loss + beta * commitment loss, every term summed per image and averaged over images.
- ``CodePrior``: an autoregressive model of the 7x7 grid of indices with masked convolutions (PixelCNN);
  ``sample(n)`` draws new grids position by position.
- ``usage``, ``perplexity``, ``dead_codes``: how the codebook is used.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------- quantisation pieces

def nearest_code(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest codebook row (squared Euclidean distance) for every row of z (N, D); ties -> lowest index."""
    if z.dim() != 2 or codebook.dim() != 2 or z.shape[1] != codebook.shape[1]:
        raise ValueError(f"nearest_code wants z (N, D) and codebook (K, D) with the same D, got {tuple(z.shape)} "
                         f"and {tuple(codebook.shape)}; flatten the grid first: z.permute(0, 2, 3, 1).reshape(-1, D).")
    d = (z * z).sum(1, keepdim=True) - 2 * z @ codebook.T + (codebook * codebook).sum(1)
    return d.argmin(1)


def straight_through(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    """Forward: the value of z_q. Backward: the gradient at the output passes to z_e unchanged (identity)."""
    return z_e + (z_q - z_e).detach()


def _indices(indices: torch.Tensor, K: int) -> torch.Tensor:
    if K < 1:
        raise ValueError(f"K (the codebook size) must be at least 1, got {K}.")
    idx = torch.as_tensor(indices).reshape(-1).long()
    if len(idx) and (idx.min() < 0 or idx.max() >= K):
        raise ValueError(f"code indices must lie in 0..{K - 1}, got {int(idx.min())}..{int(idx.max())}; "
                         "is K the codebook size?")
    return idx


def usage(indices: torch.Tensor, K: int) -> torch.Tensor:
    """How many times each of the K codes occurs in `indices` (any shape): a (K,) tensor of counts."""
    return torch.bincount(_indices(indices, K), minlength=K)


def perplexity(indices: torch.Tensor, K: int) -> float:
    """exp(entropy in nats) of the code usage: K when all codes are used equally, 1 when one code is used."""
    counts = usage(indices, K).double()
    if counts.sum() == 0:
        raise ValueError("perplexity of no indices is undefined: pass at least one index.")
    p = counts / counts.sum()
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def dead_codes(indices: torch.Tensor, K: int) -> int:
    """How many of the K codes never occur in `indices`."""
    return int((usage(indices, K) == 0).sum())


# ---------------------------------------------------------------- the quantiser

class VectorQuantizer(nn.Module):
    """Replace each D-vector of a grid (B, D, H, W) by its nearest of K codebook vectors.

    forward(z_e) returns a dict: ``z_q`` (straight-through: the codes' values, the encoder's gradient),
    ``indices`` (B, H, W), ``codebook`` loss ||sg(z_e) - e||^2 and ``commit`` loss ||z_e - sg(e)||^2,
    each summed over positions and dimensions and averaged over images.

    With ``ema=True`` the codebook is not trained by gradient, and the returned codebook loss is a zero
    tensor (so vq_loss's "loss" is recon + beta * commit). In training mode every forward updates, per code k,
    an EMA count N_k and an EMA sum m_k of the vectors assigned to it (decay ``decay``), and sets
    e_k = m_k / N_k, with N_k Laplace-smoothed by ``eps`` (Sonnet's VectorQuantizerEMA) so that it is never 0.
    Each code starts with a pseudo-count of one vector at its own position (N_k = 1, m_k = e_k), so a code that
    gets no vectors keeps its place: N_k and m_k shrink by the same factor. Its value is
    e_k(0) * N_k / (N_k + eps), to a relative 1e-5: within 0.1% of where it was for ~460 unused steps (decay
    0.99, eps 1e-5), then shrinking towards the origin (half way after ~1,150 steps). EMA does not revive a
    dead code: no vector reaches it, so nothing pulls it; restarts do.

    With ``restart_every=N`` (training mode) the codes unused for N forward calls are moved onto random
    encoder outputs of the current batch (with EMA: count 1, sum = that output).
    """

    def __init__(self, K: int = 64, D: int = 16, ema: bool = False, decay: float = 0.99,
                 restart_every: int = 0, eps: float = 1e-5):
        super().__init__()
        if K < 2 or D < 1:
            raise ValueError(f"VectorQuantizer needs K >= 2 codes of dimension D >= 1, got K={K}, D={D}.")
        if not 0 < decay < 1:
            raise ValueError(f"decay must lie strictly between 0 and 1, got {decay}.")
        self.K, self.D, self.ema, self.decay, self.restart_every, self.eps = K, D, ema, decay, restart_every, eps
        self.codebook = nn.Parameter(torch.empty(K, D).uniform_(-1 / K, 1 / K), requires_grad=not ema)
        self.register_buffer("ema_count", torch.ones(K))                 # one pseudo-vector per code ...
        self.register_buffer("ema_sum", self.codebook.detach().clone())  # ... sitting at the code itself
        self.register_buffer("recent_use", torch.zeros(K))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("restarts", torch.zeros((), dtype=torch.long))

    def forward(self, z_e: torch.Tensor) -> dict[str, torch.Tensor]:
        if z_e.dim() != 4 or z_e.shape[1] != self.D:
            raise ValueError(f"VectorQuantizer wants a grid (B, D={self.D}, H, W), got {tuple(z_e.shape)}.")
        B, D, H, W = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, D)
        idx = nearest_code(flat.detach(), self.codebook.detach())
        if self.training:
            self._update(flat.detach(), idx)
            idx = nearest_code(flat.detach(), self.codebook.detach()) if self._changed else idx
        e = self.codebook[idx]                                   # (B*H*W, D), differentiable in the codebook
        if self.ema:                                             # the codes learn by EMA, not by this loss
            codebook_loss = torch.zeros((), dtype=flat.dtype, device=flat.device)
        else:
            codebook_loss = ((e - flat.detach()) ** 2).sum() / B  # moves codes to the encoder outputs
        commit_loss = ((flat - e.detach()) ** 2).sum() / B       # keeps the encoder near its codes
        z_q = straight_through(flat, e.detach() if self.ema else e)
        z_q = z_q.view(B, H, W, D).permute(0, 3, 1, 2)
        return {"z_q": z_q, "indices": idx.view(B, H, W), "codebook": codebook_loss, "commit": commit_loss}

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, idx: torch.Tensor) -> None:
        self._changed = False
        counts = torch.bincount(idx, minlength=self.K).float()
        self.steps += 1
        self.recent_use += counts
        if self.ema:
            sums = torch.zeros_like(self.ema_sum).index_add_(0, idx, flat)
            self.ema_count.mul_(self.decay).add_(counts, alpha=1 - self.decay)
            self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
            n = self.ema_count.sum()
            smoothed = (self.ema_count + self.eps) / (n + self.K * self.eps) * n   # Laplace smoothing: never 0
            self.codebook.data.copy_(self.ema_sum / smoothed.unsqueeze(1))
            self._changed = True
        if self.restart_every and int(self.steps) % self.restart_every == 0:
            dead = (self.recent_use == 0).nonzero().squeeze(1)
            if len(dead):
                pick = torch.randint(len(flat), (len(dead),))
                self.codebook.data[dead] = flat[pick]
                self.ema_sum[dead] = flat[pick]
                self.ema_count[dead] = 1.0
                self.restarts += len(dead)
                self._changed = True
            self.recent_use.zero_()


# ---------------------------------------------------------------- the VQ-VAE

class VQVAE(nn.Module):
    """A small VQ-VAE for 28x28 digits: encoder to a 7x7 grid of D-vectors, K codes, decoder to 28x28 logits."""

    def __init__(self, K: int = 64, D: int = 16, hidden: int = 32, ema: bool = False, decay: float = 0.99,
                 restart_every: int = 0):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, hidden, 4, stride=2, padding=1), nn.ReLU(),            # 1x28x28 -> hidden x14x14
            nn.Conv2d(hidden, 2 * hidden, 4, stride=2, padding=1), nn.ReLU(),   # -> 2hidden x 7x7
            nn.Conv2d(2 * hidden, D, 1))                                        # -> D x 7 x 7
        self.quantizer = VectorQuantizer(K, D, ema=ema, decay=decay, restart_every=restart_every)
        self.decoder = nn.Sequential(
            nn.Conv2d(D, 2 * hidden, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(2 * hidden, hidden, 4, stride=2, padding=1), nn.ReLU(),   # -> 14x14
            nn.ConvTranspose2d(hidden, 1, 4, stride=2, padding=1))                       # -> 28x28 logits

    @property
    def K(self) -> int:
        return self.quantizer.K

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2 and x.shape[1] == 784:
            x = x.view(-1, 1, 28, 28)
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"VQVAE wants images (N, 1, 28, 28) or (N, 784), got {tuple(x.shape)}.")
        return x

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's continuous output z_e, (N, D, 7, 7)."""
        return self.encoder(self._check(x))

    def forward_all(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Everything of one pass: logits, z_e, and the quantiser's z_q, indices and loss terms."""
        z_e = self.encode(x)
        out = self.quantizer(z_e)
        return {"logits": self.decoder(out["z_q"]), "z_e": z_e, **out}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions in [0, 1], (N, 1, 28, 28)."""
        return torch.sigmoid(self.forward_all(x)["logits"])

    @torch.no_grad()
    def codes(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """The (N, 7, 7) grid of code indices of each image (no codebook update, whatever the mode)."""
        cb = self.quantizer.codebook
        out = []
        for xb in self._check(x).split(batch_size):
            z = self.encoder(xb)
            B, D, H, W = z.shape
            out.append(nearest_code(z.permute(0, 2, 3, 1).reshape(-1, D), cb).view(B, H, W))
        return torch.cat(out)

    @torch.no_grad()
    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1], (N, 1, 28, 28), decoded from grids of code indices (N, 7, 7)."""
        z_q = self.quantizer.codebook[_indices(indices, self.K).view(indices.shape)].permute(0, 3, 1, 2)
        return torch.sigmoid(self.decoder(z_q))


def vq_loss(model: VQVAE, x: torch.Tensor, beta: float = 0.25) -> dict[str, torch.Tensor]:
    """recon + codebook + beta * commit, each summed per image and averaged over images; also the batch perplexity.

    With an EMA codebook (VQVAE(ema=True)) the codebook term is 0: the codes learn by moving averages.

    recon is the Bernoulli cross-entropy of the grey values (chapter 03's BCE, from logits): a reconstruction
    cost, not the log-likelihood of a density on grey values (chapter 10)."""
    out = model.forward_all(x)
    recon = F.binary_cross_entropy_with_logits(out["logits"], model._check(x), reduction="sum") / len(x)
    loss = recon + out["codebook"] + beta * out["commit"]
    return {"loss": loss, "recon": recon, "codebook": out["codebook"], "commit": out["commit"],
            "perplexity": torch.tensor(perplexity(out["indices"], model.K))}


# ---------------------------------------------------------------- the prior over code grids

class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only the positions before the centre in raster order (type "A": not the centre,
    type "B": the centre too): stacked, the output at (i, j) depends only on earlier positions of the input."""

    def __init__(self, kind: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if kind not in ("A", "B"):
            raise ValueError(f"mask kind must be 'A' (first layer) or 'B' (later layers), got {kind!r}.")
        kh, kw = self.kernel_size
        mask = torch.ones(kh, kw)
        mask[kh // 2, kw // 2 + (kind == "B"):] = 0
        mask[kh // 2 + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding)


class CodePrior(nn.Module):
    """PixelCNN-style prior p(indices) = prod_i p(k_i | k_<i) over an H x W grid of K code indices.

    Like the first PixelCNN it has a blind spot (some earlier positions up-right are not seen), which is
    small on a 7x7 grid."""

    def __init__(self, K: int = 64, H: int = 7, W: int = 7, channels: int = 64, layers: int = 4):
        super().__init__()
        self.K, self.H, self.W = K, H, W
        self.embed = nn.Embedding(K, channels)
        blocks: list[nn.Module] = [MaskedConv2d("A", channels, channels, 5, padding=2), nn.ReLU()]
        for _ in range(layers - 1):
            blocks += [MaskedConv2d("B", channels, channels, 3, padding=1), nn.ReLU()]
        blocks.append(nn.Conv2d(channels, K, 1))
        self.net = nn.Sequential(*blocks)

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        """Logits (N, K, H, W) of each position's code given the codes before it."""
        if indices.dim() != 3 or tuple(indices.shape[1:]) != (self.H, self.W):
            raise ValueError(f"CodePrior wants index grids (N, {self.H}, {self.W}), got {tuple(indices.shape)}.")
        return self.net(self.embed(indices.long()).permute(0, 3, 1, 2))

    def nll(self, indices: torch.Tensor) -> torch.Tensor:
        """-log p(grid) in nats, averaged over grids."""
        return F.cross_entropy(self(indices), indices.long(), reduction="sum") / len(indices)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n new grids (n, H, W), drawn position by position in raster order."""
        was = self.training
        self.eval()
        grid = torch.zeros(n, self.H, self.W, dtype=torch.long)
        for i in range(self.H):
            for j in range(self.W):
                p = torch.softmax(self(grid)[:, :, i, j] / temperature, 1)
                grid[:, i, j] = torch.multinomial(p, 1, generator=generator).squeeze(1)
        self.train(was)
        return grid


def prior_loss(prior: CodePrior, indices: torch.Tensor) -> dict[str, torch.Tensor]:
    """fit()-style loss of a CodePrior on index grids: nats per grid, and bits per position to read."""
    nll = prior.nll(indices)
    return {"loss": nll, "bits_per_code": nll / (prior.H * prior.W * math.log(2))}
