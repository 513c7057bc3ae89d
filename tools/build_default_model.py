"""Build the shipped default model resources/models/stepwise-shapes-64 from scratch (fixed seeds).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/build_default_model.py [stage ...] [--force]

Stages (each caches its output in tools/.work/default/ and is skipped when that exists, unless
--force or named explicitly with --force):
  vae       train the VAE (64x64x3 <-> 8x8x4) on freshly generated images (crops)  ~10 min
  vae2      continue the VAE on whole images with an edge (image-gradient) loss     ~6 min
  vae3      the same, longer, lower learning rate, stronger edge term               ~20 min
  decoder   fine-tune the decoder alone (frozen encoder) with a little latent noise ~30 min
  decoder2  a second decoder fine-tune: lower LR, stronger edge term               ~15 min
  encode    generate the UNet training set and encode it (posterior mean)           ~4 min
  unet      train text encoder + UNet jointly (epsilon, SD scaled_linear schedule)  ~65 min
  unet2     continue that training (lower learning rate, then decay)                ~30 min
  export    write the model folder (ONNX + configs + tokenizer) and ORT check cases  seconds
  previews  fit latent->RGB preview factors, write stepwise.json                    seconds
  evaluate  tools/evaluate_model.py (scores, sample grid, preview convergence)       ~5 min
With no stage named, runs all of them in order. Logs go to stdout.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_bpe  # noqa: E402
import shapes  # noqa: E402
from sdmodels import CompactVAEDecoder as VAEDecoder  # noqa: E402
from sdmodels import CompactVAEEncoder as VAEEncoder  # noqa: E402
from sdmodels import TextEncoder, UNet, count_params  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "tools", ".work", "default")
MODEL_DIR = os.path.join(ROOT, "resources", "models", "stepwise-shapes-64")
SEED = 20261126

# ---------------------------------------------------------------- hyper-parameters
VAE_CH = (16, 32, 64, 128)
VAE_STEPS = 1100
VAE_BATCH = 16
VAE_FULL_STEPS = 120  # the last steps on whole 64x64 images; before that on 32x32 crops (4x cheaper)
VAE2_STEPS = 350  # phase 2: whole images, + image-gradient L1 loss for sharper edges
VAE2_LR = 3e-4
VAE2_GRAD_W = 1.0
VAE3_STEPS = 900  # phase 3: as phase 2, longer, lower LR, stronger edge term
VAE3_LR = 2e-4
VAE3_GRAD_W = 2.0
DEC_STEPS = 1500  # decoder-only fine-tune (encoder frozen, so the latent space is unchanged)
DEC_LR = 1e-4
DEC_LATENT_NOISE = 0.1  # x latent std: robustness to imperfect generated latents
DEC2_STEPS = 800  # second decoder fine-tune: lower LR, stronger edge term (sharper square corners)
DEC2_LR = 5e-5
DEC2_GRAD_W = 4.0
VAE_LR = 1e-3
VAE_KL = 1e-5

N_TRAIN = 12_000
MAX_LEN = 24  # tokenizer model_max_length / text encoder positions

TE = dict(hidden=128, layers=2, heads=2, intermediate=512)
UNET_CH = (48, 96)
UNET_HEADS = 2
UNET_STEPS = 4000
UNET_BATCH = 64
UNET_LR = 5e-4
UNET_WARMUP = 200
UNET_DECAY_FROM = 0.7  # cosine decay to 10 % over the last 30 % of steps
UNET2_STEPS = 2500  # phase 2: continue from step UNET_STEPS at a constant learning rate
UNET2_LR = 2.5e-4
UNET3_STEPS = 2500  # phase 3: larger batch, more data, faster text-encoder learning (circle vs square binding)
UNET3_BATCH = 128
UNET3_LR = 3e-4  # constant for the first 60 % of phase 3, then cosine decay to 10 %
UNET3_TE_LR_MULT = 3.0  # the text encoder separates "circle" from "square" slowly at the UNet's rate
N_TRAIN_MORE = 24_000  # extra training images for phase 3 (fresh draws, another seed)
EMA_DECAY = 0.999
CAPTION_DROPOUT = 0.1

BETA_START, BETA_END, T_TRAIN = 0.00085, 0.012, 1000

if os.environ.get("STEPWISE_SMOKE"):  # a quick end-to-end run of the code paths, not a real model
    WORK = os.path.join(ROOT, "tools", ".work", "smoke")
    MODEL_DIR = os.path.join(WORK, "model")
    VAE_STEPS, N_TRAIN, UNET_STEPS, UNET_WARMUP = 3, 1000, 20, 5


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def alphas_cumprod() -> torch.Tensor:
    betas = torch.linspace(BETA_START ** 0.5, BETA_END ** 0.5, T_TRAIN, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).float()


def tokenizer() -> clip_bpe.ClipBPE:
    vocab, merges = clip_bpe.build_vocab_and_merges(clip_bpe.CAPTION_WORDS)
    return clip_bpe.ClipBPE(vocab, merges, MAX_LEN)


def make_text_encoder(tok: clip_bpe.ClipBPE) -> TextEncoder:
    return TextEncoder(len(tok.vocab), TE["hidden"], TE["layers"], TE["heads"], MAX_LEN, TE["intermediate"],
                       tok.eos_id, causal=False)


def make_unet() -> UNet:
    return UNet(UNET_CH, context_dim=TE["hidden"], heads=UNET_HEADS)


def to_tensor(imgs: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def adapt_threads() -> None:
    """2 OpenMP threads when the machine is quiet, 1 when other work loads it: with more runnable
    threads than cores, every parallel region waits for a descheduled partner thread (small ops
    then take milliseconds). Results do not depend on the thread count beyond float rounding."""
    if os.environ.get("TORCH_THREADS"):
        return
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    want = 2 if load < 2.5 else 1
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


def save_atomic(obj, path: str) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def vae_train_step(enc, dec, opt, params, x: torch.Tensor, grad_w: float = 0.0) -> tuple[float, float]:
    """One VAE step (reparameterised sample, L1 + MSE [+ image-gradient L1] + KL); (PSNR, KL)."""
    p = enc(x)
    mean, logvar = p[:, :4], p[:, 4:].clamp(-30, 20)
    z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
    y = dec(z)
    rec = F.l1_loss(y, x) + F.mse_loss(y, x)
    if grad_w:
        rec = rec + grad_w * grad_l1(y, x)
    kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).sum(dim=(1, 2, 3)).mean()
    loss = rec + VAE_KL * kl
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    mse = F.mse_loss(y.detach().clamp(-1, 1), x).item()
    return 10 * math.log10(4.0 / max(mse, 1e-10)), kl.item()


def vae_round_trip(enc, dec, held: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Held-out PSNR of posterior-mean round trips, and the reconstructions."""
    with torch.no_grad():
        y = torch.cat([dec(enc(held[i:i + 64])[:, :4]) for i in range(0, len(held), 64)])
        return 10 * math.log10(4.0 / F.mse_loss(y.clamp(-1, 1), held).item()), y


def vae_loop(enc, dec, rng: np.random.Generator, steps: int, lr_at, label: str, grad_w: float = 0.0,
             crop_steps: int = 0) -> float:
    """Trains the VAE on freshly drawn batches for `steps` steps (the first `crop_steps` on random
    32x32 crops on the 8-pixel grid); lr_at(step) gives the learning rate. Returns the seconds taken."""
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=lr_at(1), weight_decay=0.0)
    t0 = time.time()
    acc = []
    for step in range(1, steps + 1):
        lr = lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr
        x = to_tensor(shapes.random_batch(VAE_BATCH, rng)[0])
        if step <= crop_steps:
            oy, ox = (int(v) * 8 for v in rng.integers(0, 5, size=2))
            x = x[:, :, oy:oy + 32, ox:ox + 32]
        psnr_step, kl = vae_train_step(enc, dec, opt, params, x, grad_w)
        acc.append(psnr_step)
        if step % 25 == 0:
            adapt_threads()
        if step % 50 == 0:
            log(f"{label} step {step}/{steps} train PSNR {np.mean(acc):.2f} dB kl {kl:.1f} "
                f"lr {lr:.2e} {step * VAE_BATCH / (time.time() - t0):.1f} samples/s")
            acc = []
    enc.eval(), dec.eval()
    return time.time() - t0


# ---------------------------------------------------------------- stage: vae
def stage_vae() -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    enc, dec = VAEEncoder(VAE_CH, 4), VAEDecoder(VAE_CH, 4)
    log(f"VAE encoder {count_params(enc)/1e6:.2f} M, decoder {count_params(dec)/1e6:.2f} M params")
    held = to_tensor(shapes.random_batch(256, np.random.default_rng(SEED + 1))[0])
    seconds = vae_loop(enc, dec, rng, VAE_STEPS,
                       lambda step: 1e-4 + 0.5 * (VAE_LR - 1e-4) * (1 + math.cos(math.pi * step / VAE_STEPS)),
                       "vae", crop_steps=VAE_STEPS - VAE_FULL_STEPS)
    psnr, _ = vae_round_trip(enc, dec, held)
    log(f"VAE phase 1 done in {seconds:.0f} s; held-out PSNR (posterior mean) {psnr:.2f} dB")
    save_atomic({"enc": enc.state_dict(), "dec": dec.state_dict(), "psnr": psnr, "seconds": seconds,
                 "steps": VAE_STEPS}, os.path.join(WORK, "vae_phase1.pt"))


def grad_l1(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    dy = (y[..., 1:, :] - y[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])
    dx = (y[..., :, 1:] - y[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])
    return dy.abs().mean() + dx.abs().mean()


def stage_vae2(phase: int = 2) -> None:
    """Phases 2 and 3: continue on whole 64x64 images with an extra image-gradient L1 term (sharper edges)."""
    torch.manual_seed(SEED + 10 * phase)
    rng = np.random.default_rng(SEED + 10 * phase)
    steps, lr0, grad_w = (VAE2_STEPS, VAE2_LR, VAE2_GRAD_W) if phase == 2 else (VAE3_STEPS, VAE3_LR, VAE3_GRAD_W)
    ck = torch.load(os.path.join(WORK, f"vae_phase{phase - 1}.pt"))
    enc, dec = VAEEncoder(VAE_CH, 4), VAEDecoder(VAE_CH, 4)
    enc.load_state_dict(ck["enc"])
    dec.load_state_dict(ck["dec"])
    held = to_tensor(shapes.random_batch(256, np.random.default_rng(SEED + 1))[0])
    seconds = vae_loop(enc, dec, rng, steps,
                       lambda step: 0.1 * lr0 + 0.45 * lr0 * (1 + math.cos(math.pi * step / steps)),
                       f"vae phase {phase}", grad_w=grad_w)
    psnr, y = vae_round_trip(enc, dec, held)
    rec_imgs = ((y.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    _, held_p = shapes.random_batch(256, np.random.default_rng(SEED + 1))
    sc = shapes.score(rec_imgs, held_p)
    secs = ck["seconds"] + seconds
    log(f"VAE phase {phase} done in {seconds:.0f} s (total {secs:.0f} s); held-out PSNR {psnr:.2f} dB; "
        f"checker on reconstructions {sc}")
    save_atomic({"enc": enc.state_dict(), "dec": dec.state_dict(), "psnr": psnr, "seconds": secs,
                 "steps": ck["steps"] + steps, "checker_on_reconstructions": sc},
                os.path.join(WORK, "vae.pt" if phase == 3 else f"vae_phase{phase}.pt"))


def load_vae(decoder: str = "best") -> tuple[VAEEncoder, VAEDecoder, dict]:
    """Encoder from vae.pt; decoder: "base" (vae.pt), "ft1" (vae_decoder.pt) or "best" (the latest fine-tune)."""
    ck = torch.load(os.path.join(WORK, "vae.pt"))
    enc, dec = VAEEncoder(VAE_CH, 4), VAEDecoder(VAE_CH, 4)
    enc.load_state_dict(ck["enc"])
    dec.load_state_dict(ck["dec"])
    ft = os.path.join(WORK, "vae_decoder2.pt")
    if not os.path.exists(ft) or decoder == "ft1":
        ft = os.path.join(WORK, "vae_decoder.pt")
    if decoder != "base" and os.path.exists(ft):
        dck = torch.load(ft)
        dec.load_state_dict(dck["dec"])
        ck = {**ck, "psnr": dck["psnr"], "seconds": ck["seconds"] + dck["seconds"], "decoder_steps": dck["steps"],
              "seconds_dec": dck["seconds"],
              "checker_on_reconstructions": dck["checker_on_reconstructions"]}
    return enc.eval(), dec.eval(), ck


def stage_decoder(phase: int = 1) -> None:
    """Fine-tune the decoder alone on encoder means (+ a little latent noise); the encoder is frozen."""
    torch.manual_seed(SEED + 40 + phase)
    rng = np.random.default_rng(SEED + 40 + phase)
    steps, lr0, grad_w = (DEC_STEPS, DEC_LR, VAE3_GRAD_W) if phase == 1 else (DEC2_STEPS, DEC2_LR, DEC2_GRAD_W)
    enc, dec, ck = load_vae("base" if phase == 1 else "ft1")
    dec.train()
    opt = torch.optim.AdamW(dec.parameters(), lr=lr0, weight_decay=0.0)
    held = to_tensor(shapes.random_batch(256, np.random.default_rng(SEED + 1))[0])
    with torch.no_grad():
        lat_std = torch.cat([enc(held[i:i + 64])[:, :4] for i in range(0, 256, 64)]).std().item()
    t0 = time.time()
    acc = []
    for step in range(1, steps + 1):
        lr = 0.1 * lr0 + 0.45 * lr0 * (1 + math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr
        x = to_tensor(shapes.random_batch(VAE_BATCH, rng)[0])
        with torch.no_grad():
            z = enc(x)[:, :4]
        z = z + DEC_LATENT_NOISE * lat_std * torch.randn_like(z)
        y = dec(z)
        loss = F.l1_loss(y, x) + F.mse_loss(y, x) + grad_w * grad_l1(y, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dec.parameters(), 1.0)
        opt.step()
        acc.append(10 * math.log10(4.0 / max(F.mse_loss(y.detach().clamp(-1, 1), x).item(), 1e-10)))
        if step % 25 == 0:
            adapt_threads()
        if step % 50 == 0:
            log(f"decoder {phase} step {step}/{steps} train PSNR {np.mean(acc):.2f} dB lr {lr:.2e} "
                f"{step * VAE_BATCH / (time.time() - t0):.1f} samples/s")
            acc = []
    dec.eval()
    with torch.no_grad():
        y = torch.cat([dec(enc(held[i:i + 64])[:, :4]) for i in range(0, len(held), 64)])
        psnr = 10 * math.log10(4.0 / F.mse_loss(y.clamp(-1, 1), held).item())
        rec_imgs = ((y.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    _, held_p = shapes.random_batch(256, np.random.default_rng(SEED + 1))
    sc = shapes.score(rec_imgs, held_p)
    log(f"decoder fine-tune {phase} done in {time.time() - t0:.0f} s; held-out PSNR {psnr:.2f} dB; checker {sc}")
    prev_s, prev_steps = (0.0, 0) if phase == 1 else (ck["seconds_dec"], ck["decoder_steps"])
    save_atomic({"dec": dec.state_dict(), "psnr": psnr, "seconds": prev_s + time.time() - t0,
                 "steps": prev_steps + steps, "checker_on_reconstructions": sc},
                os.path.join(WORK, "vae_decoder.pt" if phase == 1 else "vae_decoder2.pt"))


# ---------------------------------------------------------------- stage: encode
def stage_encode(n_images: int = N_TRAIN, seed: int = SEED + 2, out: str = "latents.pt") -> None:
    enc, _, _ = load_vae()
    tok = tokenizer()
    rng = np.random.default_rng(seed)
    lat, ids, meta = [], [], []
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, n_images, 500):
            adapt_threads()
            imgs, ps = shapes.random_batch(500, rng)
            lat.append(enc(to_tensor(imgs))[:, :4].clone())
            ids += [tok(p["caption"]) for p in ps]
            meta += [(shapes.COLOURS.index(p["fg"]), shapes.COLOURS.index(p["bg"]), shapes.SHAPES.index(p["shape"]))
                     for p in ps]
            if (i // 500) % 40 == 0:
                log(f"encoded {i + 500}/{n_images} ({time.time() - t0:.0f} s)")
    lat = torch.cat(lat)
    std = lat.std().item()
    sf = round(1.0 / std, 5)
    if out != "latents.pt":  # more data for the same model: keep the first set's scaling factor
        sf = torch.load(os.path.join(WORK, "latents.pt"))["scaling_factor"]
    log(f"latents: mean {lat.mean():.3f} std {std:.3f} -> scaling_factor {sf}; per-channel mean "
        f"{lat.mean(dim=(0, 2, 3)).tolist()} std {lat.std(dim=(0, 2, 3)).tolist()}")
    save_atomic({"latents": lat, "ids": torch.tensor(ids, dtype=torch.int64), "meta": torch.tensor(meta),
                 "scaling_factor": sf, "empty_ids": torch.tensor(tok(""), dtype=torch.int64)},
                os.path.join(WORK, out))


def unet_train_step(te, unet, opt, params, ema_params, z_all, ids_all, empty, batch: int,
                    g: torch.Generator, sqrt_ac, sqrt_1m, ema_decay: float) -> float:
    """One joint text-encoder + UNet step: epsilon MSE at uniform t with caption dropout, grad clip,
    then the EMA update. Draws its randomness from g in a fixed order (reproducible resumes)."""
    n = len(z_all)
    idx = torch.randint(0, n, (batch,), generator=g)
    z0 = z_all[idx]
    ids = ids_all[idx].clone()
    ids[torch.rand(batch, generator=g) < CAPTION_DROPOUT] = empty
    t = torch.randint(0, T_TRAIN, (batch,), generator=g)
    noise = torch.randn(z0.shape, generator=g)
    zt = sqrt_ac[t][:, None, None, None] * z0 + sqrt_1m[t][:, None, None, None] * noise
    loss = F.mse_loss(unet(zt, t.float(), te(ids)[0]), noise)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    with torch.no_grad():
        for pe, p in zip(ema_params, params):
            pe.mul_(ema_decay).add_(p.detach(), alpha=1 - ema_decay)
    return loss.item()


def save_training_state(path: str, te, unet, ema_te, ema_unet, opt, g: torch.Generator, step: int, t0: float,
                        **extra) -> None:
    """Everything a resumed run needs: weights, EMA weights, optimizer, generator state, step."""
    save_atomic({"te": te.state_dict(), "unet": unet.state_dict(), "ema_te": ema_te.state_dict(),
                 "ema_unet": ema_unet.state_dict(), "opt": opt.state_dict(), "gen": g.get_state(),
                 "step": step, "elapsed": time.time() - t0, **extra}, path)


def save_ema(path: str, ema_te, ema_unet, step: int, t0: float, sf: float) -> None:
    """The EMA weights alone: what evaluation and export load."""
    save_atomic({"te": ema_te.state_dict(), "unet": ema_unet.state_dict(), "step": step,
                 "elapsed": time.time() - t0, "scaling_factor": sf}, path)


def log_curve(curve_path: str, step: int, t0: float, losses: list[float], lr: float, **extra) -> dict:
    """Appends one training-curve record (mean loss since the last one) and returns it."""
    rec = {"step": step, "seconds": round(time.time() - t0, 1), "loss": float(np.mean(losses)), "lr": lr, **extra}
    with open(curve_path, "a") as f:
        f.write(json.dumps(rec) + "\n")
    return rec


# ---------------------------------------------------------------- stage: unet
def lr_at(step: int) -> float:
    if step >= UNET_STEPS:  # phase 2 (the shipped run dipped to 1.6e-4 twice: see docs/default-model.md)
        return UNET2_LR
    if step < UNET_WARMUP:
        return UNET_LR * (step + 1) / UNET_WARMUP
    start = int(UNET_DECAY_FROM * UNET_STEPS)
    if step < start:
        return UNET_LR
    p = (step - start) / max(1, UNET_STEPS - start)
    return UNET_LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def stage_unet(phase: int = 1) -> None:
    """Phase 1: UNET_STEPS steps from scratch; phase 2: UNET2_STEPS more from phase 1's checkpoint."""
    total = UNET_STEPS if phase == 1 else UNET_STEPS + UNET2_STEPS
    data = torch.load(os.path.join(WORK, "latents.pt"))
    sf = data["scaling_factor"]
    z_all = data["latents"] * sf
    ids_all, empty = data["ids"], data["empty_ids"]
    n = len(z_all)
    tok = tokenizer()
    ckpt_path = os.path.join(WORK, "unet_ckpt.pt")
    torch.manual_seed(SEED + 3)
    te, unet = make_text_encoder(tok), make_unet()
    log(f"text encoder {count_params(te)/1e6:.3f} M, UNet {count_params(unet)/1e6:.3f} M params; "
        f"{n} training latents, scaling_factor {sf}")
    ema_te, ema_unet = copy.deepcopy(te).eval(), copy.deepcopy(unet).eval()
    params = list(te.parameters()) + list(unet.parameters())
    ema_params = list(ema_te.parameters()) + list(ema_unet.parameters())
    opt = torch.optim.AdamW(params, lr=UNET_LR, weight_decay=0.01)
    g = torch.Generator().manual_seed(SEED + 4)
    start_step, elapsed0 = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        te.load_state_dict(ck["te"])
        unet.load_state_dict(ck["unet"])
        ema_te.load_state_dict(ck["ema_te"])
        ema_unet.load_state_dict(ck["ema_unet"])
        opt.load_state_dict(ck["opt"])
        g.set_state(ck["gen"])
        start_step, elapsed0 = ck["step"], ck["elapsed"]
        log(f"resumed at step {start_step}")
    ac = alphas_cumprod()
    sqrt_ac, sqrt_1m = ac.sqrt(), (1 - ac).sqrt()
    curve_path = os.path.join(WORK, "unet_curve.jsonl")
    t0 = time.time() - elapsed0
    losses = []
    te.train(), unet.train()
    for step in range(start_step, total):
        lr = lr_at(step)
        for pg in opt.param_groups:
            pg["lr"] = lr
        d = min(EMA_DECAY, (1 + step) / (10 + step))  # EMA warm-up
        losses.append(unet_train_step(te, unet, opt, params, ema_params, z_all, ids_all, empty, UNET_BATCH, g,
                                      sqrt_ac, sqrt_1m, d))
        s = step + 1
        if s % 25 == 0:
            adapt_threads()
        if s % 50 == 0:
            rec = log_curve(curve_path, s, t0, losses, lr)
            losses = []
            log(f"unet step {s}/{total} loss {rec['loss']:.4f} lr {lr:.2e} "
                f"{s * UNET_BATCH / rec['seconds']:.0f} samples/s (avg) elapsed {rec['seconds'] / 60:.1f} min "
                f"threads {torch.get_num_threads()}")
        if s % 250 == 0 or s == total:
            save_training_state(ckpt_path, te, unet, ema_te, ema_unet, opt, g, s, t0)
        if s % 500 == 0 or s == total:
            save_ema(os.path.join(WORK, f"ema_{s:05d}.pt"), ema_te, ema_unet, s, t0, sf)
    if phase == 1:  # keep phase 1's end state for phase 2
        shutil.copyfile(ckpt_path, os.path.join(WORK, "unet_phase1_ckpt.pt"))
    save_ema(os.path.join(WORK, "unet.pt" if phase == 2 else "unet_phase1.pt"), ema_te, ema_unet, total, t0, sf)
    log(f"UNet phase {phase} done: {total} steps in {(time.time() - t0) / 60:.1f} min")


def lr3_at(step: int, start: int) -> float:
    p = (step - start) / UNET3_STEPS
    if p < 0.6:
        return UNET3_LR
    return UNET3_LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (p - 0.6) / 0.4)))


def stage_unet3() -> None:
    """Phase 3, from phase 2's end state: batch UNET3_BATCH over latents.pt + latents_more.pt, the text
    encoder at UNET3_TE_LR_MULT x the UNet's learning rate. Phase 2 left circles and squares drawn alike
    ("squircles") while colours and triangles were right: the text states of "circle" and "square"
    were still close (distance 3.7 against 15 for "triangle"), so that binding needs more signal."""
    first, more = torch.load(os.path.join(WORK, "latents.pt")), torch.load(os.path.join(WORK, "latents_more.pt"))
    sf = first["scaling_factor"]
    z_all = torch.cat([first["latents"], more["latents"]]) * sf
    ids_all, empty = torch.cat([first["ids"], more["ids"]]), first["empty_ids"]
    n = len(z_all)
    tok = tokenizer()
    te, unet = make_text_encoder(tok), make_unet()
    ema_te, ema_unet = copy.deepcopy(te).eval(), copy.deepcopy(unet).eval()
    te_params, unet_params = list(te.parameters()), list(unet.parameters())
    params = te_params + unet_params
    ema_params = list(ema_te.parameters()) + list(ema_unet.parameters())
    opt = torch.optim.AdamW([{"params": te_params, "lr_mult": UNET3_TE_LR_MULT},
                             {"params": unet_params, "lr_mult": 1.0}], lr=UNET3_LR, weight_decay=0.01)
    ckpt3 = os.path.join(WORK, "unet3_ckpt.pt")
    g = torch.Generator().manual_seed(SEED + 13)
    if os.path.exists(ckpt3):
        ck = torch.load(ckpt3)
        opt.load_state_dict(ck["opt"])
        g.set_state(ck["gen"])
        start = ck["phase3_start"]
    else:  # phase 2's single-group optimizer state, moved over parameter by parameter
        ck = torch.load(os.path.join(WORK, "unet_ckpt.pt"))
        start = ck["step"]
        old = torch.optim.AdamW(params, lr=UNET3_LR, weight_decay=0.01)
        old.load_state_dict(ck["opt"])
        for p in params:
            opt.state[p] = old.state[p]
    te.load_state_dict(ck["te"])
    unet.load_state_dict(ck["unet"])
    ema_te.load_state_dict(ck["ema_te"])
    ema_unet.load_state_dict(ck["ema_unet"])
    step0, elapsed0 = ck["step"], ck["elapsed"]
    total = start + UNET3_STEPS
    log(f"phase 3 from step {step0}: {n} training latents, batch {UNET3_BATCH}, text encoder lr x{UNET3_TE_LR_MULT}")
    ac = alphas_cumprod()
    sqrt_ac, sqrt_1m = ac.sqrt(), (1 - ac).sqrt()
    curve_path = os.path.join(WORK, "unet_curve.jsonl")
    t0 = time.time() - elapsed0
    losses = []
    te.train(), unet.train()
    for step in range(step0, total):
        lr = lr3_at(step, start)
        for pg in opt.param_groups:
            pg["lr"] = lr * pg["lr_mult"]
        losses.append(unet_train_step(te, unet, opt, params, ema_params, z_all, ids_all, empty, UNET3_BATCH, g,
                                      sqrt_ac, sqrt_1m, EMA_DECAY))
        s = step + 1
        if s % 25 == 0:
            adapt_threads()
        if s % 50 == 0:
            rec = log_curve(curve_path, s, t0, losses, lr, batch=UNET3_BATCH)
            losses = []
            log(f"unet phase 3 step {s}/{total} loss {rec['loss']:.4f} lr {lr:.2e} "
                f"elapsed {rec['seconds'] / 60:.1f} min threads {torch.get_num_threads()}")
        if s % 250 == 0 or s == total:
            save_training_state(ckpt3, te, unet, ema_te, ema_unet, opt, g, s, t0, phase3_start=start)
            save_ema(os.path.join(WORK, f"ema_{s:05d}.pt"), ema_te, ema_unet, s, t0, sf)
    save_ema(os.path.join(WORK, "unet3.pt"), ema_te, ema_unet, total, t0, sf)
    log(f"UNet phase 3 done: {total} steps in {(time.time() - t0) / 60:.1f} min")


def final_checkpoint() -> str:
    """The EMA weights to export: STEPWISE_CKPT (a file in WORK) when set, else the last phase's."""
    if os.environ.get("STEPWISE_CKPT"):
        return os.path.join(WORK, os.environ["STEPWISE_CKPT"])
    p3 = os.path.join(WORK, "unet3.pt")
    return p3 if os.path.exists(p3) else os.path.join(WORK, "unet.pt")


def load_trained(path: str | None = None) -> tuple[TextEncoder, UNet, float, dict]:
    ck = torch.load(path or final_checkpoint())
    tok = tokenizer()
    te, unet = make_text_encoder(tok), make_unet()
    te.load_state_dict(ck["te"])
    unet.load_state_dict(ck["unet"])
    return te.eval(), unet.eval(), ck["scaling_factor"], ck


# ---------------------------------------------------------------- stage: export
def stage_export() -> None:
    import sdlayout as L
    from onnx_export import describe, export, write_case

    te, unet, sf, ck = load_trained()
    enc, dec, vck = load_vae()
    shutil.rmtree(MODEL_DIR, ignore_errors=True)
    os.makedirs(MODEL_DIR)
    vocab, merges = clip_bpe.build_vocab_and_merges(clip_bpe.CAPTION_WORDS)
    tok = clip_bpe.write_tokenizer_folder(os.path.join(MODEL_DIR, "tokenizer"), vocab, merges, MAX_LEN)
    L.write_json(os.path.join(MODEL_DIR, "model_index.json"), L.model_index_sd("DDIMScheduler"))
    L.write_json(os.path.join(MODEL_DIR, "scheduler", "scheduler_config.json"), L.ddim_scheduler_sd())
    cases = os.path.join(ROOT, "tools", ".work", "verify", "default")
    os.makedirs(cases, exist_ok=True)
    g = torch.Generator().manual_seed(SEED + 9)

    ids = torch.tensor([tok("a red circle on a blue background"), tok("")], dtype=torch.int64)
    outs = ["last_hidden_state", "pooler_output"]
    p = os.path.join(MODEL_DIR, "text_encoder", "model.onnx")
    export(te, {"input_ids": ids}, outs, p,
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": {0: "batch_size"}},
           check_case=os.path.join(cases, "text_encoder.json"))
    L.write_json(os.path.join(MODEL_DIR, "text_encoder", "config.json"), L.text_encoder_config(
        vocab_size=len(vocab), hidden=TE["hidden"], layers=TE["layers"], heads=TE["heads"],
        intermediate=TE["intermediate"], max_positions=MAX_LEN, bos_id=tok.bos_id, eos_id=tok.eos_id,
        pad_id=tok.pad_id, projection_dim=TE["hidden"]))

    p = os.path.join(MODEL_DIR, "unet", "model.onnx")
    with torch.no_grad():
        ctx = te(ids)[0]
    export(unet, {"sample": torch.randn(2, 4, 8, 8, generator=g), "timestep": torch.tensor(961.0),
                  "encoder_hidden_states": ctx}, ["out_sample"], p,
           {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}},
           check_case=os.path.join(cases, "unet.json"))
    write_case(unet, {"sample": torch.randn(1, 4, 8, 12, generator=g), "timestep": torch.tensor(1.0),
                      "encoder_hidden_states": ctx[:1]}, ["out_sample"], p, os.path.join(cases, "unet_b1.json"))
    write_case(unet, {"sample": torch.randn(2, 4, 64, 64, generator=g), "timestep": torch.tensor(501.0),
                      "encoder_hidden_states": ctx}, ["out_sample"], p, os.path.join(cases, "unet_512px.json"))
    L.write_json(os.path.join(MODEL_DIR, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=TE["hidden"], heads=UNET_HEADS, layers_per_block=1, sample_size=8))

    vcfg = L.vae_config(channels=VAE_CH, latent_channels=4, sample_size=64, scaling_factor=sf, force_upcast=False)
    x = to_tensor(shapes.random_batch(2, np.random.default_rng(SEED + 10))[0])
    p = os.path.join(MODEL_DIR, "vae_encoder", "model.onnx")
    export(enc, {"sample": x}, ["latent_parameters"], p,
           {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "latent_parameters": {0: "batch_size", 2: "latent_height", 3: "latent_width"}},
           check_case=os.path.join(cases, "vae_encoder.json"))
    L.write_json(os.path.join(MODEL_DIR, "vae_encoder", "config.json"), vcfg)
    with torch.no_grad():
        z = enc(x)[:, :4]
    p = os.path.join(MODEL_DIR, "vae_decoder", "model.onnx")
    export(dec, {"latent_sample": z}, ["sample"], p,
           {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
            "sample": {0: "batch_size", 2: "height", 3: "width"}},
           check_case=os.path.join(cases, "vae_decoder.json"))
    write_case(dec, {"latent_sample": torch.randn(1, 4, 6, 10, generator=g)}, ["sample"], p,
               os.path.join(cases, "vae_decoder_b1.json"))
    L.write_json(os.path.join(MODEL_DIR, "vae_decoder", "config.json"), vcfg)
    info = {"unet_steps": ck["step"], "unet_minutes": ck["elapsed"] / 60, "vae_psnr": vck["psnr"],
            "vae_minutes": vck["seconds"] / 60, "scaling_factor": sf,
            "params": {"text_encoder": count_params(te), "unet": count_params(unet),
                       "vae_encoder": count_params(enc), "vae_decoder": count_params(dec)}}
    with open(os.path.join(WORK, "export_info.json"), "w") as f:
        json.dump(info, f, indent=2)
    for comp in ("text_encoder", "unet", "vae_decoder", "vae_encoder"):
        log(comp, "; ".join(describe(os.path.join(MODEL_DIR, comp, "model.onnx"))))
    log("export info", info)


# ---------------------------------------------------------------- stage: previews
def stage_previews() -> None:
    """Least-squares latent->RGB factors (with bias) from model-space latents to the decoder's output
    average-pooled to latent resolution, in the [-1, 1] convention."""
    _, dec, _ = load_vae()
    data = torch.load(os.path.join(WORK, "latents.pt"))
    sf = data["scaling_factor"]
    g = torch.Generator().manual_seed(SEED + 11)
    idx = torch.randperm(len(data["latents"]), generator=g)[:2000]
    adapt_threads()
    z = data["latents"][idx]
    with torch.no_grad():
        rgb = torch.cat([dec(z[i:i + 500]) for i in range(0, len(z), 500)]).clamp(-1, 1)
    small = F.avg_pool2d(rgb, 8)  # [N, 3, 8, 8]
    zm = (z * sf).permute(0, 2, 3, 1).reshape(-1, 4).double().numpy()
    y = small.permute(0, 2, 3, 1).reshape(-1, 3).double().numpy()
    n_fit = len(zm) * 3 // 4
    X = np.concatenate([zm, np.ones((len(zm), 1))], axis=1)
    W, *_ = np.linalg.lstsq(X[:n_fit], y[:n_fit], rcond=None)
    pred = X[n_fit:] @ W
    resid = y[n_fit:] - pred
    r2 = 1 - (resid ** 2).sum(0) / ((y[n_fit:] - y[n_fit:].mean(0)) ** 2).sum(0)
    rmse = np.sqrt((resid ** 2).mean(0))
    pred_c = np.clip(pred, -1, 1)
    rmse_c = np.sqrt(((y[n_fit:] - pred_c) ** 2).mean())
    factors = [[round(float(v), 4) for v in row] for row in W[:4]]
    bias = [round(float(v), 4) for v in W[4]]
    fit = {"r2": [round(float(v), 4) for v in r2], "rmse": [round(float(v), 4) for v in rmse],
           "rmse_clamped_all": round(float(rmse_c), 4), "rmse_0_255": round(float(rmse_c) * 127.5, 1),
           "n_fit_pixels": int(n_fit), "n_test_pixels": int(len(zm) - n_fit)}
    log(f"latent->RGB fit: factors {factors} bias {bias} held-out {fit}")
    with open(os.path.join(WORK, "preview_fit.json"), "w") as f:
        json.dump({"factors": factors, "bias": bias, **fit}, f, indent=2)
    meta = {
        "name": "Stepwise Shapes 64",
        "description": ("A tiny latent diffusion model trained from scratch on procedurally drawn pictures of one "
                        "circle, square or triangle in one of 8 colours on a background of another colour, "
                        "64x64 pixels. Prompt it with 'a <colour> <shape> on a <colour> background'; optional "
                        "'small'/'large' and 'on the left'/'on the right'/'at the top'/'at the bottom'/"
                        "'in the center'. Colours: red, green, blue, yellow, orange, purple, white, black."),
        "family": "sd1",
        "defaults": {"num_inference_steps": 25, "guidance_scale": 5.0, "width": 64, "height": 64,
                     "scheduler": "DDIMScheduler"},
        "latent_rgb_factors": factors,
        "latent_rgb_bias": bias,
    }
    defaults_path = os.path.join(WORK, "defaults.json")
    if os.path.exists(defaults_path):  # chosen after evaluation
        with open(defaults_path) as f:
            meta["defaults"].update(json.load(f))
    with open(os.path.join(MODEL_DIR, "stepwise.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def stage_evaluate() -> None:
    """tools/evaluate_model.py, as its own process: it imports this module, never the reverse."""
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "evaluate_model.py")],
                   check=True)


STAGES = {"vae": ("vae_phase1.pt", stage_vae), "vae2": ("vae_phase2.pt", stage_vae2),
          "vae3": ("vae.pt", lambda: stage_vae2(3)), "decoder": ("vae_decoder.pt", stage_decoder),
          "decoder2": ("vae_decoder2.pt", lambda: stage_decoder(2)),
          "encode": ("latents.pt", stage_encode), "unet": ("unet_phase1.pt", stage_unet),
          "unet2": ("unet.pt", lambda: stage_unet(2)),
          "encode2": ("latents_more.pt", lambda: stage_encode(N_TRAIN_MORE, SEED + 12, "latents_more.pt")),
          "unet3": ("unet3.pt", stage_unet3),
          "export": (None, stage_export), "previews": (None, stage_previews),
          "evaluate": (None, stage_evaluate)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stages", nargs="*", help=", ".join(STAGES))
    ap.add_argument("--force", action="store_true", help="rerun the named stages even if cached")
    a = ap.parse_args()
    for name in a.stages:
        if name not in STAGES:
            ap.error(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    os.makedirs(WORK, exist_ok=True)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        log("warning: set OPENBLAS_NUM_THREADS=1 (training is 2-3x slower without it)")
    for name in a.stages or list(STAGES):
        out, fn = STAGES[name]
        if out and os.path.exists(os.path.join(WORK, out)) and not (a.force and a.stages):
            log(f"stage {name}: cached ({out})")
            continue
        log(f"stage {name}: start")
        fn()
        log(f"stage {name}: done")


if __name__ == "__main__":
    main()
