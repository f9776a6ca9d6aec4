"""The model zoo: named training recipes and their committed checkpoints.

``load("conv_ae_ch03")`` returns a trained model (in eval mode) in a fraction of a second.
Each name is a *recipe* (model class and arguments, data, loss, optimiser, epochs, seed);
its weights are committed in ``course_utils/checkpoints/NAME.pt`` and its record in
``NAME.json``: the file's pinned SHA-256, the recipe it came from, the final train and test
losses, the loss curves, the training time, the torch version and the date.

- If the committed file is there, its SHA-256 equals the pinned one and the recipe is unchanged,
  ``load`` returns it.
- Otherwise ``load`` trains the model from the recipe with the same ``fit()`` the chapters use
  (with a progress bar), saves it to a cache (``~/.cache/course_utils/zoo``, or the folder in the
  environment variable ``COURSE_ZOO_CACHE``) and says so. The next ``load`` finds it there.

Rule for chapters: train live what the chapter teaches; load from the zoo what the chapter only
uses or compares, and say in the notebook that it was loaded and how to retrain it
(``python -m course_utils.tools.zoo train NAME`` rewrites the checkpoint and its record).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import data as course_data
from course_utils import models
from course_utils import vq
from course_utils.losses import bce_per_image, gaussian_kl, mse_per_image, negative_elbo
from course_utils.training import adam, evaluate, fit, setup

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
CACHE_VAR = "COURSE_ZOO_CACHE"
CLI = "python -m course_utils.tools.zoo train"
MODELS = {"Autoencoder": models.Autoencoder, "ConvAutoencoder": models.ConvAutoencoder, "MLPVAE": models.MLPVAE,
          "ConvClassifier": models.ConvClassifier, "ConvVAE": models.ConvVAE}
MODELS["CVAE"] = models.CVAE   # chapter 10
MODELS["VQVAE"] = vq.VQVAE     # chapter 11
MODELS["CodePrior"] = vq.CodePrior   # chapter 11


def _elbo_bce(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO of a VAE with forward_logits(x) -> (logits, mu, logvar), as in models.MLPVAE."""
    logits, mu, logvar = model.forward_logits(x)
    return negative_elbo(logits, x, mu, logvar)


def _elbo_bernoulli(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO on dynamically binarised images: a fresh Bernoulli draw of x every call (chapter 05)."""
    xb = torch.bernoulli(x)
    logits, mu, logvar = model.forward_logits(xb)
    return negative_elbo(logits, xb, mu, logvar)


def continuous_bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of a continuous-Bernoulli decoder (grey x in [0, 1]), summed per image, averaged over images.

    The Bernoulli cross-entropy plus the normalising constant -log C(logits) that makes it a density on
    [0, 1] (chapter 10): in nats of a density, so it can be negative."""
    dist = torch.distributions.ContinuousBernoulli(logits=logits, validate_args=False)
    return -dist.log_prob(x).flatten(1).sum(1).mean()


def _elbo_cb(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO of a VAE on grey images with a continuous-Bernoulli decoder (chapter 10)."""
    logits, mu, logvar = model.forward_logits(x)
    recon, kl = continuous_bernoulli_nll(logits, x), gaussian_kl(mu, logvar)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


def _cvae_cb(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO of a conditional VAE, forward_logits(x, y), on grey images, continuous Bernoulli (chapter 10)."""
    logits, mu, logvar = model.forward_logits(x, y)
    recon, kl = continuous_bernoulli_nll(logits, x), gaussian_kl(mu, logvar)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


def _cvae_cb_hybrid(weight: float) -> Callable:
    """Sohn et al.'s (2015) hybrid objective for a conditional VAE on grey images (chapter 10's remedy for the leak).

    The -ELBO (continuous Bernoulli) plus weight * "prior_recon" = -log p(x | z', y) with z' ~ N(0, I) drawn
    independently of x: the decoder is also trained the way it is used at generation time (a z from the prior,
    the class from y), so it cannot rely on z to tell the class. "loss" = recon + kl + weight * prior_recon;
    recon + kl is the -ELBO. Sohn et al. weigh the terms alpha and 1 - alpha: weight = (1 - alpha) / alpha."""
    def loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, mu, logvar = model.forward_logits(x, y)
        recon, kl = continuous_bernoulli_nll(logits, x), gaussian_kl(mu, logvar)
        prior_logits = model.decode_logits(torch.randn_like(mu), y).view_as(x)
        prior_recon = continuous_bernoulli_nll(prior_logits, x)
        return {"loss": recon + kl + weight * prior_recon, "recon": recon, "kl": kl, "prior_recon": prior_recon}
    return loss


def _cvae_bernoulli(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO of a conditional VAE on dynamically binarised digits (chapter 10)."""
    xb = torch.bernoulli(x)
    logits, mu, logvar = model.forward_logits(xb, y)
    return negative_elbo(logits, xb, mu, logvar)


def _cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Classification: cross-entropy to minimise, and the error rate to read."""
    logits = model(x)
    return {"loss": F.cross_entropy(logits, y), "error": (logits.argmax(1) != y).float().mean()}


# A recipe names its loss; every loss takes (model, x) like fit() wants, per image (see losses.py);
# the losses in SUPERVISED take (model, x, y) and train on the labels too.
LOSSES: dict[str, Callable] = {
    "mse_per_image": lambda model, x: mse_per_image(model(x), x),
    "bce_per_image": lambda model, x: bce_per_image(model(x), x),
    "elbo_bce": _elbo_bce,               # a VAE on grey targets: BCE from the decoder's logits plus the KL
    "elbo_bernoulli": _elbo_bernoulli,   # a VAE on dynamically binarised digits (the course's choice from 04 on)
    "cross_entropy": _cross_entropy,     # a classifier (the judge), with labels
    "elbo_cb": _elbo_cb,                 # a VAE on grey images, continuous-Bernoulli decoder (chapter 10)
    "cvae_cb": _cvae_cb,                 # a conditional VAE (model, x, y) on grey images (chapter 10)
    "cvae_bernoulli": _cvae_bernoulli,   # a conditional VAE (model, x, y) on dynamically binarised digits
}
# chapter 10: cvae_cb plus the decoder trained on prior codes (Sohn et al.'s hybrid objective), prior term weighted 0.25
HYBRID_WEIGHTS = {"cvae_cb_hybrid0.25": 0.25}
LOSSES.update({name: _cvae_cb_hybrid(w) for name, w in HYBRID_WEIGHTS.items()})
SUPERVISED = {"cross_entropy", "cvae_cb", "cvae_bernoulli", *HYBRID_WEIGHTS}
OPTIMIZERS = {"adam": adam}


def _elbo_beta(beta: float) -> Callable:
    """The beta-VAE loss recon + beta * KL (chapter 09) on images that are already 0 or 1 (course_utils.factors).

    In eval mode the one draw of z is seeded (torch seed 0 for every call), so the same model on the same
    images always gives the same numbers: the record's test loss and its last val_loss agree exactly."""
    def loss(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if model.training:
            logits, mu, logvar = model.forward_logits(x)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                logits, mu, logvar = model.forward_logits(x)
        return negative_elbo(logits, x, mu, logvar, beta=beta)
    return loss


BETAS = (0.5, 1, 2, 4, 8)   # chapter 09's beta sweep; its losses are called "elbo_beta0.5", "elbo_beta1", ...
LOSSES.update({f"elbo_beta{b:g}": _elbo_beta(b) for b in BETAS})


def _vq(beta: float) -> Callable:
    """Chapter 11's VQ-VAE loss: recon (BCE on grey values) + codebook + beta * commitment (course_utils.vq)."""
    return lambda model, x: vq.vq_loss(model, x, beta=beta)


VQ_BETAS = (0, 0.25, 2)   # chapter 11's commitment weights; losses "vq_beta0", "vq_beta0.25", "vq_beta2"
LOSSES.update({f"vq_beta{b:g}": _vq(b) for b in VQ_BETAS})
LOSSES["vq_prior"] = vq.prior_loss   # a CodePrior on grids of code indices: nats per grid


class ZooError(ValueError):
    """A name, checkpoint or record the zoo cannot use; the message names the fix."""


@dataclass(frozen=True)
class Data:
    """Which images a recipe trains on: always this split seed, whatever COURSE_SPLIT_SEED says."""

    dataset: str = "mnist"
    n_train: int = 8000
    n_test: int = 2000
    split_seed: int = 0


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a checkpoint's weights, besides the machine."""

    model: str
    model_args: dict = field(default_factory=dict)
    data: Data = Data()
    loss: str = "mse_per_image"
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    about: str = ""   # one line for people; not part of the fingerprint

    def __post_init__(self):
        for kind, value, known in (("model", self.model, MODELS), ("loss", self.loss, LOSSES),
                                   ("optimizer", self.optimizer, OPTIMIZERS)):
            if value not in known:
                raise ZooError(f"Recipe {kind} {value!r} is not in zoo.{kind.upper()}S; choose one of {sorted(known)}.")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ZooError(f"A recipe needs epochs, batch_size and lr above 0, got {self.epochs}, "
                           f"{self.batch_size} and {self.lr}.")

    def fingerprint(self) -> str:
        """SHA-256 of the recipe's settings: a checkpoint trained from other settings does not count."""
        settings = {k: v for k, v in asdict(self).items() if k != "about"}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


RECIPES: dict[str, Recipe] = {
    "ae_ch01": Recipe("Autoencoder", {"code_size": 32, "hidden": 128}, lr=2e-3, epochs=60,
                      about="chapter 01's 784-128-32 MLP autoencoder, 3x the chapter's 20 epochs"),
    "conv_ae_ch03": Recipe("ConvAutoencoder", {"code_size": 32}, lr=5e-3, epochs=30,
                           about="chapter 03's convolutional autoencoder, code 32, 10x the chapter's 3 epochs"),
    "digit_judge": Recipe("ConvClassifier", {"n_classes": 10}, loss="cross_entropy", epochs=12,
                          about="the digit judge of chapters 04-11: a small conv classifier of the 8,000 training digits"),
    "vae2d": Recipe("MLPVAE", {"latent": 2, "hidden": 400}, loss="elbo_bernoulli", epochs=100,
                    about="a 784-400-2 MLP VAE on dynamically binarised digits, for chapters 04, 05 and 07"),
    "mlp_vae_ch07": Recipe("MLPVAE", {"latent": 20, "hidden": 400}, loss="elbo_bernoulli", epochs=75,
                           about="chapter 07's 784-400-20 MLP VAE, 75 epochs: about the 4,690 steps of the "
                                 "pytorch/examples VAE's 10 epochs on 60,000 images"),
    "conv_vae_ch07": Recipe("ConvVAE", {"latent": 20}, loss="elbo_bernoulli", epochs=30,
                            about="chapter 07's convolutional VAE (seed 001's Keras model, latent 20), 30 epochs"),
    # chapter 10: the Fashion-MNIST mini project (full 60,000 / 10,000 images)
    "fashion_judge": Recipe("ConvClassifier", {"n_classes": 10}, Data("fashion_mnist", 60000, 10000),
                            loss="cross_entropy", epochs=8,
                            about="chapter 10's garment judge: the digit judge's classifier on all 60,000 Fashion-MNIST images"),
}
# chapter 10's mini project on the full Fashion-MNIST, latent 16, hidden 96, 5 epochs, 3 training seeds each: the
# plain CVAE (its label leaks through z), the remedy (Sohn et al.'s hybrid objective, prior term weighted 0.25) and
# the control (the plain-VAE twin: no label, the same likelihood and sizes)
_FASHION = Data("fashion_mnist", 60000, 10000)
_FASHION_KIND = {"cvae": ("CVAE", "cvae_cb", "conditional VAE, continuous-Bernoulli decoder", (0, 1, 2)),
                 "cvae_hybrid0.25": ("CVAE", "cvae_cb_hybrid0.25", "conditional VAE, Sohn et al.'s hybrid objective "
                                     "(the decoder also sees prior codes), prior term weighted 0.25", (0, 1, 2)),
                 "vae": ("MLPVAE", "elbo_cb", "control: the plain-VAE twin (no label), same likelihood and sizes",
                         (0, 1, 2))}
RECIPES.update({f"fashion_{kind}_s{seed}": Recipe(model, {"latent": 16, "hidden": 96}, _FASHION, loss=loss, epochs=5,
                                                  seed=seed, about=f"chapter 10's {about}, seed {seed}")
                for kind, (model, loss, about, seeds) in _FASHION_KIND.items() for seed in seeds})
# chapter 09: a beta sweep on the factor images (course_utils.factors), 3 seeds per beta, small MLP VAEs
RECIPES.update({f"beta{b:g}_s{seed}": Recipe("MLPVAE", {"latent": 10, "hidden": 50}, Data("factors"),
                                             loss=f"elbo_beta{b:g}", epochs=40, seed=seed,
                                             about=f"chapter 09's beta-VAE, beta = {b:g}, seed {seed}, on the factor images")
                for b in BETAS for seed in (0, 1, 2)})


# chapter 11: VQ-VAEs of the digits (K = 64 codes, D = 16, 7x7 grid), 8 epochs; plain codebook vs dead-code
# restarts (every 20 steps), 3 seeds each; and two other commitment weights
_VQ_KIND = {"plain": {}, "restart": {"restart_every": 20}}
RECIPES.update({f"vqvae_{kind}_s{seed}": Recipe("VQVAE", {"K": 64, "D": 16, **args}, loss="vq_beta0.25", epochs=8,
                                                seed=seed, about=f"chapter 11's VQ-VAE, {kind} codebook, seed {seed}")
                for kind, args in _VQ_KIND.items() for seed in (0, 1, 2)})
# the commitment weight beta = 0 and 2 (restarts, seed 0), against vqvae_restart_s0's beta = 0.25
RECIPES.update({f"vqvae_beta{b:g}": Recipe("VQVAE", {"K": 64, "D": 16, "restart_every": 20}, loss=f"vq_beta{b:g}",
                                           epochs=8, about=f"chapter 11's VQ-VAE with restarts, commitment weight {b:g}")
                for b in (0, 2)})
# the prior over vqvae_restart_s0's 7x7 code grids: its data are that model's codes of its own images
RECIPES["vq_prior"] = Recipe("CodePrior", {"K": 64, "channels": 64, "layers": 4}, Data("codes:vqvae_restart_s0"),
                             loss="vq_prior", epochs=10, about="chapter 11's PixelCNN prior over vqvae_restart_s0's codes")
# chapter 12 (evaluation): recipes below this line
def _elbo_bernoulli_beta(beta: float) -> Callable:
    """recon + beta * KL on dynamically binarised digits (chapter 09's beta-VAE loss, on MNIST; chapter 12)."""
    def loss(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        xb = torch.bernoulli(x)
        logits, mu, logvar = model.forward_logits(xb)
        return negative_elbo(logits, xb, mu, logvar, beta=beta)
    return loss


def _fixed_draws_in_eval(loss_fn: Callable) -> Callable:
    """The same loss; in eval mode its random draws (binarisation, z) come from torch seed 0 on every call, so a
    record's test loss and its last val_loss agree exactly (as chapter 09's beta-VAE losses do)."""
    def loss(model: nn.Module, *args: torch.Tensor) -> dict[str, torch.Tensor]:
        if model.training:
            return loss_fn(model, *args)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return loss_fn(model, *args)
    return loss


LOSSES["elbo_bernoulli_beta4"] = _fixed_draws_in_eval(_elbo_bernoulli_beta(4.0))
LOSSES["cvae_bernoulli_seeded"] = _fixed_draws_in_eval(_cvae_bernoulli)   # cvae_bernoulli, seeded in eval mode
SUPERVISED.add("cvae_bernoulli_seeded")
# chapter 12's comparison table: a beta-VAE and a CVAE on the course's MNIST split, like chapter 07's MLP VAE
RECIPES["beta4_vae_mnist"] = Recipe("MLPVAE", {"latent": 20, "hidden": 400}, loss="elbo_bernoulli_beta4", epochs=75,
                                    about="chapter 12's beta-VAE on MNIST: mlp_vae_ch07's model, data and epochs, "
                                          "beta = 4")
RECIPES["cvae_mnist"] = Recipe("CVAE", {"latent": 20, "hidden": 200}, loss="cvae_bernoulli_seeded", epochs=75,
                               about="chapter 12's conditional VAE on MNIST: latent 20, hidden 200, dynamically "
                                     "binarised digits, 75 epochs")

# chapter 13 (applications): recipes below this line
def _skip_class(loss: Callable, digit: int) -> Callable:
    """`loss` on the batch's images whose label is not `digit`: the model never sees that class (chapter 13)."""
    def skipping(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        keep = y != digit
        if not bool(keep.any()):
            raise ZooError(f"a batch held only digit {digit}; nothing to train on")
        return loss(model, x[keep])
    return skipping


def _bce_bernoulli(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """An autoencoder on dynamically binarised digits: BCE of its output to the same fresh binary draw (chapter 13)."""
    xb = torch.bernoulli(x)
    return {"loss": bce_per_image(model(xb), xb)}


HELD_OUT_13 = 5   # chapter 13's held-out digit: the one chapter 03's anomaly autoencoder was trained without
LOSSES["bce_bernoulli"] = _fixed_draws_in_eval(_bce_bernoulli)
LOSSES[f"elbo_bernoulli_no{HELD_OUT_13}"] = _fixed_draws_in_eval(_skip_class(_elbo_bernoulli, HELD_OUT_13))
LOSSES[f"mse_no{HELD_OUT_13}"] = _skip_class(LOSSES["mse_per_image"], HELD_OUT_13)
SUPERVISED |= {f"elbo_bernoulli_no{HELD_OUT_13}", f"mse_no{HELD_OUT_13}"}
# the held-out-digit pair, 3 seeds each: a VAE on binarised digits (the course's likelihood from chapter 04 on) and
# chapter 03's anomaly autoencoder (grey digits, squared error), both 784-64-16 MLPs, 30 epochs, lr 2e-3
_NO_13 = {"vae": ("MLPVAE", {"latent": 16, "hidden": 64}, f"elbo_bernoulli_no{HELD_OUT_13}", "MLP VAE 784-64-16 "
                  "(binarised digits)"),
          "ae": ("Autoencoder", {"code_size": 16, "hidden": 64}, f"mse_no{HELD_OUT_13}", "MLP autoencoder 784-64-16 "
                 "(grey digits, squared error, as in chapter 03)")}
RECIPES.update({f"{kind}_no{HELD_OUT_13}_s{seed}": Recipe(model, args, loss=loss, lr=2e-3, epochs=30, seed=seed,
                                                           about=f"chapter 13's {about}, trained without digit "
                                                                 f"{HELD_OUT_13}, seed {seed}")
                for kind, (model, args, loss, about) in _NO_13.items() for seed in (0, 1, 2)})
# imputation, representations, few labels: a VAE and an autoencoder of the same sizes on all digits, both binarised
_ALL_13 = {"vae": ("MLPVAE", {"latent": 16, "hidden": 64}, "elbo_bernoulli", "MLP VAE 784-64-16"),
           "ae": ("Autoencoder", {"code_size": 16, "hidden": 64}, "bce_bernoulli", "MLP autoencoder 784-64-16 (BCE)")}
# a second held-out digit for the solution notebook: 1, the digit that hides from reconstruction error (chapter 03)
LOSSES["elbo_bernoulli_no1"] = _fixed_draws_in_eval(_skip_class(_elbo_bernoulli, 1))
LOSSES["mse_no1"] = _skip_class(LOSSES["mse_per_image"], 1)
SUPERVISED |= {"elbo_bernoulli_no1", "mse_no1"}
RECIPES.update({f"{kind}_no1_s0": Recipe(model, args, loss=loss.replace(f"no{HELD_OUT_13}", "no1"), lr=2e-3, epochs=30,
                                         about=f"chapter 13's {about}, trained without digit 1, seed 0")
                for kind, (model, args, loss, about) in _NO_13.items()})
RECIPES.update({f"{kind}_ch13": Recipe(model, args, loss=loss, lr=2e-3, epochs=30,
                                       about=f"chapter 13's {about}, on all 8,000 training digits, binarised")
                for kind, (model, args, loss, about) in _ALL_13.items()})

# chapter 14 (beyond_vae), GAN and diffusion: recipes below this line
from course_utils import generative  # noqa: E402  (chapter 14's GAN and DDPM; generative.py imports no zoo)

MODELS["GAN"] = generative.GAN      # chapter 14: DCGAN-like generator + discriminator in one module
MODELS["DDPM"] = generative.DDPM    # chapter 14: DDPM, MLP noise predictor with a per-pixel skip
# both draw random numbers (z; t and the noise): seeded in eval mode, so a record's test loss equals its last val_loss
LOSSES["gan"] = _fixed_draws_in_eval(generative.gan_loss)    # d_loss on detached fakes + g_loss through a detached D
LOSSES["ddpm"] = _fixed_draws_in_eval(generative.ddpm_loss)  # Ho et al.'s simple loss ||eps - eps_theta||^2 per image
OPTIMIZERS["adam_gan"] = lambda model, lr: torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
# 3 training seeds each, on the course split's 8,000 grey training digits; the VAE of the same size as vae_ch13
# (784-64-16, its seed 0) gets seeds 1 and 2 here, for the 3-seed stability comparison
RECIPES.update({f"gan_ch14_s{seed}": Recipe("GAN", {"latent": 16, "width": 32}, loss="gan", optimizer="adam_gan",
                                            lr=2e-4, epochs=25, seed=seed,
                                            about=f"chapter 14's DCGAN-like GAN (simultaneous gradients, "
                                                  f"non-saturating loss), seed {seed}")
                for seed in (0, 1, 2)})
RECIPES.update({f"ddpm_ch14_s{seed}": Recipe("DDPM", {"hidden": 96, "T": 1000}, loss="ddpm", epochs=200, seed=seed,
                                             about=f"chapter 14's DDPM (T = 1000, noise predictor: MLP with hidden 96 "
                                                   f"plus a per-pixel skip), seed {seed}")
                for seed in (0, 1, 2)})
RECIPES.update({f"vae_ch14_s{seed}": Recipe("MLPVAE", {"latent": 16, "hidden": 64}, loss="elbo_bernoulli", lr=2e-3,
                                            epochs=30, seed=seed,
                                            about=f"chapter 14's 3-seed VAE: vae_ch13's recipe (its seed 0), "
                                                  f"seed {seed}")
                for seed in (1, 2)})

# chapter 14 (beyond_vae), miniatures: recipes below this line
from course_utils import beyond  # noqa: E402  (the miniatures' models and losses)

MODELS["TwoLevelVAE"] = beyond.TwoLevelVAE
LOSSES["iwae5_bernoulli"] = _fixed_draws_in_eval(lambda model, x: beyond.iwae_loss(model, torch.bernoulli(x), k=5))
LOSSES["elbo_bernoulli_seeded"] = _fixed_draws_in_eval(_elbo_bernoulli)
LOSSES["hvae_bernoulli"] = _fixed_draws_in_eval(lambda model, x: beyond.hvae_terms(model, torch.bernoulli(x)))
# IWAE (k = 5) against the VAE: the same 784-40-12 MLP, data, epochs and learning rate, 3 training seeds each
_MINI_14 = {"vae": ("elbo_bernoulli_seeded", "the VAE (ELBO)"), "iwae5": ("iwae5_bernoulli", "the IWAE, k = 5")}
RECIPES.update({f"mini_{kind}_s{seed}": Recipe("MLPVAE", {"latent": 12, "hidden": 40}, loss=loss, lr=2e-3, epochs=50,
                                               seed=seed, about=f"chapter 14's miniature: {about}, MLP 784-40-12, "
                                                                 f"binarised digits, seed {seed}")
                for kind, (loss, about) in _MINI_14.items() for seed in (0, 1, 2)})
RECIPES["mini_hvae"] = Recipe("TwoLevelVAE", {"z1": 12, "z2": 8, "hidden": 40}, loss="hvae_bernoulli", lr=2e-3,
                              epochs=50, about="chapter 14's miniature: a two-level hierarchical VAE z2 (8) -> z1 (12) "
                                               "-> x, hidden 40, binarised digits")


def recipe(name: str) -> Recipe:
    """The recipe called `name`; an unknown name raises ZooError listing the known ones."""
    if name not in RECIPES:
        raise ZooError(f"No recipe called {name!r} in the zoo / zoo में {name!r} नाम की कोई recipe नहीं है. "
                       f"Choose one of / इनमें से चुनें: {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


def cache_dir() -> Path:
    """Where load() keeps models it trained itself: $COURSE_ZOO_CACHE, else ~/.cache/course_utils/zoo."""
    env = os.environ.get(CACHE_VAR)
    return Path(env) if env else Path.home() / ".cache" / "course_utils" / "zoo"


def load_data(name: str) -> course_data.ImageData:
    """The images recipe `name` trains and tests on (its own split seed, not COURSE_SPLIT_SEED)."""
    d = recipe(name).data
    if d.dataset == "factors":   # chapter 09's images with known factors, drawn by course_utils.factors
        from course_utils.factors import load_factors
        return load_factors(d.n_train, d.n_test, seed=d.split_seed)
    if d.dataset.startswith("codes:"):   # chapter 11: the code grids (N, 7, 7) a zoo VQ-VAE gives its own images
        source = d.dataset.split(":", 1)[1]
        vqvae, images = load(source, verbose=False), load_data(source)
        return course_data.ImageData(f"codes of {source}", vqvae.codes(images.x_train), images.y_train,
                                     vqvae.codes(images.x_test), images.y_test, images.classes,
                                     f"the code indices of {source} (course_utils.vq.VQVAE.codes)")
    return course_data.load_dataset(d.dataset, d.n_train, d.n_test, seed=d.split_seed, verbose=False)


def data_fingerprint(images: course_data.ImageData) -> str:
    """SHA-256 of a recipe's train and test images: a record's metrics hold only on the same images."""
    h = hashlib.sha256()
    for t in (images.x_train, images.x_test):
        h.update(t.numpy().tobytes())
    return h.hexdigest()


_FINGERPRINTS: dict[tuple, str] = {}


def _data_here(name: str) -> tuple[str, str]:
    """(fingerprint, note) of the images this machine loads for recipe `name`; computed once per process and place.

    A recipe on code grids ("codes:SOURCE") is checked through its source: its codes are a function of the
    source's pinned weights and the source's images."""
    d = recipe(name).data
    if d.dataset.startswith("codes:"):
        return _data_here(d.dataset.split(":", 1)[1])
    key = (d, os.environ.get(course_data.ENV_VAR), str(course_data.REPO_DATA), str(course_data.DEBIAN_ROOT),
           str(course_data.CACHE))
    if key not in _FINGERPRINTS:
        images = load_data(name)
        _FINGERPRINTS[key] = data_fingerprint(images) + "\n" + images.note
    fp, note = _FINGERPRINTS[key].split("\n", 1)
    return fp, note


def data_mismatch(name: str, rec: dict) -> str | None:
    """None if record `rec` was made on the images this machine loads for recipe `name`; else why not."""
    d = recipe(name).data
    if d.dataset.startswith("codes:"):
        source = d.dataset.split(":", 1)[1]
        return data_mismatch(source, record(source))
    want = (rec.get("data") or {}).get("sha256")
    got, note = _data_here(name)
    if want == got:
        return None
    return (f"its record was made on other images than the ones this machine loads for the recipe (data fingerprint "
            f"{str(want)[:12]}… in the record, {got[:12]}… here: {note})")


@contextlib.contextmanager
def _own_random_numbers() -> Iterator[None]:
    """Run a block without changing the caller's random numbers (Python, NumPy, torch)."""
    py, npy = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        random.setstate(py)
        np.random.set_state(npy)


def build(name: str) -> nn.Module:
    """A fresh, untrained model of recipe `name`."""
    r = recipe(name)
    return MODELS[r.model](**r.model_args)


@torch.no_grad()
def metrics(name: str, model: nn.Module, images: course_data.ImageData,
            splits: tuple[str, ...] = ("train", "test")) -> dict[str, dict[str, float]]:
    """Every loss term of recipe `name` on its train and test images (seeded, for models that sample)."""
    r = recipe(name)
    out = {}
    for split in splits:
        y = getattr(images, f"y_{split}") if r.loss in SUPERVISED else None
        with _own_random_numbers():
            torch.manual_seed(r.seed)
            out[split] = evaluate(model, LOSSES[r.loss], getattr(images, f"x_{split}"), y)
    return out


def train(name: str, progress: bool = True) -> tuple[nn.Module, dict]:
    """Train recipe `name` from scratch with setup(seed) and fit(); return the model and its record.

    The caller's random numbers are left as they were."""
    r = recipe(name)
    images = load_data(name)
    with _own_random_numbers():
        setup(r.seed)
        model = build(name)
        start = time.perf_counter()
        labels = r.loss in SUPERVISED
        history = fit(model, LOSSES[r.loss], images.x_train, images.y_train if labels else None,
                      x_val=images.x_test, y_val=images.y_test if labels else None, epochs=r.epochs,
                      batch_size=r.batch_size, optimizer=OPTIMIZERS[r.optimizer](model, r.lr), seed=r.seed,
                      progress=progress)
        seconds = time.perf_counter() - start
    record = {"name": name, "about": r.about, "recipe": {k: v for k, v in asdict(r).items() if k != "about"},
              "recipe_sha256": r.fingerprint(), **metrics(name, model, images),
              "history": {k: [round(v, 4) for v in vs] for k, vs in history.items()},
              "seconds": round(seconds, 1), "threads": torch.get_num_threads(), "torch": torch.__version__,
              "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "data": {"note": images.note, "sha256": data_fingerprint(images)}}
    return model, record


def to_bytes(model: nn.Module) -> bytes:
    """The model's state_dict as torch.save bytes (the same weights always give the same bytes)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def atomic_write(files: dict[Path, bytes]) -> None:
    """Write each file under a temporary name, then rename them all into place: never a half-written file."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            os.chmod(tmp, 0o644)   # mkstemp makes it private; a checkpoint is for everyone to read
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


def save(model: nn.Module, record: dict, folder: Path, stem: str) -> Path:
    """Save weights as folder/stem.pt and the record, with the file's SHA-256 pinned, as folder/stem.json."""
    weights = to_bytes(model)
    record = {**record, "sha256": hashlib.sha256(weights).hexdigest(), "bytes": len(weights)}
    text = (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode()
    atomic_write({folder / f"{stem}.pt": weights, folder / f"{stem}.json": text})
    return folder / f"{stem}.pt"


def _cache_stem(name: str) -> str:
    return f"{name}-{recipe(name).fingerprint()[:12]}"


def status(name: str, folder: Path | None = None, stem: str | None = None) -> str:
    """'ok' if folder/stem.pt is recipe `name`'s pinned checkpoint (default: the committed one), else why not."""
    folder, stem = folder or CHECKPOINTS, stem or name
    pt, js = folder / f"{stem}.pt", folder / f"{stem}.json"
    if not pt.is_file() or not js.is_file():
        return f"{pt if not pt.is_file() else js} is missing"
    try:
        rec = json.loads(js.read_text(encoding="utf-8"))
        pinned, trained_from = rec["sha256"], rec["recipe_sha256"]
    except (ValueError, KeyError, TypeError) as err:
        return f"{js} is not a zoo record ({type(err).__name__}: {err})"
    if trained_from != recipe(name).fingerprint():
        return f"{pt} was trained from another version of the recipe"
    got = hashlib.sha256(pt.read_bytes()).hexdigest()
    if got != pinned:
        return f"{pt} has SHA-256 {got[:12]}…, not the pinned {pinned[:12]}… (damaged or replaced)"
    return "ok"


def _read(name: str, pt: Path, fix: str) -> nn.Module:
    """Recipe `name`'s model with the weights of pt, or a ZooError that names the fix."""
    try:
        state = torch.load(pt, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, not a torch file, pickled code ...
        raise ZooError(f"{pt} cannot be read as a state_dict ({type(err).__name__}: {err}) / "
                       f"यह फ़ाइल पढ़ी नहीं जा सकती. Fix / उपाय: {fix}") from err
    with _own_random_numbers():   # a fresh model draws initial weights; loading must not use up the caller's draws
        model = build(name)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        r = recipe(name)
        raise ZooError(f"{pt} does not fit models.{r.model}(**{r.model_args}) / यह checkpoint इस model में "
                       f"फ़िट नहीं होता:\n{err}\nFix / उपाय: {fix}") from err
    return model.eval()


def load(name: str, train_if_needed: bool = True, verbose: bool = True) -> nn.Module:
    """Recipe `name`'s trained model in eval mode: the committed checkpoint, else the cache, else trained now.

    A checkpoint is used only on the images it was trained and tested on: its record's data fingerprint must
    equal that of the images this machine loads for the recipe (the course split is the same everywhere, so
    this fails only if the data or the loader changed). Otherwise the model is trained here, saying so, or,
    with train_if_needed=False, refused with the fix."""
    r = recipe(name)
    committed = status(name)
    if committed == "ok":
        mismatch = data_mismatch(name, record(name))
        if mismatch is None:
            model = _read(name, CHECKPOINTS / f"{name}.pt",
                          f"retrain and re-pin it with `{CLI} {name}`, or delete {CHECKPOINTS / name}.pt so that "
                          "load() trains the model from its recipe.")
            if verbose:
                print(f"📦 {name}: loaded from the committed checkpoint / committed checkpoint से load हुआ "
                      f"(retrain: {CLI} {name})")
            return model
        committed = f"{CHECKPOINTS / name}.pt: {mismatch}"
    folder, stem = cache_dir(), _cache_stem(name)
    if status(name, folder, stem) == "ok" and data_mismatch(
            name, json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))) is None:
        model = _read(name, folder / f"{stem}.pt", f"delete {folder / stem}.pt and load again.")
        if verbose:
            print(f"📦 {name}: loaded from the cache / cache से load हुआ: {folder / stem}.pt")
        return model
    if not train_if_needed:
        raise ZooError(f"{name}: {committed} / committed checkpoint इस्तेमाल नहीं हो सकता (या तो file बदली है, या "
                       f"यह इन images पर train नहीं हुआ). Fix / उपाय: restore it (`git checkout course_utils/checkpoints`), "
                       f"load the course's own data split (`load_mnist()` without official=True), retrain and re-pin "
                       f"it with `{CLI} {name}`, or call load(name) with train_if_needed=True to train it into the cache.")
    if verbose:
        print(f"📦 {name}: {committed}, so it is trained now from its recipe (epochs={r.epochs}) / committed "
              f"checkpoint इस्तेमाल नहीं हो सकता, इसलिए model अभी recipe से train हो रहा है।")
    model, record_ = train(name, progress=verbose)
    try:
        path = save(model, record_, folder, stem)
    except OSError as err:
        print(f"⚠️ {name}: trained, but not saved ({err}); the next load() trains again. Fix / उपाय: "
              f"set {CACHE_VAR} to a writable folder / {CACHE_VAR} में लिखने लायक folder दें।")
    else:
        if verbose:
            print(f"📦 {name}: saved to the cache / cache में save हुआ: {path}")
    return model.eval()


def record(name: str) -> dict:
    """The committed record of recipe `name` (losses, curves, seconds, date, SHA-256), for chapters to print."""
    recipe(name)
    js = CHECKPOINTS / f"{name}.json"
    if not js.is_file():
        raise ZooError(f"{name} has no committed record {js}. Fix / उपाय: `{CLI} {name}`.")
    return json.loads(js.read_text(encoding="utf-8"))


if __name__ == "__main__":
    raise SystemExit("The zoo's command line is an author's tool: python -m course_utils.tools.zoo list | train NAME | "
                     "train --all")
