"""Models that several chapters reuse. Each chapter builds its model by hand first."""
from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class Autoencoder(nn.Module):
    """The seed's MLP autoencoder, 784-128-code, ReLU inside and a sigmoid at the output (chapter 01)."""

    def __init__(self, code_size: int = 32, hidden: int = 128, n_pixels: int = 784):
        super().__init__()
        if code_size < 1 or hidden < 1:
            raise ValueError(f"code_size and hidden must be positive, got {code_size} and {hidden}.")
        self.encoder = nn.Sequential(nn.Linear(n_pixels, hidden), nn.ReLU(), nn.Linear(hidden, code_size))
        self.decoder = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(),
                                     nn.Linear(hidden, n_pixels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct x; images (N, 1, 28, 28) come back in the same shape."""
        flat = x.flatten(1)
        return self.decoder(self.encoder(flat)).view_as(x)


class ConvAutoencoder(nn.Module):
    """Chapter 03's convolutional autoencoder: two stride-2 convolutions to 32x7x7, a code, two transposed ones back."""

    def __init__(self, code_size: int = 32):
        super().__init__()
        if code_size < 1:
            raise ValueError(f"code_size must be positive, got {code_size}.")
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),        # 1x28x28 -> 16x14x14
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),       # -> 32x7x7
            nn.Flatten(), nn.Linear(32 * 7 * 7, code_size))             # -> code
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # -> 16x14x14
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())  # -> 1x28x28

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct images (N, 1, 28, 28)."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"ConvAutoencoder wants images of shape (N, 1, 28, 28), got {tuple(x.shape)}; "
                             "use x.view(-1, 1, 28, 28).")
        return self.decoder(self.encoder(x))


class GaussianVAE(nn.Module):
    """What the course's VAEs share: a Gaussian q(z|x) from `encode`, a Bernoulli p(x|z) from `decode_logits`.

    A subclass writes encode(x) -> (mu, logvar) and decode_logits(z) -> logits; this class adds the
    rest, the same for every model: decode (the sigmoid), forward_logits (the reparameterization trick,
    chapter 06) and forward.
    """

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli means of p(x|z): sigmoid(decode_logits(z)), in the shape decode_logits gives."""
        return torch.sigmoid(self.decode_logits(z))

    def forward_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits, mu, logvar), logits in the shape of x; the loss to pair them with is bce_logits_per_image."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # reparameterization trick
        return self.decode_logits(z).view_as(x), mu, logvar

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_hat, mu, logvar), x_hat = sigmoid(logits) in [0, 1] and in the shape of x."""
        logits, mu, logvar = self.forward_logits(x)
        return torch.sigmoid(logits), mu, logvar


class MLPVAE(GaussianVAE):
    """The seeds' MLP VAE (784-400-latent); returns (x_hat, mu, logvar).

    Two views of the decoder's output: `decode` gives Bernoulli means in [0, 1] (for plots and
    for bce_per_image); `decode_logits` gives the logits before the sigmoid, and `forward_logits`
    returns (logits, mu, logvar). Train with the logits and losses.bce_logits_per_image: the same
    loss, numerically safe where the sigmoid rounds to 0 or 1, and faster. `forward` is kept as it
    was: sigmoid(forward_logits), bit for bit, with the same random draw. This class writes encode and
    decode_logits; decode, forward_logits and forward come from GaussianVAE, shared with ConvVAE.
    """

    def __init__(self, latent: int = 20, hidden: int = 400, n_pixels: int = 784):
        super().__init__()
        self.fc1, self.fc_mu, self.fc_logvar = nn.Linear(n_pixels, hidden), nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.fc2, self.fc3 = nn.Linear(latent, hidden), nn.Linear(hidden, n_pixels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        h = torch.relu(self.fc1(x.flatten(1)))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of p(x|z), flat (N, 784): any real number; sigmoid turns them into Bernoulli means."""
        return self.fc3(torch.relu(self.fc2(z)))


class ConvClassifier(nn.Module):
    """A small convolutional classifier (two stride-2 convolutions, one hidden layer): the course's "judge".

    Chapters use it, trained once in the model zoo, to put a number on "does this image look like a
    digit (or a garment) of some class": see metrics.confident_share. It returns logits, (N, n_classes).
    """

    def __init__(self, n_classes: int = 10, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),        # 1x28x28 -> 32x14x14
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),       # -> 64x7x7
            nn.Flatten(), nn.Linear(64 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for images (N, 1, 28, 28) or flat (N, 784)."""
        return self.net(x.reshape(-1, 1, 28, 28))


class ConvVAE(GaussianVAE):
    """Seed 001's Keras convolutional VAE, layer for layer, in PyTorch (chapter 07); returns (x_hat, mu, logvar).

    Encoder: Conv 32 and Conv 64 (3x3, stride 2, ReLU) 1x28x28 -> 32x14x14 -> 64x7x7, Dense 128 (ReLU),
    then two Dense heads for mu and logvar. Decoder: Dense 7*7*64 (ReLU), ConvTranspose 64 and 32
    (3x3, stride 2, ReLU) 7x7 -> 14x14 -> 28x28, Conv 1 (3x3). As in MLPVAE, the decoder returns
    logits (`decode_logits`, images (N, 1, 28, 28)); `decode` applies the sigmoid, `forward_logits`
    returns (logits, mu, logvar) for losses.negative_elbo, `forward` returns sigmoid(logits).
    Keras's padding="same" with stride 2 pads only after the image; padding=1 (and output_padding=1
    in the transposed layers) gives the same shapes, centred one pixel differently.
    """

    def __init__(self, latent: int = 20, hidden: int = 128):
        super().__init__()
        if latent < 1 or hidden < 1:
            raise ValueError(f"latent and hidden must be positive, got {latent} and {hidden}.")
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),         # 1x28x28 -> 32x14x14
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),        # -> 64x7x7
            nn.Flatten(), nn.Linear(64 * 7 * 7, hidden), nn.ReLU())      # -> hidden
        self.fc_mu, self.fc_logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # -> 64x14x14
            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # -> 32x28x28
            nn.Conv2d(32, 1, 3, padding=1))                                                   # -> 1x28x28 logits

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x), for images (N, 1, 28, 28) or flat (N, 784)."""
        if x.dim() < 2 or x[0].numel() != 784:
            raise ValueError(f"ConvVAE wants images of shape (N, 1, 28, 28) or (N, 784), got {tuple(x.shape)}.")
        h = self.encoder(x.reshape(-1, 1, 28, 28))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of p(x|z), images (N, 1, 28, 28): any real number; sigmoid turns them into Bernoulli means."""
        return self.decoder(z)


class CVAE(nn.Module):
    """A conditional VAE (chapter 10): q(z|x, y) and p(x|z, y), with the class y given as a one-hot vector.

    The label y (integers 0..n_classes-1, shape (N,)) is turned into a one-hot vector *inside* the model
    and concatenated to the input of both networks:

        encoder  [x (784), one_hot(y) (10)] -> hidden (ReLU) -> mu, logvar (latent each)
        decoder  [z (latent), one_hot(y) (10)] -> hidden (ReLU) -> 784 logits

    One-hot, not the label as one number: a single input "y = 7" would tell the network that class 7 lies
    between 6 and 8 and that 9 is "more" than 1; a one-hot vector gives every class its own input weights.
    As in MLPVAE the decoder returns logits: `decode` applies the sigmoid (Bernoulli means), and the
    loss pairs `forward_logits(x, y)` -> (logits, mu, logvar) with losses.negative_elbo (binary images)
    or a continuous-Bernoulli likelihood (grey images; chapter 10). Sampling for class c:
    ``model.decode(torch.randn(n, latent), torch.full((n,), c))``. Nothing in the -ELBO makes the decoder take
    the class from y rather than from z (the label can "leak" through z): measure it (chapter 10), and see
    zoo's "cvae_cb_hybrid" loss (Sohn et al., 2015) for a remedy that trains the decoder on prior codes too.
    """

    def __init__(self, latent: int = 16, hidden: int = 256, n_classes: int = 10, n_pixels: int = 784):
        super().__init__()
        if min(latent, hidden, n_classes, n_pixels) < 1:
            raise ValueError(f"latent, hidden, n_classes and n_pixels must be positive, got "
                             f"{latent}, {hidden}, {n_classes} and {n_pixels}.")
        self.latent, self.n_classes, self.n_pixels = latent, n_classes, n_pixels
        self.enc = nn.Linear(n_pixels + n_classes, hidden)
        self.fc_mu, self.fc_logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent + n_classes, hidden), nn.ReLU(), nn.Linear(hidden, n_pixels))

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        """Integer labels (N,) -> float one-hot rows (N, n_classes); a clear error for anything else."""
        y = torch.as_tensor(y)
        if torch.is_floating_point(y) or y.dim() != 1:
            raise ValueError(f"CVAE wants y as integer class labels of shape (N,), got dtype {y.dtype} and shape "
                             f"{tuple(y.shape)}; pass e.g. data.y_train[idx] or torch.full((n,), c). / y पूर्णांक "
                             "class labels (N,) होने चाहिए।")
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
            raise ValueError(f"CVAE labels must lie in 0..{self.n_classes - 1}, got {int(y.min())}..{int(y.max())}.")
        return nn.functional.one_hot(y.long(), self.n_classes).float()

    def _batch(self, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if len(a) != len(y):
            raise ValueError(f"CVAE got {len(a)} rows but {len(y)} labels: give one label per image (or per z).")
        return torch.cat([a, self.one_hot(y).to(a.dtype)], dim=1)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x, y), for images (N, 1, 28, 28) or flat (N, 784) and labels (N,)."""
        if x.dim() < 2 or x[0].numel() != self.n_pixels:
            raise ValueError(f"CVAE wants images of {self.n_pixels} pixels, (N, 1, 28, 28) or (N, 784); got "
                             f"{tuple(x.shape)}.")
        h = torch.relu(self.enc(self._batch(x.flatten(1), y)))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Logits of p(x|z, y), flat (N, 784), for codes z (N, latent) and labels y (N,)."""
        return self.dec(self._batch(z, y))

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Bernoulli means of p(x|z, y), flat (N, 784): sigmoid(decode_logits(z, y))."""
        return torch.sigmoid(self.decode_logits(z, y))

    def forward_logits(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits, mu, logvar) with one reparameterised z ~ q(z|x, y); logits in the shape of x."""
        mu, logvar = self.encode(x, y)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # reparameterization trick
        return self.decode_logits(z, y).view_as(x), mu, logvar

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_hat, mu, logvar), x_hat = sigmoid(logits) in [0, 1] and in the shape of x."""
        logits, mu, logvar = self.forward_logits(x, y)
        return torch.sigmoid(logits), mu, logvar
