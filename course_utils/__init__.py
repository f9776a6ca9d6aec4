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
- noise     Gaussian and masking noise for denoising autoencoders (chapter 03)
- linear    PCA, principal angles and the linear autoencoder, by hand (chapter 02)
- metrics   PSNR, AUROC, linear probes: how good a model is (chapters 03, 12, 13)
- ppca      probabilistic PCA, whose log p(x) and posterior are exact (chapter 05)
- factors, disentangle  images with known factors and the MIG (chapter 09)
- vq        the vector quantiser, the VQ-VAE and a prior over its codes (chapter 11)
- evaluation  the IWAE bound, Fréchet distance, precision/recall, each estimator named (chapter 12)
- comparison  chapter 12's table of every zoo model, chapter 14's VAE-GAN-diffusion table
- applications  anomaly scores, a complexity-corrected likelihood, imputation (chapter 13)
- generative  a small GAN and a small diffusion model (DDPM) beside the VAE (chapter 14)
- beyond    the VAE's descendants in miniature: IWAE, flows, two levels, Gumbel-softmax, learned priors (chapter 14)
- production  export, fresh-process loading, throughput, drift alarms, memorisation (chapter 14)
- capstone  the capstone project's required outputs and capstone_check() (chapter 14)
- exercises self-checking exercises with hints and solutions
- glossary  the bilingual glossary of terms of art and its check
- envcheck  chapter 00's environment check
- tools     the author's and instructor's machinery (build, style check, zoo training, release, grade, site)
"""
__version__ = "0.1.0"
