"""pytest configuration shared by the unit tests and nbval."""


def pytest_collectstart(collector):
    """Do not compare stderr in notebooks: warnings there carry the kernel's temp path and pid."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
