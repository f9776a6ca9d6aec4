"""The learner's working copy: the course's views copied into ``my-course/``, which updates never overwrite.

``make lab`` serves ``my-course/``, not the tracked views: JupyterLab's autosave and the learner's answers change
only the working copy, so ``git pull`` of new chapters never conflicts with them. Each sync (``make lab`` runs one;
``make update`` runs ``git pull --ff-only`` and then one):

* copies every view (``notebooks/{hi,en}``, ``solutions/{hi,en}``) that the working copy lacks: new chapters arrive;
* replaces a working file with the course's new version only if the learner never changed it (its SHA-256 is still
  the one recorded when it was copied, in ``my-course/.course-manifest.json``);
* otherwise keeps the learner's file and writes the course's new version beside it as ``NN_slug.updated.ipynb``,
  saying so: nothing the learner wrote is ever overwritten or deleted.

The folder keeps the repository's layout (``notebooks/hi/…``, ``solutions/hi/…``), so every relative link between a
chapter and its solutions resolves inside it. Every file is written under a temporary name and renamed into place.

    python -m course_utils.tools.workspace              # sync into my-course/
    python -m course_utils.tools.workspace --into DIR   # sync into another folder
    python -m course_utils.tools.workspace --from COPY  # take the views from another copy of the course
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("notebooks/hi", "notebooks/en", "solutions/hi", "solutions/en")
MANIFEST = ".course-manifest.json"
DEFAULT = ROOT / "my-course"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, content: bytes) -> None:
    """Write `content` to `path` all or nothing (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_manifest(folder: Path) -> dict[str, str]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
            raise ValueError("not a mapping of paths to SHA-256")
        return manifest
    except ValueError as err:
        raise SystemExit(f"✗ {path} is damaged ({err}). Fix: delete it; the next sync then treats every existing file "
                         f"as yours and writes the course's versions beside them. / यह file खराब है: इसे delete करें।")


def sync(folder: Path = DEFAULT, source: Path = ROOT) -> dict[str, list[str]]:
    """Bring the working copy `folder` up to date with the views under `source`; return what happened to each file."""
    folder, source = Path(folder), Path(source)
    forbidden = {source.resolve(), (source / "notebooks").resolve(), (source / "solutions").resolve(),
                 *((source / t).resolve() for t in TREES)}
    if folder.resolve() in forbidden:
        raise ValueError(f"the working copy {folder} must not be the course's own folder or view folders: choose "
                         f"another, e.g. {source / 'my-course'} / working copy course के अपने folder में नहीं बन सकती")
    manifest = _read_manifest(folder)
    done: dict[str, list[str]] = {"new": [], "updated": [], "kept": [], "beside": []}
    for tree in TREES:
        for view in sorted((source / tree).glob("*.ipynb")):
            rel = f"{tree}/{view.name}"
            mine, upstream = folder / rel, view.read_bytes()
            new_sha = hashlib.sha256(upstream).hexdigest()
            if not mine.exists():
                _write(mine, upstream)
                manifest[rel] = new_sha
                done["new"].append(rel)
            elif manifest.get(rel) == new_sha:
                continue                                            # the course has not changed this view
            elif manifest.get(rel) == _sha(mine):                  # untouched by the learner: take the update
                _write(mine, upstream)
                manifest[rel] = new_sha
                done["updated"].append(rel)
            elif _sha(mine) == new_sha:                            # the same bytes already
                manifest[rel] = new_sha
            else:                                                   # the learner's work: keep it, put the update beside
                beside = mine.with_name(mine.stem + ".updated.ipynb")
                _write(beside, upstream)
                manifest[rel] = new_sha if rel not in manifest else manifest[rel]
                done["beside"].append(beside.relative_to(folder).as_posix())
                done["kept"].append(rel)
    _write(folder / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return done


def report(done: dict[str, list[str]], folder: Path) -> None:
    """Print what a sync did, in both languages."""
    print(f"📂 {folder}: {len(done['new'])} new / नए, {len(done['updated'])} updated / अपडेट, "
          f"{len(done['kept'])} with your changes kept / आपके बदलाव सुरक्षित")
    for rel, beside in zip(done["kept"], done["beside"]):
        print(f"   ✎ {rel}: yours is kept; the course's new version is {beside} / आपकी file वैसी ही है, "
              f"course का नया version {beside} में है")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.workspace", description=__doc__.split("\n")[0])
    parser.add_argument("--into", type=Path, default=DEFAULT, help="the working copy (default: my-course/)")
    parser.add_argument("--from", dest="source", type=Path, default=ROOT,
                        help="the course whose views are copied (default: this repository)")
    args = parser.parse_args(argv)
    if not all((args.source / tree).is_dir() for tree in TREES):
        print(f"✗ {args.source} is not a copy of the course: it lacks {', '.join(TREES)}. Fix: pass the folder "
              f"that holds notebooks/ and solutions/ / --from में course का folder दें", file=sys.stderr)
        return 2
    try:
        done = sync(args.into, source=args.source)
    except (OSError, ValueError) as err:
        print(f"✗ {err}", file=sys.stderr)
        return 2
    report(done, args.into)
    return 0


if __name__ == "__main__":
    sys.exit(main())
