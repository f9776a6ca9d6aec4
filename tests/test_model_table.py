"""Chapter 12's table of every model (course_utils/model_table.json): pinned to the zoo's checkpoints, on the
course split, and reproducible from course_utils.comparison.table_row."""
from __future__ import annotations

import json

import pytest

from exercise_kit import mnist_here
from course_utils import comparison
from course_utils import zoo
from course_utils.tools import model_table

REMAKE = f"remake it with `{comparison.TABLE_COMMAND}` (COURSE_DATA=../shared/data COURSE_THREADS=1) and commit the file"


@pytest.fixture(scope="module")
def table():
    return comparison.load_table()


def test_every_row_is_pinned_to_the_zoo_checkpoint_it_was_made_from(table):
    for row in table["rows"]:
        for name, sha in row["checkpoints"].items():
            now = zoo.record(name)["sha256"]
            assert sha == now, (f"{row['name']}: the zoo checkpoint {name} changed since the table was made "
                                f"({sha[:12]}… in the table, {now[:12]}… pinned now): {REMAKE}")
    judge_now = zoo.record("digit_judge")["sha256"]
    assert table["checkpoints"]["digit_judge"] == judge_now, (
        f"the digit judge changed since the table was made: every FD, precision and recall is stale: {REMAKE}")
    assert comparison.stale_rows(table) == []


def test_the_table_holds_every_model_once_on_one_split(table):
    names = [r["name"] for r in table["rows"]]
    assert names == list(comparison.TABLE_MODELS), f"the table's rows {names} differ from comparison.TABLE_MODELS: {REMAKE}"
    splits = {r["data_sha256"] for r in table["rows"]}
    assert splits == {table["data_sha256"]}, "every row must come from models trained and tested on one split"
    for name in names:
        assert zoo.recipe(name).data == zoo.Data(), f"{name} is not on the course's MNIST split"
    assert table["settings"] == comparison.TABLE_SETTINGS, f"the table was made with other settings: {REMAKE}"


def test_each_column_is_defined_where_it_should_be(table):
    for r in table["rows"]:
        family = r["family"]
        assert ("nll" in r) == (family != "autoencoder") and ("fd" in r) == (family != "autoencoder")
        if family in ("VAE", "CVAE"):
            assert r["gap"] >= 0 and r["nll"] <= r["elbo_nll"] and r["units"]["kind"] == "active units"
        if family == "CVAE":
            assert r["nll_kind"].startswith("-log p(x|y)")
        if family == "VQ-VAE":
            assert set(r["checkpoints"]) == {"vqvae_restart_s0", "vq_prior"} and "gap" not in r
        if "precision" in r:
            assert 0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1


def test_the_table_prints_with_a_bilingual_legend(table):
    text = comparison.format_table(table)
    assert all(r["name"] in text for r in table["rows"]) and "real B vs real A" in text
    assert "squared error" in text and "का जोड़" in text


@pytest.mark.skipif(not mnist_here(), reason="needs MNIST")
@pytest.mark.parametrize("name", ["conv_ae_ch03", "mlp_vae_ch07", "cvae_mnist"])
def test_cheap_columns_recomputed_now_agree_with_the_stored_row(table, name):
    ctx = comparison.table_context()
    floor = table["floor"]
    for key in ("fd", "precision", "recall"):
        assert ctx["floor"][key] == pytest.approx(floor[key], rel=1e-3), f"the floor's {key} changed: {REMAKE}"
    stored = {r["name"]: r for r in table["rows"]}[name]
    live = comparison.table_row(name, ctx, likelihood=False)
    for key in ("recon_sse", "fd", "precision", "recall", "params", "units", "epochs"):
        if key in stored:
            want = stored[key]
            ok = live[key] == pytest.approx(want, rel=1e-3, abs=1e-3) if isinstance(want, float) else live[key] == want
            assert ok, f"{name}: {key} is {live[key]} now, {want} in the table: {REMAKE}"


@pytest.mark.skipif(not mnist_here(), reason="needs MNIST")
def test_a_likelihood_row_recomputed_now_agrees_with_the_stored_one(table):
    stored = {r["name"]: r for r in table["rows"]}["vae2d"]
    live = comparison.table_row("vae2d", comparison.table_context())           # IWAE, k = 100, on 1,000 digits: a few seconds
    for key in ("nll", "nll_se", "elbo_nll", "gap", "bits_per_dim"):
        assert live[key] == pytest.approx(stored[key], rel=1e-3, abs=1e-3), f"vae2d: {key} changed: {REMAKE}"
    assert live["nll_per_digit"] == pytest.approx(stored["nll_per_digit"], abs=1e-2)


def test_a_changed_judge_is_named(table, monkeypatch):
    real = zoo.record

    def changed(name):
        rec = dict(real(name))
        if name == "digit_judge":
            rec["sha256"] = "0" * 64
        return rec

    monkeypatch.setattr(zoo, "record", changed)
    assert any("digit_judge" in line for line in comparison.stale_rows(table))
    with pytest.raises(AssertionError, match="judge changed"):
        test_every_row_is_pinned_to_the_zoo_checkpoint_it_was_made_from(table)


def test_a_changed_checkpoint_fails_with_the_command(table, monkeypatch):
    real = zoo.record

    def changed(name):
        rec = dict(real(name))
        if name == "mlp_vae_ch07":
            rec["sha256"] = "0" * 64
        return rec

    monkeypatch.setattr(zoo, "record", changed)
    with pytest.raises(AssertionError, match="model_table"):
        test_every_row_is_pinned_to_the_zoo_checkpoint_it_was_made_from(table)


def test_a_missing_table_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m course_utils.tools.model_table"):
        comparison.load_table(tmp_path / "nothing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(FileNotFoundError, match="model_table"):
        model_table.load(bad)


def test_write_is_atomic_and_round_trips(tmp_path, table):
    path = tmp_path / "t.json"
    model_table.write(table, path)
    assert json.loads(path.read_text(encoding="utf-8")) == table
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]
