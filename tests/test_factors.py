"""course_utils.factors: seeded, factors returned alongside, and each factor changes the image as it says."""
from __future__ import annotations

import pytest
import torch

from course_utils import factors as F


@pytest.fixture(scope="module")
def sample():
    return F.make_factor_images(600, seed=3)


def _centroid(img: torch.Tensor) -> tuple[float, float]:
    """(column, row) of the ink's centre of mass, in pixels."""
    img = img.reshape(F.SIZE, F.SIZE)
    ys, xs = torch.nonzero(img > 0, as_tuple=True)
    return xs.float().mean().item() + 0.5, ys.float().mean().item() + 0.5


def test_same_seed_same_images_other_seed_other_images(sample):
    again = F.make_factor_images(600, seed=3)
    assert torch.equal(sample.images, again.images) and torch.equal(sample.factors, again.factors)
    other = F.make_factor_images(600, seed=4)
    assert not torch.equal(sample.factors, other.factors)


def test_shapes_binary_pixels_and_factor_indices(sample):
    assert sample.images.shape == (600, 1, 28, 28) and sample.images.dtype == torch.float32
    assert set(sample.images.unique().tolist()) == {0.0, 1.0}
    assert sample.factors.shape == (600, len(F.NAMES)) and sample.factors.dtype == torch.int64
    for k, name in enumerate(F.NAMES):
        col = sample.factors[:, k]
        assert col.min() >= 0 and col.max() < len(F.FACTORS[name])
        assert len(col.unique()) == len(F.FACTORS[name]), f"600 draws should hit every value of {name}"
    assert (sample.images.flatten(1).sum(1) > 0).all(), "every image has some ink"


def test_the_fast_path_draws_what_render_draws(sample):
    direct = F.render(*[sample.values(name) for name in F.NAMES])
    assert torch.equal(direct, sample.images)


def test_no_ink_touches_the_border(sample):
    img = sample.images[:, 0]
    assert img[:, 0].sum() == 0 and img[:, -1].sum() == 0 and img[:, :, 0].sum() == 0 and img[:, :, -1].sum() == 0


@pytest.mark.parametrize("shape", F.SHAPES)
def test_x_moves_right_and_y_moves_down(shape):
    xs = list(F.FACTORS["x"])
    imgs = F.render(shape, 0.8, 30, xs, 14)
    cols = [_centroid(i)[0] for i in imgs]
    assert all(b > a + 1 for a, b in zip(cols, cols[1:])), cols
    for c, x in zip(cols, xs):
        assert abs(c - x) < 1.5, (c, x)
    ys = list(F.FACTORS["y"])
    rows = [_centroid(i)[1] for i in F.render(shape, 0.8, 30, 14, ys)]
    assert all(b > a + 1 for a, b in zip(rows, rows[1:])), rows


@pytest.mark.parametrize("shape", F.SHAPES)
def test_scale_grows_the_ink_and_rotation_turns_the_shape(shape):
    for rotation in F.FACTORS["rotation"]:
        area = F.render(shape, list(F.FACTORS["scale"]), rotation, 14, 14).flatten(1).sum(1)
        assert (area[1:] > area[:-1]).all(), (rotation, area)
    turned = F.render(shape, 1.0, list(F.FACTORS["rotation"]), 14, 14).flatten(1)
    for i in range(len(turned)):
        for j in range(i + 1, len(turned)):
            assert not torch.equal(turned[i], turned[j]), f"{shape}: rotations {i} and {j} look the same"
    # rotation keeps the size and the centre: it only turns the shape
    areas = turned.sum(1)
    assert (areas.max() - areas.min()) / areas.mean() < 0.15
    for img in turned:
        cx, cy = _centroid(img)
        assert abs(cx - 14) < 1.5 and abs(cy - 14) < 1.5


def test_rotation_is_counter_clockwise():
    """The triangle's top vertex (pointing up at 0 degrees) moves left when turned counter-clockwise."""
    up = F.render("triangle", 1.0, 0, 14, 14)[0, 0]
    turned = F.render("triangle", 1.0, 30, 14, 14)[0, 0]
    top_col = lambda img: torch.nonzero(img[torch.nonzero(img.sum(1))[0, 0]]).float().mean().item()  # noqa: E731
    assert top_col(turned) < top_col(up) - 1


def test_shapes_differ_from_each_other():
    imgs = F.render(list(range(4)), 1.0, 0, 14, 14).flatten(1)
    for i in range(4):
        for j in range(i + 1, 4):
            assert (imgs[i] != imgs[j]).sum() > 10, (F.SHAPES[i], F.SHAPES[j])


def test_values_are_in_the_factors_own_units(sample):
    k = F.NAMES.index("rotation")
    assert torch.equal(sample.values("rotation"), torch.tensor(F.FACTORS["rotation"], dtype=torch.float32)[sample.factors[:, k]])
    with pytest.raises(KeyError, match="colour"):
        sample.values("colour")


def test_load_factors_is_an_image_data_of_the_same_draw():
    data = F.load_factors(50, 20, seed=1)
    train, test = F.load_factors_with_truth(50, 20, seed=1)
    assert data.x_train.shape == (50, 1, 28, 28) and data.x_test.shape == (20, 1, 28, 28)
    assert torch.equal(data.x_train, train.images) and torch.equal(data.x_test, test.images)
    assert torch.equal(data.y_test, test.factors[:, 0]) and data.classes == list(F.SHAPES)


def test_every_combination_draws_its_own_picture():
    every = F.all_combinations()
    assert len(every) == 4 * 4 * 6 * 7 * 7 and torch.equal(F.combination(every.factors), torch.arange(len(every)))
    flat = every.images.flatten(1)
    assert len(torch.unique(flat, dim=0)) == len(every), "two combinations draw the same pixels"
    assert torch.equal(F.render(*[every.values(name) for name in F.NAMES]), every.images)


def test_the_four_scales_draw_four_different_pictures_of_every_shape_and_rotation():
    for shape in F.SHAPES:
        for rotation in F.FACTORS["rotation"]:
            imgs = F.render(shape, list(F.FACTORS["scale"]), rotation, 14, 14).flatten(1)
            assert len(torch.unique(imgs, dim=0)) == len(F.FACTORS["scale"]), (shape, rotation)


def test_independent_test_draws_repeat_training_images_but_disjoint_ones_never_do():
    train, test = F.load_factors_with_truth(8000, 2000, seed=0)
    assert F.seen_in(test, train).float().mean() > 0.7, "the zoo's split: most test images repeat a training image"
    train_d, test_d = F.load_factors_with_truth(8000, 2000, seed=0, disjoint=True)
    assert torch.equal(train_d.images, train.images) and torch.equal(train_d.factors, train.factors)
    assert len(test_d) == 2000 and not F.seen_in(test_d, train_d).any()
    seen_pixels = {bytes(img.numpy()) for img in train.images.to(torch.uint8)}
    assert not any(bytes(img.numpy()) in seen_pixels for img in test_d.images.to(torch.uint8))
    assert torch.equal(F.render(*[test_d.values(name) for name in F.NAMES]), test_d.images)
    again = F.load_factors_with_truth(8000, 2000, seed=0, disjoint=True)[1]
    other = F.load_factors_with_truth(8000, 2000, seed=0, disjoint=True, test_seed=1)[1]
    assert torch.equal(again.factors, test_d.factors) and not torch.equal(other.factors, test_d.factors)
    data = F.load_factors(8000, 2000, seed=0, disjoint=True)
    assert torch.equal(data.x_test, test_d.images) and "unseen" in data.note


def test_bad_input_names_the_fix():
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        F.load_factors(0, 10)
    with pytest.raises(ValueError, match="n_test must be a positive integer"):
        F.load_factors_with_truth(10, 0)
    with pytest.raises(ValueError, match="n_train"):
        F.load_factors(2.5, 10)
    with pytest.raises(ValueError, match="shape"):
        F.render("circle", 1.0, 0, 14, 14)
    with pytest.raises(ValueError, match="same length"):
        F.render([0, 1], [1.0, 0.5, 0.6], 0, 14, 14)
    with pytest.raises(ValueError, match="positive"):
        F.make_factor_images(0)


def test_the_zoo_trains_chapter_09_on_these_images():
    from course_utils import zoo
    data = zoo.load_data("beta1_s0")
    ref = F.load_factors(8000, 2000, seed=0)
    assert data.name == "factors" and torch.equal(data.x_train, ref.x_train) and torch.equal(data.x_test, ref.x_test)


def test_the_zoo_beta_losses_weigh_the_kl_and_evaluate_reproducibly():
    from course_utils import zoo
    from course_utils.losses import negative_elbo
    from course_utils.models import MLPVAE
    x = F.make_factor_images(64, seed=1).images
    torch.manual_seed(0)
    model = MLPVAE(latent=4, hidden=16).eval()
    for beta in zoo.BETAS:
        terms = zoo.LOSSES[f"elbo_beta{beta:g}"](model, x)
        assert torch.allclose(terms["loss"], terms["recon"] + beta * terms["kl"])
    again = zoo.LOSSES["elbo_beta4"](model, x)["loss"]
    assert torch.equal(again, zoo.LOSSES["elbo_beta4"](model, x)["loss"]), "eval mode: the same number every call"
    state = torch.random.get_rng_state()
    zoo.LOSSES["elbo_beta4"](model, x)
    assert torch.equal(state, torch.random.get_rng_state()), "evaluating must not use up the caller's random numbers"
    model.train()
    a, b = (zoo.LOSSES["elbo_beta4"](model, x)["loss"] for _ in range(2))
    assert not torch.equal(a, b), "training mode: a fresh draw of z every call"
    logits, mu, logvar = model.forward_logits(x)
    assert negative_elbo(logits, x, mu, logvar, beta=4)["loss"].shape == ()
