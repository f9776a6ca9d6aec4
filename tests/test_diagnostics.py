"""course_utils.diagnostics: each check of check_vae catches its planted bug, and a correct VAE passes them all."""
from __future__ import annotations

import pytest
import torch

from course_utils import diagnostics
from course_utils.diagnostics import active_units, check_vae, kl_per_dimension, posterior_means, unit_activity
from course_utils.losses import bce_logits_per_image
from course_utils.models import MLPVAE
from course_utils.training import fit, setup


def elbo(model, x, beta=1.0):
    """The course's loss: dynamic binarisation, Bernoulli decoder, analytic KL summed over dims."""
    xb = torch.bernoulli(x)
    logits, mu, logvar = model.forward_logits(xb)
    recon = bce_logits_per_image(logits, xb)
    kl = kl_per_dimension(mu, logvar).sum()
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


@pytest.fixture(scope="module")
def data():
    from course_utils.data import load_mnist
    return load_mnist(verbose=False).x_train[:1500]


@pytest.fixture(scope="module")
def trained(data):
    setup(0, threads=1)
    model = MLPVAE(latent=8, hidden=64)
    fit(model, elbo, data, epochs=2, lr=3e-3, progress=False)
    return model


def fresh(trained, cls=MLPVAE):
    """A copy of the trained weights in a (possibly broken) subclass."""
    m = cls(latent=8, hidden=64)
    m.load_state_dict(trained.state_dict())
    return m


def test_kl_per_dimension_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    want = torch.distributions.kl_divergence(q, p).mean(0)
    assert torch.allclose(kl_per_dimension(mu, logvar), want, atol=1e-5)
    assert (kl_per_dimension(torch.zeros(3, 2), torch.zeros(3, 2)) == 0).all()
    with pytest.raises(ValueError, match="must both be"):
        kl_per_dimension(mu, logvar[:, :3])


def test_active_units_counts_varying_means():
    g = torch.Generator().manual_seed(0)
    mu = torch.cat([torch.randn(500, 3, generator=g), 0.01 * torch.randn(500, 2, generator=g),
                    torch.full((500, 1), 2.0)], 1)   # 3 vary, 2 barely, 1 constant (far from 0, still inactive)
    assert active_units(mu) == 3
    assert active_units(mu, threshold=1e-5) == 5
    assert unit_activity(mu).shape == (6,)
    with pytest.raises(ValueError, match="N >= 2"):
        unit_activity(torch.zeros(1, 3))


def test_correct_vae_passes_every_check(trained, data, capsys):
    report = check_vae(trained, elbo, data[:500])
    assert report.passed, report.table()
    assert [c.name for c in report] == list(diagnostics.TITLES)
    out = capsys.readouterr().out
    assert "✓ pass" in out and "सारे checks पास" in out


def test_untrained_vae_passes_all_but_active_units(data):
    """Before training the posterior means barely move with x: the active-unit check is for a trained model."""
    setup(1, threads=1)
    assert check_vae(MLPVAE(latent=8, hidden=64), elbo, data[:500], verbose=False).failed() == ["active"]


def test_check_vae_leaves_mode_gradients_and_random_numbers(trained, data):
    model = fresh(trained)
    model.train()
    model.fc1.weight.grad = torch.ones_like(model.fc1.weight)
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    check_vae(model, elbo, data[:300], verbose=False)
    assert torch.equal(torch.rand(3), before)
    assert model.training and torch.equal(model.fc1.weight.grad, torch.ones_like(model.fc1.weight))
    assert "encode" not in vars(model)


def _only_failure(report, name):
    assert report.failed() == [name], report.table()
    return report[name].detail


def test_inputs_in_0_255_are_caught(trained, data):
    detail = _only_failure(check_vae(trained, elbo, data[:500] * 255, verbose=False), "inputs")
    assert "255" in detail


def test_kl_averaged_over_dims_is_caught(trained, data):
    def loss(model, x):
        out = elbo(model, x)
        kl = kl_per_dimension(*model.encode(torch.bernoulli(x))).mean()   # bug: mean over dims
        return {"loss": out["recon"] + kl, "recon": out["recon"], "kl": kl}
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "kl_sum")
    assert "averaged over dims" in detail


def test_kl_subtracted_is_caught(trained, data):
    def loss(model, x):
        out = elbo(model, x)
        return {"loss": out["recon"] - out["kl"], "recon": out["recon"], "kl": out["kl"]}   # bug: minus
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "kl_sign")
    assert "subtracted" in detail


def test_kl_with_flipped_sign_is_caught(trained, data):
    def loss(model, x):
        out = elbo(model, x)
        kl = -out["kl"]                                   # bug: KL written as E[log p - log q]
        return {"loss": out["recon"] + kl, "recon": out["recon"], "kl": kl}
    report = check_vae(trained, loss, data[:500], verbose=False)
    assert set(report.failed()) == {"kl_sum", "kl_sign"}
    assert "sign flipped" in report["kl_sum"].detail


class DetachedSample(MLPVAE):
    def forward_logits(self, x):
        mu, logvar = self.encode(x)
        z = (mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).detach()   # bug: sampling blocks gradients
        return self.decode_logits(z).view_as(x), mu, logvar


def test_sample_that_blocks_gradients_is_caught(trained, data):
    detail = _only_failure(check_vae(fresh(trained, DetachedSample), elbo, data[:500], verbose=False),
                           "gradients")
    assert "mu and logvar" in detail


class MeanInEval(MLPVAE):
    def forward_logits(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu   # bug in eval
        return self.decode_logits(z).view_as(x), mu, logvar


def test_elbo_without_sampling_in_eval_is_caught(trained, data):
    detail = _only_failure(check_vae(fresh(trained, MeanInEval), elbo, data[:500], verbose=False), "eval")
    assert "z = mu" in detail


class ExplodingLogvar(MLPVAE):
    def encode(self, x):
        mu, logvar = super().encode(x)
        return mu, 40 * logvar + 20                      # bug: the log-variance has blown up


def test_exploding_logvar_is_caught(trained, data):
    detail = _only_failure(check_vae(fresh(trained, ExplodingLogvar), elbo, data[:500], verbose=False), "logvar")
    assert "exploding" in detail


class Collapsed(MLPVAE):
    def encode(self, x):
        mu, logvar = super().encode(x)
        return 0 * mu + 0.3, logvar                      # bug: every posterior mean ignores x


def test_all_units_collapsed_is_caught(trained, data):
    detail = _only_failure(check_vae(fresh(trained, Collapsed), elbo, data[:500], verbose=False), "active")
    assert "0 of 8" in detail


def test_bad_arguments_have_clear_errors(trained, data):
    with pytest.raises(TypeError, match="encode"):
        check_vae(torch.nn.Linear(3, 3), elbo, data[:10])
    report = check_vae(trained, lambda m, x: elbo(m, x)["loss"], data[:200], verbose=False)
    assert "dict" in report["kl_sum"].detail and not report.passed


def test_posterior_means_restores_the_mode(trained, data):
    trained.train()
    mu, logvar = posterior_means(trained, data[:20], batch_size=7)
    assert mu.shape == logvar.shape == (20, 8) and trained.training
    trained.eval()


# ------------------------------------------------ the form of the loss: one beta (review 2026-12, U5 / L3)

def test_kl_squared_is_caught_although_every_beta_is_positive(trained, data):
    def loss(model, x):
        out = elbo(model, x)
        return {"loss": out["recon"] + 50 * out["kl"] ** 2, "recon": out["recon"], "kl": out["kl"]}   # bug: KL²
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "kl_sign")
    assert "one beta" in detail


def test_any_constant_beta_passes_and_is_named(trained, data):
    report = check_vae(trained, lambda m, x: elbo(m, x, beta=2.0), data[:500], verbose=False)
    assert report.passed, report.table()
    assert "recon + 2 * kl" in report["kl_sign"].detail


def test_kl_forgotten_is_caught(trained, data):
    def loss(model, x):
        out = elbo(model, x)
        return {"loss": out["recon"], "recon": out["recon"], "kl": out["kl"]}   # bug: the KL never enters the loss
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "kl_sign")
    assert "does not enter the loss" in detail


def test_a_small_positive_beta_still_passes(trained, data):
    report = check_vae(trained, lambda m, x: elbo(m, x, beta=1e-3), data[:500], verbose=False)
    assert report.passed, report.table()


def test_free_bits_is_not_the_form_recon_plus_beta_kl(trained, data):
    """Free bits is a training objective: the checklist checks the plain -ELBO (documented)."""
    def loss(model, x):
        out = elbo(model, x)
        mu, logvar = model.encode(torch.bernoulli(x))
        penalty = kl_per_dimension(mu, logvar).clamp(min=2.0).sum()     # a floor most dims are below
        return {"loss": out["recon"] + penalty, "recon": out["recon"], "kl": out["kl"]}
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "kl_sign")
    assert "free bits" in detail


def make_warmup_loss(warmup=64):
    """The chapter's make_loss with a warm-up: the step counter lives in the closure."""
    state = {"step": 0}

    def loss_fn(model, x):
        out = elbo(model, x)
        if not model.training:
            return out
        weight = min(1.0, state["step"] / warmup)
        state["step"] += 1
        return {"loss": out["recon"] + weight * out["kl"], "recon": out["recon"], "kl": out["kl"]}

    return loss_fn, state


class CountingLoss:
    """A loss kept as an object, with its warm-up counter as an attribute."""

    def __init__(self):
        self.step = 0

    def __call__(self, model, x):
        out = elbo(model, x)
        if model.training:
            self.step += 1
        return out


def test_check_vae_does_not_advance_a_warm_up(trained, data):
    loss_fn, state = make_warmup_loss()
    state["step"] = 10
    report = check_vae(trained, loss_fn, data[:500], verbose=False)
    assert report.passed, report.table()
    assert state["step"] == 10                                 # the closure's counter is where it was
    assert "recon + 0.156 * kl" in report["kl_sign"].detail     # each check saw step 10: 10 / 64
    at_start, state0 = make_warmup_loss()
    detail = _only_failure(check_vae(trained, at_start, data[:500], verbose=False), "kl_sign")   # beta = 0 at step 0
    assert "beta = 0" in detail and "after the warm-up" in detail and state0["step"] == 0
    obj = CountingLoss()
    assert check_vae(trained, obj, data[:500], verbose=False).passed and obj.step == 0


def test_fresh_copy_copies_closures_defaults_and_objects():
    def counter_with_default(state={"n": 0}):     # noqa: B006 (the mutable default is the point)
        state["n"] += 1
        return state["n"]

    def make_counter():
        seen = {"n": 0}

        def count():
            seen["n"] += 1
            return seen["n"]

        return count

    for fn in (counter_with_default, make_counter()):
        assert [diagnostics._fresh_copy(fn)() for _ in range(3)] == [1, 1, 1]   # each copy starts afresh
        assert fn() == 1                                                         # the original never moved
    obj = CountingLoss()
    copied = diagnostics._fresh_copy(obj)
    copied.step += 5
    assert isinstance(copied, CountingLoss) and obj.step == 0


# ------------------------------------------------ the likelihood (L3): recon = Bernoulli NLL on 0/1 images

def test_mse_on_binary_data_is_caught(trained, data):
    def loss(model, x):
        xb = torch.bernoulli(x)
        logits, mu, logvar = model.forward_logits(xb)
        recon = ((torch.sigmoid(logits) - xb) ** 2).flatten(1).sum(1).mean()     # bug: a Gaussian decoder
        kl = kl_per_dimension(mu, logvar).sum()
        return {"loss": recon + kl, "recon": recon, "kl": kl}
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "likelihood")
    assert "squared error" in detail


def test_bce_averaged_over_pixels_is_caught(trained, data):
    def loss(model, x):
        xb = torch.bernoulli(x)
        logits, mu, logvar = model.forward_logits(xb)
        recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb)   # bug: reduction="mean"
        kl = kl_per_dimension(mu, logvar).sum()
        return {"loss": recon + kl, "recon": recon, "kl": kl}
    detail = _only_failure(check_vae(trained, loss, data[:500], verbose=False), "likelihood")
    assert "averaged over pixels" in detail


def test_bce_on_probabilities_passes(trained, data):
    def loss(model, x):                                   # the seeds' form: F.binary_cross_entropy(x_hat, x, sum)
        xb = torch.bernoulli(x)
        x_hat, mu, logvar = model(xb)
        recon = torch.nn.functional.binary_cross_entropy(x_hat, xb, reduction="sum") / len(xb)
        kl = kl_per_dimension(mu, logvar).sum()
        return {"loss": recon + kl, "recon": recon, "kl": kl}
    assert check_vae(trained, loss, data[:500], verbose=False).passed


def test_likelihood_none_leaves_the_row_out_and_bad_values_are_refused(trained, data):
    report = check_vae(trained, elbo, data[:500], verbose=False, likelihood=None)
    assert "likelihood" not in [c.name for c in report] and report.passed
    with pytest.raises(ValueError, match="likelihood must be"):
        check_vae(trained, elbo, data[:50], verbose=False, likelihood="gaussian")


class NoLogits(torch.nn.Module):
    """encode only: the likelihood check says what it needs, instead of passing."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def encode(self, x):
        return self.inner.encode(x)


def test_model_without_forward_logits_fails_the_likelihood_check_with_a_reason(trained, data):
    report = check_vae(NoLogits(fresh(trained)), lambda model, x: elbo(model.inner, x), data[:300], verbose=False)
    assert "forward_logits" in report["likelihood"].detail and not report["likelihood"].passed


# ------------------------------------------------ torch.normal, the table's second case (L3)

class TorchNormalSample(MLPVAE):
    def forward_logits(self, x):
        mu, logvar = self.encode(x)
        z = torch.normal(mu, torch.exp(0.5 * logvar))      # bug: a sample with no path back to mu, logvar
        return self.decode_logits(z).view_as(x), mu, logvar


def test_sample_with_torch_normal_is_caught(trained, data):
    detail = _only_failure(check_vae(fresh(trained, TorchNormalSample), elbo, data[:500], verbose=False),
                           "gradients")
    assert "torch.normal" in detail
