"""The capstone project of chapter 14: its required outputs and a check that they are all there and consistent.

A learner's capstone notebook collects its measured numbers in a dict `results` (keys: CAPSTONE_KEYS) and calls
`capstone_check(results)`, which prints one bilingual line per check; the rubric in chapter 14, section 4.2, says
how an instructor grades the rest (the report and the diagnosis are read, not checked)."""
from __future__ import annotations

import torch

CAPSTONE_KEYS: dict[str, tuple[str, str]] = {
    "elbo_nats": ("mean held-out ELBO per image, nats", "held-out images पर प्रति image ELBO का औसत, nats"),
    "elbo_se": ("the standard error of that mean, nats (positive)", "उस औसत की standard error, nats (positive)"),
    "iwae_nats": ("mean held-out IWAE bound per image on the same images, nats",
                  "उन्हीं images पर प्रति image IWAE bound का औसत, nats"),
    "iwae_se": ("the standard error of the IWAE mean, nats (positive)", "IWAE के औसत की standard error, nats (positive)"),
    "iwae_k": ("the number of importance samples k of the IWAE bound (at least 100)",
               "IWAE bound के importance samples की गिनती k (कम से कम 100)"),
    "fd": ("Fréchet distance of samples in the features of the judge of your data (digit_judge; fashion_judge for "
           "Fashion-MNIST)", "आपके data के judge के features में samples की Fréchet distance (digit_judge; Fashion-MNIST "
           "के लिए fashion_judge)"),
    "fd_floor": ("the real-vs-real floor: the same FD between two real samples of the same size",
                 "real-vs-real floor: उतनी ही असली images के दो नमूनों के बीच वही FD"),
    "precision": ("precision of the samples (k-NN manifold), in [0, 1]", "samples की precision (k-NN manifold), [0, 1] में"),
    "recall": ("recall of the samples (k-NN manifold), in [0, 1]", "samples की recall (k-NN manifold), [0, 1] में"),
    "class_shares": ("the judge's class shares of the samples, one per class, summing to 1",
                     "samples में judge के हिसाब से हर class का हिस्सा, जिनका जोड़ 1"),
    "latent_dim": ("the number of latent dimensions", "latent dimensions की गिनती"),
    "active_units": ("active units of the encoder on held-out data", "held-out data पर encoder की active units"),
    "seed_scores": ("the headline score of the application on each training seed (at least 3)",
                    "हर training seed पर application का मुख्य score (कम से कम 3 seeds)"),
    "baseline_score": ("the same score of the most obvious baseline on the same data",
                       "उसी data पर सबसे सीधे baseline का वही score"),
    "near_copy_share": ("the share of samples closer to a training image than the calibrated threshold",
                        "samples का वह हिस्सा जिसकी किसी training image से दूरी calibrated threshold से कम है"),
    "export_max_abs_diff": ("the largest |exported - PyTorch| over a batch of decoded images",
                            "decode की गई images के एक batch पर सबसे बड़ा |exported - PyTorch|"),
    "export_tolerance": ("the tolerance stated for the export", "export के लिए बताई गई tolerance"),
}


def capstone_check(results: dict, verbose: bool = True) -> bool:
    """Check that a capstone's `results` hold every required output and that the outputs are consistent with each
    other (the measurable part of the rubric); print one line per check and return True if all pass."""
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict of the capstone's outputs (keys: {', '.join(CAPSTONE_KEYS)}), "
                        f"got {type(results).__name__}")
    rows: list[tuple[bool, str, str]] = []
    missing = [k for k in CAPSTONE_KEYS if k not in results]
    for k in missing:
        rows.append((False, f"{k} is missing: {CAPSTONE_KEYS[k][0]}", f"{k} नहीं मिला: {CAPSTONE_KEYS[k][1]}"))

    def number(key: str) -> float | None:
        try:
            value = float(results[key])
        except (TypeError, ValueError):
            rows.append((False, f"{key} must be a number, got {results[key]!r}",
                         f"{key} एक number होना चाहिए, मिला {results[key]!r}"))
            return None
        if value != value or value in (float("inf"), float("-inf")):
            rows.append((False, f"{key} is nan or infinite", f"{key} nan या infinite है"))
            return None
        return value

    v = {k: number(k) for k in CAPSTONE_KEYS if k in results and k not in ("class_shares", "seed_scores")}
    if v.get("elbo_nats") is not None and v.get("iwae_nats") is not None:
        ok = v["iwae_nats"] >= v["elbo_nats"] - 0.05
        rows.append((ok, "IWAE bound ≥ ELBO on the same images" if ok else
                     f"the IWAE bound {v['iwae_nats']:.2f} is below the ELBO {v['elbo_nats']:.2f}: they must use "
                     "the same images, the same likelihood and nats per image",
                     "उन्हीं images पर IWAE bound ≥ ELBO" if ok else
                     f"IWAE bound {v['iwae_nats']:.2f}, ELBO {v['elbo_nats']:.2f} से नीचे है: दोनों एक ही images, एक "
                     "ही likelihood और प्रति image nats में हों"))
    for key in ("elbo_se", "iwae_se"):
        if v.get(key) is not None:
            ok = v[key] > 0
            rows.append((ok, f"{key} = {v[key]:.3g}" + ("" if ok else ": a standard error must be positive"),
                         f"{key} = {v[key]:.3g}" + ("" if ok else ": standard error positive होनी चाहिए")))
    if v.get("iwae_k") is not None:
        ok = v["iwae_k"] >= 100 and v["iwae_k"] == int(v["iwae_k"])
        rows.append((ok, f"IWAE with k = {v['iwae_k']:.0f}" + ("" if ok else ": use k ≥ 100 (an integer)"),
                     f"IWAE, k = {v['iwae_k']:.0f}" + ("" if ok else ": k ≥ 100 लें (integer)")))
    if v.get("fd") is not None and v.get("fd_floor") is not None:
        ok = v["fd_floor"] >= 0 and v["fd"] >= 0.9 * v["fd_floor"]
        rows.append((ok, f"FD {v['fd']:.2f} read beside its real-vs-real floor {v['fd_floor']:.2f}" if ok else
                     "FD below 0.9 × its real-vs-real floor (or a negative floor): compute both with the same "
                     "judge and the same number of images", f"FD {v['fd']:.2f}, real-vs-real floor "
                     f"{v['fd_floor']:.2f} के बगल में" if ok else "FD अपने real-vs-real floor के 0.9 गुना से नीचे (या "
                     "floor negative): दोनों एक ही judge और उतनी ही images से निकालें"))
    for key in ("precision", "recall", "near_copy_share"):
        if v.get(key) is not None:
            ok = 0 <= v[key] <= 1
            rows.append((ok, f"{key} = {v[key]:.3f}" + ("" if ok else ": a share must lie in [0, 1]"),
                         f"{key} = {v[key]:.3f}" + ("" if ok else ": हिस्सा [0, 1] में होना चाहिए")))
    if "class_shares" in results:
        try:
            shares = torch.as_tensor(results["class_shares"], dtype=torch.float64).flatten()
            ok = len(shares) >= 2 and bool((shares >= 0).all()) and abs(float(shares.sum()) - 1) < 1e-3
        except (TypeError, ValueError, RuntimeError):
            ok = False
        rows.append((ok, "class shares: non-negative, summing to 1" if ok else
                     "class_shares must be one non-negative share per class, summing to 1",
                     "class shares: non-negative, जोड़ 1" if ok else
                     "class_shares हर class का एक non-negative हिस्सा हो, जिनका जोड़ 1 हो"))
    if v.get("active_units") is not None and v.get("latent_dim") is not None:
        ok = 0 <= v["active_units"] <= v["latent_dim"] and v["active_units"] == int(v["active_units"])
        rows.append((ok, f"{v['active_units']:.0f} of {v['latent_dim']:.0f} latent dimensions active" if ok else
                     "active_units must be an integer between 0 and latent_dim",
                     f"{v['latent_dim']:.0f} में से {v['active_units']:.0f} latent dimensions active" if ok else
                     "active_units 0 और latent_dim के बीच का integer हो"))
    if "seed_scores" in results:
        try:
            scores = [float(s) for s in results["seed_scores"]]
            ok = len(scores) >= 3
        except (TypeError, ValueError):
            scores, ok = [], False
        spread = f", spread {max(scores) - min(scores):.3f}" if ok else ""
        rows.append((ok, f"{len(scores)} training seeds{spread}" if ok else
                     "seed_scores must hold the headline score of at least 3 training seeds",
                     f"{len(scores)} training seeds{spread}" if ok else
                     "seed_scores में कम से कम 3 training seeds का मुख्य score हो"))
    if v.get("baseline_score") is not None and "seed_scores" in results:
        try:
            low, high = min(float(x) for x in results["seed_scores"]), max(float(x) for x in results["seed_scores"])
        except (TypeError, ValueError):
            low = high = None
        if low is not None:
            b = v["baseline_score"]
            inside = low <= b <= high
            rows.append((True, f"baseline {b:.3g} against the seeds' {low:.3g} to {high:.3g}: "
                         + ("inside the spread, so claim no winner" if inside else "outside the spread"),
                         f"baseline {b:.3g}, seeds की range {low:.3g} से {high:.3g} के सामने: "
                         + ("फैलाव के भीतर, तो कोई विजेता न बताएँ" if inside else "फैलाव के बाहर")))
    if v.get("export_max_abs_diff") is not None and v.get("export_tolerance") is not None:
        ok = 0 <= v["export_max_abs_diff"] <= v["export_tolerance"] <= 1e-2
        rows.append((ok, f"export equal within {v['export_tolerance']:g}" if ok else
                     "the exported decoder must agree with PyTorch within the stated tolerance, and the tolerance "
                     "must be at most 1e-2", f"export {v['export_tolerance']:g} के भीतर बराबर" if ok else
                     "exported decoder, बताई गई tolerance के भीतर PyTorch से मिले, और tolerance 1e-2 से ज़्यादा न हो"))
    passed = all(ok for ok, _, _ in rows)
    if verbose:
        for ok, en, hi in rows:
            print(f"{'✓' if ok else '✗'} {hi} / {en}")
        print(("✓ सारे ज़रूरी outputs मौजूद और आपस में संगत / all required outputs present and consistent" if passed else
               f"✗ {sum(not ok for ok, _, _ in rows)} checks अभी सही नहीं / checks not passed yet")
              + " (rubric का बाकी हिस्सा instructor पढ़कर आँकते हैं / the rest of the rubric is the instructor's reading)")
    return passed
