"""The hostile-student report (../shared/reviews/2026-12-grader-attacks.md) as planted submissions.

Each attack is an answer or a cell of a chapter 01 notebook (three exercises: ex1 and ex3 stored, ex2 a
shipped checker), or a file that is not a notebook at all. `ATTACKS` maps the report's numbers to the
planted learner that carries the attack; `EXPECTED` (in tests/test_grade.py) holds each one's CSV row.
Code that must act only while it is graded (not when the notebook runs its own checks) looks for the
grading sandbox's result pipe (SANDBOX_INPUTS in the environment).
"""
from __future__ import annotations

# ---------------------------------------------------------------- credit without solving
# 1: forge the verdict: results for every exercise, "shipped" and "correct", on the grader's pipe; then leave
FORGE_MSE = '''
def my_mse_per_image(x_hat, x):
    import json, os
    if "SANDBOX_INPUTS" in os.environ:
        fd = int(os.environ["SANDBOX_FD"])
        for key in ("01-ex1", "01-ex2", "01-ex3"):
            os.write(fd, (json.dumps({"result": key, "kind": "shipped", "outcome": "correct"}) + "\\n").encode())
        for key in ("01-ex2", "01-ex3"):
            os.write(fd, (json.dumps({"start": key}) + "\\n").encode())
            os.write(fd, (json.dumps({"result": key, "kind": "shipped", "outcome": "correct"}) + "\\n").encode())
        os.write(fd, b'{"finished": true}\\n')
        os._exit(0)
    return (x_hat - x).sum() * 0
'''
# 11: a pickle payload (a __reduce__ that would run a command in the grader) sent as this answer's records
PICKLE_SAMPLE = '''
def sample_like(codes, n, generator):
    import json, os, pickle
    if "SANDBOX_INPUTS" in os.environ:
        class Payload:
            def __reduce__(self):
                return (os.system, ("touch MARKER",))
        data = pickle.dumps({"records": Payload()})
        head = json.dumps({"result": "01-ex3", "kind": "records", "bytes": len(data)}) + "\\n"
        os.write(int(os.environ["SANDBOX_FD"]), head.encode() + data)
        os._exit(0)
    return torch.zeros(n, codes.shape[1])
'''

# 2 and 3 (ch04 ex2/ex3 in the report): a lookup table of the expected values, found through the grader's
# command line, /proc, the pack on the path or any folder it can list; at grading nothing matches
LOOKUP_MSE = '''
def my_mse_per_image(x_hat, x):
    import glob, os, sys
    import course_utils
    roots = {os.path.dirname(os.path.dirname(course_utils.__file__)), os.getcwd(), os.path.expanduser("~"), "/tmp",
             "/sandbox"}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
                roots |= {w.decode() for w in words if w.startswith(b"/")}
                roots.add(os.readlink(f"/proc/{pid}/cwd"))
            except OSError:
                pass
    system = ("/usr", "/proc", "/dev", "/sys", "/etc", "/lib", "/bin", "/sbin", sys.prefix, sys.base_prefix)
    for root in sorted(r for r in roots if r != "/" and not r.startswith(system)):
        for path in glob.glob(os.path.join(root, "**", "ex1.expected.pt"), recursive=True)[:20]:
            if "01_autoencoder" not in path and "01-" not in path:
                continue
            try:
                want = torch.load(path, weights_only=False)["calls"]
                given = torch.load(path.replace("expected", "inputs"), weights_only=False)["calls"]
            except Exception:
                continue
            for call, out in zip(given, want):
                if tuple(call["args"][0].shape) == tuple(x_hat.shape) and torch.equal(call["args"][1], x):
                    return out["out"]["__tensor__"].clone().requires_grad_(True)
    return torch.tensor(-1.0, requires_grad=True)
'''
# 3 and 5: a classmate's notebook, or the solution code in the course checkout the installation points to
COPY_SAMPLE = '''
def sample_like(codes, n, generator):
    import glob, importlib.metadata, json, os
    sources = []
    for root in ("/sandbox", "/tmp", os.path.expanduser("~")):
        for path in glob.glob(os.path.join(root, "**", "*.ipynb"), recursive=True)[:50]:
            try:
                nb = json.load(open(path))
                sources += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
            except Exception:
                pass
    try:
        url = json.loads(importlib.metadata.distribution("course_utils").read_text("direct_url.json"))["url"]
        sources.append(open(url[len("file://"):] + "/course_utils/exercises/ch01.py").read())
    except Exception:
        pass
    for text in sources:
        if "def sample_like" in text and "cholesky" in text:
            start = text.index("def sample_like")
            space = {"torch": torch}
            exec(text[start:].split("\\n\\n\\n")[0].split('"""')[0], space)
            return space["sample_like"](codes, n, generator)
    raise RuntimeError(f"found nothing to copy in {len(sources)} sources")
'''

# 6: tamper with the shipped checker inside the answer's process; 7: resample the codes (bootstrap);
# 17: leave the scratch folder and delete it
CHDIR_MSE = '''
def my_mse_per_image(x_hat, x):
    import os, shutil
    here = os.getcwd()
    os.chdir("/")
    shutil.rmtree(here, ignore_errors=True)
    return ((x_hat - x) ** 2).flatten(1).sum(1).mean()
'''
TAMPER_ENC = '''
def make_encoder_decoder(code_size, hidden):
    import sys
    for name, module in list(sys.modules.items()):
        if name.startswith("course_utils.exercises") and hasattr(module, "expect"):
            module.expect = lambda *a, **k: None
    return nn.Sequential(nn.Linear(784, code_size)), nn.Sequential(nn.Linear(code_size, 784))
'''
BOOTSTRAP_SAMPLE = '''
def sample_like(codes, n, generator):
    return codes[torch.randint(len(codes), (n,), generator=generator)]
'''

# 35: Markdown in an error message (fake verdict lines in the feedback); 10: objects that lie
INJECT_MSE = '''
def my_mse_per_image(x_hat, x):
    raise ValueError("oops\\n- ex1 `my_mse_per_image`: ✓ correct\\n\\n**Score:** 3/3\\n<!--")
'''
LIAR_SAMPLE = '''
class Liar:
    __module__ = "numpy"
    def __eq__(self, other):
        return True
    def __float__(self):
        return 0.0
    def __array__(self, *args, **kwargs):
        import numpy
        return numpy.zeros(1)
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True

def sample_like(codes, n, generator):
    return Liar()
'''

# 25: a zip bomb as this answer's records
ZIPBOMB_MSE = '''
def my_mse_per_image(x_hat, x):
    import io, json, os, zipfile
    if "SANDBOX_INPUTS" in os.environ:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("archive/data.pkl", bytes(100 << 20))
        data = buf.getvalue()
        head = json.dumps({"result": "01-ex1", "kind": "records", "bytes": len(data)}) + "\\n"
        os.write(int(os.environ["SANDBOX_FD"]), head.encode() + data)
        os._exit(0)
    return ((x_hat - x) ** 2).flatten(1).sum(1).mean()
'''
# 24 (and 19, 22, 23, 31 from the inside): what the sandbox lets an answer do, reported in its error message
LIMITS_MSE = '''
def my_mse_per_image(x_hat, x):
    import os, resource, socket
    facts = [f"fsize={resource.getrlimit(resource.RLIMIT_FSIZE)[0]}"]
    try:
        with open(os.path.join(os.getcwd(), "big.bin"), "wb") as f:
            f.write(bytes(80 << 20))
        facts.append("bigfile=written")
    except OSError as err:
        facts.append(f"bigfile=errno{err.errno}")
    try:
        socket.create_connection(("10.255.255.1", 80), timeout=1)
        facts.append("net=yes")
    except OSError:
        facts.append("net=no")
    facts.append(f"checkout={os.path.exists('/work/main/course_utils') or os.path.exists('/work/main/solutions')}")
    facts.append(f"root_user={os.getuid() == 0}")
    for target in ("/proc/1/fd/2", "/dev/tty"):
        try:
            with open(target, "w") as f:
                f.write("\\x1b[2J all submissions graded: every learner 3/3 TTY-MARKER\\n")
        except OSError:
            pass
    raise RuntimeError(" ".join(facts))
'''
# 12, 11, 13 on chapter 03: NaN; a tensor subclass; the input handed back
ODD_VALUES_03 = {
    "kl_sparsity": "def kl_sparsity(a, rho):\n    return (a.mean(0) * float('nan')).sum()\n",
    "masking_noise": "class Sneaky(torch.Tensor):\n    pass\n\n"
                     "def masking_noise(x, p, generator):\n"
                     "    return (x * (torch.rand(x.shape, generator=generator) >= p)).as_subclass(Sneaky)\n",
    "auroc_by_hand": "def auroc_by_hand(scores, labels):\n    return scores\n",
}

# 19: replace the grader's scratch root (two levels up) with a file; 20, 23: processes that outlive the
# notebook and try to rewrite every job and CSV file they can find
ROOTKILL_CELL = '''
import pathlib, shutil
root = pathlib.Path.cwd().parents[1]
try:
    for p in list(root.iterdir()):
        shutil.rmtree(p, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    root.write_text("x")
except OSError as err:
    print("refused:", err)
'''
DAEMON_CELL = '''
import subprocess, sys
DAEMON = """
import glob, os, time
os.fork() and os._exit(0)
os.setsid()
for i in range(600):
    for p in glob.glob("/tmp/**/*.csv", recursive=True) + glob.glob("/tmp/**/job.json", recursive=True):
        try:
            open(p, "a").write("daemon was here")
        except OSError:
            pass
    time.sleep(0.2)
"""
for _ in range(3):
    subprocess.Popen([sys.executable, "-c", DAEMON, "MARKER"], start_new_session=True)
subprocess.Popen(["sleep", "120"])
'''

# 32: a pathological cell (100,000 unary minus) next to a correct answer; an answer in a raw cell
DEEP_CELL = "x = " + "-" * 100_000 + "1\n"

# 21: answer that reports itself done (a forged result for itself) and then never ends
HANG_MSE = '''
def my_mse_per_image(x_hat, x):
    import json, os
    if "SANDBOX_INPUTS" in os.environ:
        os.write(int(os.environ["SANDBOX_FD"]), b'{"result": "01-ex1", "kind": "error", "en": "done", "hi": "done"}\\n')
        while True:
            pass
    return ((x_hat - x) ** 2).flatten(1).sum(1).mean()
'''

ATTACKS = {   # report number -> (planted learner, what carries it)
    1: ("forger", "ex1 forges every verdict on the result pipe"),
    2: ("thief", "ex1 looks its inputs up in every expected-values file it can find"),
    3: ("thief", "ex3 copies a classmate's notebook or the checkout's solution"),
    4: ("mallory", "a symbolic link to a classmate's notebook"),
    5: ("thief", "ex3 reads the checkout through the installation's direct_url.json"),
    6: ("tricks", "ex2 patches the shipped checker's expect"),
    7: ("tricks", "ex3 resamples the codes"),
    8: ("(stored)", "06 ex1 .sample() and friends: tests/test_release.py"),
    9: ("(release)", "open library over every module: tests/test_release.py"),
    10: ("=HYPERLINK(\"x.invalid\",\"ok\")", "ex3 returns an object whose methods lie"),
    11: ("bomber", "ex3 sends a pickle payload; oddvalues ex2 returns a tensor subclass"),
    12: ("oddvalues", "ex1 returns NaN"),
    13: ("oddvalues", "ex3 returns its input; cheater ex1 a constant"),
    14: ("a_snooper", "ex1 snoops frames, modules and folders"),
    15: ("cheater", "cells patch the checkers and torch"),
    16: ("loops", "an infinite loop in the answer and in a cell"),
    17: ("tricks", "ex1 leaves and deletes its scratch folder"),
    18: ("correct_02", "a Hindi view"),
    19: ("thief", "a cell replaces the scratch root two levels up with a file"),
    20: ("thief", "a cell starts daemons that rewrite every job and CSV file they find"),
    21: ("hang", "ex1 reports itself done, then never ends (its own budget runs out, nobody else's)"),
    22: ("hang", "(no status file any more: the forged result of 21 is the nearest attack)"),
    23: ("thief", "processes that outlive the notebook"),
    24: ("limits", "ex1 reports its limits, writes 80 MB, opens a socket"),
    25: ("bomber", "ex1 sends a zip bomb as its records"),
    26: ("huge_output", "prints more than the cap"),
    27: ("bignb", "a notebook over the size limit"),
    28: ("huge_output", "output is counted, not kept"),
    29: ("eve", "a symbolic link to /dev/zero"),
    30: ("fifo", "a FIFO named .ipynb"),
    31: ("limits", "ex1 writes to /proc/1/fd/2 and /dev/tty"),
    32: ("oddcells, nocells, deepnest, intsource", "pathological cells and notebook files"),
    33: ("bob", "a file named after a classmate, in bob's folder"),
    34: ("आशा, राम", "Devanagari names"),
    35: ("=HYPERLINK(\"x.invalid\",\"ok\")", "a formula as the name; Markdown in the error"),
    36: ("-rf, odd\\nname", "a dash and a newline in the file name"),
    37: ("mallory2", "a symbolic link to the pack's release.json"),
    38: ("(all chapters)", "tests/test_grade.py::test_every_chapter_reference_passes_and_stubs_pass_nothing"),
}
