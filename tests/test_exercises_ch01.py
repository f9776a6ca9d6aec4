"""The checkers of chapter 01, tested with planted right and wrong answers.

Right answers are planted in several forms, not only the reference solution: a checker that rejects a
correct answer written differently is too strict and must be fixed, not the test.
"""
from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch01 import ex1, ex2, ex3


def _solution(ex, name):
    scope: dict = {}
    exec(ex.solution_code, scope)
    return scope[name]


# ---------------------------------------------------------------- exercise 1
def test_ex1_solution_is_correct():
    assert ex1.grade(_solution(ex1, "my_mse_per_image")).status == CORRECT


def test_ex1_stub_is_not_attempted():
    def my_mse_per_image(x_hat, x):
        """Return the mean over the images of each image's summed squared error."""
        # ✍️ your code here / अपना code यहाँ लिखें
        ...
    assert ex1.grade(my_mse_per_image).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


def test_ex1_missing_return_is_named():
    def my_mse_per_image(x_hat, x):
        per_image = ((x_hat - x) ** 2).flatten(1).sum(1)
        per_image.mean()                                  # computed, never returned
    out = ex1.grade(my_mse_per_image)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


@pytest.mark.parametrize("right", [
    lambda x_hat, x: F.mse_loss(x_hat, x, reduction="sum") / len(x),                      # PyTorch's sum / N
    lambda x_hat, x: F.mse_loss(x_hat, x) * x[0].numel(),                                 # per-pixel mean x 784
    lambda x_hat, x: F.mse_loss(x_hat, x, reduction="none").flatten(1).sum(1).mean(),
    lambda x_hat, x: (x_hat - x).pow(2).reshape(len(x), -1).sum(-1).mean(),
    lambda x_hat, x: torch.sum((x_hat - x) ** 2, dim=tuple(range(1, x.dim()))).mean(),     # any rank
    lambda x_hat, x: torch.linalg.vector_norm((x_hat - x).flatten(1), dim=1).pow(2).mean(),
    lambda x_hat, x: ((x_hat - x) ** 2).sum() / x.shape[0],                               # one sum, / N
], ids=["mse_loss-sum/N", "mse_loss*784", "reduction-none", "reshape", "dims", "norm-squared", "sum/N"])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong, reason", [
    (lambda x_hat, x: F.mse_loss(x_hat, x), "784"),                                   # reduction='mean'
    (lambda x_hat, x: ((x_hat - x) ** 2).mean(), "784"),                              # per-pixel mean by hand
    (lambda x_hat, x: F.mse_loss(x_hat, x, reduction="sum"), "batch"),                # no division by N
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1), "one error per image"),   # no mean over images
    (lambda x_hat, x: (x_hat - x).abs().flatten(1).sum(1).mean(), "absolute"),        # L1, not squared
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean().item(), "tensor"),  # a float, no gradient
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean().sqrt(), "root"),    # RMSE
    (lambda x_hat, x: ((x_hat - x) ** 2).sum((1, 2, 3)).mean(), "flat"),              # only works on 4-d images
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).sum() / 6, "batch of 2"),  # fixed batch size
    (lambda x_hat, x: ((x_hat - x) ** 2).detach().flatten(1).sum(1).mean(), "gradient"),
])
def test_ex1_wrong_answers_are_incorrect(wrong, reason):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en, out.en


# ---------------------------------------------------------------- exercise 2
def test_ex2_solution_is_correct():
    assert ex2.grade(_solution(ex2, "make_encoder_decoder")).status == CORRECT


def test_ex2_stub_is_not_attempted():
    def make_encoder_decoder(code_size, hidden):
        """Return (encoder, decoder)."""
        ...
    assert ex2.grade(make_encoder_decoder).status == NOT_ATTEMPTED


def test_ex2_missing_return_is_named():
    def make_encoder_decoder(code_size, hidden):
        encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))  # noqa: F841
        decoder = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, 784),  # noqa: F841
                                nn.Sigmoid())
    out = ex2.grade(make_encoder_decoder)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


# -- right answers written differently
class _Encoder(nn.Module):
    """Layers as attributes, the activation as a function in forward."""

    def __init__(self, k, h):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, h), nn.Linear(h, k)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class _Decoder(nn.Module):
    """Defines its output layer first: the order of definition does not matter."""

    def __init__(self, k, h):
        super().__init__()
        self.out = nn.Linear(h, 784)
        self.hidden = nn.Linear(k, h)

    def forward(self, z):
        return torch.sigmoid(self.out(torch.relu(self.hidden(z))))


def _custom_modules(k, h):
    return _Encoder(k, h), _Decoder(k, h)


def _ordered_dict(k, h):
    return (nn.Sequential(OrderedDict(fc1=nn.Linear(784, h), act=nn.ReLU(inplace=True), code=nn.Linear(h, k))),
            nn.Sequential(OrderedDict(fc1=nn.Linear(k, h), act=nn.ReLU(), out=nn.Linear(h, 784), sig=nn.Sigmoid())))


def _flatten_unflatten(k, h):  # takes images, gives back images
    return (nn.Sequential(nn.Flatten(), nn.Linear(784, h), nn.ReLU(), nn.Linear(h, k)),
            nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))))


@pytest.mark.parametrize("right", [_custom_modules, _ordered_dict, _flatten_unflatten])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


# -- wrong answers
def _no_sigmoid(k, h):
    return (nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, k)),
            nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784)))


def _linear_encoder(k, h):
    return (nn.Sequential(nn.Linear(784, h), nn.Linear(h, k)),
            nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784), nn.Sigmoid()))


def _linear_decoder(k, h):
    return (nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, k)),
            nn.Sequential(nn.Linear(k, h), nn.Linear(h, 784), nn.Sigmoid()))


def _fixed_sizes(k, h):  # ignores its arguments: the chapter's 784-128-32
    return (nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32)),
            nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid()))


def _no_bias(k, h):
    return (nn.Sequential(nn.Linear(784, h, bias=False), nn.ReLU(), nn.Linear(h, k)),
            nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784), nn.Sigmoid()))


def _one_module(k, h):
    return nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, k), nn.Linear(k, h), nn.ReLU(),
                         nn.Linear(h, 784), nn.Sigmoid())


def _activation_on_code(activation):
    def make_encoder_decoder(k, h):
        return (nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, k), activation()),
                nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784), nn.Sigmoid()))
    return make_encoder_decoder


def _activation_moved_to_the_end(k, h):  # Linear, Linear, ReLU: the non-linearity sits on the code
    return (nn.Sequential(nn.Linear(784, h), nn.Linear(h, k), nn.ReLU()),
            nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, 784), nn.Sigmoid()))


class _ReluCodeInForward(_Encoder):
    def forward(self, x):
        return torch.relu(super().forward(x))


def _relu_code_in_forward(k, h):
    return _ReluCodeInForward(k, h), _Decoder(k, h)


@pytest.mark.parametrize("wrong, reason", [
    (_no_sigmoid, "Sigmoid"), (_linear_encoder, "encoder is linear"), (_linear_decoder, "decoder is only"),
    (_fixed_sizes, "code_size"), (_no_bias, "parameters"), (_one_module, "two things"),
    (_activation_on_code(nn.ReLU), "ends with nn.ReLU()"),
    (_activation_on_code(nn.Sigmoid), "ends with nn.Sigmoid()"),
    (_activation_on_code(nn.Tanh), "ends with nn.Tanh()"),
    (_activation_on_code(nn.LeakyReLU), "ends with nn.LeakyReLU()"),
    (_activation_moved_to_the_end, "Move the nn.ReLU() between"),
    (_relu_code_in_forward, "not the plain output"),
])
def test_ex2_wrong_answers_are_incorrect(wrong, reason):
    out = ex2.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en, out.en


def test_ex2_activation_on_the_code_says_why_in_both_languages():
    out = ex2.grade(_activation_on_code(nn.ReLU))
    assert "negative" in out.en and "negative" in out.hi and "nn.ReLU()" in out.hi


# ---------------------------------------------------------------- exercise 3
def test_ex3_solution_is_correct():
    assert ex3.grade(_solution(ex3, "sample_like")).status == CORRECT


def test_ex3_stub_is_not_attempted():
    def sample_like(codes, n, generator):
        """Return n samples from the Gaussian fitted to the codes."""
        ...
    assert ex3.grade(sample_like).status == NOT_ATTEMPTED


def test_ex3_missing_return_is_named():
    def sample_like(codes, n, generator):
        L = torch.linalg.cholesky(torch.cov(codes.T))
        samples = codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) @ L.T  # noqa: F841
    out = ex3.grade(sample_like)
    assert out.status == INCORRECT and "return" in out.en


# -- right answers written differently
def _eigh_factor(codes, n, generator):  # any A with A A^T = cov works, not only the Cholesky factor
    w, v = torch.linalg.eigh(torch.cov(codes.T))
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) @ (v * w.sqrt()).T


def _covariance_by_hand(codes, n, generator):  # divides by M, noise as columns
    mean = codes.mean(0)
    centred = codes - mean
    L = torch.linalg.cholesky(centred.T @ centred / len(codes))
    return (L @ torch.randn(codes.shape[1], n, generator=generator)).T + mean


def _torch_normal(codes, n, generator):
    L = torch.linalg.cholesky(torch.cov(codes.T))
    return codes.mean(0) + torch.normal(0.0, 1.0, size=(n, codes.shape[1]), generator=generator) @ L.T


def _distribution_scale_tril(codes, n, generator):
    mvn = torch.distributions.MultivariateNormal(codes.mean(0), covariance_matrix=torch.cov(codes.T))
    return mvn.loc + torch.randn(n, codes.shape[1], generator=generator) @ mvn.scale_tril.T


def _float64(codes, n, generator):
    c = codes.double()
    L = torch.linalg.cholesky(torch.cov(c.T))
    return c.mean(0) + torch.randn(n, c.shape[1], generator=generator, dtype=torch.float64) @ L.T


@pytest.mark.parametrize("right", [_eigh_factor, _covariance_by_hand, _torch_normal, _distribution_scale_tril,
                                   _float64])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


# -- wrong answers
def _standard_normal(codes, n, generator):
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator)


def _diagonal(codes, n, generator):
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) * codes.std(0)


def _covariance_not_cholesky(codes, n, generator):
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) @ torch.cov(codes.T)


def _no_mean(codes, n, generator):
    L = torch.linalg.cholesky(torch.cov(codes.T))
    return torch.randn(n, codes.shape[1], generator=generator) @ L.T


def _ignores_generator(codes, n, generator):
    L = torch.linalg.cholesky(torch.cov(codes.T))
    return codes.mean(0) + torch.randn(n, codes.shape[1]) @ L.T


def _resampled_codes(codes, n, generator):  # right mean and covariance, but only copies of real codes
    return codes[torch.randint(len(codes), (n,), generator=generator)]


def _times_L_not_L_transposed(codes, n, generator):
    L = torch.linalg.cholesky(torch.cov(codes.T))
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) @ L


def _cov_of_the_rows(codes, n, generator):  # torch.cov(codes): an (M, M) matrix of rank <= d
    L = torch.linalg.cholesky(torch.cov(codes))
    return codes.mean(0) + torch.randn(n, codes.shape[1], generator=generator) @ L.T


@pytest.mark.parametrize("wrong, reason", [
    (_standard_normal, "N(0, I)"), (_diagonal, "correlations"), (_covariance_not_cholesky, "too large"),
    (_no_mean, "mean"), (_ignores_generator, "seeded"), (_resampled_codes, "copies"),
    (_times_L_not_L_transposed, "eps @ L.T"), (_cov_of_the_rows, "codes.T"),
])
def test_ex3_wrong_answers_are_incorrect(wrong, reason):
    out = ex3.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en, out.en


def test_hints_and_solutions_are_bilingual():
    for ex in (ex1, ex2, ex3):
        assert len(ex.hints) == 3               # the chapter's prose offers hint(), hint(2), hint(3)
        for hi, en in ex.hints:
            assert any("\u0900" <= ch <= "\u097f" for ch in hi), hi
            assert en and not any("\u0900" <= ch <= "\u097f" for ch in en), en
        assert ex.solution_link("hi") == f"../../solutions/hi/01_autoencoder_basics.ipynb#ex-{ex.number}"


def test_ex2_first_hint_does_not_give_the_layers_away():
    """Review P7: hint 1 is gentle, only the last hint writes the encoder out."""
    first_hi, first_en = ex2.hints[0]
    assert "nn.Linear(784, hidden)" not in first_en + first_hi
    assert "nn.Linear(784, hidden)" in ex2.hints[-1][1] and "nn.Linear(784, hidden)" in ex2.hints[-1][0]
