"""Exercises of chapter 12 (evaluation): the IWAE bound from log weights, the effective sample size, the Fréchet distance."""
from __future__ import annotations

import math

import torch

from . import Exercise, Wrong, as_number, call, expect

CHAPTER = "12_evaluation"


def _log_weights(seed: int = 12) -> torch.Tensor:
    """Log weights around −800 nats, spread over several nats, as a larger image gives them: exp underflows to 0
    there even in float64 (below about −745), so only a stable logsumexp survives."""
    g = torch.Generator().manual_seed(seed)
    n, k = 6, 50
    return -800.0 + 3.0 * torch.randn(n, k, generator=g, dtype=torch.float64) + \
        torch.linspace(0, 40, n, dtype=torch.float64)[:, None]


def _per_image(out, n: int, what_en: str, what_hi: str) -> torch.Tensor:
    expect(torch.is_tensor(out), f"return a tensor of {n} {what_en}, one per image (row of log_w), not "
           f"{type(out).__name__}", f"{n} {what_hi} का एक tensor return करें, हर image (log_w की row) के लिए एक, "
           f"{type(out).__name__} नहीं")
    if tuple(out.shape) != (n,):
        expect(out.numel() != 1, f"return one value per image (shape ({n},)), not one number for all of them: "
               "reduce over the k draws (dim=1) only", f"हर image की एक value लौटाएँ (shape ({n},)), सबकी एक साथ "
               "एक number नहीं: सिर्फ़ k draws (dim=1) पर reduce करें")
        expect(False, f"the result should have shape ({n},), one value per row of log_w, got {tuple(out.shape)}: "
               "reduce over the draws, dim=1", f"result की shape ({n},) हो, log_w की हर row के लिए एक, मिली "
               f"{tuple(out.shape)}: draws पर, dim=1, reduce करें")
    return out.detach().double()


# ---------------------------------------------------------------- exercise 1: the IWAE bound

def _check_iwae(fn) -> None:
    lw = _log_weights()
    n, k = lw.shape
    want = torch.logsumexp(lw, 1) - math.log(k)
    got = _per_image(call(fn, lw.clone()), n, "bounds", "bounds")
    expect(bool(torch.isfinite(got).all()),
           "some bounds are -inf or nan: exp(log w) underflows to 0 at log w ≈ −800; never exponentiate the "
           "log weights directly, use torch.logsumexp (it subtracts the largest first)",
           "कुछ bounds -inf या nan हैं: log w ≈ −800 पर exp(log w) 0 हो जाता है; log weights का सीधे exp न लें, "
           "torch.logsumexp इस्तेमाल करें (वह पहले सबसे बड़ा घटा देता है)")
    if not torch.allclose(got, want, atol=1e-3, rtol=0):           # 1e-3 nats: float32 answers pass too
        expect(not torch.allclose(got, lw.mean(1), atol=1e-6, rtol=0),
               "you averaged the log weights: that is the ELBO estimate, not the IWAE bound; average the weights "
               "themselves, log((1/k) Σ w_i) = logsumexp(log w) − log k",
               "आपने log weights का औसत लिया: वह ELBO का estimate है, IWAE bound नहीं; weights का खुद का औसत लें, "
               "log((1/k) Σ w_i) = logsumexp(log w) − log k")
        expect(not torch.allclose(got, torch.logsumexp(lw, 1), atol=1e-6, rtol=0),
               "you forgot − log k: logsumexp gives log Σ w_i, a sum; the bound needs the mean (1/k) Σ w_i",
               "आप − log k भूल गए: logsumexp से log Σ w_i मिलता है, एक जोड़; bound को औसत (1/k) Σ w_i चाहिए")
        expect(not torch.allclose(got, lw.max(1).values, atol=1e-6, rtol=0),
               "you took the largest log weight; the bound averages all k weights: logsumexp(log w) − log k",
               "आपने सबसे बड़ा log weight लिया; bound सभी k weights का औसत लेता है: logsumexp(log w) − log k")
        expect(not torch.allclose(got, torch.logsumexp(lw, 1) - k, atol=1e-6, rtol=0),
               "you subtracted k; subtract log k (the log of the mean's 1/k)",
               "आपने k घटाया; log k घटाएँ (औसत के 1/k का log)")
        expect(False, f"the bounds differ from logsumexp(log w) − log k by up to {float((got - want).abs().max()):.3g} "
               "nats", f"bounds logsumexp(log w) − log k से {float((got - want).abs().max()):.3g} nats तक अलग हैं")
    one = _per_image(call(fn, lw[:, :1].clone()), n, "bounds", "bounds")
    expect(bool(torch.allclose(one, lw[:, 0], atol=1e-9)),
           "with k = 1 the bound must equal the one log weight (the ELBO estimate of that draw)",
           "k = 1 पर bound उसी एक log weight के बराबर हो (उस draw का ELBO estimate)")


ex1 = Exercise(
    CHAPTER, 1, _check_iwae,
    hints=[("Bound $\\log \\frac{1}{k} \\sum_i w_i$ है, और आपके पास $\\log w_i$ हैं। $w_i$ बनाने के लिए exp न लें: "
            "$\\log w \\approx -800$ पर वह 0 हो जाता है।",
            "The bound is $\\log \\frac{1}{k} \\sum_i w_i$, and you hold $\\log w_i$. Do not exponentiate to get $w_i$: "
            "at $\\log w \\approx -800$ that gives 0."),
           ("`torch.logsumexp(log_w, dim=1)` $= \\log \\sum_i w_i$, stable। औसत के लिए उसमें से $\\log k$ घटाएँ।",
            "`torch.logsumexp(log_w, dim=1)` $= \\log \\sum_i w_i$, computed stably. For the mean, subtract $\\log k$."),
           ("`return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])`।",
            "`return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])`.")],
    solution_code="""
        import math

        def iwae_bound(log_w):
            # log (1/k) sum_i w_i, without ever forming w_i = exp(log w_i) (it underflows)
            k = log_w.shape[1]
            return torch.logsumexp(log_w, dim=1) - math.log(k)
    """,
)


# ---------------------------------------------------------------- exercise 2: effective sample size

def _check_ess(fn) -> None:
    lw = _log_weights(seed=3)
    n, k = lw.shape
    want = torch.exp(2 * torch.logsumexp(lw, 1) - torch.logsumexp(2 * lw, 1))
    got = _per_image(call(fn, lw.clone()), n, "effective sample sizes", "effective sample sizes")
    expect(bool(torch.isfinite(got).all()),
           "some values are nan or inf: exp(log w) underflows to 0 at log w ≈ −800 (0 / 0); subtract each row's "
           "largest log weight first, or work with logsumexp",
           "कुछ values nan या inf हैं: log w ≈ −800 पर exp(log w) 0 हो जाता है (0 / 0); हर row का सबसे बड़ा log "
           "weight पहले घटाएँ, या logsumexp से काम करें")
    if not torch.allclose(got, want, rtol=1e-4):                   # float32 answers pass too
        of_logs = lw.sum(1) ** 2 / (lw ** 2).sum(1)
        expect(not torch.allclose(got, of_logs, rtol=1e-6),
               "you computed the ESS of the log weights themselves; the weights are w = exp(log w): shift each row by "
               "its largest log w, exponentiate, then (Σ w)² / Σ w²",
               "आपने log weights का ही ESS निकाला; weights w = exp(log w) हैं: हर row को उसके सबसे बड़े log w से "
               "खिसकाएँ, exp लें, फिर (Σ w)² / Σ w²")
        expect(not torch.allclose(got, 1 / want, rtol=1e-6),
               "you returned Σw² / (Σw)², the inverse: ESS = (Σ w)² / Σ w², between 1 and k",
               "आपने Σw² / (Σw)² लौटाया, उलटा: ESS = (Σ w)² / Σ w², 1 और k के बीच")
        expect(not torch.allclose(got, want / k, rtol=1e-6),
               "you returned ESS / k, the share; return the effective number of draws itself, between 1 and k",
               "आपने ESS / k, यानी हिस्सा, लौटाया; draws की effective गिनती ही लौटाएँ, 1 और k के बीच")
        expect(False, f"the values differ from (Σ w)² / Σ w² (largest relative error "
               f"{float(((got - want) / want).abs().max()):.3g})", f"values (Σ w)² / Σ w² से अलग हैं (सबसे बड़ी "
               f"relative error {float(((got - want) / want).abs().max()):.3g})")
    equal = _per_image(call(fn, torch.full((n, k), -500.0, dtype=torch.float64)), n, "values", "values")
    expect(bool(torch.allclose(equal, torch.full((n,), float(k), dtype=torch.float64), rtol=1e-6)),
           f"equal weights must give ESS = k = {k}", f"बराबर weights पर ESS = k = {k} आना चाहिए")
    one = torch.full((n, k), -500.0, dtype=torch.float64)
    one[:, 0] = 0.0
    expect(bool(torch.allclose(_per_image(call(fn, one), n, "values", "values"),
                               torch.ones(n, dtype=torch.float64), rtol=1e-6)),
           "one weight far above the rest must give ESS = 1", "बाकी से बहुत बड़ा एक weight हो तो ESS = 1 आना चाहिए")


ex2 = Exercise(
    CHAPTER, 2, _check_ess,
    hints=[("ESS $= (\\sum_i w_i)^2 / \\sum_i w_i^2$। Weights का कोई भी साझा गुणक कट जाता है, तो हर row के सबसे "
            "बड़े $\\log w$ को पहले घटा सकते हैं।",
            "ESS $= (\\sum_i w_i)^2 / \\sum_i w_i^2$. Any common factor of the weights cancels, so you may first "
            "subtract each row's largest $\\log w$."),
           ("Log में: $\\log \\text{ESS} = 2 \\operatorname{logsumexp}(\\log w) - \\operatorname{logsumexp}(2 \\log w)$।",
            "In logs: $\\log \\text{ESS} = 2 \\operatorname{logsumexp}(\\log w) - \\operatorname{logsumexp}(2 \\log w)$."),
           ("`return torch.exp(2 * torch.logsumexp(log_w, 1) - torch.logsumexp(2 * log_w, 1))`।",
            "`return torch.exp(2 * torch.logsumexp(log_w, 1) - torch.logsumexp(2 * log_w, 1))`.")],
    solution_code="""
        def effective_sample_size(log_w):
            # (sum w)^2 / sum w^2, in logs: a common factor of the weights cancels, nothing underflows
            return torch.exp(2 * torch.logsumexp(log_w, dim=1) - torch.logsumexp(2 * log_w, dim=1))
    """,
)


# ---------------------------------------------------------------- exercise 3: the Fréchet distance

def _sqrtm_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T


def _fd_parts(a: torch.Tensor, b: torch.Tensor) -> dict[str, float]:
    mu_a, mu_b, ca, cb = a.mean(0), b.mean(0), torch.cov(a.T), torch.cov(b.T)
    na, nb = len(a), len(b)
    ca_n, cb_n = ca * (na - 1) / na, cb * (nb - 1) / nb                 # the biased (÷N) covariances
    ra_n = _sqrtm_psd(ca_n)
    ra = _sqrtm_psd(ca)
    cross = _sqrtm_psd(ra @ cb @ ra).trace()
    mean_term = (mu_a - mu_b).pow(2).sum()
    return {"right": float(mean_term + ca.trace() + cb.trace() - 2 * cross),
            "no mean": float(ca.trace() + cb.trace() - 2 * cross),
            "elementwise": float(mean_term + ca.trace() + cb.trace() - 2 * (ca * cb).clamp_min(0).sqrt().trace()),
            "product of roots": float(mean_term + ca.trace() + cb.trace() - 2 * (ra @ _sqrtm_psd(cb)).trace()),
            "no 2": float(mean_term + ca.trace() + cb.trace() - cross),
            "mean norm": float((mu_a - mu_b).norm() + ca.trace() + cb.trace() - 2 * cross),
            "divided by N": float((mu_a - mu_b).pow(2).sum() + ca_n.trace() + cb_n.trace()
                                  - 2 * _sqrtm_psd(ra_n @ cb_n @ ra_n).trace())}


def _fd_case() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(12)
    mix_a = torch.randn(4, 4, generator=g, dtype=torch.float64)
    mix_b = torch.randn(4, 4, generator=g, dtype=torch.float64)          # covariances that do not commute
    a = torch.randn(400, 4, generator=g, dtype=torch.float64) @ mix_a
    b = torch.randn(300, 4, generator=g, dtype=torch.float64) @ mix_b + torch.tensor([1.0, -2.0, 0.5, 0.0],
                                                                                    dtype=torch.float64)
    return a, b


def _check_fd(fn) -> None:
    a, b = _fd_case()
    parts = _fd_parts(a, b)
    try:
        out = call(fn, a.clone(), b.clone())
    except Wrong as w:
        if "shape" in w.en or "size" in w.en:        # the usual cause: covariances of the rows (N × N)
            raise Wrong(f"{w.en}. If it comes from the covariances: torch.cov takes the rows as variables, so write "
                        "torch.cov(a.T) (features × features), not torch.cov(a) (images × images)",
                        f"{w.hi}। अगर यह covariances से आया है: torch.cov rows को variables मानता है, इसलिए "
                        "torch.cov(a.T) (features × features) लिखें, torch.cov(a) (images × images) नहीं") from w
        raise
    got = as_number(out, "the distance", "distance")
    if not math.isclose(got, parts["right"], rel_tol=1e-4, abs_tol=1e-6):
        for key, en, hi in (
                ("no mean", "the mean term ‖μ_a − μ_b‖² is missing", "mean वाला term ‖μ_a − μ_b‖² छूट गया"),
                ("mean norm", "use the squared distance of the means, ‖μ_a − μ_b‖², not its length",
                 "means की squared distance ‖μ_a − μ_b‖² लें, उसकी लंबाई नहीं"),
                ("elementwise", "you took an element-wise square root of Σ_a Σ_b (or of Σ_a * Σ_b); the formula needs "
                 "the matrix square root: (Σ_a^½ Σ_b Σ_a^½)^½, e.g. from torch.linalg.eigh",
                 "आपने Σ_a Σ_b (या Σ_a * Σ_b) का element-wise square root लिया; formula को matrix square root चाहिए: "
                 "(Σ_a^½ Σ_b Σ_a^½)^½, जैसे torch.linalg.eigh से"),
                ("product of roots", "Σ_a^½ Σ_b^½ is not (Σ_a^½ Σ_b Σ_a^½)^½ when the covariances do not commute; "
                 "take the square root of the product", "covariances commute न करें तो Σ_a^½ Σ_b^½ और "
                 "(Σ_a^½ Σ_b Σ_a^½)^½ बराबर नहीं; product का square root लें"),
                ("no 2", "the cross term is − 2 tr((Σ_a^½ Σ_b Σ_a^½)^½): the factor 2 is missing",
                 "cross term − 2 tr((Σ_a^½ Σ_b Σ_a^½)^½) है: 2 का गुणक छूट गया"),
                ("divided by N", "you divided the covariances by N; use the unbiased ÷(N − 1), as torch.cov and np.cov do "
                 "(and FID's reference code)", "आपने covariances को N से भाग दिया; unbiased ÷(N − 1) लें, जैसा "
                 "torch.cov और np.cov करते हैं (और FID का reference code)")):
            expect(not math.isclose(got, parts[key], rel_tol=1e-4, abs_tol=1e-6), en, hi)
        expect(not math.isclose(got, math.sqrt(max(parts["right"], 0)), rel_tol=1e-4),
               "you returned the square root; the Fréchet distance as used for FID is the squared 2-Wasserstein "
               "distance itself", "आपने square root लौटाया; FID में इस्तेमाल होने वाली Fréchet distance squared "
               "2-Wasserstein distance ही है")
        expect(False, f"got {got:.6g}, expected {parts['right']:.6g}: check the covariances (torch.cov(a.T), features "
               "in columns) and the formula", f"मिला {got:.6g}, चाहिए था {parts['right']:.6g}: covariances "
               "(torch.cov(a.T), features columns में) और formula जाँचें")
    same = as_number(call(fn, a.clone(), a.clone()), "the distance", "distance")
    expect(abs(same) < 1e-6 * max(1.0, parts["right"]), f"a set against itself must give 0, got {same:.3g}",
           f"एक set की खुद से distance 0 हो, मिली {same:.3g}")


ex3 = Exercise(
    CHAPTER, 3, _check_fd,
    hints=[("तीन हिस्से: means की squared distance, दोनों covariances के traces, और cross term "
            "$-2 \\operatorname{tr}\\big((\\Sigma_a^{1/2} \\Sigma_b \\Sigma_a^{1/2})^{1/2}\\big)$। Covariance: "
            "`torch.cov(a.T)` (features columns में)।",
            "Three parts: the squared distance of the means, the traces of both covariances, and the cross term "
            "$-2 \\operatorname{tr}\\big((\\Sigma_a^{1/2} \\Sigma_b \\Sigma_a^{1/2})^{1/2}\\big)$. Covariance: "
            "`torch.cov(a.T)` (features in columns)."),
           ("Symmetric PSD matrix $M$ का square root: `vals, vecs = torch.linalg.eigh(M)`, फिर "
            "`vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T`। Cross term के trace के लिए "
            "$\\Sigma_a^{1/2} \\Sigma_b \\Sigma_a^{1/2}$ के eigenvalues के square roots का जोड़ काफ़ी है।",
            "The square root of a symmetric PSD matrix $M$: `vals, vecs = torch.linalg.eigh(M)`, then "
            "`vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T`. For the cross term's trace, the sum of the square "
            "roots of the eigenvalues of $\\Sigma_a^{1/2} \\Sigma_b \\Sigma_a^{1/2}$ is enough."),
           ("`root_a = sqrtm(cov_a)`, `cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0).sqrt().sum()`, "
            "`return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)`।",
            "`root_a = sqrtm(cov_a)`, `cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0).sqrt().sum()`, "
            "`return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)`.")],
    solution_code="""
        def frechet_distance(a, b):
            a, b = a.double(), b.double()
            mu_a, mu_b = a.mean(0), b.mean(0)
            cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)              # features in columns
            vals, vecs = torch.linalg.eigh(cov_a)
            root_a = vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T   # matrix square root of cov_a
            middle = root_a @ cov_b @ root_a
            cross = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()   # tr of its square root
            return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)
    """,
)
