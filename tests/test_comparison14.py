"""Chapter 14's comparison (course_utils.comparison, chapter-14 part): its estimators on planted cases."""
import pytest
import torch

from course_utils import comparison as cmp
from course_utils import generative as gen


@pytest.fixture(scope="module")
def ctx():
    return cmp.comparison14_context()


def test_real_vs_real_row_is_the_floor(ctx):
    half = ctx["half"]
    row = cmp.sample_scores(ctx["x"][half:], ctx)       # real half B handed in as if it were samples
    assert row["fd"] == pytest.approx(ctx["floor"]["fd"])
    assert (row["precision"], row["recall"]) == (ctx["floor"]["precision"], ctx["floor"]["recall"])
    assert torch.allclose(torch.tensor(row["shares"], dtype=torch.float64), ctx["real_shares"], atol=1e-4)
    assert row["missing"] == 0 and ctx["floor"]["missing"] == 0
    # the judge is calibrated: its class shares of real digits are close to the true label shares
    true = torch.bincount(ctx["y"][half:], minlength=10).double() / (len(ctx["y"]) - half)
    assert (ctx["real_shares"] - true).abs().max() < 0.02


def test_coverage_sums_to_one(ctx):
    shares = cmp.class_shares(ctx["judge"], torch.rand(300, 1, 28, 28))
    assert shares.shape == (10,) and float(shares.sum()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least one"):
        cmp.class_shares(ctx["judge"], torch.rand(0, 1, 28, 28))


def test_a_collapsed_generator_shows_missing_classes(ctx):
    ones = ctx["x"][ctx["y"] == 1]
    collapsed = ones[torch.arange(1000) % len(ones)]    # a "generator" that only ever draws real 1s
    row = cmp.sample_scores(collapsed, ctx)
    assert row["missing"] >= 8 and row["min_share"] < cmp.GEN14_MISSING
    assert row["shares"][1] > 0.9
    assert row["recall"] < ctx["floor"]["recall"] - 0.5   # recall sees the collapse too; precision need not
    assert row["fd"] > 10 * ctx["floor"]["fd"]


def test_steps_change_the_cost_in_network_calls():
    model = gen.DDPM(hidden=8)
    calls = [cmp.generate14("ddpm_ch14_s0", model, 10, seed=0, steps=s)[1]["calls_per_image"] for s in (1, 5, 20, 50)]
    assert calls == [1, 5, 20, 50]
    gan = gen.GAN(latent=4, width=8)
    x, cost = cmp.generate14("gan_ch14_s0", gan, 10, seed=0)
    assert x.shape == (10, 1, 28, 28) and cost["calls_per_image"] == 1


def test_spread_and_names():
    s = cmp.spread([1.0, 2.0, 3.0])
    assert (s["mean"], s["sd"], s["min"], s["max"], s["n"]) == (2.0, 1.0, 1.0, 3.0, 3)
    assert cmp.family_of("mlp_vae_ch07") == "VAE" and cmp.family_of("ddpm_ch14_s2") == "diffusion"
    with pytest.raises(ValueError, match="not a chapter-14 model"):
        cmp.family_of("conv_ae_ch03")
    with pytest.raises(ValueError, match="not a diffusion model"):
        cmp.steps_sweep("gan_ch14_s0", [1], {})


def test_grey_share_measures_blur(ctx):
    from course_utils.evaluation import blur
    real = ctx["x"][:200]
    assert cmp.grey_share((real > 0.5).float()) == 0.0          # binary strokes have no grey at all
    assert cmp.grey_share(blur(real, 1.0)) > cmp.grey_share(real) + 0.2   # a blurred digit is mostly grey
    with pytest.raises(ValueError, match="no ink"):
        cmp.grey_share(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cmp.grey_share(real * 2)


def test_isolated_grey_share_tells_scatter_from_blur(ctx):
    from course_utils.evaluation import blur
    real = ctx["x"][:200]
    g = torch.Generator().manual_seed(0)
    speckled = (real + 0.4 * (torch.rand(real.shape, generator=g) < 0.05).float()).clamp(0, 1)   # grey dots anywhere
    blurred = blur(real, 1.0)
    assert cmp.isolated_grey_share(speckled) > cmp.isolated_grey_share(real) + 0.2
    assert cmp.isolated_grey_share(blurred) < cmp.isolated_grey_share(speckled)
    assert cmp.isolated_grey_share((real > 0.5).float()) == 0.0                                  # no grey at all
