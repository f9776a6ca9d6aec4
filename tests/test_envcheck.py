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
    assert "❌ no_such_package_xyz" in out and "fix / उपाय" in out


def test_ready_machine_reports_ready(mnist, capsys):
    items = envcheck.check_environment(datasets=("mnist",))
    assert [it.what for it in items if not it.ok] == []
    assert any(it.what == "data: mnist" and it.ok for it in items)
