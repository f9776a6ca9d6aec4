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
    per_image = (x_hat.detach() - x).pow(2).flatten(1).sum(1)
    if tuple(out.shape) == (len(x),) and torch.allclose(out.detach().float(), per_image, rtol=1e-4):
        expect(False, f"this is one error per image, shape ({len(x)},): average it over the images (.mean())",
               f"यह हर image की अलग error है, shape ({len(x)},): इसका images पर average लें (.mean())")
    expect(out.numel() == 1, f"return one number (a 0-d tensor), got shape {tuple(out.shape)}",
           f"एक ही number (0-d tensor) return करें, मिली shape {tuple(out.shape)}")
    want = _reference_mse(x_hat.detach(), x)
    got = float(out.detach())
    close = lambda a, b: abs(a - b) <= 1e-4 * abs(b) + 1e-6  # noqa: E731
    expect(not close(got, float((x_hat.detach() - x).abs().flatten(1).sum(1).mean())),
           "this is the absolute error |x_hat - x|: square the differences instead",
           "यह absolute error |x_hat - x| है: इसकी जगह अंतर का square लें")
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
    hints=[("दो अलग reductions चाहिए: पहले हर image के अपने pixels पर sum (हर image की एक error), फिर images पर "
            "mean। PyTorch का default दोनों पर mean लेता है।",
            "You need two different reductions: first a sum over the pixels of each image (one error per image), "
            "then a mean over the images. PyTorch's default takes the mean over both."),
           ("`(x_hat - x) ** 2` हर pixel की squared error है; `.flatten(1)` हर image को एक row बना देता है, shape "
            "(N, 784), चाहे input images हों या rows; तब `.sum(1)` हर image की error देता है, shape (N,)।",
            "`(x_hat - x) ** 2` is every pixel's squared error; `.flatten(1)` turns each image into one row, shape "
            "(N, 784), whether the input is images or rows; then `.sum(1)` gives each image's error, shape (N,)."),
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


def _is_activation(m: nn.Module) -> bool:
    return type(m).__module__ == "torch.nn.modules.activation"


def _code_passes_through(enc: nn.Module, x: torch.Tensor, code_size: int) -> bool:
    """True if the code is the output of the encoder's last Linear layer, unchanged.

    A forward hook shifts that layer's output by +5 and by -5; with nothing after the layer the code
    shifts by exactly as much. A ReLU clips the -5, a sigmoid or tanh squashes both, a LeakyReLU or an
    ELU bends the -5: the code would then not be free to take any real value, negative or large.
    """
    last = [m for m in enc.modules() if isinstance(m, nn.Linear) and m.out_features == code_size][-1]
    was_training = enc.training
    enc.eval()                                   # a Dropout inside must not make two calls differ
    try:
        z = call(enc, x)
        for delta in (5.0, -5.0):
            handle = last.register_forward_hook(lambda module, inputs, output: output + delta)
            try:
                shifted = call(enc, x)
            finally:
                handle.remove()
            if not (torch.is_tensor(shifted) and torch.allclose(shifted - z, torch.full_like(z, delta), atol=1e-4)):
                return False
        return True
    finally:
        enc.train(was_training)


def _code_activation_reason(enc: nn.Module) -> tuple[str, str]:
    """The bilingual reason for an encoder whose code goes through something after its last Linear layer."""
    leaves = [m for m in enc.modules() if not list(m.children())]
    linear_at = [i for i, m in enumerate(leaves) if isinstance(m, nn.Linear)]
    after = [m for m in leaves[linear_at[-1] + 1:] if _is_activation(m)]
    between = [m for m in leaves[linear_at[0] + 1:linear_at[-1]] if _is_activation(m)] if len(linear_at) > 1 else []
    free = "the code gets no activation, so that it can take any real value, negative or large"
    free_hi = "code पर कोई activation नहीं लगता, ताकि वह कोई भी real value ले सके, negative या बड़ी"
    if after:
        name = type(after[0]).__name__
        if not between:
            return (f"the encoder ends with nn.{name}(): {free}. Move the nn.{name}() between the two Linear layers "
                    "and end the encoder with Linear(hidden, code_size)",
                    f"encoder nn.{name}() पर खत्म होता है: {free_hi}। nn.{name}() को दोनों Linear layers के बीच ले "
                    "जाएँ और encoder को Linear(hidden, code_size) पर खत्म करें")
        return (f"the encoder ends with nn.{name}(): {free}. Remove that last nn.{name}(); the encoder ends with "
                "Linear(hidden, code_size)",
                f"encoder nn.{name}() पर खत्म होता है: {free_hi}। वह आखिरी nn.{name}() हटा दें; encoder "
                "Linear(hidden, code_size) पर खत्म होता है")
    return ("the code is not the plain output of the encoder's last Linear layer: something after it (an "
            f"activation in forward?) changes it. {free}",
            "code encoder की आखिरी Linear layer का सीधा output नहीं है: उसके बाद कुछ (forward में कोई activation?) "
            f"उसे बदलता है। {free_hi}")


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
            expect(sorted(enc_layers) == sorted([(784, hidden), (hidden, code_size)]),  # any order of definition
                   f"the encoder's Linear layers should be 784→{hidden}→{code_size}, got "
                   f"{' , '.join(f'{a}→{b}' for a, b in enc_layers) or 'none'}",
                   f"encoder की Linear layers 784→{hidden}→{code_size} होनी चाहिए, मिलीं "
                   f"{' , '.join(f'{a}→{b}' for a, b in enc_layers) or 'कोई नहीं'}")
            expect(sorted(dec_layers) == sorted([(code_size, hidden), (hidden, 784)]),
                   f"the decoder's Linear layers should be {code_size}→{hidden}→784, got "
                   f"{' , '.join(f'{a}→{b}' for a, b in dec_layers) or 'none'}",
                   f"decoder की Linear layers {code_size}→{hidden}→784 होनी चाहिए, मिलीं "
                   f"{' , '.join(f'{a}→{b}' for a, b in dec_layers) or 'कोई नहीं'}")
            x_many = torch.rand(64, 784, generator=g)
            if not _code_passes_through(enc, x_many, code_size):
                expect(False, *_code_activation_reason(enc))
            x2 = torch.rand(5, 784, generator=g)
            expect(not _is_affine(enc, x, x2),
                   "the encoder is linear: put a non-linearity such as nn.ReLU() between its two Linear layers",
                   "encoder linear है: दोनों Linear layers के बीच nn.ReLU() जैसी non-linearity लगाएँ")
            big = 20 * torch.randn(50, code_size, generator=g)
            x_hat = call(dec, big)
            # a decoder that hands back (N, 1, 28, 28) images is fine too: compare it as (N, 784) rows
            expect(torch.is_tensor(x_hat) and x_hat.shape[0] == 50 and x_hat[0].numel() == 784,
                   f"the decoder must map (50, {code_size}) to (50, 784), got "
                   f"{tuple(x_hat.shape) if torch.is_tensor(x_hat) else type(x_hat).__name__}",
                   f"decoder को (50, {code_size}) से (50, 784) बनाना चाहिए, मिला "
                   f"{tuple(x_hat.shape) if torch.is_tensor(x_hat) else type(x_hat).__name__}")
            expect(float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1,
                   f"decoder outputs span [{float(x_hat.min()):.2f}, {float(x_hat.max()):.2f}]; pixels live in "
                   "[0, 1]: end the decoder with nn.Sigmoid()",
                   f"decoder के outputs [{float(x_hat.min()):.2f}, {float(x_hat.max()):.2f}] में हैं; pixels "
                   "[0, 1] में होते हैं: decoder के अंत में nn.Sigmoid() लगाएँ")
            pts = torch.randn(8, code_size, generator=g)  # several pairs: one unlucky pair is not enough
            logit = lambda t: torch.logit(call(dec, t).flatten(1).clamp(1e-6, 1 - 1e-6))  # noqa: E731
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
    hints=[("Shapes के पीछे चलें: encoder 784 → hidden → code_size, decoder वापस code_size → hidden → 784, और हर "
            "हिस्से में दो Linear layers के बीच एक non-linearity। Code पर खुद कोई activation नहीं लगता; decoder का "
            "output pixels की range [0, 1] में होना चाहिए।",
            "Follow the shapes: the encoder goes 784 → hidden → code_size, the decoder back code_size → hidden → 784, "
            "and each part has a non-linearity between its two Linear layers. The code itself gets no activation; "
            "the decoder's output must lie in the pixels' range [0, 1]."),
           ("दोनों को `nn.Sequential` से बनाएँ। Encoder: Linear, ReLU, Linear, और वहीं खत्म (code के बाद कुछ नहीं)। "
            "Decoder: Linear, ReLU, Linear, `nn.Sigmoid()`। Section 4 का `MyAutoencoder` यही है, 128 और 32 के साथ; "
            "bias बंद न करें (हर `nn.Linear(a, b)` में a·b weights और b bias)।",
            "Build both with `nn.Sequential`. Encoder: Linear, ReLU, Linear, and stop there (nothing after the "
            "code). Decoder: Linear, ReLU, Linear, `nn.Sigmoid()`. Section 4's `MyAutoencoder` is exactly this with "
            "128 and 32; keep the biases on (every `nn.Linear(a, b)` has a·b weights and b biases)."),
           ("`encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))`; decoder "
            "में sizes उल्टे हैं और आखिर में `nn.Sigmoid()`; फिर `return encoder, decoder`।",
            "`encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size))`; the "
            "decoder has the sizes reversed and `nn.Sigmoid()` at the end; then `return encoder, decoder`.")],
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
    try:
        out = call(fn, codes, n, torch.Generator().manual_seed(11))
    except Wrong as crash:
        if "positive-definite" not in crash.en:
            raise
        raise Wrong(f"{crash.en.rstrip('.')}. Here the codes' covariance is positive definite, so the matrix you factorised is "
                    "not it: torch.cov treats each ROW as one variable, so pass codes.T to get the (d, d) covariance",
                    f"{crash.hi.rstrip('.')}। यहाँ codes की covariance positive definite है, तो आपने जिस matrix का factor निकाला "
                    "वह covariance नहीं है: torch.cov हर ROW को एक variable मानता है, इसलिए (d, d) covariance के लिए "
                    "codes.T दें") from crash
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
    chol = torch.linalg.cholesky(cov)
    expect(off(got_cov, chol.T @ chol) > 0.1 or off(chol.T @ chol, cov) < 0.1,
           "the samples' covariance is L.T @ L, not L @ L.T: with the noise as rows (n, d), each row must be "
           "L·eps, that is eps @ L.T (not eps @ L)",
           "samples की covariance L.T @ L है, L @ L.T नहीं: noise की rows (n, d) हों तो हर row L·eps होनी चाहिए, "
           "यानी eps @ L.T (eps @ L नहीं)")
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
    hints=[("ऊपर का formula ही नुस्खा है: codes से दो चीज़ें निकालें, उनका mean और covariance; फिर standard normal "
            "noise लें, उसे एक matrix L (जिसके लिए L Lᵀ = covariance) से आकार दें और उसमें mean जोड़ें।",
            "The formula above is the recipe: get two things from the codes, their mean and their covariance; then "
            "draw standard normal noise, shape it with a matrix L (with L Lᵀ = covariance) and shift it by the mean."),
           ("`mean = codes.mean(0)`, `cov = torch.cov(codes.T)` (torch.cov rows को variables मानता है), "
            "`L = torch.linalg.cholesky(cov)` और `eps = torch.randn(n, d, generator=generator)`।",
            "`mean = codes.mean(0)`, `cov = torch.cov(codes.T)` (torch.cov treats rows as variables), "
            "`L = torch.linalg.cholesky(cov)` and `eps = torch.randn(n, d, generator=generator)`."),
           ("`return mean + eps @ L.T`: eps की हर row एक ε है, और `eps @ L.T` की हर row L·ε; "
            "Cov(L·ε) = L I Lᵀ = cov।",
            "`return mean + eps @ L.T`: each row of eps is one ε, and each row of `eps @ L.T` is L·ε; "
            "Cov(L·ε) = L I Lᵀ = cov.")],
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
