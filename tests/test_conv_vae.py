"""models.ConvVAE: seed 001's Keras convolutional VAE in PyTorch, with the same interface as MLPVAE."""
import pytest
import torch
from torch import nn

from course_utils import zoo
from course_utils.losses import bce_logits_per_image, negative_elbo
from course_utils.models import ConvVAE, count_parameters


def test_layers_follow_the_keras_model():
    vae = ConvVAE(latent=2)
    convs = [m for m in vae.encoder if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(32, (3, 3), (2, 2)), (64, (3, 3), (2, 2))]
    assert vae.encoder[-2].out_features == 128 and vae.fc_mu.out_features == vae.fc_logvar.out_features == 2
    assert vae.decoder[0].out_features == 7 * 7 * 64
    tconvs = [m for m in vae.decoder if isinstance(m, nn.ConvTranspose2d)]
    assert [(t.in_channels, t.out_channels, t.stride) for t in tconvs] == [(64, 64, (2, 2)), (64, 32, (2, 2))]
    last = vae.decoder[-1]
    assert isinstance(last, nn.Conv2d) and last.out_channels == 1 and last.stride == (1, 1)
    # the decoder ends in logits: no sigmoid module anywhere (decode() applies it)
    assert not any(isinstance(m, nn.Sigmoid) for m in vae.modules())


def test_shapes_for_images_and_flat_inputs():
    vae = ConvVAE(latent=20).eval()
    for x in (torch.rand(5, 1, 28, 28), torch.rand(5, 784)):
        mu, logvar = vae.encode(x)
        assert mu.shape == logvar.shape == (5, 20)
        logits, mu2, _ = vae.forward_logits(x)
        assert logits.shape == x.shape and torch.equal(mu, mu2)
    z = torch.randn(3, 20)
    assert vae.decode_logits(z).shape == (3, 1, 28, 28)


def test_decode_is_the_sigmoid_of_the_logits_and_forward_matches_forward_logits():
    vae, x = ConvVAE(latent=4), torch.rand(6, 1, 28, 28)
    z = torch.randn(6, 4)
    assert torch.equal(vae.decode(z), torch.sigmoid(vae.decode_logits(z)))
    torch.manual_seed(0)
    logits, mu, logvar = vae.forward_logits(x)
    torch.manual_seed(0)
    x_hat, mu2, logvar2 = vae(x)                     # the same draw of eps
    assert torch.equal(x_hat, torch.sigmoid(logits)) and torch.equal(mu, mu2) and torch.equal(logvar, logvar2)


def test_forward_samples_with_the_reparameterization_trick():
    vae, x = ConvVAE(latent=3).eval(), torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        torch.manual_seed(1)
        logits, _, _ = vae.forward_logits(x)
        torch.manual_seed(1)
        eps = torch.randn_like(mu)
    assert torch.allclose(logits, vae.decode_logits(mu + torch.exp(0.5 * logvar) * eps), atol=1e-6)
    a, b = vae.forward_logits(x)[0], vae.forward_logits(x)[0]
    assert not torch.equal(a, b), "eval mode must not stop the sampling (the chapter's bug box relies on it)"


def test_gradients_reach_every_parameter_through_the_negative_elbo():
    vae, x = ConvVAE(latent=4), torch.bernoulli(torch.rand(8, 1, 28, 28))
    logits, mu, logvar = vae.forward_logits(x)
    negative_elbo(logits, x, mu, logvar)["loss"].backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in vae.parameters())


def test_parameter_count_is_the_layer_sum():
    d = 20
    expected = (1 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (3136 * 128 + 128) + 2 * (128 * d + d) \
        + (d * 3136 + 3136) + (64 * 64 * 9 + 64) + (64 * 32 * 9 + 32) + (32 * 9 + 1)
    assert count_parameters(ConvVAE(latent=d)) == expected


def test_bad_input_and_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\) or \(N, 784\)"):
        ConvVAE().encode(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match="positive"):
        ConvVAE(latent=0)


def test_the_zoo_knows_the_model_and_the_chapter_recipes():
    assert zoo.MODELS["ConvVAE"] is ConvVAE
    for name, model in (("conv_vae_ch07", "ConvVAE"), ("mlp_vae_ch07", "MLPVAE")):
        r = zoo.recipe(name)
        assert r.model == model and r.loss == "elbo_bernoulli" and r.model_args["latent"] == 20
        assert type(zoo.build(name)).__name__ == model


def test_the_committed_conv_checkpoint_reconstructs_binarised_digits(mnist):
    model = zoo.load("conv_vae_ch07", train_if_needed=False, verbose=False)
    x = torch.bernoulli(mnist.x_test[:200], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        mu, _ = model.encode(x)
        recon = bce_logits_per_image(model.decode_logits(mu), x).item()
    assert recon < 120, f"a trained conv VAE should reconstruct far better than an untrained one (got {recon:.1f})"
