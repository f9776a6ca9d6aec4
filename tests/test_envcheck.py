from course_utils import envcheck


def test_missing_package_and_data_come_with_a_fix(isolated_data, monkeypatch, capsys):
    monkeypatch.setitem(envcheck.PACKAGES, "no_such_package_xyz", "no-such-package-xyz")
    items = envcheck.check_environment()
    by_name = {it.what: it for it in items}
    assert not by_name["no_such_package_xyz"].ok
    assert "pip install 'no-such-package-xyz'" in by_name["no_such_package_xyz"].fix
    assert not by_name["data: mnist"].ok and "COURSE_DATA" in by_name["data: mnist"].fix
    assert "apt-get install dataset-fashion-mnist" in by_name["data: fashion_mnist"].fix
    assert envcheck.report(items) is False
    out = capsys.readouterr().out
    assert "✗ FAIL no_such_package_xyz" in out and "fix / उपाय" in out
    # every verdict line carries a word, so it reads right even where a font lacks the mark
    verdicts = [line for line in out.splitlines() if line.strip() and not line.startswith(" ")]
    assert verdicts and all(line.startswith(("✓ OK", "✗ FAIL")) for line in verdicts)


def test_ready_machine_reports_ready(mnist, capsys):
    items = envcheck.check_environment(datasets=("mnist",))
    assert [it.what for it in items if not it.ok] == []
    assert any(it.what == "data: mnist" and it.ok for it in items)


def test_mnist_reports_the_course_split_of_the_test_file(monkeypatch):
    monkeypatch.setattr(envcheck.data, "_load_split", lambda key, split, *a: (None, [0] * 10_000))
    (item,) = [it for it in envcheck.check_environment(datasets=("mnist",)) if it.what == "data: mnist"]
    assert item.ok and "8,000 train / 2,000 test" in item.detail and "official test file" in item.detail
