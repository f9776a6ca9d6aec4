"""Exercises of chapter 10 (conditional_vae): one-hot concatenation, conditioning fidelity, the class grid."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import Exercise, Wrong, call, expect

CHAPTER = "10_conditional_vae"


def _as_tensor(out, what_en: str, what_hi: str) -> torch.Tensor:
    """The learner's output as a float tensor, or a bilingual reason why it cannot be one."""
    if not torch.is_tensor(out):
        try:
            out = torch.as_tensor(np.asarray(out, dtype=np.float64))
        except (TypeError, ValueError, RuntimeError):
            raise Wrong(f"return {what_en} as a tensor, not {type(out).__name__}",
                        f"{what_hi} tensor के रूप में return करें, {type(out).__name__} नहीं") from None
    return out


# ---------------------------------------------------------------- exercise 1: one-hot concatenation

def _check_one_hot_concat(fn) -> None:
    g = torch.Generator().manual_seed(10)
    n_classes, d = 7, 5
    x = torch.randn(9, d, generator=g)
    y = torch.tensor([0, 3, 6, 1, 1, 5, 2, 4, 0])          # every class, the last one (6) included
    keep_x, keep_y = x.clone(), y.clone()
    out = _as_tensor(call(fn, x, y, n_classes), "the concatenated rows", "जुड़ी हुई rows")
    expect(torch.equal(x, keep_x) and torch.equal(y, keep_y), "your function changed x or y in place",
           "आपके function ने x या y को in place बदल दिया")
    expect(out.dim() == 2 and len(out) == len(x),
           f"return one row per image, shape (N, D + n_classes) = (9, {d + n_classes}); got {tuple(out.shape)}",
           f"हर image की एक row लौटाएँ, shape (N, D + n_classes) = (9, {d + n_classes}); मिली {tuple(out.shape)}")
    if out.shape[1] == d + 1:
        expect(False, "you appended the label as one number: that tells the network class 6 is 'six times' class 1 "
                      "and that 3 lies between 2 and 4. Give every class its own input: a one-hot vector of length "
                      "n_classes",
               "आपने label को एक number की तरह जोड़ा: इससे network मानता है कि class 6 class 1 का 'छह गुना' है और 3, "
               "2 और 4 के बीच है। हर class को अपना input दें: n_classes लंबाई का one-hot vector")
    expect(out.shape[1] == d + n_classes,
           f"each row should have D + n_classes = {d} + {n_classes} = {d + n_classes} numbers, got {out.shape[1]}; "
           "use the argument n_classes, do not hard-code 10",
           f"हर row में D + n_classes = {d} + {n_classes} = {d + n_classes} numbers होने चाहिए, मिले {out.shape[1]}; "
           "argument n_classes इस्तेमाल करें, 10 hard-code न करें")
    expect(torch.is_floating_point(out), f"the result must be float (the network multiplies it by float weights), "
           f"got {out.dtype}", f"result float होना चाहिए (network उसे float weights से गुणा करता है), मिला {out.dtype}")
    out = out.detach().float()
    eye = torch.eye(n_classes)[y]
    if torch.allclose(out[:, :n_classes], eye) and torch.allclose(out[:, n_classes:], x):
        expect(False, "the one-hot comes first: put x first and the one-hot after it, torch.cat([x, one_hot], dim=1)",
               "one-hot पहले आ गया: पहले x रखें और उसके बाद one-hot, torch.cat([x, one_hot], dim=1)")
    expect(torch.allclose(out[:, :d], x), "the first D columns of each row must be x itself, unchanged",
           "हर row के पहले D columns खुद x होने चाहिए, बिना बदले")
    tail = out[:, d:]
    expect(bool(((tail == 0) | (tail == 1)).all()) and bool((tail.sum(1) == 1).all()),
           "the last n_classes columns must be one-hot: exactly one 1 per row, every other entry 0",
           "आखिरी n_classes columns one-hot होने चाहिए: हर row में ठीक एक 1, बाकी सब 0")
    if torch.equal(tail, eye.flip(1)):
        expect(False, "the class order is reversed: class c must light up column c of the one-hot (class 0 first)",
               "class का क्रम उलटा है: class c से one-hot का column c 1 होना चाहिए (class 0 पहले)")
    expect(torch.equal(tail, eye), "row n's 1 must sit in column y[n] of the one-hot part",
           "row n का 1 one-hot हिस्से के column y[n] में होना चाहिए")
    one = _as_tensor(call(fn, x[:2], torch.tensor([2, 2]), n_classes), "the concatenated rows", "जुड़ी हुई rows")
    expect(tuple(one.shape) == (2, d + n_classes),
           f"with labels [2, 2] the shape must still be (2, {d + n_classes}), got {tuple(one.shape)}: pass "
           "num_classes=n_classes to F.one_hot, else it guesses the number of classes from the largest label",
           f"labels [2, 2] पर भी shape (2, {d + n_classes}) होनी चाहिए, मिली {tuple(one.shape)}: F.one_hot को "
           "num_classes=n_classes दें, वरना वह classes की गिनती सबसे बड़े label से अंदाज़ा लगाता है")
    xg = x[:3].clone().requires_grad_(True)
    back = call(fn, xg, y[:3], n_classes)
    expect(torch.is_tensor(back) and back.requires_grad,
           "gradients must flow back to x: build the result with torch operations (torch.cat), not NumPy",
           "gradient x तक लौटना चाहिए: result torch operations (torch.cat) से बनाएँ, NumPy से नहीं")


ex1 = Exercise(
    CHAPTER, 1, _check_one_hot_concat,
    hints=[("हर class को network का अपना एक input मिलना चाहिए, जो उसी class के लिए 1 हो और बाकी के लिए 0। "
            "यह vector x की हर row के आखिर में जुड़ता है।",
            "Every class should get its own input to the network, 1 for that class and 0 otherwise. This vector "
            "is appended at the end of each row of x."),
           ("`torch.nn.functional.one_hot(y, num_classes=n_classes)` (N, n_classes) integers देता है; `.float()` से "
            "float बनाएँ और `torch.cat(..., dim=1)` से x के बाद जोड़ें।",
            "`torch.nn.functional.one_hot(y, num_classes=n_classes)` gives (N, n_classes) integers; make them float "
            "with `.float()` and append them after x with `torch.cat(..., dim=1)`."),
           ("`onehot = torch.nn.functional.one_hot(y, num_classes=n_classes).float()` और "
            "`return torch.cat([x, onehot], dim=1)`।",
            "`onehot = torch.nn.functional.one_hot(y, num_classes=n_classes).float()` and "
            "`return torch.cat([x, onehot], dim=1)`.")],
    solution_code="""
        def one_hot_concat(x, y, n_classes):
            onehot = torch.nn.functional.one_hot(y, num_classes=n_classes).float()   # (N, n_classes), one 1 per row
            return torch.cat([x, onehot], dim=1)                                    # (N, D + n_classes)
    """,
)


# ---------------------------------------------------------------- exercise 2: conditioning fidelity per class

class _TableJudge(nn.Module):
    """A judge stand-in: sample k is the tensor [k]; it returns row k of a fixed table of logits."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.register_buffer("table", logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.table[x.reshape(len(x), -1)[:, 0].round().long()]


def _fidelity_case():
    """Unbalanced classes, argmax sometimes unconfident, precision != recall: every mistake changes the answer."""
    g = torch.Generator().manual_seed(3)
    n_classes = 4
    labels = torch.tensor([0] * 6 + [1] * 3 + [2] * 8 + [3] * 3)
    judged = torch.tensor([0, 0, 0, 0, 1, 2,   1, 0, 1,   2, 2, 2, 2, 2, 2, 0, 0,   3, 2, 2])
    logits = torch.randn(len(labels), n_classes, generator=g) * 0.1
    logits[torch.arange(len(labels)), judged] += 0.6          # argmax right, but softmax well below 0.9
    logits[::3, :] *= 10                                      # some confident rows, some not
    assert torch.equal(logits.argmax(1), judged)
    samples = torch.arange(len(labels), dtype=torch.float32)[:, None].repeat(1, 3)
    want = torch.stack([(judged[labels == c] == c).float().mean() for c in range(n_classes)])
    return _TableJudge(logits), samples, labels, n_classes, judged, logits, want


def _check_fidelity(fn) -> None:
    judge, samples, labels, n_classes, judged, logits, want = _fidelity_case()
    keep = samples.clone()
    out = _as_tensor(call(fn, judge, samples, labels, n_classes), "the per-class fidelities",
                     "हर class की fidelity")
    expect(torch.equal(samples, keep), "your function changed the samples in place",
           "आपके function ने samples को in place बदल दिया")
    out = out.detach().double().flatten() if out.numel() == n_classes else out.detach().double()
    expect(out.dim() == 1 and len(out) == n_classes,
           f"return one number per class, shape (n_classes,) = ({n_classes},); got {tuple(out.shape)}. "
           "Use the argument n_classes",
           f"हर class का एक number लौटाएँ, shape (n_classes,) = ({n_classes},); मिली {tuple(out.shape)}। "
           "Argument n_classes इस्तेमाल करें")
    want = want.double()
    if torch.allclose(out, want, atol=1e-6):
        return
    overall = (judged == labels).double().mean()
    expect(not torch.allclose(out, overall.expand(n_classes), atol=1e-6),
           "you returned the overall agreement for every class: split by the requested label, one share per class",
           "आपने हर class के लिए कुल agreement लौटाया: requested label से बाँटें, हर class का अलग share")
    per_total = torch.stack([((labels == c) & (judged == c)).double().sum() / len(labels) for c in range(n_classes)])
    expect(not torch.allclose(out, per_total, atol=1e-6),
           "you divided by all samples: divide each class's hits by the number of samples requested for that class",
           "आपने सारे samples से भाग दिया: हर class के सही जवाबों को उसी class के लिए माँगे गए samples की गिनती से भाग दें")
    precision = torch.stack([(labels[judged == c] == c).double().mean() for c in range(n_classes)])
    expect(not torch.allclose(out, precision, atol=1e-6),
           "you grouped by the judge's answer (of the samples judged c, how many were requested as c): group by "
           "the requested label instead (of the samples requested as c, how many the judge calls c)",
           "आपने judge के जवाब से group किया (जिन्हें judge ने c कहा उनमें से कितने c माँगे गए थे): requested label से "
           "group करें (जो c माँगे गए उनमें से कितनों को judge c कहता है)")
    confident = torch.softmax(logits, 1).max(1).values > 0.9
    sure = torch.stack([((judged == c) & confident)[labels == c].double().mean() for c in range(n_classes)])
    expect(not torch.allclose(out, sure, atol=1e-6),
           "you counted only confident answers (a probability threshold): fidelity counts the judge's top class "
           "(argmax), however confident",
           "आपने सिर्फ़ confident जवाब गिने (probability threshold): fidelity judge की top class (argmax) गिनती है, "
           "confidence कितना भी हो")
    expect(False, "for each class c: among the samples with labels == c, the share whose judge(samples).argmax(1) is c",
           "हर class c के लिए: labels == c वाले samples में से उनका हिस्सा जिनका judge(samples).argmax(1) c है")


ex2 = Exercise(
    CHAPTER, 2, _check_fidelity,
    hints=[("Judge हर sample के लिए एक class चुनता है (उसकी सबसे बड़ी logit)। हर class c के लिए सिर्फ़ वे samples देखें "
            "जो class c के लिए बनाए गए थे, और गिनें कि उनमें से कितनों पर judge भी c कहता है।",
            "The judge picks one class per sample (its largest logit). For each class c look only at the samples "
            "generated for class c, and count how many of them the judge also calls c."),
           ("`pred = judge(samples).argmax(1)` (`torch.no_grad()` के अंदर); फिर हर c के लिए `mask = labels == c` और "
            "`pred[mask] == c` का औसत।",
            "`pred = judge(samples).argmax(1)` (inside `torch.no_grad()`); then for every c, `mask = labels == c` and "
            "the mean of `pred[mask] == c`."),
           ("`return torch.stack([(pred[labels == c] == c).float().mean() for c in range(n_classes)])`।",
            "`return torch.stack([(pred[labels == c] == c).float().mean() for c in range(n_classes)])`.")],
    solution_code="""
        def conditioning_fidelity(judge, samples, labels, n_classes):
            with torch.no_grad():
                pred = judge(samples).argmax(1)                  # the judge's class for every sample
            return torch.stack([(pred[labels == c] == c).float().mean()   # of the samples asked to be c,
                                for c in range(n_classes)])              # the share judged c
    """,
)


# ---------------------------------------------------------------- exercise 3: the same z with every label

class _Decoder:
    """A decoder stand-in: images that depend on both z and y; it counts its calls."""

    def __init__(self, latent: int = 3, n_classes: int = 4, n_pixels: int = 6):
        g = torch.Generator().manual_seed(7)
        self.w, self.v = torch.randn(latent, n_pixels, generator=g), torch.randn(n_classes, n_pixels, generator=g)
        self.n_classes = n_classes

    def logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return z @ self.w + self.v[y]

    def __call__(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        y = torch.as_tensor(y)
        if torch.is_floating_point(y) or y.dim() != 1 or len(y) != len(z):
            raise ValueError(f"decode wants integer labels of shape (n,) = ({len(z)},), one per z; got dtype "
                             f"{y.dtype} and shape {tuple(y.shape)}")
        return torch.sigmoid(self.logits(z, y))


def _check_class_grid(fn) -> None:
    dec = _Decoder()
    g = torch.Generator().manual_seed(1)
    n, k = 5, dec.n_classes
    z = torch.randn(n, 3, generator=g)
    keep = z.clone()
    torch.manual_seed(123)
    out = _as_tensor(call(fn, dec, z, k), "the images", "images")
    expect(torch.equal(z, keep), "your function changed z in place", "आपके function ने z को in place बदल दिया")
    if out.dim() == 3 and tuple(out.shape[:2]) in ((k, n), (n, k)):
        # torch.stack adds a dimension: (K, n, P) is the grid block by block, the layout the chapter reads with
        # .view(K, n, P), so it counts as right; (n, K, P) is code by code. Flatten both; the order is judged below.
        out = out.reshape(n * k, -1)
    expect(tuple(out.shape) == (n * k, 6),
           f"with n = {n} codes and n_classes = {k}, return {n * k} images (one per code and class), shape "
           f"({n * k}, 6) here; got {tuple(out.shape)}. "
           + ("Use the argument n_classes, do not hard-code 10" if out.dim() == 2 and out.shape[1] == 6 else
              "Join the blocks with torch.cat along dim 0, one image per row"),
           f"n = {n} codes और n_classes = {k} पर {n * k} images लौटाएँ (हर code और class की एक), यहाँ shape "
           f"({n * k}, 6); मिली {tuple(out.shape)}। "
           + ("Argument n_classes इस्तेमाल करें, 10 hard-code न करें" if out.dim() == 2 and out.shape[1] == 6 else
              "Blocks को dim 0 पर torch.cat से जोड़ें, हर row में एक image"))
    out = out.detach().float()
    blocks = [dec(z, torch.full((n,), c)) for c in range(k)]
    want = torch.cat(blocks)
    if torch.allclose(out, want, atol=1e-5):
        return
    expect(not torch.allclose(out, torch.stack(blocks, 1).reshape(n * k, -1), atol=1e-5),
           "the rows go code by code; put them class by class: first the n images of class 0 (one per z), then "
           "class 1, ...",
           "rows code के हिसाब से जा रही हैं; उन्हें class के हिसाब से रखें: पहले class 0 की n images (हर z की एक), "
           "फिर class 1, ...")
    expect(not torch.allclose(out, torch.cat(blocks[::-1]), atol=1e-5),
           "the classes are in reverse order: class 0's block comes first",
           "classes उलटे क्रम में हैं: class 0 का block सबसे पहले आता है")
    expect(not torch.allclose(out, torch.cat([dec.logits(z, torch.full((n,), c)) for c in range(k)]), atol=1e-5),
           "you returned logits: call decode(z, y) itself, which returns images",
           "आपने logits लौटाए: खुद decode(z, y) call करें, जो images लौटाता है")
    same_z = all(torch.allclose(out[c * n:(c + 1) * n], blocks[c], atol=1e-5) for c in range(1))
    expect(same_z, "block 0 is not decode(z, 0): decode the z you are given (do not draw new codes), with label 0 "
                   "for each of its n rows",
           "block 0, decode(z, 0) नहीं है: जो z दिया गया है उसी को decode करें (नए codes न बनाएँ), उसकी n rows के "
           "लिए label 0 के साथ")
    expect(False, "block c (rows c*n to (c+1)*n) must be decode(z, c) for the same z, for every class c",
           "block c (rows c*n से (c+1)*n) हर class c के लिए उसी z का decode(z, c) होना चाहिए")


ex3 = Exercise(
    CHAPTER, 3, _check_class_grid,
    hints=[("Grid की हर row-block एक class है, और हर block में वही n codes हैं: बस label बदलता है। Decoder को labels "
            "भी z जितने ही चाहिए, हर z के लिए एक।",
            "Every block of rows is one class, and every block holds the same n codes: only the label changes. "
            "The decoder wants as many labels as codes, one per z."),
           ("हर class c के लिए `torch.full((len(z),), c)` labels बनाते हैं; `decode(z, labels)` n images देता है; "
            "सारे blocks `torch.cat` से जोड़ें।",
            "For each class c, `torch.full((len(z),), c)` makes the labels; `decode(z, labels)` gives n images; join "
            "the blocks with `torch.cat`."),
           ("`return torch.cat([decode(z, torch.full((len(z),), c)) for c in range(n_classes)])`, `torch.no_grad()` "
            "के अंदर।",
            "`return torch.cat([decode(z, torch.full((len(z),), c)) for c in range(n_classes)])`, inside "
            "`torch.no_grad()`.")],
    solution_code="""
        def class_grid(decode, z, n_classes):
            with torch.no_grad():
                return torch.cat([decode(z, torch.full((len(z),), c))   # the same n codes, label c
                                  for c in range(n_classes)])          # block c = class c
    """,
)
