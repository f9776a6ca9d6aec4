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
