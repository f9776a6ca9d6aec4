"""Exercises of chapter 09 (beta_vae): the beta-VAE loss, a latent traversal, the MIG from an MI matrix."""
from __future__ import annotations


import numpy as np
import torch
import torch.nn.functional as F

from ..models import MLPVAE
from . import Exercise, Wrong, as_number, call, expect

CHAPTER = "09_beta_vae"


def _close(v: float, w: float, rel: float = 1e-4) -> bool:
    return abs(v - w) <= rel * max(1.0, abs(w))


# ---------------------------------------------------------------- exercise 1: the beta-VAE loss

def _terms(logits, x, mu, logvar):
    """Per image: recon = BCE summed over pixels, kl = Gaussian KL summed over dimensions."""
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(1)
    return recon, kl


def _check_beta_loss(fn) -> None:
    g = torch.Generator().manual_seed(9)
    logits = 3 * torch.randn(16, 784, generator=g)
    x = (torch.rand(16, 784, generator=g) < 0.2).float()
    mu, logvar = torch.randn(16, 6, generator=g), torch.randn(16, 6, generator=g) - 1
    recon, kl = _terms(logits, x, mu, logvar)
    R, K = recon.mean().item(), kl.mean().item()
    for beta in (4.0, 0.5, 1.0):
        args = [t.clone().requires_grad_(True) for t in (logits, x, mu, logvar)]
        args[1].requires_grad_(False)
        out = call(fn, *args, beta)
        expect(torch.is_tensor(out), f"return a torch tensor (so that training can backpropagate), not {type(out).__name__}",
               f"torch tensor return करें (ताकि training में backpropagation हो सके), {type(out).__name__} नहीं")
        val, want = as_number(out, "the loss", "loss"), R + beta * K
        if not _close(val, want):
            expect(not _close(val, beta * R + K),
                   f"beta multiplies the reconstruction here: beta weighs the KL term, loss = recon + beta * KL "
                   f"(with beta = {beta:g} your loss behaves like beta = {1 / beta:g} on the KL)",
                   f"यहाँ beta reconstruction को गुणा कर रहा है: beta सिर्फ़ KL term को तौलता है, loss = recon + beta * KL "
                   f"(beta = {beta:g} पर आपका loss KL पर beta = {1 / beta:g} जैसा बर्ताव करता है)")
            expect(not _close(val, R - beta * K),
                   "the KL term has the wrong sign (your loss is recon - beta * KL): the Gaussian KL "
                   "0.5 * (mu**2 + logvar.exp() - 1 - logvar) is never negative, and the loss adds it: recon + beta * KL",
                   "KL term का sign उलटा है (आपका loss recon - beta * KL है): Gaussian KL "
                   "0.5 * (mu**2 + logvar.exp() - 1 - logvar) कभी negative नहीं होता, और loss उसे जोड़ता है: "
                   "recon + beta * KL")
            expect(not _close(val, R + K),
                   "the argument beta is not used: the KL term must be multiplied by beta",
                   "argument beta इस्तेमाल नहीं हुआ: KL term को beta से गुणा करना है")
            expect(not _close(val, R / 784 + beta * K) and not _close(val, R / 784 + beta * K / 6),
                   "the reconstruction is averaged over the pixels: -log p(x|z) is a sum over the 784 pixels of each image",
                   "reconstruction pixels पर औसत लिया गया है: -log p(x|z) हर image के 784 pixels पर sum है")
            expect(not _close(val, R + beta * K / 6),
                   "the KL is averaged over the latent dimensions: it is a sum over the dimensions of each image",
                   "KL latent dimensions पर औसत लिया गया है: यह हर image की dimensions पर sum है")
            expect(not _close(val, recon.sum().item() + beta * kl.sum().item()),
                   "the loss is summed over the images: average it over the images of the batch (per-image nats)",
                   "loss images पर sum है: batch की images पर औसत लें (nats प्रति image)")
            twice = F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none").sum(1).mean().item()
            expect(not _close(val, twice + beta * K, 1e-3),
                   "you applied a sigmoid before binary_cross_entropy_with_logits, which applies its own: "
                   "pass the logits as they are (a sigmoid twice)",
                   "आपने binary_cross_entropy_with_logits से पहले sigmoid लगाया, जबकि वह खुद sigmoid लगाता है: "
                   "logits जैसे हैं वैसे ही दें (sigmoid दो बार न लगाएँ)")
            expect(False, f"for these inputs and beta = {beta:g} the loss should be {want:.3f} nats per image, got {val:.3f}",
                   f"इन inputs और beta = {beta:g} पर loss {want:.3f} nats प्रति image होना चाहिए, मिला {val:.3f}")
        expect(out.requires_grad,
               "the loss carries no gradient back to logits, mu and logvar: was it computed inside "
               "`with torch.no_grad():`, or turned into a number (.item(), NumPy, torch.tensor(...))? Compute it "
               "with torch operations, outside no_grad, so that training can backpropagate",
               "loss से logits, mu और logvar तक कोई gradient नहीं पहुँचता: क्या यह `with torch.no_grad():` के अंदर "
               "निकाला गया, या number में बदला गया (.item(), NumPy, torch.tensor(...))? इसे torch operations से, "
               "no_grad के बाहर निकालें, ताकि training backpropagate कर सके")
        try:
            out.backward()
        except RuntimeError as err:
            raise Wrong(f"the loss does not carry gradients back to logits, mu and logvar ({err}); keep it a torch "
                        "tensor: no .item(), no NumPy",
                        "loss से logits, mu और logvar तक gradient नहीं पहुँचता; इसे torch tensor ही रहने दें: "
                        ".item() या NumPy नहीं") from err
        expect(all(a.grad is not None for a in (args[0], args[2], args[3])),
               "the loss must depend on logits, mu and logvar (a gradient is missing)",
               "loss को logits, mu और logvar पर निर्भर होना चाहिए (कोई gradient नहीं मिला)")


ex1 = Exercise(
    CHAPTER, 1, _check_beta_loss,
    hints=[("Loss के दो हिस्से हैं जो हर image के लिए अलग-अलग जोड़े जाते हैं: reconstruction (pixels पर) और KL "
            "(latent dimensions पर)। beta इनमें से सिर्फ़ एक को तौलता है। आखिर में images पर औसत।",
            "The loss has two parts, each summed per image: the reconstruction (over the pixels) and the KL (over the "
            "latent dimensions). beta weighs only one of them. Average over the images at the end."),
           ("Reconstruction: `F.binary_cross_entropy_with_logits(logits, x, reduction=\"none\").sum(1)`; "
            "KL: `0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)` (chapter 05 वाला रूप)। दोनों की shape (N,) है।",
            "Reconstruction: `F.binary_cross_entropy_with_logits(logits, x, reduction=\"none\").sum(1)`; "
            "KL: `0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)` (chapter 05's form). Both have shape (N,)."),
           ("`return (recon + beta * kl).mean()`: beta KL के साथ, reconstruction के साथ नहीं।",
            "`return (recon + beta * kl).mean()`: beta goes with the KL, not with the reconstruction.")],
    solution_code="""
        def beta_vae_loss(logits, x, mu, logvar, beta):
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)  # nats per image
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)                                  # nats per image
            return (recon + beta * kl).mean()          # beta weighs the KL only; average over the images
    """,
)


# ---------------------------------------------------------------- exercise 2: a latent traversal

def _diagnose_traverse_crash(fn, model, z) -> None:
    """The answer crashed on 6 values and 5 dimensions: did it set row `dim` (one copy) instead of column `dim`?"""
    square = torch.linspace(-2.0, 2.0, len(z))      # as many values as dimensions: the wrong axis then runs
    try:
        with torch.no_grad():
            got = fn(model, z.clone(), 2, square)
    except Exception:  # it crashes for another reason: the caller reports the original error
        return
    rows = z.repeat(len(square), 1)
    rows[2] = square
    with torch.no_grad():
        wrong_axis = model.decode(rows)
    if torch.is_tensor(got) and got.numel() == wrong_axis.numel() and \
            torch.allclose(got.detach().reshape(wrong_axis.shape).float(), wrong_axis, atol=1e-5):
        raise Wrong("you set row `dim` of the copies (Z[dim] = values: one whole copy of the code), not "
                    "coordinate `dim` of every copy; with Z of shape (n, J) that is the column Z[:, dim] = values "
                    "(here 6 values did not fit a row of 5 dimensions)",
                    "आपने copies की row `dim` बदली (Z[dim] = values: code की एक पूरी copy), हर copy का coordinate "
                    "`dim` नहीं; (n, J) shape वाले Z में वह column है: Z[:, dim] = values (यहाँ 6 values 5 "
                    "dimensions वाली row में नहीं समाईं)")


def _check_traverse(fn) -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = MLPVAE(latent=5, hidden=16).eval()
    z = torch.tensor([0.3, -1.2, 0.8, 0.0, 2.0])
    before = z.clone()
    values = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    try:
        out = call(fn, model, z, 2, values)
    except Wrong:
        _diagnose_traverse_crash(fn, model, before)
        raise
    expect(torch.is_tensor(out), f"return a tensor of images, not {type(out).__name__}",
           f"images का tensor return करें, {type(out).__name__} नहीं")
    expect(torch.equal(z, before), "your function changed the code z in place; work on a copy (z.clone() or z.repeat)",
           "आपके function ने code z को in place बदल दिया; उसकी copy पर काम करें (z.clone() या z.repeat)")
    expect(out.numel() == len(values) * 784 and out.dim() >= 2 and out.shape[0] == len(values),
           f"expected one 28x28 image per value, shape ({len(values)}, 784) as model.decode gives, "
           f"got shape {tuple(out.shape)}",
           f"हर value के लिए एक 28x28 image चाहिए, shape ({len(values)}, 784) जैसी model.decode देता है, "
           f"मिली shape {tuple(out.shape)}")
    got = out.detach().reshape(len(values), 784)
    Z = z.repeat(len(values), 1)
    Z[:, 2] = values
    with torch.no_grad():
        want, logits = model.decode(Z), model.decode_logits(Z)
        added = z.repeat(len(values), 1)
        added[:, 2] += values
        want_added = model.decode(added)
    if torch.allclose(got, want, atol=1e-5):
        expect(not out.requires_grad,
               "the images are right but still carry a gradient (requires_grad=True), so plt.imshow and NumPy "
               "refuse them: decode inside `with torch.no_grad():` (a traversal only looks, it does not train)",
               "images सही हैं पर उनके साथ अब भी gradient जुड़ा है (requires_grad=True), इसलिए plt.imshow और NumPy "
               "उन्हें नहीं लेते: `with torch.no_grad():` के अंदर decode करें (traversal सिर्फ़ देखता है, train नहीं करता)")
        return
    expect(not torch.allclose(got, logits, atol=1e-5),
           "these are logits: return the decoder's Bernoulli means, model.decode(...), which lie in [0, 1]",
           "ये logits हैं: decoder के Bernoulli means लौटाएँ, model.decode(...), जो [0, 1] में होते हैं")
    expect(not torch.allclose(got, want_added, atol=1e-5),
           "you added each value to z[dim]: a traversal sets coordinate dim to each value and keeps the others",
           "आपने हर value को z[dim] में जोड़ दिया: traversal में coordinate dim को हर value के बराबर रखा जाता है, "
           "बाकी वैसे ही रहते हैं")
    expect(not torch.allclose(got, got[:1].expand_as(got), atol=1e-6),
           "all images are the same: every row must use its own value (did every row share one tensor?)",
           "सारी images एक जैसी हैं: हर row अपनी value इस्तेमाल करे (क्या सब rows एक ही tensor share कर रही थीं?)")
    for d in range(5):
        if d == 2:
            continue
        other = z.repeat(len(values), 1)
        other[:, d] = values
        with torch.no_grad():
            wrong_dim = model.decode(other)
        expect(not torch.allclose(got, wrong_dim, atol=1e-5),
               f"you changed dimension {d}, not the dimension `dim` you were given",
               f"आपने dimension {d} बदली, दी गई dimension `dim` नहीं")
    expect(False, "the images differ from decoding copies of z with z[dim] set to each value",
           "images z की उन copies को decode करने से अलग हैं जिनमें z[dim] को हर value के बराबर रखा गया है")


ex2 = Exercise(
    CHAPTER, 2, _check_traverse,
    hints=[("Traversal में एक code z की कई copies बनती हैं, एक हर value के लिए; हर copy में सिर्फ़ एक coordinate "
            "बदलता है, फिर सब copies एक साथ decode होती हैं।",
            "A traversal makes several copies of one code z, one per value; in each copy only one coordinate changes, "
            "then all copies are decoded together."),
           ("`Z = z.repeat(len(values), 1)` एक (n, J) copy देता है (z खुद नहीं बदलता); `Z[:, dim] = values` हर row में "
            "एक value रखता है।",
            "`Z = z.repeat(len(values), 1)` gives an (n, J) copy (z itself is not changed); `Z[:, dim] = values` puts "
            "one value in each row."),
           ("`with torch.no_grad(): return model.decode(Z)`: decode Bernoulli means देता है (decode_logits सिर्फ़ "
            "logits), और no_grad से images के साथ कोई gradient नहीं जुड़ता, इसलिए plt.imshow उन्हें सीधे दिखा सकता है।",
            "`with torch.no_grad(): return model.decode(Z)`: decode gives Bernoulli means (decode_logits only logits), "
            "and under no_grad the images carry no gradient, so plt.imshow can show them as they are.")],
    solution_code="""
        def traverse(model, z, dim, values):
            Z = z.repeat(len(values), 1)               # one copy of the code per value; z itself is untouched
            Z[:, dim] = values                         # only coordinate `dim` changes
            with torch.no_grad():
                return model.decode(Z)                 # Bernoulli means in [0, 1], one image per value
    """,
)


# ---------------------------------------------------------------- exercise 3: MIG from the MI matrix

def _reference_mig(mi: np.ndarray, h: np.ndarray) -> float:
    top = np.sort(mi, axis=0)[::-1]
    return float(((top[0] - top[1]) / h).mean())


def _diagnose_mig_crash(fn, mi: np.ndarray, h: np.ndarray) -> None:
    """The answer crashed on 8 dimensions x 5 factors: does it sort along the factors (axis 1)?"""
    square = mi[:len(h)].copy()                      # 5 dimensions x 5 factors: the wrong axis then runs
    try:
        got = as_number(fn(square.copy(), h.copy()), "the MIG", "MIG")
    except Exception:  # it crashes for another reason: the caller reports the original error
        return
    rows = np.sort(square, axis=1)
    if _close(got, float(((rows[:, -1] - rows[:, -2]) / h).mean()), 1e-6):
        raise Wrong("you took the top two along axis 1, over the factors: that gives one gap per latent dimension "
                    f"({mi.shape[0]} here), which cannot be divided by the {len(h)} entropies H(v_k). For each factor, "
                    "compare the latent dimensions: sort along axis 0",
                    "आपने axis 1 पर, यानी factors पर, सबसे बड़ी दो values लीं: इससे हर latent dimension का एक gap "
                    f"बनता है (यहाँ {mi.shape[0]}), जिसे {len(h)} entropies H(v_k) से भाग नहीं दिया जा सकता। हर factor "
                    "के लिए latent dimensions की तुलना करें: axis 0 पर sort करें")


def _check_mig(fn) -> None:
    rng = np.random.default_rng(4)
    h = np.log(np.array([4.0, 4.0, 6.0, 7.0, 7.0]))
    mi = rng.uniform(0, 0.3, size=(8, 5)) * h
    mi[[5, 1, 6, 0, 3], range(5)] = np.array([0.9, 0.7, 0.8, 0.6, 0.95]) * h   # the best dimension of each factor
    mi[2, 0] = 0.5 * h[0]                                                         # a clear second for factor 0
    mi_in, h_in = mi.copy(), h.copy()
    try:
        out = call(fn, mi_in, h_in)
    except Wrong:
        _diagnose_mig_crash(fn, mi, h)
        raise
    expect(np.array_equal(mi_in, mi) and np.array_equal(h_in, h),
           "your function changed its inputs in place (np.sort with out=, or .sort() on the array); sort a copy",
           "आपके function ने अपने inputs in place बदल दिए (जैसे array पर .sort()); copy को sort करें")
    val, want = as_number(out, "the MIG", "MIG"), _reference_mig(mi, h)
    if _close(val, want, 1e-6):
        collapsed = as_number(call(fn, np.zeros((8, 5)), h), "the MIG", "MIG")
        expect(abs(collapsed) < 1e-9, f"a code with no information (all MI = 0) must score 0, got {collapsed:.3g}",
               f"जिस code में कोई जानकारी नहीं (सारी MI = 0), उसका score 0 होना चाहिए, मिला {collapsed:.3g}")
        return
    top = np.sort(mi, axis=0)[::-1]
    expect(not _close(val, float((top[0] - top[1]).mean()), 1e-6),
           "the gaps are not normalised: divide each factor's gap by its entropy H(v_k)",
           "gaps normalise नहीं हुए: हर factor के gap को उसकी entropy H(v_k) से भाग दें")
    expect(not _close(val, float((top[0] / h).mean()), 1e-6),
           "this is the best MI of each factor, not the gap: subtract the second best dimension's MI "
           "(without the gap, a factor copied into every dimension would score 1)",
           "यह हर factor की सबसे बड़ी MI है, gap नहीं: दूसरी सबसे अच्छी dimension की MI घटाएँ "
           "(gap के बिना, हर dimension में copy किया गया factor 1 score करेगा)")
    rows = np.sort(mi / h, axis=1)[:, ::-1]
    expect(not _close(val, float((rows[:, 0] - rows[:, 1]).mean()), 1e-6),
           "you sorted along the factors (axis 1): for each factor, compare the latent dimensions (sort along axis 0)",
           "आपने factors के साथ (axis 1) sort किया: हर factor के लिए latent dimensions की तुलना करें (axis 0 पर sort)")
    expect(not _close(val, float(((mi[0] - mi[1]) / h).mean()), 1e-6)
           and not _close(val, float((np.abs(mi[0] - mi[1]) / h).mean()), 1e-6),
           "you took the first two dimensions as they come: sort each factor's column first, largest MI first",
           "आपने पहली दो dimensions वैसे ही ले लीं: पहले हर factor का column sort करें, सबसे बड़ी MI पहले")
    expect(not _close(val, float(((top[0] - top[-1]) / h).mean()), 1e-6),
           "this is the gap between the largest and the smallest MI: MIG uses the largest and the second largest",
           "यह सबसे बड़ी और सबसे छोटी MI का gap है: MIG सबसे बड़ी और दूसरी सबसे बड़ी MI लेता है")
    expect(not _close(val, float((top[0] - top[1]).mean() / h.mean()), 1e-6),
           "this is a ratio of means, mean(gap) / mean(H): divide each factor's gap by its own entropy H(v_k) "
           "first, then average the normalised gaps",
           "यह औसतों का ratio है, mean(gap) / mean(H): पहले हर factor के gap को उसकी अपनी entropy H(v_k) से "
           "भाग दें, फिर normalised gaps का औसत लें")
    expect(not _close(val, float(((top[0] - top[1]) / h).sum()), 1e-6),
           "the gaps are summed: MIG is their average over the factors",
           "gaps का sum लिया गया है: MIG factors पर उनका औसत है")
    expect(False, f"for this MI matrix the MIG should be {want:.4f}, got {val:.4f}",
           f"इस MI matrix के लिए MIG {want:.4f} होना चाहिए, मिला {val:.4f}")


ex3 = Exercise(
    CHAPTER, 3, _check_mig,
    hints=[("MI matrix की हर row एक latent dimension है और हर column एक factor। हर factor के column में सबसे बड़ी "
            "दो values देखें।",
            "Each row of the MI matrix is a latent dimension and each column a factor. In each factor's column, look "
            "at the two largest values."),
           ("`np.sort(mi, axis=0)` हर column को छोटे से बड़े क्रम में रखता है, तो आखिरी row सबसे बड़ी MI है और "
            "उससे पहली row दूसरी सबसे बड़ी।",
            "`np.sort(mi, axis=0)` orders each column from small to large, so the last row is the largest MI and the "
            "row before it the second largest."),
           ("`top = np.sort(mi, axis=0)`; `return float(((top[-1] - top[-2]) / entropy).mean())`",
            "`top = np.sort(mi, axis=0)`; `return float(((top[-1] - top[-2]) / entropy).mean())`")],
    solution_code="""
        def mig_from_mi(mi, entropy):
            top = np.sort(mi, axis=0)                  # each factor's column, smallest MI first
            gaps = (top[-1] - top[-2]) / entropy       # best minus second best, on the factor's 0-1 scale
            return float(gaps.mean())                  # averaged over the factors
    """,
)
