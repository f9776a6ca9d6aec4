"""course_utils: the helper package of the course "Autoencoders से VAE तक / From Autoencoders to VAEs".

Every module is short enough to read as part of the course:

- data      MNIST and Fashion-MNIST as in-memory tensors, found offline first, checksummed
- training  setup() for seeds and CPU threads; fit() over in-memory tensors; evaluate()
- losses    MSE and BCE per image (BCE also from logits), Gaussian KL, written out
- models    the autoencoder and VAE that several chapters reuse
- diagnostics  a VAE's checklist check_vae(), KL per latent dimension, active units (chapter 08)
- zoo       named training recipes and their committed checkpoints: zoo.load("conv_ae_ch03")
- plots     image grids, reconstructions, loss curves, latent scatters
- widgets   sliders that redraw images
- exercises self-checking exercises with hints and solutions
- glossary  the bilingual glossary of terms of art and its check
- envcheck  chapter 00's environment check
- build     one bilingual source -> Hindi and English notebook views
"""
__version__ = "0.1.0"
