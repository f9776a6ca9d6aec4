"""Exercises of chapter 01 (autoencoder_basics)."""
from __future__ import annotations

import torch
from torch import nn

from . import Exercise, Wrong, call, expect

CHAPTER = "01_autoencoder_basics"


# ---------------------------------------------------------------- exercise 1
def _reference_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def _check_mse_per_image(fn) -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 1, 28, 28, generator=g)
    x_hat = torch.rand(6, 1, 28, 28, generator=g).requires_grad_()
    out = call(fn, x_hat, x)
    expect(torch.is_tensor(out), f"return a tensor, not {type(out).__name__} (no .item(), no NumPy)",
           f"tensor return करें, {type(out).__name__} नहीं (.item() या NumPy नहीं)")
    expect(out.numel() == 1, f"return one number (a 0-d tensor), got shape {tuple(out.shape)}",
           f"एक ही number (0-d tensor) return करें, मिली shape {tuple(out.shape)}")
    want = _reference_mse(x_hat.detach(), x)
    got = float(out.detach())
    close = lambda a, b: abs(a - b) <= 1e-4 * abs(b) + 1e-6  # noqa: E731
    expect(not close(got, float(want) / 784),
           "this is the mean over pixels too (reduction='mean'): 784 times too small; "
           "sum over the 784 pixels of each image",
           "यह pixels पर भी mean है (reduction='mean'): 784 गुना छोटा; हर image के 784 pixels का sum लें")
    expect(not close(got, float(want) * len(x)),
           "this is the sum over the whole batch: average over the images instead",
           "यह पूरे batch का sum है: images पर average लें")
    root = float((x_hat.detach() - x).pow(2).flatten(1).sum(1).sqrt().mean())
    expect(not close(got, float(want) ** 0.5) and not close(got, root),
           "there is a square root in it: the loss is the squared error, not its root",
           "इसमें square root है: loss squared error है, उसका root नहीं")
    expect(close(got, float(want)),
           f"got {got:.4f}, expected {float(want):.4f}: square the differences, sum over the pixels of "
           "each image, then average over the images",
           f"मिला {got:.4f}, चाहिए {float(want):.4f}: अंतर का square, हर image के pixels पर sum, फिर images पर average")
    expect(out.requires_grad,
           "the result is cut off from x_hat (no gradient): compute it with torch operations only",
           "result x_hat से कट गया है (gradient नहीं): सिर्फ़ torch operations से compute करें")
    try:
        flat = call(fn, x_hat.detach().flatten(1), x.flatten(1))
    except Wrong as crash:
        raise Wrong("it works on (N, 1, 28, 28) images but crashes on flat (N, 784) rows: sum over every "
                    f"dimension except the first (for example .flatten(1).sum(1)). {crash.en}",
                    "(N, 1, 28, 28) images पर चलता है पर flat (N, 784) rows पर crash होता है: पहले dimension को "
                    f"छोड़कर बाकी सब पर sum लें (जैसे .flatten(1).sum(1))। {crash.hi}") from crash
    expect(torch.is_tensor(flat) and close(float(flat), float(want)),
           "it works on (N, 1, 28, 28) images but not on flat (N, 784) rows: sum over every "
           "dimension except the first (for example .flatten(1).sum(1))",
           "(N, 1, 28, 28) images पर सही, पर flat (N, 784) rows पर नहीं: पहले dimension को छोड़कर "
           "बाकी सब पर sum लें (जैसे .flatten(1).sum(1))")
    small = call(fn, x_hat.detach()[:2], x[:2])
    expect(torch.is_tensor(small) and close(float(small), float(_reference_mse(x_hat.detach()[:2], x[:2]))),
           "the value does not match for a batch of 2 images: divide by the batch size N, not a fixed number",
           "2 images के batch पर value नहीं मिलती: fixed number से नहीं, batch size N से divide करें")


ex1 = Exercise(
    CHAPTER, 1, _check_mse_per_image,
    hints=[("पहले `(x_hat - x) ** 2` से हर pixel का squared error निकालें। फिर दो अलग reductions चाहिए: "
            "pixels पर sum, images पर mean।",
            "Start with `(x_hat - x) ** 2`, the squared error of every pixel. Then two different reductions: "
            "a sum over pixels, a mean over images."),
           ("`.flatten(1)` हर image को 784 numbers की एक row बना देता है, shape (N, 784); तब `.sum(1)` हर image "
            "का error देता है, shape (N,)।",
            "`.flatten(1)` turns each image into one row of 784 numbers, shape (N, 784); then `.sum(1)` gives "
            "each image's error, shape (N,)."),
           ("पूरी line: `return ((x_hat - x) ** 2).flatten(1).sum(1).mean()`",
            "The whole line: `return ((x_hat - x) ** 2).flatten(1).sum(1).mean()`")],
    solution_code="""
        def my_mse_per_image(x_hat, x):
            per_pixel = (x_hat - x) ** 2                # (N, 1, 28, 28) or (N, 784)
            per_image = per_pixel.flatten(1).sum(1)     # (N,): one error per image
            return per_image.mean()                     # average over the batch
    """,
)


# ---------------------------------------------------------------- exercise 2
def _linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def _is_affine(f, z1: torch.Tensor, z2: torch.Tensor) -> bool:
    """An affine map sends the midpoint of two inputs to the midpoint of their outputs."""
    return torch.allclose(f((z1 + z2) / 2), (f(z1) + f(z2)) / 2, atol=1e-5)


def _check_encoder_decoder(fn) -> None:
    for code_size, hidden in ((16, 64), (3, 40)):
        with torch.random.fork_rng():  # the learner's layers get the same initial weights every time
            torch.manual_seed(code_size)
            out = call(fn, code_size, hidden)
        expect(isinstance(out, tuple) and len(out) == 2,
               "return two things: (encoder, decoder)", "दो चीज़ें return करें: (encoder, decoder)")
        enc, dec = out
        expect(isinstance(enc, nn.Module) and isinstance(dec, nn.Module),
               "the encoder and the decoder must be nn.Module objects (for example nn.Sequential)",
               "encoder और decoder दोनों nn.Module होने चाहिए (जैसे nn.Sequential)")
        g = torch.Generator().manual_seed(code_size)
        x = torch.rand(5, 784, generator=g)
        with torch.no_grad():
            z = call(enc, x)
            expect(torch.is_tensor(z) and tuple(z.shape) == (5, code_size),
                   f"with code_size={code_size}, the encoder must map (5, 784) to (5, {code_size}), "
                   f"got {tuple(z.shape) if torch.is_tensor(z) else type(z).__name__}",
                   f"code_size={code_size} पर encoder को (5, 784) से (5, {code_size}) बनाना चाहिए, "
                   f"मिला {tuple(z.shape) if torch.is_tensor(z) else type(z).__name__}")
            enc_layers, dec_layers = _linear_shapes(enc), _linear_shapes(dec)
            expect(enc_layers == [(784, hidden), (hidden, code_size)],
                   f"the encoder's Linear layers should be 784→{hidden}→{code_size}, got "
                   f"{' , '.join(f'{a}→{b}' for a, b in enc_layers) or 'none'}",
                   f"encoder की Linear layers 784→{hidden}→{code_size} होनी चाहिए, मिलीं "
                   f"{' , '.join(f'{a}→{b}' for a, b in enc_layers) or 'कोई नहीं'}")
            expect(dec_layers == [(code_size, hidden), (hidden, 784)],
                   f"the decoder's Linear layers should be {code_size}→{hidden}→784, got "
                   f"{' , '.join(f'{a}→{b}' for a, b in dec_layers) or 'none'}",
                   f"decoder की Linear layers {code_size}→{hidden}→784 होनी चाहिए, मिलीं "
                   f"{' , '.join(f'{a}→{b}' for a, b in dec_layers) or 'कोई नहीं'}")
            x2 = torch.rand(5, 784, generator=g)
            expect(not _is_affine(enc, x, x2),
                   "the encoder is linear: put a non-linearity such as nn.ReLU() between its two Linear layers",
                   "encoder linear है: दोनों Linear layers के बीच nn.ReLU() जैसी non-linearity लगाएँ")
            big = 20 * torch.randn(50, code_size, generator=g)
            x_hat = call(dec, big)
            expect(torch.is_tensor(x_hat) and tuple(x_hat.shape) == (50, 784),
                   f"the decoder must map (50, {code_size}) to (50, 784)",
                   f"decoder को (50, {code_size}) से (50, 784) बनाना चाहिए")
            expect(float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1,
                   f"decoder outputs span [{float(x_hat.min()):.2f}, {float(x_hat.max()):.2f}]; pixels live in "
                   "[0, 1]: end the decoder with nn.Sigmoid()",
                   f"decoder के outputs [{float(x_hat.min()):.2f}, {float(x_hat.max()):.2f}] में हैं; pixels "
                   "[0, 1] में होते हैं: decoder के अंत में nn.Sigmoid() लगाएँ")
            pts = torch.randn(8, code_size, generator=g)  # several pairs: one unlucky pair is not enough
            logit = lambda t: torch.logit(call(dec, t).clamp(1e-6, 1 - 1e-6))  # noqa: E731
            expect(not all(_is_affine(logit, pts[i:i + 1], pts[i + 1:i + 2]) for i in range(0, 8, 2)),
                   "the decoder is only a sigmoid of a linear map: put a non-linearity such as nn.ReLU() "
                   "between its two Linear layers",
                   "decoder बस linear map का sigmoid है: दोनों Linear layers के बीच nn.ReLU() जैसी "
                   "non-linearity लगाएँ")
        n_params = sum(p.numel() for m in (enc, dec) for p in m.parameters() if p.requires_grad)
        want = 2 * (784 * hidden + hidden * code_size + hidden) + code_size + 784
        expect(n_params == want,
               f"{n_params:,} trainable parameters, expected {want:,} (every Linear layer with its bias)",
               f"{n_params:,} trainable parameters मिले, चाहिए {want:,} (हर Linear layer अपने bias के साथ)")


ex2 = Exercise(
    CHAPTER, 2, _check_encoder_decoder,
    hints=[("Encoder: Linear, फिर non-linearity, फिर Linear। Decoder उल्टा: Linear, non-linearity, Linear, "
            "और अंत में pixels को [0, 1] में लाने वाला function।",
            "Encoder: Linear, then a non-linearity, then Linear. Decoder the other way round: Linear, "
            "non-linearity, Linear, and at the end a function that brings pixels into [0, 1]."),
           ("`nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))` encoder है; "
            "decoder में sizes उल्टे हैं और आखिर में `nn.Sigmoid()`।",
            "`nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))` is the encoder; "
            "the decoder has the sizes reversed and ends with `nn.Sigmoid()`."),
           ("Parameters गिनें: हर `nn.Linear(a, b)` में a·b weights और b bias होते हैं।",
            "Count the parameters: every `nn.Linear(a, b)` has a·b weights and b bias terms.")],
    solution_code="""
        from torch import nn

        def make_encoder_decoder(code_size, hidden):
            encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))
            decoder = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(),
                                    nn.Linear(hidden, 784), nn.Sigmoid())
            return encoder, decoder
    """,
)


# ---------------------------------------------------------------- exercise 3
def _check_sample_like(fn) -> None:
    g = torch.Generator().manual_seed(3)
    d = 4
    mix = torch.tensor([[2.0, 0.0, 0.0, 0.0], [1.5, 1.0, 0.0, 0.0], [0.0, -0.8, 0.5, 0.0], [0.3, 0.0, 0.0, 3.0]])
    codes = torch.randn(4000, d, generator=g) @ mix.T + torch.tensor([5.0, -3.0, 1.0, 0.0])
    mean, cov = codes.mean(0), torch.cov(codes.T)
    n = 20000
    out = call(fn, codes, n, torch.Generator().manual_seed(11))
    expect(torch.is_tensor(out) and tuple(out.shape) == (n, d),
           f"return a tensor of shape (n, d) = ({n}, {d}), got "
           f"{tuple(out.shape) if torch.is_tensor(out) else type(out).__name__}",
           f"shape (n, d) = ({n}, {d}) का tensor return करें, मिला "
           f"{tuple(out.shape) if torch.is_tensor(out) else type(out).__name__}")
    out = out.detach().float()
    again = call(fn, codes, n, torch.Generator().manual_seed(11))
    expect(torch.is_tensor(again) and torch.allclose(again.detach().float(), out),
           "two calls with equally seeded generators gave different samples: draw the noise with "
           "torch.randn(n, d, generator=generator)",
           "एक ही seed वाले generators से दो बार अलग samples आए: noise को "
           "torch.randn(n, d, generator=generator) से निकालें")
    other = call(fn, codes, n, torch.Generator().manual_seed(12))
    expect(not torch.allclose(other.detach().float(), out),
           "different generators gave the same samples: the samples must be random",
           "अलग generators से भी वही samples आए: samples random होने चाहिए")
    copies = torch.isin(out[:, 0], codes[:, 0]).float().mean()
    expect(float(copies) < 0.5,
           "the samples are copies of the codes themselves: draw new points from the fitted Gaussian",
           "samples खुद codes की copies हैं: fitted Gaussian से नए points निकालें")
    std = cov.diagonal().sqrt()
    expect(bool(((out.mean(0) - mean).abs() < 0.1 * std).all()),
           f"the samples' mean {out.mean(0).numpy().round(2).tolist()} is not the codes' mean "
           f"{mean.numpy().round(2).tolist()}: add the mean",
           f"samples का mean {out.mean(0).numpy().round(2).tolist()} codes के mean "
           f"{mean.numpy().round(2).tolist()} से नहीं मिलता: mean जोड़ें")
    got_cov = torch.cov(out.T)
    off = lambda a, b: float((a - b).norm() / b.norm())  # noqa: E731  relative distance of a from b
    expect(off(got_cov, torch.eye(d)) > 0.1,
           "the samples have the covariance of plain N(0, I) noise: shape the noise with the Cholesky factor "
           "of the codes' covariance",
           "samples की covariance सादे N(0, I) noise जैसी है: noise को codes की covariance के Cholesky factor "
           "से आकार दें")
    expect(off(got_cov, cov.diagonal().diag()) > 0.1,
           "the variances are right but the correlations are missing: you scaled each dimension by its own "
           "standard deviation; use the Cholesky factor of the full covariance",
           "variances सही हैं पर correlations गायब हैं: आपने हर dimension को अलग से उसकी standard deviation से "
           "scale किया; पूरी covariance का Cholesky factor इस्तेमाल करें")
    expect(off(got_cov, cov @ cov) > 0.1,
           "the spread is far too large: multiply the noise by the Cholesky factor L of the covariance, "
           "not by the covariance itself",
           "फैलाव बहुत ज़्यादा है: noise को covariance से नहीं, उसके Cholesky factor L से multiply करें")
    expect(off(got_cov, cov) < 0.1,
           f"the samples' covariance is off by {100 * off(got_cov, cov):.0f}% of the codes' covariance: "
           "use z = mean + eps @ L.T with L = torch.linalg.cholesky(cov)",
           f"samples की covariance codes की covariance से {100 * off(got_cov, cov):.0f}% अलग है: "
           "z = mean + eps @ L.T लें, जहाँ L = torch.linalg.cholesky(cov)")


ex3 = Exercise(
    CHAPTER, 3, _check_sample_like,
    hints=[("दो चीज़ें चाहिए: codes का mean (shape (d,)) और covariance matrix (shape (d, d))। "
            "`torch.cov` rows को variables मानता है, इसलिए `codes.T` दें।",
            "You need two things: the codes' mean (shape (d,)) and covariance matrix (shape (d, d)). "
            "`torch.cov` treats rows as variables, so pass `codes.T`."),
           ("Standard normal noise `eps = torch.randn(n, d, generator=generator)` को covariance का आकार देने के "
            "लिए Cholesky factor `L = torch.linalg.cholesky(cov)` चाहिए, जिसके लिए L Lᵀ = cov।",
            "To give standard normal noise `eps = torch.randn(n, d, generator=generator)` the shape of the "
            "covariance you need the Cholesky factor `L = torch.linalg.cholesky(cov)`, for which L Lᵀ = cov."),
           ("`return mean + eps @ L.T`: हर row z = mean + L·eps है, और Cov(L·eps) = L I Lᵀ = cov।",
            "`return mean + eps @ L.T`: each row is z = mean + L·eps, and Cov(L·eps) = L I Lᵀ = cov.")],
    solution_code="""
        import torch

        def sample_like(codes, n, generator):
            mean = codes.mean(0)                              # (d,)
            cov = torch.cov(codes.T)                          # (d, d)
            L = torch.linalg.cholesky(cov)                    # L @ L.T == cov
            eps = torch.randn(n, codes.shape[1], generator=generator)
            return mean + eps @ L.T                           # each row: mean + L @ eps
    """,
)
