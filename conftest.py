"""pytest configuration shared by the unit tests and nbval."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_collectstart(collector):
    """Do not compare stderr in notebooks: warnings there carry the kernel's temp path and pid."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


def _recorded_seconds() -> dict[str, float]:
    """Each view's execution time from the build's record, keyed 'notebooks/en/NN_slug.ipynb'."""
    try:
        record = json.loads((ROOT / "build_times.json").read_text())["notebooks"]
    except (OSError, ValueError, KeyError):
        return {}
    out = {}
    for src, entry in record.items():                  # "notebooks/source/NN_slug.md"
        tree, _, name = src.split("/")
        for lang in ("hi", "en"):
            out[f"{tree}/{lang}/{name[:-3]}.ipynb"] = float(entry["seconds"])
    return out


def pytest_collection_modifyitems(session, config, items):
    """Slowest notebooks first (longest-processing-time-first over the xdist workers), unit tests last.

    With `--dist loadfile --no-loadscope-reorder` xdist hands out whole files in this order, so the
    long notebooks start at once and the short ones fill the gaps at the end.
    """
    seconds = _recorded_seconds()

    def weight(item) -> float:
        try:
            rel = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return 0.0
        return seconds.get(rel, 0.0)

    items.sort(key=weight, reverse=True)   # stable: cells of one notebook keep their order
