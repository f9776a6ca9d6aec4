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


class MLPVAE(nn.Module):
    """The seeds' MLP VAE (784-400-latent); returns (x_hat, mu, logvar).

    Two views of the decoder's output: `decode` gives Bernoulli means in [0, 1] (for plots and
    for bce_per_image); `decode_logits` gives the logits before the sigmoid, and `forward_logits`
    returns (logits, mu, logvar). Train with the logits and losses.bce_logits_per_image: the same
    loss, numerically safe where the sigmoid rounds to 0 or 1, and faster. `forward` is kept as it
    was: sigmoid(forward_logits), bit for bit, with the same random draw.
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

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli means of p(x|z), flat (N, 784): sigmoid(decode_logits(z))."""
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

