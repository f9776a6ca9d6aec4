import ipywidgets as W
import matplotlib.pyplot as plt
import pytest
import torch

from course_utils import plots
from course_utils.widgets import image_explorer


def test_images_accept_three_layouts_and_refuse_others():
    for shape in [(4, 784), (4, 28, 28), (4, 1, 28, 28)]:
        assert plots._images(torch.rand(shape)).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match=r"\(4, 3, 28, 28\)"):
        plots._images(torch.rand(4, 3, 28, 28))


def test_plots_draw(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(1))
    plots.show_images(torch.rand(12, 784), nrow=6, title="t")
    plots.show_reconstructions(torch.rand(5, 1, 28, 28), torch.rand(5, 784))
    plots.plot_history({"loss": [3.0, 2.0], "val_loss": [3.5, 2.5]})
    plots.plot_latent(torch.randn(50, 2), torch.randint(0, 10, (50,)))
    assert len(shown) == 4
    plt.close("all")


def test_plot_errors_say_what_is_wrong():
    with pytest.raises(KeyError, match="kl"):
        plots.plot_history({"loss": [1.0]}, ["kl"])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.plot_latent(torch.randn(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match="originals"):
        plots.show_reconstructions(torch.rand(5, 784), torch.rand(3, 784))


def test_image_explorer_draws_then_redraws_in_place(monkeypatch):
    from course_utils import widgets

    shown = []

    class Handle:
        def update(self, fig):
            shown.append(("update", fig))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle() if display_id else None

    monkeypatch.setattr(widgets, "display", fake_display)
    calls = []
    slider = W.FloatSlider(value=0.5, min=0, max=1)
    image_explorer(lambda a: (calls.append(a), torch.rand(2, 784))[1], lambda a: f"a={a}", a=slider)
    assert [kind for kind, _ in shown] == ["display", "display"] and calls == [0.5]
    bundle = shown[0][1]._repr_mimebundle_()   # a static viewer's line names the values, not VBox(children=...)
    assert "application/vnd.jupyter.widget-view+json" in bundle and "a = 0.5" in bundle["text/plain"]
    assert "VBox" not in bundle["text/plain"]
    assert shown[1][1].axes[0].figure._suptitle.get_text() == "a=0.5"
    slider.value = 0.25
    assert calls[-1] == 0.25 and shown[-1][0] == "update"
    with pytest.raises(ValueError, match="slider"):
        image_explorer(lambda: torch.rand(1, 784))
    plt.close("all")


@pytest.mark.parametrize("n, nrow", [(7, 3), (20, 10), (23, 8)])
def test_image_grid_matches_torchvision_make_grid(n, nrow):
    """The course tiles images itself (importing torchvision costs every notebook seconds at start)."""
    from torchvision.utils import make_grid

    from course_utils.plots import image_grid
    x = torch.rand(n, 1, 28, 28)
    assert torch.equal(image_grid(x, nrow=nrow), make_grid(x, nrow=nrow, padding=2, pad_value=0.0)[0])


def test_plots_do_not_import_torchvision():
    import subprocess
    import sys
    code = "import sys, course_utils.plots, course_utils.widgets; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
