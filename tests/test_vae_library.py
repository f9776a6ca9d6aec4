"""The library pieces the VAE chapters (04-11) share: binarisation, the named -ELBO, KL per dimension,
the judge model and its confident-share measure, and supervised zoo recipes."""
import math

import pytest
import torch

from course_utils import data, zoo
from course_utils.losses import bce_logits_per_image, gaussian_kl, gaussian_kl_per_dim, negative_elbo
from course_utils.metrics import confident_share
from course_utils.models import ConvClassifier, MLPVAE


# --- binarize --------------------------------------------------------------------------------

def test_binarize_is_a_fixed_bernoulli_draw_of_the_grey_values():
    x = torch.rand(400, 784)
    b = data.binarize(x, seed=3)
    assert set(b.unique().tolist()) <= {0.0, 1.0} and b.shape == x.shape and b.dtype == x.dtype
    assert torch.equal(b, data.binarize(x, seed=3)), "the same seed must give the same draw"
    assert not torch.equal(b, data.binarize(x, seed=4)), "another seed must give another draw"
    # E[b] = x: over 313,600 pixels the mean difference is within a few standard errors (sd <= 0.5/sqrt(n))
    assert abs(float((b - x).mean())) < 4 * 0.5 / math.sqrt(x.numel())
    assert torch.equal(data.binarize(torch.zeros(3, 5)), torch.zeros(3, 5))
    assert torch.equal(data.binarize(torch.ones(3, 5)), torch.ones(3, 5))


def test_binarize_leaves_the_callers_random_numbers_alone():
    x = torch.full((10, 10), 0.5)
    torch.manual_seed(0)
    plain = torch.rand(3)
    torch.manual_seed(0)
    data.binarize(x)
    assert torch.equal(torch.rand(3), plain), "binarize must not draw from the global generator"


def test_binarize_refuses_bytes_and_values_outside_the_unit_interval():
    with pytest.raises(TypeError, match="divide by 255"):
        data.binarize(torch.full((2, 2), 200, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\[0, 255\].*1/255"):
        data.binarize(torch.full((2, 2), 255.0).index_fill_(0, torch.tensor([0]), 0.0))


# --- the named negative ELBO and the KL per dimension -----------------------------------------

def test_negative_elbo_is_recon_plus_beta_kl_with_the_course_reductions():
    torch.manual_seed(0)
    x = (torch.rand(8, 784) > 0.5).float()
    logits, mu, logvar = torch.randn(8, 784), torch.randn(8, 5), torch.randn(8, 5)
    t = negative_elbo(logits, x, mu, logvar)
    assert set(t) == {"loss", "recon", "kl"}
    assert t["recon"].item() == pytest.approx(bce_logits_per_image(logits, x).item(), rel=1e-6)
    assert t["kl"].item() == pytest.approx(gaussian_kl(mu, logvar).item(), rel=1e-6)
    assert t["loss"].item() == pytest.approx((t["recon"] + t["kl"]).item(), rel=1e-6)
    t4 = negative_elbo(logits, x, mu, logvar, beta=4.0)
    assert t4["loss"].item() == pytest.approx((t["recon"] + 4 * t["kl"]).item(), rel=1e-6)
    # per image: summed over pixels and latent dims (a per-pixel mean would be 784x smaller)
    manual = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
    assert t["recon"].item() == pytest.approx(manual.item(), rel=1e-5)


def test_kl_per_dim_sums_to_the_kl_and_is_zero_only_at_the_prior():
    mu = torch.tensor([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0, math.log(4.0)], [0.0, 0.0, math.log(4.0)]])
    per = gaussian_kl_per_dim(mu, logvar)
    assert per.shape == (3,)
    assert per[0].item() == 0.0                          # the prior itself
    assert per[1].item() == pytest.approx(0.5)           # KL(N(±1, 1) || N(0, 1)) = mu²/2
    assert per[2].item() == pytest.approx(0.5 * (4 - 1 - math.log(4)))
    assert per.sum().item() == pytest.approx(gaussian_kl(mu, logvar).item())
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        gaussian_kl_per_dim(torch.zeros(3), torch.zeros(3))


def test_negative_elbo_of_a_vae_checks_its_targets_on_grey_values_outside_range():
    vae = MLPVAE(latent=2, hidden=16)
    x = torch.rand(4, 784) * 255
    with pytest.raises(ValueError, match="255"):
        logits, mu, logvar = vae.forward_logits(x)
        negative_elbo(logits, x, mu, logvar)


# --- the judge ----------------------------------------------------------------------------------

class _Fixed(torch.nn.Module):
    """A 'classifier' that reads its answer from the image: class 0 with probability x[:, 0]."""

    def forward(self, x):
        p = x[:, 0]
        return torch.log(torch.cat([p[:, None], ((1 - p) / 9)[:, None].expand(-1, 9)], 1))


def test_confident_share_counts_probabilities_above_the_threshold():
    clf, x = _Fixed(), torch.zeros(4, 784)
    x[:, 0] = torch.tensor([0.95, 0.5, 0.91, 0.2])
    assert confident_share(clf, x) == 0.5
    assert confident_share(clf, x, threshold=0.4) == 0.75
    assert confident_share(clf, x, batch_size=1) == 0.5   # batching changes nothing
    with pytest.raises(ValueError, match="between 0 and 1"):
        confident_share(clf, x, threshold=90)
    with pytest.raises(ValueError, match="empty"):
        confident_share(clf, torch.zeros(0, 784))


def test_conv_classifier_takes_images_or_flat_rows():
    clf = ConvClassifier()
    assert clf(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    x = torch.rand(3, 784)
    assert torch.equal(clf(x), clf(x.view(3, 1, 28, 28)))
    assert clf(torch.rand(3, 784)).shape == (3, 10)


def test_the_committed_digit_judge_is_a_good_classifier_of_the_held_out_digits():
    rec = zoo.record("digit_judge")
    assert rec["test"]["error"] < 0.05, "the judge must itself classify held-out digits well"
    judge = zoo.load("digit_judge", train_if_needed=False, verbose=False)
    images = zoo.load_data("digit_judge")
    assert confident_share(judge, images.x_test) > 0.8   # sure of most real digits: the reference row


# --- supervised zoo recipes ---------------------------------------------------------------------

def test_a_supervised_recipe_trains_on_the_labels(monkeypatch, tmp_path):
    tiny = zoo.Recipe("ConvClassifier", {"n_classes": 10, "hidden": 32}, zoo.Data(n_train=600, n_test=200),
                      loss="cross_entropy", epochs=3, lr=5e-3, about="test-only")
    monkeypatch.setitem(zoo.RECIPES, "tiny_judge", tiny)
    model, rec = zoo.train("tiny_judge", progress=False)
    assert set(rec["test"]) == {"loss", "error"} and len(rec["history"]["val_error"]) == 3
    assert rec["test"]["error"] < 0.6, "three epochs on labelled digits beat chance (0.9) by far"
    # the same loss without labels is an error that says so, not a silent unsupervised run
    with pytest.raises(TypeError):
        zoo.LOSSES["cross_entropy"](model, torch.rand(2, 1, 28, 28))


def test_dynamic_binarisation_draws_a_new_binary_image_every_call():
    vae = MLPVAE(latent=2, hidden=16)
    x = torch.full((4, 784), 0.5)
    torch.manual_seed(0)
    a = zoo.LOSSES["elbo_bernoulli"](vae, x)["recon"]
    torch.manual_seed(1)
    b = zoo.LOSSES["elbo_bernoulli"](vae, x)["recon"]
    assert a.item() != b.item()
