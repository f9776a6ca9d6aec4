"""The checkers of chapter 01, tested with planted right and wrong answers."""
from __future__ import annotations

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
        ...
    assert ex1.grade(my_mse_per_image).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


@pytest.mark.parametrize("wrong, reason", [
    (lambda x_hat, x: F.mse_loss(x_hat, x), "784"),                                   # reduction='mean'
    (lambda x_hat, x: F.mse_loss(x_hat, x, reduction="sum"), "batch"),                # no division by N
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean().item(), "tensor"),  # a float, no gradient
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean().sqrt(), "root"),    # RMSE
    (lambda x_hat, x: ((x_hat - x) ** 2).sum((1, 2, 3)).mean(), "flat"),              # only works on 4-d images
    (lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).sum() / 6, "batch of 2"),  # fixed batch size
    (lambda x_hat, x: ((x_hat - x) ** 2).detach().flatten(1).sum(1).mean(), "gradient"),
])
def test_ex1_wrong_answers_are_incorrect(wrong, reason):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en


# ---------------------------------------------------------------- exercise 2
def test_ex2_solution_is_correct():
    assert ex2.grade(_solution(ex2, "make_encoder_decoder")).status == CORRECT


def test_ex2_stub_is_not_attempted():
    def make_encoder_decoder(code_size, hidden):
        ...
    assert ex2.grade(make_encoder_decoder).status == NOT_ATTEMPTED


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


@pytest.mark.parametrize("wrong, reason", [
    (_no_sigmoid, "Sigmoid"), (_linear_encoder, "encoder is linear"), (_linear_decoder, "decoder is only"),
    (_fixed_sizes, "code_size"), (_no_bias, "parameters"), (_one_module, "two things"),
])
def test_ex2_wrong_answers_are_incorrect(wrong, reason):
    out = ex2.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en


# ---------------------------------------------------------------- exercise 3
def test_ex3_solution_is_correct():
    assert ex3.grade(_solution(ex3, "sample_like")).status == CORRECT


def test_ex3_stub_is_not_attempted():
    def sample_like(codes, n, generator):
        ...
    assert ex3.grade(sample_like).status == NOT_ATTEMPTED


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


@pytest.mark.parametrize("wrong, reason", [
    (_standard_normal, "N(0, I)"), (_diagonal, "correlations"), (_covariance_not_cholesky, "too large"),
    (_no_mean, "mean"), (_ignores_generator, "seeded"), (_resampled_codes, "copies"),
])
def test_ex3_wrong_answers_are_incorrect(wrong, reason):
    out = ex3.grade(wrong)
    assert out.status == INCORRECT
    assert reason in out.en


def test_hints_and_solutions_are_bilingual():
    for ex in (ex1, ex2, ex3):
        assert 2 <= len(ex.hints) <= 3
        for hi, en in ex.hints:
            assert any("\u0900" <= ch <= "\u097f" for ch in hi), hi
            assert en and not any("\u0900" <= ch <= "\u097f" for ch in en), en
        assert ex.solution_link("hi") == f"../../solutions/hi/01_autoencoder_basics.ipynb#ex-{ex.number}"
