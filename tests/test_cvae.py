"""models.CVAE (chapter 10) and the zoo's conditional and continuous-Bernoulli losses."""
from __future__ import annotations

import pytest
import torch

from course_utils import zoo
from course_utils.losses import negative_elbo
from course_utils.models import CVAE, MLPVAE
from course_utils.training import fit, setup


def test_shapes_and_the_one_hot_inside():
    m = CVAE(latent=3, hidden=8)
    x, y = torch.rand(5, 1, 28, 28), torch.tensor([0, 9, 3, 3, 1])
    mu, logvar = m.encode(x, y)
    assert mu.shape == logvar.shape == (5, 3)
    assert m.decode_logits(mu, y).shape == (5, 784) and m.decode(mu, y).shape == (5, 784)
    logits, mu2, _ = m.forward_logits(x, y)
    assert logits.shape == x.shape and torch.allclose(mu, mu2)
    assert torch.equal(m.one_hot(y), torch.eye(10)[y])
    assert torch.equal(m.encode(x.flatten(1), y)[0], mu)       # flat or image-shaped input alike


def test_the_label_changes_the_output_and_only_the_label():
    setup(0)
    m = CVAE(latent=2, hidden=16)
    z = torch.randn(4, 2)
    a, b = m.decode(z, torch.full((4,), 2)), m.decode(z, torch.full((4,), 7))
    assert not torch.allclose(a, b)                             # y reaches the decoder
    x = torch.rand(4, 784)
    assert not torch.allclose(m.encode(x, torch.full((4,), 2))[0], m.encode(x, torch.full((4,), 7))[0])  # and the encoder
    assert torch.equal(m.decode(z, torch.full((4,), 2)), a)    # decoding is deterministic


@pytest.mark.parametrize("bad, word", [(torch.tensor([0.0, 1.0]), "integer"), (torch.tensor([[0], [1]]), "shape"),
                                       (torch.tensor([0, 10]), "0..9"), (torch.tensor([0, -1]), "0..9"),
                                       (torch.tensor([0, 1, 2]), "labels")])
def test_bad_labels_get_a_clear_error(bad, word):
    m = CVAE(latent=2, hidden=4)
    with pytest.raises(ValueError, match=word):
        m.encode(torch.rand(2, 784), bad)


def test_bad_images_and_sizes_get_a_clear_error():
    with pytest.raises(ValueError, match="784"):
        CVAE(latent=2, hidden=4).encode(torch.rand(2, 1, 14, 14), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="positive"):
        CVAE(latent=0)


def test_continuous_bernoulli_is_bce_plus_its_normaliser_and_integrates_to_one():
    logits = torch.tensor([[-3.0, -0.2, 0.0, 0.7, 4.0]])
    x = torch.tensor([[0.1, 0.5, 0.3, 0.9, 1.0]])
    lam = torch.sigmoid(logits)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    safe = torch.where((lam - 0.5).abs() < 1e-3, torch.full_like(lam, 0.4), lam)
    log_c = torch.where((lam - 0.5).abs() < 1e-3, torch.log(torch.tensor(2.0)),
                        torch.log(2 * torch.atanh(1 - 2 * safe) / (1 - 2 * safe)))
    assert zoo.continuous_bernoulli_nll(logits, x).item() == pytest.approx((bce - log_c.sum()).item(), rel=1e-4)
    grid = torch.linspace(0, 1, 201)
    for lg in (-3.0, 0.0, 2.0):   # one pixel's density over [0, 1]: each grid value as its own one-pixel image
        nll = [zoo.continuous_bernoulli_nll(torch.tensor([[lg]]), v.view(1, 1)) for v in grid]
        assert torch.trapezoid(torch.exp(-torch.stack(nll)), grid).item() == pytest.approx(1.0, abs=1e-3)
        bern = torch.exp(-torch.nn.functional.binary_cross_entropy_with_logits(torch.full_like(grid, lg), grid,
                                                                                reduction="none"))
        assert torch.trapezoid(bern, grid).item() < 0.9   # the Bernoulli formula on grey values is no density


def test_zoo_losses_of_chapter_10():
    setup(0)
    m, x, y = CVAE(latent=2, hidden=8), torch.rand(6, 1, 28, 28), torch.arange(6)
    assert {"cvae_cb", "cvae_bernoulli"} <= zoo.SUPERVISED and "elbo_cb" not in zoo.SUPERVISED
    torch.manual_seed(1)
    out = zoo.LOSSES["cvae_bernoulli"](m, x, y)
    torch.manual_seed(1)
    xb = torch.bernoulli(x)
    logits, mu, logvar = m.forward_logits(xb, y)
    ref = negative_elbo(logits, xb, mu, logvar)
    assert all(torch.allclose(out[k], ref[k]) for k in ("loss", "recon", "kl"))
    cb = zoo.LOSSES["cvae_cb"](m, x, y)
    assert torch.allclose(cb["loss"], cb["recon"] + cb["kl"]) and cb["kl"] >= 0
    plain = zoo.LOSSES["elbo_cb"](MLPVAE(latent=2, hidden=8), x)
    assert torch.allclose(plain["loss"], plain["recon"] + plain["kl"])


def test_a_cvae_learns_through_fit_with_labels():
    setup(0)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(256, 1, 28, 28, generator=g) < 0.3).float()
    y = torch.randint(0, 10, (256,), generator=g)
    m = CVAE(latent=2, hidden=32)
    h = fit(m, zoo.LOSSES["cvae_bernoulli"], x, y, epochs=3, batch_size=64, lr=3e-3, progress=False)
    assert h["loss"][-1] < h["loss"][0]


def test_chapter_10_recipes_are_well_formed():
    assert zoo.recipe("fashion_judge").data == zoo.Data("fashion_mnist", 60000, 10000)
    for seed in (0, 1, 2):
        cvae, vae = zoo.recipe(f"fashion_cvae_s{seed}"), zoo.recipe(f"fashion_vae_s{seed}")
        hybrids = [zoo.recipe(f"fashion_cvae_hybrid0.25_s{seed}")]
        for r in (cvae, vae, *hybrids):
            assert r.data == zoo.Data("fashion_mnist", 60000, 10000) and r.seed == seed
            assert r.model_args == cvae.model_args                             # the control is a twin
            assert (r.epochs, r.lr, r.batch_size) == (cvae.epochs, cvae.lr, cvae.batch_size)   # only the loss differs
        assert (cvae.loss, vae.loss) == ("cvae_cb", "elbo_cb")
        assert all(r.loss in zoo.HYBRID_WEIGHTS for r in hybrids)


def test_the_hybrid_loss_is_the_elbo_plus_a_prior_code_term():
    """Sohn et al.'s hybrid objective: -ELBO plus w * -log p(x | z', y) with z' ~ N(0, I), independent of x."""
    setup(0)
    m, x, y = CVAE(latent=3, hidden=8), torch.rand(6, 1, 28, 28), torch.arange(6)
    assert zoo.HYBRID_WEIGHTS == {"cvae_cb_hybrid0.25": 0.25} and set(zoo.HYBRID_WEIGHTS) <= zoo.SUPERVISED
    for loss, w in ((zoo.LOSSES["cvae_cb_hybrid0.25"], 0.25), (zoo._cvae_cb_hybrid(1.0), 1.0)):
        torch.manual_seed(2)
        out = loss(m, x, y)
        torch.manual_seed(2)
        ref = zoo.LOSSES["cvae_cb"](m, x, y)              # the same first draw (the reparameterised z)
        z_prior = torch.randn(6, 3)                        # the next draw: the prior code
        want = zoo.continuous_bernoulli_nll(m.decode_logits(z_prior, y).view_as(x), x)
        assert torch.allclose(out["recon"], ref["recon"]) and torch.allclose(out["kl"], ref["kl"])
        assert torch.allclose(out["prior_recon"], want)
        assert torch.allclose(out["loss"], out["recon"] + out["kl"] + w * out["prior_recon"])
    # the prior term reaches the decoder only: the encoder gets no gradient from it
    m.zero_grad()
    torch.manual_seed(2)
    zoo.LOSSES["cvae_cb_hybrid0.25"](m, x, y)["prior_recon"].backward()
    assert m.enc.weight.grad is None or m.enc.weight.grad.abs().max() == 0
    assert m.dec[0].weight.grad.abs().max() > 0
