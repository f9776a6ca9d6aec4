"""Checking an answer against stored expected values: the engine of a released student pack.

An instructor's release (``python -m course_utils.tools.release``) runs every exercise's own checker once
with the reference answer and records each call the checker makes to it: the fixed inputs, and what the
reference returned. The pack stores the inputs (``exN.inputs.pt``) and the expected values
(``exN.expected.pt``); it holds no reference function and no solution code. A learner's answer is then
checked by calling it on the same inputs and comparing:

* a deterministic call: the value, within a tolerance (sign of unit rows free: a direction has no sign);
* a random call (an input is a ``torch.Generator``, or the answer uses the global RNG): the statistics of
  the output (means over rows and columns, spreads, a covariance when small) within a tolerance measured
  at release from the reference itself on other seeds, so a correct answer that draws its noise in
  another order still passes;
* properties: the gradient is kept when the reference keeps it, an input is not changed in place when
  the reference leaves it alone, equal seeds give equal outputs and different seeds different ones.

The module is copied into a pack as ``course_utils/exercises/stored.py``; it imports only torch and the
exercise framework, never ``course_utils.tools``. Grading splits the work in two processes: the
learner's code runs the calls (:func:`run_calls`) in a scratch folder that has the inputs but not the
expected values, and the grader compares (:func:`compare`) in a process the learner's code never touches.
"""
from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import torch

from course_utils.exercises import CORRECT, Exercise, NotAttempted, Wrong, call

FORMAT = 1
RTOL, ATOL = 1e-3, 1e-5          # deterministic tensors: |got - want| <= RTOL * max|want| + ATOL
NUM_RTOL = 1e-4                  # deterministic numbers
STAT_FACTOR = 4.0                # random calls: allowed distance = STAT_FACTOR x the reference's own spread

RELEASED_EN = ("Solutions are shared after the deadline: ask your instructor. Meanwhile the hints help: "
               "`exN.hint()`, `exN.hint(2)`, …")
RELEASED_HI = ("Solutions deadline के बाद मिलेंगे: अपने instructor से पूछें। तब तक hints मदद करेंगे: "
               "`exN.hint()`, `exN.hint(2)`, …")


# ---------------------------------------------------------------- plain values: tensors and Python data only
class Unstorable(Exception):
    """A value that the stored-values check cannot keep (an nn.Module as output, a function, ...)."""


def plain(value: Any, *, modules: bool = False) -> Any:
    """`value` as a tree of tensors, numbers, strings and containers (safe for torch.load(weights_only=True)).

    Tensors become {"__tensor__": t, "grad": requires_grad}; generators {"__generator__": state};
    with modules=True an nn.Module becomes its state_dict (to compare inputs changed in place).
    """
    if torch.is_tensor(value):
        return {"__tensor__": value.detach().cpu().clone(), "grad": bool(value.requires_grad)}
    if isinstance(value, torch.Generator):
        return {"__generator__": value.get_state().clone()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__module__ == "numpy":
        if getattr(value, "shape", None) == () and hasattr(value, "item"):
            return value.item()
        if hasattr(value, "shape"):
            return {"__tensor__": torch.as_tensor(value.copy()), "grad": False}
    if isinstance(value, (list, tuple)):
        return {"__seq__": [plain(v, modules=modules) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: plain(v, modules=modules) for k, v in value.items()}}
    if modules and isinstance(value, torch.nn.Module):
        return {"__module__": {k: v.detach().cpu().clone() for k, v in value.state_dict().items()}}
    raise Unstorable(type(value).__name__)


def describe(value: Any) -> str:
    """A short description of an input for messages: 'tensor (6, 1, 28, 28)', '0.3', 'generator'."""
    if torch.is_tensor(value):
        return f"tensor {tuple(value.shape)}"
    if isinstance(value, torch.Generator):
        return "generator"
    if isinstance(value, torch.nn.Module):
        return type(value).__name__
    if isinstance(value, (int, float, bool)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _fresh(obj: Any, seed_shift: int | None = None) -> Any:
    """A deep copy of stored inputs; generators rebuilt from their state (or reseeded: calibration)."""
    if isinstance(obj, torch.Generator):
        g = torch._C.Generator()            # a plain generator, even while seeds are shifted (record)
        if seed_shift is None:
            g.set_state(obj.get_state())
        else:
            g.manual_seed(10_000 + seed_shift * 7919 + int(obj.initial_seed()) % 1000)
        return g
    if torch.is_tensor(obj):
        t = obj.detach().clone()
        return t.requires_grad_(obj.requires_grad) if t.is_floating_point() else t
    if isinstance(obj, list):
        return [_fresh(v, seed_shift) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_fresh(v, seed_shift) for v in obj)
    if isinstance(obj, dict):
        return {k: _fresh(v, seed_shift) for k, v in obj.items()}
    if isinstance(obj, torch.nn.Module):
        buf = io.BytesIO()
        torch.save(obj, buf)
        buf.seek(0)
        return torch.load(buf, weights_only=False)
    return obj


def _has_generator(obj: Any) -> bool:
    if isinstance(obj, torch.Generator):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_has_generator(v) for v in obj)
    if isinstance(obj, dict):
        return any(_has_generator(v) for v in obj.values())
    return False


# ---------------------------------------------------------------- running an answer on the stored inputs
def run_calls(fn: Any, inputs: dict) -> list[dict]:
    """Call `fn` on every stored input; one record per call, in plain values.

    A record is {"status": "ok", "out": ..., "post": ...} or {"status": "error", "en", "hi"};
    an untouched stub raises NotAttempted (the whole exercise is not attempted yet).
    """
    records = []
    for c in inputs["calls"]:
        args, kwargs = _fresh(c["args"]), _fresh(c["kwargs"])
        torch.set_rng_state(c["rng_state"])     # the global RNG as the checker left it before this call
        try:
            out = call(fn, *args, **kwargs)
        except Wrong as w:
            records.append({"status": "error", "en": w.en, "hi": w.hi})
            break
        try:
            rec = {"status": "ok", "out": plain(out)}
        except Unstorable as u:
            records.append({"status": "error",
                            "en": f"your function returned a {u}, which cannot be compared with the expected value",
                            "hi": f"आपके function ने {u} लौटाया, जिसकी तुलना अपेक्षित value से नहीं हो सकती"})
            break
        try:
            rec["post"] = plain((args, kwargs), modules=True)
        except Unstorable:
            rec["post"] = None
        records.append(rec)
    return records


# ---------------------------------------------------------------- comparing
def _as_tensor(v: Any) -> torch.Tensor | None:
    if isinstance(v, dict) and "__tensor__" in v:
        return v["__tensor__"]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return torch.tensor(float(v))
    return None


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        for key, name in (("__tensor__", "a tensor"), ("__seq__", "a tuple or list"), ("__dict__", "a dict"),
                          ("__generator__", "a generator"), ("__module__", "a model")):
            if key in v:
                return name
    return type(v).__name__


def _unit_rows(t: torch.Tensor) -> bool:
    return (t.dim() == 2 and t.shape[0] > 0 and t.is_floating_point()
            and bool(((t.double().norm(dim=1) - 1).abs() < 1e-3).all()))


def _diff(want: Any, got: Any, where: str) -> tuple[str, str] | None:
    """None if `got` equals `want` within tolerance, else the bilingual reason."""
    if isinstance(want, dict) and "__seq__" in want:
        items = want["__seq__"]
        if not (isinstance(got, dict) and "__seq__" in got):
            return (f"{where}: expected {len(items)} values (a tuple), got {_kind(got)}",
                    f"{where}: {len(items)} values (tuple) चाहिए थीं, मिला {_kind(got)}")
        if len(got["__seq__"]) != len(items):
            return (f"{where}: expected {len(items)} values, got {len(got['__seq__'])}",
                    f"{where}: {len(items)} values चाहिए थीं, मिलीं {len(got['__seq__'])}")
        for i, (w, g) in enumerate(zip(items, got["__seq__"])):
            r = _diff(w, g, f"{where}, value {i + 1}")
            if r:
                return r
        return None
    if isinstance(want, dict) and "__dict__" in want:
        if not (isinstance(got, dict) and "__dict__" in got) or set(got["__dict__"]) != set(want["__dict__"]):
            return (f"{where}: expected a dict with keys {sorted(want['__dict__'])}",
                    f"{where}: keys {sorted(want['__dict__'])} वाला dict चाहिए था")
        for k in want["__dict__"]:
            r = _diff(want["__dict__"][k], got["__dict__"][k], f"{where}['{k}']")
            if r:
                return r
        return None
    if isinstance(want, dict) and "__tensor__" in want:
        w, g = want["__tensor__"], _as_tensor(got)
        if g is None:
            return (f"{where}: expected a tensor, got {_kind(got)}", f"{where}: tensor चाहिए था, मिला {_kind(got)}")
        if w.numel() == 1 and g.numel() == 1:
            w, g = w.reshape(()), g.reshape(())
        elif tuple(g.shape) != tuple(w.shape):
            return (f"{where}: expected shape {tuple(w.shape)}, got {tuple(g.shape)}",
                    f"{where}: shape {tuple(w.shape)} चाहिए थी, मिली {tuple(g.shape)}")
        if want["grad"] and isinstance(got, dict) and not got.get("grad", False):
            return (f"{where}: the result is cut off from the gradient: compute it with torch operations only "
                    "(no .item(), no NumPy, no .detach())",
                    f"{where}: result gradient से कट गया है: सिर्फ़ torch operations से compute करें "
                    "(.item(), NumPy या .detach() नहीं)")
        if not (w.is_floating_point() or w.is_complex()):
            if not torch.equal(g.to(w.dtype) if g.dtype != w.dtype else g, w):
                return (f"{where}: the values differ from the expected ones", f"{where}: values अपेक्षित values से अलग हैं")
            return None
        wd, gd = w.double(), g.double()
        if not bool(torch.isfinite(gd).all()) and bool(torch.isfinite(wd).all()):
            return (f"{where}: the result has NaN or inf values", f"{where}: result में NaN या inf values हैं")
        if _unit_rows(wd) and gd.dim() == 2:                       # directions: each row's sign is free
            gd = gd * torch.where((gd * wd).sum(1, keepdim=True) < 0, -1.0, 1.0).double()
        scale = float(wd.abs().max()) if wd.numel() else 0.0
        err = float((gd - wd).abs().max()) if wd.numel() else 0.0
        if err > RTOL * scale + ATOL and wd.numel() == 1:
            return (f"{where}: got {float(gd):.6g}, expected {float(wd):.6g}",
                    f"{where}: मिला {float(gd):.6g}, चाहिए {float(wd):.6g}")
        if err > RTOL * scale + ATOL:
            return (f"{where}: the values differ from the expected ones by up to {err:.4g} "
                    f"(the expected values reach {scale:.4g})",
                    f"{where}: values अपेक्षित values से {err:.4g} तक अलग हैं (अपेक्षित values {scale:.4g} तक जाती हैं)")
        return None
    if isinstance(want, dict) and "__module__" in want:          # a model's state (an input changed in place or not)
        w = want["__module__"]
        g = got.get("__module__") if isinstance(got, dict) else None
        if not isinstance(g, dict) or set(g) != set(w):
            return (f"{where}: a model with other parameters", f"{where}: अलग parameters वाला model")
        for k in w:
            if not torch.is_tensor(g[k]) or _diff({"__tensor__": w[k], "grad": False},
                                                  {"__tensor__": g[k], "grad": False}, "") is not None:
                return (f"{where}: the model's {k} differs", f"{where}: model का {k} अलग है")
        return None
    if isinstance(want, dict) and "__generator__" in want:
        if not (isinstance(got, dict) and "__generator__" in got and torch.equal(got["__generator__"], want["__generator__"])):
            return (f"{where}: a different generator state", f"{where}: generator की state अलग है")
        return None
    if isinstance(want, bool) or want is None or isinstance(want, str):
        if got != want:
            return (f"{where}: expected {want!r}, got {got!r}", f"{where}: {want!r} चाहिए था, मिला {got!r}")
        return None
    if isinstance(want, (int, float)):
        g = _as_tensor(got)
        if g is None or g.numel() != 1:
            return (f"{where}: expected one number, got {_kind(got)}", f"{where}: एक number चाहिए था, मिला {_kind(got)}")
        gv = float(g.reshape(()))
        if math.isnan(gv) and not math.isnan(float(want)):
            return (f"{where}: the result is NaN", f"{where}: result NaN है")
        if abs(gv - float(want)) > NUM_RTOL * abs(float(want)) + 1e-6:
            return (f"{where}: got {gv:.6g}, expected {float(want):.6g}", f"{where}: मिला {gv:.6g}, चाहिए {float(want):.6g}")
        return None
    return (f"{where}: cannot compare {_kind(want)}", f"{where}: {_kind(want)} की तुलना नहीं हो सकती")


def statistics(v: Any) -> dict[str, torch.Tensor]:
    """Seed-independent summaries of a random output: means over rows and columns, spreads, a small covariance."""
    out: dict[str, torch.Tensor] = {}

    def walk(x: Any, key: str) -> None:
        if isinstance(x, dict) and "__seq__" in x:
            for i, item in enumerate(x["__seq__"]):
                walk(item, f"{key}[{i}]")
            return
        t = _as_tensor(x)
        if t is None or not (t.is_floating_point() or t.dtype == torch.bool) or t.numel() == 0:
            return
        t = t.double()
        flat = t.reshape(t.shape[0], -1) if t.dim() >= 1 else t.reshape(1, 1)
        out[f"{key} mean"] = flat.mean()
        out[f"{key} mean per column"] = flat.mean(0)
        out[f"{key} mean per row"] = flat.mean(1)
        if flat.shape[0] > 1:
            out[f"{key} spread per column"] = flat.std(0)
        if flat.numel() >= 200:                      # the shape of the distribution: uniform is not normal
            centred = (flat - flat.mean(0)) / flat.std(0).clamp_min(1e-12)
            if bool(torch.isfinite(centred).all()) and bool((flat.std(0) > 0).any()):
                out[f"{key} kurtosis"] = centred[:, flat.std(0) > 0].pow(4).mean().reshape(1)
            if 1 < flat.shape[1] <= 32 and flat.shape[0] > 2 * flat.shape[1]:
                out[f"{key} covariance"] = torch.cov(flat.T)

    walk(v, "output")
    return out


def stat_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        return math.inf
    return float((a - b).norm() / max(float(b.norm()), 1e-8))


def _grad_diff(want: Any, got: Any, where: str) -> tuple[str, str] | None:
    """The gradient property alone (random outputs): the result keeps its gradient when the reference's does."""
    if isinstance(want, dict) and "__seq__" in want:
        if isinstance(got, dict) and "__seq__" in got:
            for i, (w, g) in enumerate(zip(want["__seq__"], got["__seq__"])):
                r = _grad_diff(w, g, f"{where}, value {i + 1}")
                if r:
                    return r
        return None
    if isinstance(want, dict) and want.get("grad") and not (isinstance(got, dict) and got.get("grad", False)):
        return (f"{where}: the result is cut off from the gradient (no gradient can flow back through it): draw "
                "the noise separately and build the result with torch operations (no .sample(), .detach() or .item())",
                f"{where}: result gradient से कट गया है (उससे होकर gradient वापस नहीं जा सकता): noise अलग से निकालें "
                "और result torch operations से बनाएँ (.sample(), .detach() या .item() नहीं)")
    return None


def copied_share(out: Any, source: Any) -> float:
    """The share of the output's rows whose first value is one of `source`'s first-column values (resampling)."""
    o, c = _as_tensor(out), _as_tensor(source)
    if o is None or c is None or o.dim() != 2 or c.dim() != 2 or o.shape[1] != c.shape[1] or not len(o):
        return 0.0
    return float(torch.isin(o[:, 0].double(), c[:, 0].double()).double().mean())


def _stat_diff(want: dict, got: Any, where: str) -> tuple[str, str] | None:
    shape = _diff_shape(want["out"], got)
    if shape:
        return (f"{where}: {shape[0]}", f"{where}: {shape[1]}")
    grad = _grad_diff(want["out"], got, where)
    if grad:
        return grad
    stats = statistics(got)
    for key, (ref, tol) in want["stats"].items():
        if key not in stats:
            return (f"{where}: the output has no {key}", f"{where}: output में {key} नहीं है")
        d = stat_distance(stats[key], ref)
        if not d <= tol:
            return (f"{where}: the random output does not follow the expected distribution: its {key} is off "
                    f"by {d:.1%} (a correct answer differs by less than {tol:.1%} on other seeds)",
                    f"{where}: random output अपेक्षित distribution जैसा नहीं है: उसका {key} {d:.1%} अलग है "
                    f"(सही answer दूसरे seeds पर {tol:.1%} से कम अलग होता है)")
    return None


def _diff_shape(want: Any, got: Any) -> tuple[str, str] | None:
    """Type and shape of a random output (its values are compared by statistics)."""
    if isinstance(want, dict) and "__seq__" in want:
        if not (isinstance(got, dict) and "__seq__" in got) or len(got["__seq__"]) != len(want["__seq__"]):
            return (f"expected {len(want['__seq__'])} values (a tuple), got {_kind(got)}",
                    f"{len(want['__seq__'])} values (tuple) चाहिए थीं, मिला {_kind(got)}")
        for w, g in zip(want["__seq__"], got["__seq__"]):
            r = _diff_shape(w, g)
            if r:
                return r
        return None
    w, g = _as_tensor(want), _as_tensor(got)
    if w is not None and (g is None or (tuple(g.shape) != tuple(w.shape) and not (g.numel() == w.numel() == 1))):
        return (f"expected a tensor of shape {tuple(w.shape)}, got "
                f"{tuple(g.shape) if g is not None else _kind(got)}",
                f"shape {tuple(w.shape)} का tensor चाहिए था, मिला {tuple(g.shape) if g is not None else _kind(got)}")
    return None


def _same(a: Any, b: Any) -> bool:
    return _diff(a, b, "") is None and _diff(b, a, "") is None if a is not None and b is not None else a is b


def compare(expected: dict, records: list[dict], inputs: dict | None = None) -> None:
    """Raise Wrong with the first reason the recorded answer differs from the expected values (None: correct).

    `inputs` (the stored inputs the records were made on) lets the properties that look at an input run
    (samples that are copies of an input's rows).
    """
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise Wrong("the answer's results are not a list of records", "answer के results records की list नहीं हैं")
    calls = expected["calls"]
    names = expected.get("params", [])
    for i, want in enumerate(calls):
        where = f"check {i + 1} of {len(calls)} ({want['inputs']})"
        if i >= len(records):
            raise Wrong(f"{where}: no result", f"{where}: कोई result नहीं")
        rec = records[i]
        if rec.get("status") == "not_attempted":
            raise NotAttempted
        if rec.get("status") != "ok":
            raise Wrong(str(rec.get("en", "your function failed")), str(rec.get("hi", "आपका function fail हुआ")))
        reason = (_stat_diff(want, rec.get("out"), where) if want["random"]
                  else _diff(want["out"], rec.get("out"), where))
        if reason:
            raise Wrong(*reason)
        source = want.get("no_copies_of")
        if source is not None and inputs is not None and i < len(inputs.get("calls", [])):
            args = inputs["calls"][i]["args"]
            if source < len(args) and copied_share(rec.get("out"), plain(args[source])) >= 0.1:
                raise Wrong(f"{where}: the samples are copies of the input's rows (resampling): draw new points "
                            "from the fitted distribution",
                            f"{where}: samples input की rows की copies हैं (resampling): fitted distribution से "
                            "नए points निकालें")
        for j, (before, after) in enumerate(want["mutation"]):
            if before is None:
                continue
            got_after = _post_arg(rec.get("post"), j)
            name = names[j] if j < len(names) else f"argument {j + 1}"
            if after is None:        # the reference leaves this input alone
                if got_after is not None and _diff(before, got_after, "") is not None:
                    raise Wrong(f"{where}: your function changed its input `{name}` in place; return a new value "
                                "and leave the input as it was",
                                f"{where}: आपके function ने input `{name}` को in place बदल दिया; नई value "
                                "return करें और input को वैसा ही रहने दें")
            elif not want["random"] and (got_after is None or _diff(after, got_after, "") is not None):
                raise Wrong(f"{where}: after the call, `{name}` is not what it should be (it must be updated in place)",
                            f"{where}: call के बाद `{name}` वैसा नहीं है जैसा होना चाहिए (उसे in place बदलना है)")
    for i, j in expected.get("same", []):
        if i < len(records) and j < len(records) and not _same(records[i].get("out"), records[j].get("out")):
            raise Wrong(f"checks {i + 1} and {j + 1} use equal inputs and equally seeded generators but gave different "
                        "outputs: draw all randomness from the `generator` argument (or the seeded global RNG)",
                        f"checks {i + 1} और {j + 1} के inputs और generators के seed एक जैसे हैं, फिर भी outputs अलग आए: "
                        "सारी randomness `generator` argument से लें")
    for i, j in expected.get("differ", []):
        if i < len(records) and j < len(records) and _same(records[i].get("out"), records[j].get("out")):
            raise Wrong(f"checks {i + 1} and {j + 1} use differently seeded random numbers but gave the same output: "
                        "the answer must draw its random numbers (from the `generator` argument if there is one)",
                        f"checks {i + 1} और {j + 1} के random numbers के seed अलग हैं, फिर भी output वही आया: "
                        "answer को random numbers निकालने होंगे (`generator` argument हो तो उसी से)")


def _post_arg(post: Any, j: int) -> Any:
    try:
        return post["__seq__"][0]["__seq__"][j]
    except (TypeError, KeyError, IndexError):
        return None


# ---------------------------------------------------------------- recording (at release, with the reference)
class _ShiftedSeeds:
    """While active, every seed the checker sets (torch.manual_seed, Generator().manual_seed) is moved by `shift`.

    The checker then draws the same kinds of inputs (shapes, distributions, hand-made edge cases) from other
    random numbers: a second, held-back set of checks for grading.
    """

    def __init__(self, shift: int):
        self.shift = shift

    def __enter__(self) -> "_ShiftedSeeds":
        shift = self.shift
        base = torch._C.Generator

        class ShiftedGenerator(base):
            def manual_seed(self, seed):  # noqa: ANN001, ANN202
                return base.manual_seed(self, (int(seed) + shift) % (2 ** 63))

        self.saved = (torch.Generator, torch.manual_seed, torch.random.manual_seed)
        orig = torch.random.manual_seed

        def manual_seed(seed):  # noqa: ANN001, ANN202
            return orig((int(seed) + shift) % (2 ** 63))

        torch.Generator, torch.manual_seed, torch.random.manual_seed = ShiftedGenerator, manual_seed, manual_seed
        return self

    def __exit__(self, *exc: Any) -> None:
        torch.Generator, torch.manual_seed, torch.random.manual_seed = self.saved


def record(exercise: Exercise, reference: Any, *, calibrate: int = 5, seed_shift: int = 0) -> tuple[dict, dict]:
    """Run `exercise`'s own checker with `reference` as the answer; return (inputs, expected).

    `seed_shift` other than 0 moves every seed the checker sets (a held-back set for grading). A random call
    that no other call repeats with another seed gets a second call with another seed (a fixed seed inside
    the answer then fails). Raises Unstorable if an output cannot be stored as plain values (such an
    exercise ships its checker).
    """
    calls: list[tuple[tuple, dict]] = []
    unstorable: list[str] = []
    rng: list[torch.Tensor] = []
    seen: list[dict] = []      # per call: the output, the inputs after the call, whether the global RNG was used

    def proxy(*args: Any, **kwargs: Any) -> Any:
        calls.append((_fresh(args), _fresh(kwargs)))
        rng.append(torch.get_rng_state())       # the checker may seed the global RNG before a call: keep it
        out = reference(*args, **kwargs)
        try:
            out_plain = plain(out)
        except Unstorable as u:
            unstorable.append(str(u))
            return out
        seen.append({"out": out_plain, "after": [plain(a, modules=True) if torch.is_tensor(a)
                                                  or isinstance(a, torch.nn.Module) else None for a in args],
                     "global_rng": not torch.equal(torch.get_rng_state(), rng[-1])})
        return out

    proxy.__name__ = getattr(reference, "__name__", "answer")
    if seed_shift:
        with _ShiftedSeeds(seed_shift):
            outcome = exercise.grade(proxy)
    else:
        outcome = exercise.grade(proxy)
    if unstorable:
        raise Unstorable(unstorable[0])
    if outcome.status != CORRECT:
        raise RuntimeError(f"{exercise.chapter} ex{exercise.number}: the reference answer does not pass its own "
                           f"checker: {outcome.status} {outcome.en}")
    import inspect
    try:
        params = list(inspect.signature(reference).parameters)
    except (TypeError, ValueError):
        params = []
    stored_calls, expected_calls = [], []
    for (args, kwargs), rec, state in zip(calls, seen, rng):
        stored_calls.append({"args": args, "kwargs": kwargs, "rng_state": state})

        def run(seed_shift: int, global_seed: int) -> Any:
            a, k = _fresh(args, seed_shift), _fresh(kwargs, seed_shift)
            torch.manual_seed(global_seed)
            return reference(*a, **k)

        out_plain = rec["out"]
        # random: an input is a generator, or the reference drew from the global RNG during the call
        random = _has_generator((args, kwargs)) or rec["global_rng"]
        entry: dict[str, Any] = {"out": out_plain, "random": random,
                                 "inputs": ", ".join(
                                     [f"{params[i] if i < len(params) else 'arg'}: {describe(v)}"
                                      for i, v in enumerate(args)]
                                     + [f"{k}: {describe(v)}" for k, v in kwargs.items()])}
        if random:
            ref_stats = statistics(out_plain)
            spread = {key: 0.0 for key in ref_stats}
            for s in range(1, calibrate + 1):
                other = statistics(plain(run(seed_shift=s, global_seed=s)))
                for key in ref_stats:
                    spread[key] = max(spread[key], stat_distance(other[key], ref_stats[key]))
            entry["stats"] = {key: (ref_stats[key], STAT_FACTOR * spread[key] + 1e-6) for key in ref_stats}
        mutation = []
        for j, v in enumerate(args):
            if torch.is_tensor(v) or isinstance(v, torch.nn.Module):
                before, after = plain(v, modules=True), rec["after"][j]
                mutation.append((before, None if _same(before, after) else after))
            else:
                mutation.append((None, None))
        entry["mutation"] = mutation
        if random:                               # samples that copy an input's rows: the reference never does
            for j, v in enumerate(args):
                if torch.is_tensor(v) and v.dim() == 2 and copied_share(out_plain, plain(v)) < 0.01 \
                        and _as_tensor(out_plain) is not None and _as_tensor(out_plain).dim() == 2:
                    entry["no_copies_of"] = j
                    break
        expected_calls.append(entry)
    same, differ = [], []
    for i in range(len(calls)):
        for j in range(i + 1, len(calls)):
            pi, pj = plain(calls[i]), plain(calls[j])
            global_rng = seen[i]["global_rng"] or seen[j]["global_rng"]
            same_rng = not global_rng or torch.equal(rng[i], rng[j])
            if _same(pi, pj) and same_rng:
                same.append((i, j))
            elif (((_has_generator(calls[i]) and _same(_strip_generators(pi), _strip_generators(pj)))
                   or (_same(pi, pj) and not same_rng))
                  and not _same(expected_calls[i]["out"], expected_calls[j]["out"])):
                differ.append((i, j))
    # a random call that no other call repeats with other random numbers: add that repeat (a second seed)
    paired = {k for pair in differ for k in pair}
    for i in range(len(calls)):
        if not expected_calls[i]["random"] or i in paired:
            continue
        args, kwargs = calls[i]
        a, k = _fresh(args, 97), _fresh(kwargs, 97)
        torch.manual_seed(4242 + i)
        state = torch.get_rng_state()
        out2 = plain(reference(*a, **k))
        if _same(out2, expected_calls[i]["out"]):
            continue                             # the reference itself gives one output: nothing to add
        stored_calls.append({"args": _fresh(args, 97), "kwargs": _fresh(kwargs, 97), "rng_state": state})
        expected_calls.append({**expected_calls[i], "out": out2, "inputs": expected_calls[i]["inputs"] + ", another seed"})
        differ.append((i, len(expected_calls) - 1))
    meta = {"format": FORMAT, "chapter": exercise.chapter, "number": exercise.number, "params": params}
    try:                                     # an input that cannot be saved (a local function, say): no stored values
        torch.save({"calls": stored_calls}, io.BytesIO())
    except Exception as err:  # noqa: BLE001
        raise Unstorable(f"input that cannot be saved ({err})") from err
    return ({**meta, "calls": stored_calls},
            {**meta, "calls": expected_calls, "same": same, "differ": differ})


def _strip_generators(v: Any) -> Any:
    if isinstance(v, dict) and "__generator__" in v:
        return None
    if isinstance(v, dict) and "__seq__" in v:
        return {"__seq__": [_strip_generators(x) for x in v["__seq__"]]}
    if isinstance(v, dict) and "__dict__" in v:
        return {"__dict__": {k: _strip_generators(x) for k, x in v["__dict__"].items()}}
    return v


# ---------------------------------------------------------------- the released exercise in a pack
class ReleasedExercise(Exercise):
    """An exercise of a student pack: the same hints, no solution, a checker against stored values."""

    def solution(self) -> None:  # noqa: D102
        print(f"🔒 {RELEASED_HI.replace('exN', f'ex{self.number}')}\n   "
              f"{RELEASED_EN.replace('exN', f'ex{self.number}')}")


def stored_checker(folder: str | Path, number: int):
    """The checker of exercise `number` whose stored values lie in `folder` (exN.inputs.pt, exN.expected.pt)."""
    folder = Path(folder)

    def check(fn: Any) -> None:
        inputs = torch.load(folder / f"ex{number}.inputs.pt", weights_only=False)
        path = folder / f"ex{number}.expected.pt"
        if not path.exists():
            raise Wrong("the expected values are not in this copy of the course (it is being graded): "
                        "the grade comes from the instructor",
                        "इस copy में अपेक्षित values नहीं हैं (इसकी grading हो रही है): grade instructor से मिलेगा")
        compare(torch.load(path, weights_only=True), run_calls(fn, inputs), inputs)

    check.__name__ = f"stored_check_ex{number}"
    return check


# ---------------------------------------------------------------- the grading runner (learner's code, scratch)
def runner_main(job_path: str) -> None:
    """Run one submission's answers on the stored inputs; write one result file per exercise.

    The job (JSON) lists, per exercise: the chapter module, number, answer name, the learner's source
    (imports and definitions only), the mode ("stored" or "shipped") and the result path. The status file
    gets "start N" before an exercise and "done N" after it, so the grader can time each one.
    """
    job = json.loads(Path(job_path).read_text())
    status = open(job["status"], "a", buffering=1)  # noqa: SIM115
    for item in job["exercises"]:
        status.write(f"start {item['key']}\n")
        result: dict[str, Any]
        namespace: dict[str, Any] = {"__name__": "__answer__"}
        try:
            exec(compile(item["source"], f"<{item['name']}>", "exec"), namespace)  # noqa: S102
            fn = namespace.get(item["name"])
            if fn is None:
                result = {"status": "missing", "en": f"`{item['name']}` is not defined",
                          "hi": f"`{item['name']}` define नहीं है"}
            elif item["mode"] == "stored":
                inputs = torch.load(item["inputs"], weights_only=False)
                try:
                    records = run_calls(fn, inputs)
                except NotAttempted:
                    records = [{"status": "not_attempted"}]
                torch.save({"records": records}, item["result"] + ".pt")
                result = {"status": "ran"}
            else:
                import importlib
                module = importlib.import_module(f"course_utils.exercises.{item['module']}")
                outcome = getattr(module, f"ex{item['number']}").grade(fn)
                result = {"status": "shipped", "outcome": outcome.status, "en": outcome.en, "hi": outcome.hi}
        except BaseException as err:  # noqa: BLE001  the learner's definitions failed to run
            result = {"status": "error", "en": f"defining `{item['name']}` raised {type(err).__name__}: {err}"[:500],
                      "hi": f"`{item['name']}` define करते समय {type(err).__name__} आई: {err}"[:500]}
        Path(item["result"] + ".json").write_text(json.dumps(result, ensure_ascii=False))
        status.write(f"done {item['key']}\n")
    status.close()


if __name__ == "__main__":
    runner_main(sys.argv[1])
