"""course_utils.disentangle (MIG) on hand-made codes whose answer is known."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils import disentangle as D


@pytest.fixture(scope="module")
def factors():
    rng = np.random.default_rng(0)
    return np.stack([rng.integers(0, k, 5000) for k in (4, 6, 6, 7, 7)], axis=1)


def _perfect(factors, extra=5, seed=0):
    """One dimension per factor (plus a little noise inside each value's bin), and `extra` noise dimensions."""
    rng = np.random.default_rng(seed)
    z = factors + rng.uniform(-0.2, 0.2, factors.shape)
    return np.concatenate([z, rng.normal(size=(len(z), extra))], axis=1)


def test_entropy_and_mutual_information_by_hand():
    v = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    assert D.entropy(v)[0] == pytest.approx(math.log(4))
    assert D.mutual_information(v, v)[0, 0] == pytest.approx(math.log(4))
    parity = v % 2
    assert D.mutual_information(parity, v)[0, 0] == pytest.approx(math.log(2))
    indep = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    assert D.mutual_information(indep, v // 2)[0, 0] == pytest.approx(0.0, abs=1e-12)


def test_discretize_equal_width_and_constant_column():
    z = np.stack([np.linspace(0, 1, 101), np.full(101, 3.0)], axis=1)
    codes = D.discretize(z, bins=10)
    assert codes[:, 0].min() == 0 and codes[:, 0].max() == 9 and codes[-1, 0] == 9
    assert np.bincount(codes[:, 0]).min() >= 10
    assert (codes[:, 1] == 0).all()


def test_a_perfectly_disentangled_code_scores_high(factors):
    d = D.mig_details(_perfect(factors), factors)
    assert d["mig"] > 0.9 and (d["gaps"] > 0.85).all()
    assert d["mi"].shape == (10, 5) and d["entropy"].shape == (5,)
    assert D.mig(torch.tensor(_perfect(factors)), torch.tensor(factors)) == pytest.approx(d["mig"])


def test_order_and_sign_of_dimensions_do_not_matter(factors):
    z = _perfect(factors)
    perm = np.random.default_rng(1).permutation(z.shape[1])
    assert D.mig(-3 * z[:, perm] + 7, factors) == pytest.approx(D.mig(z, factors))


def test_a_mixed_code_scores_low(factors):
    z = _perfect(factors, extra=0)
    z = (z - z.mean(0)) / z.std(0)
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(5, 5)))
    assert D.mig(z @ q, factors) < 0.25 < D.mig(z, factors)


def test_constant_latents_score_zero(factors):
    assert D.mig(np.zeros((len(factors), 10)), factors) == 0.0
    assert D.mig(np.full((len(factors), 10), 2.5), factors) == 0.0


def test_one_factor_copied_into_every_dimension_scores_low(factors):
    copied = np.repeat(factors[:, [3]].astype(float), 10, axis=1)
    d = D.mig_details(copied, factors)
    assert d["mig"] == pytest.approx(0.0, abs=1e-9)
    assert d["mi"][:, 3].min() > 0.9 * d["entropy"][3], "every dimension does carry x: the gap is what is zero"


def test_a_code_missing_factors_loses_their_share(factors):
    z = _perfect(factors)
    z[:, :2] = 0.0                           # shape and scale captured by no dimension
    assert D.mig(z, factors) == pytest.approx(3 / 5, abs=0.06)


def test_noise_code_scores_near_zero(factors):
    z = np.random.default_rng(5).normal(size=(len(factors), 10))
    assert D.mig(z, factors) < 0.02


def test_a_near_constant_dimension_scores_like_an_active_one_unless_left_out(factors):
    """The histogram of means is blind to scale (the estimator's trap): a dimension whose mean moves by 1e-4
    with x, which a sampled code would drown in its noise, carries as much MI as the real x dimension."""
    z = _perfect(factors)
    k_x = 3
    tiny = 1e-4 * z[:, [k_x]] + 5.0                      # an inactive dimension still following x a little
    d = D.mig_details(np.concatenate([z, tiny], axis=1), factors)
    assert d["mi"][-1, k_x] == pytest.approx(d["mi"][k_x, k_x], rel=1e-6) and d["mi"][-1, k_x] > 0.9 * d["entropy"][k_x]
    assert d["gaps"][k_x] < 0.01, "x looks copied into two dimensions, so its gap is gone"
    keep = np.ones(z.shape[1] + 1, dtype=bool)
    keep[-1] = False
    left_out = D.mig_details(np.concatenate([z, tiny], axis=1), factors, keep=keep)
    assert left_out["gaps"][k_x] > 0.85 and left_out["mig"] == pytest.approx(D.mig(z, factors), abs=1e-9)
    assert (left_out["mi"][-1] == 0).all()


def test_nan_codes_are_refused_and_located(factors):
    z = _perfect(factors)
    z[[3, 7], 4] = np.nan
    with pytest.raises(ValueError, match=r"2 NaN .* 2 of 5000 rows and columns \[4\].*diverged"):
        D.mig(z, factors)
    z[3, 4] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        D.mig(torch.tensor(z), factors)


def test_bad_input_names_the_fix(factors):
    with pytest.raises(ValueError, match="one boolean|booleans"):
        D.mig(_perfect(factors), factors, keep=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="booleans"):
        D.mig(_perfect(factors), factors, keep=np.ones(10))
    with pytest.raises(ValueError, match="one row per image"):
        D.mig(np.zeros((10, 3)), factors)
    with pytest.raises(ValueError, match="at least 2"):
        D.mig(np.zeros((len(factors), 1)), factors)
    with pytest.raises(ValueError, match="never change"):
        D.mig(_perfect(factors), np.zeros((len(factors), 2), dtype=int))
    with pytest.raises(ValueError, match="bins"):
        D.discretize(np.zeros((5, 2)), bins=1)
