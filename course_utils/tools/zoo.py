"""Retrain the zoo's checkpoints (author's tool; learners call ``course_utils.zoo.load``).

    python -m course_utils.tools.zoo list                 every recipe and whether its checkpoint is pinned
    python -m course_utils.tools.zoo train conv_ae_ch03   retrain one recipe
    python -m course_utils.tools.zoo train --all          retrain every recipe

``train`` runs the recipe with the same ``fit()`` as the chapters, then writes
``course_utils/checkpoints/NAME.pt`` (the state_dict) and ``NAME.json`` (its record: the new
SHA-256 that ``load()`` checks, the recipe's fingerprint, train and test losses, loss curves,
seconds, threads, torch version, date, and a fingerprint of the data), both atomically.
Commit both files together: the JSON is the pin. Run it on the build machine's data
(``COURSE_DATA``) with ``COURSE_THREADS=2``.
"""
from __future__ import annotations

import argparse
import sys

from course_utils import zoo


def train(name: str) -> dict:
    """Retrain recipe `name` into the committed checkpoint folder; return its record."""
    print(f"== {name}: {zoo.recipe(name).about}", flush=True)
    old = zoo.record(name) if (zoo.CHECKPOINTS / f"{name}.json").is_file() else None
    model, record = zoo.train(name, progress=True)
    print(f"   data: {record['data']['note']}")
    if old and old.get("data", {}).get("sha256") != record["data"]["sha256"]:
        print(f"   ⚠️ these are not the images the previous {name} was trained on: checkpoints are made on "
              "the build machine's data (COURSE_DATA=../shared/data); is this the build machine?")
    path = zoo.save(model, record, zoo.CHECKPOINTS, name)
    assert zoo.status(name) == "ok", zoo.status(name)
    record = zoo.record(name)
    print(f"   {record['seconds']} s on {record['threads']} threads, train loss {record['train']['loss']:.3f}, "
          f"test loss {record['test']['loss']:.3f}\n   wrote {path} ({record['bytes']:,} bytes) and its record "
          f"{path.with_suffix('.json').name}\n   pinned SHA-256 {record['sha256']}", flush=True)
    return record


def list_recipes() -> None:
    """One line per recipe: name, checkpoint status, size and test loss."""
    total = 0
    for name in sorted(zoo.RECIPES):
        state = zoo.status(name)
        line = f"{name:16s} {state}"
        if state == "ok":
            rec = zoo.record(name)
            total += rec["bytes"]
            line += (f" | {rec['bytes']:,} bytes | test loss {rec['test']['loss']:.3f} | "
                     f"{rec['seconds']} s, {rec['date']}")
        print(line + f"\n{'':16s} {zoo.recipe(name).about}")
    print(f"committed checkpoints: {total:,} bytes ({total / 2**20:.2f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.zoo", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every recipe and the state of its committed checkpoint")
    t = sub.add_parser("train", help="retrain recipes and rewrite their checkpoints and records")
    t.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(sorted(zoo.RECIPES))}")
    t.add_argument("--all", action="store_true", help="every recipe")
    args = parser.parse_args(argv)
    if args.command == "list":
        list_recipes()
        return 0
    if bool(args.names) == args.all:
        parser.error("give recipe names or --all (not both, not neither)")
    names = sorted(zoo.RECIPES) if args.all else args.names
    try:
        for name in names:
            zoo.recipe(name)
    except zoo.ZooError as err:
        parser.error(str(err))
    for name in names:
        train(name)
    print("Commit the .pt and .json files together; the .json pins the .pt's SHA-256.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
