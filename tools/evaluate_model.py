"""Evaluate stepwise-shapes-64: prompt adherence, guidance, preview convergence; sample grid.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/evaluate_model.py [--ckpt PATH] [--quick]

Samples with PyTorch copies of the exported networks (the ONNX graphs match them within ~1e-6) and a
sampler that implements diffusers' DDIMScheduler / EulerDiscreteScheduler maths for the shipped
scheduler config (scaled_linear 0.00085..0.012, 1000 steps, "leading" spacing, steps_offset 1,
set_alpha_to_one false, epsilon). Initial latents for seed s are
torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(s)), as diffusers draws them for one
image. Images are scored by shapes.check_image (colour of border / off-background pixels, best-IoU
shape template).

Writes tools/.work/default/eval.json (or eval_<ckpt>.json) and, unless --quick,
docs/default-model-samples.png, docs/default-model-training.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_default_model as B  # noqa: E402
import shapes  # noqa: E402

DOCS = os.path.join(B.ROOT, "docs")


# ---------------------------------------------------------------- schedulers (diffusers maths)
def leading_timesteps(n: int) -> np.ndarray:
    step_ratio = B.T_TRAIN // n
    return (np.arange(0, n) * step_ratio).round()[::-1].astype(np.int64) + 1


class DDIM:
    """diffusers DDIMScheduler, eta=0, epsilon, clip_sample False, set_alpha_to_one False."""

    def __init__(self, n: int):
        self.ac = B.alphas_cumprod().double()
        self.n = n
        self.timesteps = leading_timesteps(n)
        self.init_noise_sigma = 1.0
        self.final_alpha = self.ac[0]

    def scale(self, x, t):
        return x

    def step(self, eps, t, x):
        prev = t - B.T_TRAIN // self.n
        a_t = self.ac[t]
        a_prev = self.ac[prev] if prev >= 0 else self.final_alpha
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        prev_x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        return prev_x.float(), x0.float()


class Euler:
    """diffusers EulerDiscreteScheduler (linear interpolation, no Karras, s_churn 0), 'leading'."""

    def __init__(self, n: int):
        ac = B.alphas_cumprod().double().numpy()
        sig = np.sqrt((1 - ac) / ac)
        self.timesteps = leading_timesteps(n).astype(np.float64)
        s = np.interp(self.timesteps, np.arange(len(sig)), sig)
        self.sigmas = np.concatenate([s, [0.0]])
        self.init_noise_sigma = float(np.sqrt(self.sigmas.max() ** 2 + 1))
        self.i = 0

    def scale(self, x, t):
        return x / float(np.sqrt(self.sigmas[self.i] ** 2 + 1))

    def step(self, eps, t, x):
        s, s_next = self.sigmas[self.i], self.sigmas[self.i + 1]
        x0 = x - s * eps
        d = (x - x0) / s
        self.i += 1
        return (x + d * (s_next - s)).float(), x0.float()


SCHEDULERS = {"DDIMScheduler": DDIM, "EulerDiscreteScheduler": Euler}


# ---------------------------------------------------------------- sampling
class Model:
    def __init__(self, ckpt: str | None = None):
        self.te, self.unet, self.sf, ck = B.load_trained(ckpt)
        self.step = ck["step"]
        _, self.dec, _ = B.load_vae()
        self.tok = B.tokenizer()

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> torch.Tensor:
        ids = torch.tensor([self.tok(p) for p in prompts], dtype=torch.int64)
        return self.te(ids)[0]

    @torch.no_grad()
    def sample(self, prompts: list[str], seeds: list[int], steps: int = 25, guidance: float = 5.0,
               scheduler: str = "DDIMScheduler", keep_x0: bool = False, chunk: int = 256):
        out_imgs, out_x0 = [], []
        for i in range(0, len(prompts), chunk):
            imgs, x0s = self._sample(prompts[i:i + chunk], seeds[i:i + chunk], steps, guidance, scheduler, keep_x0)
            out_imgs.append(imgs)
            out_x0.append(x0s)
        imgs = np.concatenate(out_imgs)
        x0s = np.concatenate(out_x0, axis=1) if keep_x0 else None
        return imgs, x0s

    def _sample(self, prompts, seeds, steps, guidance, scheduler, keep_x0):
        sch = SCHEDULERS[scheduler](steps)
        n = len(prompts)
        cond = self.encode(prompts)
        cfg = guidance > 1.0
        if cfg:
            ctx = torch.cat([self.encode([""] * n), cond])
        else:
            ctx = cond
        x = torch.cat([torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(s)) for s in seeds])
        x = x * sch.init_noise_sigma
        x0s = []
        for t in sch.timesteps:
            xin = sch.scale(x, t)
            xin = torch.cat([xin, xin]) if cfg else xin
            eps = self.unet(xin, torch.tensor(float(t)), ctx)
            if cfg:
                eu, ec = eps.chunk(2)
                eps = eu + guidance * (ec - eu)
            x, x0 = sch.step(eps.double() if scheduler == "DDIMScheduler" else eps, int(t), x.double()
                             if scheduler == "DDIMScheduler" else x)
            if keep_x0:
                x0s.append(x0.numpy())
        return self.decode(x), (np.stack(x0s) if keep_x0 else None)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        y = self.dec(latents.float() / self.sf)
        y = ((y.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return y.permute(0, 2, 3, 1).numpy()


# ---------------------------------------------------------------- evaluation sets
def prompt_set(n: int, seed: int, extras: bool = True) -> list[dict]:
    """n prompt parameter dicts covering all (fg, bg, shape) combinations as evenly as possible."""
    rng = np.random.default_rng(seed)
    combos = [(f, b, s) for f in shapes.COLOURS for b in shapes.COLOURS if f != b for s in shapes.SHAPES]
    order = rng.permutation(len(combos))
    out = []
    for k in range(n):
        f, b, s = combos[order[k % len(combos)]]
        p = shapes.sample_params(rng, fg=f, bg=b, shape=s, size_word=extras, pos_word=extras)
        out.append(p)
    return out


def score_set(images: np.ndarray, params: list[dict]) -> dict:
    res = shapes.score(images, params)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}


def extras_score(images: np.ndarray, params: list[dict]) -> dict:
    """How often size / position words are followed (on images whose colours were right)."""
    size_ok = size_n = pos_ok = pos_n = 0
    for img, p in zip(images, params):
        r = shapes.check_image(img)
        if r["fg"] != p["fg"] or r["bg"] != p["bg"] or r["area"] < 8:
            continue
        cx, cy, radius = r["cx"], r["cy"], r["r"]
        if p["size_word"]:
            size_n += 1
            size_ok += (radius < 12.0) if p["size_word"] == "small" else (radius >= 12.0)
        if p["pos_word"]:
            pos_n += 1
            w = p["pos_word"]
            ok = {"on the left": cx < 32, "on the right": cx > 32, "at the top": cy < 32,
                  "at the bottom": cy > 32, "in the center": abs(cx - 32) < 8 and abs(cy - 32) < 8}[w]
            pos_ok += ok
    return {"size_words": round(size_ok / max(1, size_n), 4), "size_n": size_n,
            "position_words": round(pos_ok / max(1, pos_n), 4), "position_n": pos_n}


def preview_convergence(model: Model, x0s: np.ndarray, images: np.ndarray, factors, bias) -> dict:
    """Mean |preview(x0_i) - final image at 8x8| (0-255 units) for every step i."""
    Fm = np.array(factors, dtype=np.float32)  # [4, 3]
    bv = np.array(bias, dtype=np.float32)
    final = images.astype(np.float32).reshape(len(images), 8, 8, 8, 8, 3).mean(axis=(2, 4))  # [N, 8, 8, 3]
    dists = []
    for x0 in x0s:  # [N, 4, 8, 8]
        v = np.clip(np.einsum("nchw,cr->nhwr", x0, Fm) + bv, -1, 1)
        prev = np.round((v + 1) * 127.5)
        dists.append(float(np.abs(prev - final).mean()))
    d = np.array(dists)
    return {"per_step_mae": [round(x, 2) for x in dists],
            "monotone_steps": int((np.diff(d) <= 1e-9).sum()), "n_steps": len(d),
            "first": round(dists[0], 2), "last": round(dists[-1], 2)}


def save_grid(images: np.ndarray, labels: list[str], path: str, cols: int = 8, scale: int = 2) -> None:
    from PIL import Image, ImageDraw
    n = len(images)
    rows = (n + cols - 1) // cols
    cell, lab = 64 * scale, 26
    canvas = Image.new("RGB", (cols * cell, rows * (cell + lab)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for i, (img, text) in enumerate(zip(images, labels)):
        r, c = divmod(i, cols)
        canvas.paste(Image.fromarray(img).resize((cell, cell), Image.NEAREST), (c * cell, r * (cell + lab)))
        words = text.replace("a ", "", 1).replace(" background", " bg")
        lines = [words[:22], words[22:44]]
        for k, line in enumerate(lines):
            draw.text((c * cell + 2, r * (cell + lab) + cell + 1 + 12 * k), line, fill=(0, 0, 0))
    canvas.save(path)


def training_plot(path: str) -> None:
    by_step = {}  # a resumed run logs some steps again: the last record of a step wins
    for line in open(os.path.join(B.WORK, "unet_curve.jsonl")):
        rec = json.loads(line)
        by_step[rec["step"]] = rec
    curve = [by_step[s] for s in sorted(by_step)]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no training plot (apt-get install python3-matplotlib)")
        return
    evals = []
    for f in sorted(os.listdir(B.WORK)):
        if f.startswith("eval_ema_") and f.endswith(".json"):
            e = json.load(open(os.path.join(B.WORK, f)))
            evals.append((e["step"], e["default"]))
    fig, ax = plt.subplots(1, 2 if evals else 1, figsize=(10 if evals else 5, 3.6))
    ax = np.atleast_1d(ax)
    ax[0].plot([c["step"] for c in curve], [c["loss"] for c in curve])
    ax[0].set_yscale("log")
    ax[0].set_xlabel("step (batch 64; 128 in phase 3)")
    ax[0].set_ylabel("epsilon MSE (50-step mean)")
    ax[0].set_title("UNet + text encoder training loss")
    ax[0].grid(alpha=0.3)
    if evals:
        steps = [s for s, _ in evals]
        for key, lab in (("fg", "foreground colour"), ("bg", "background colour"), ("shape", "shape"),
                         ("all", "all three")):
            ax[1].plot(steps, [100 * e[key] for _, e in evals], marker="o", label=lab)
        ax[1].set_xlabel("step")
        ax[1].set_ylabel("% correct (quick eval, EMA)")
        ax[1].set_ylim(0, 102)
        ax[1].legend(fontsize=8)
        ax[1].grid(alpha=0.3)
        ax[1].set_title("Prompt adherence during training")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", help="EMA checkpoint (default: tools/.work/default/unet.pt)")
    ap.add_argument("--quick", action="store_true", help="96 images at the defaults only (for checkpoints)")
    ap.add_argument("--prompts", type=int, default=168)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--sweep", action="store_true", help="also try several guidance scales and both schedulers")
    a = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    meta_path = os.path.join(B.MODEL_DIR, "stepwise.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else None
    defaults = meta["defaults"] if meta else {"guidance_scale": 5.0, "scheduler": "DDIMScheduler"}
    g = a.guidance if a.guidance is not None else defaults["guidance_scale"]
    sched = a.scheduler or defaults["scheduler"]
    model = Model(a.ckpt)
    t0 = time.time()
    result = {"step": model.step, "steps": a.steps, "guidance": g, "scheduler": sched}

    if a.quick:
        ps = prompt_set(96, 7)
        imgs, _ = model.sample([p["caption"] for p in ps], list(range(96)), a.steps, g, sched)
        result["default"] = score_set(imgs, ps)
        name = "eval_" + os.path.basename(a.ckpt or "unet.pt").replace(".pt", ".json")
        with open(os.path.join(B.WORK, name), "w") as f:
            json.dump(result, f, indent=2)
        print(json.dumps(result), f"({time.time() - t0:.0f} s)")
        return

    # checker sanity: real images and VAE reconstructions
    rng = np.random.default_rng(123)
    real, real_p = shapes.random_batch(336, rng)
    result["checker_on_real_images"] = score_set(real, real_p)
    enc, dec, _ = B.load_vae()
    with torch.no_grad():
        rec = model.decode(enc(B.to_tensor(real))[:, :4] * model.sf)
    result["checker_on_vae_reconstructions"] = score_set(rec, real_p)
    print("checker:", result["checker_on_real_images"], result["checker_on_vae_reconstructions"], flush=True)

    ps = prompt_set(a.prompts, 11)
    prompts = [p["caption"] for p in ps for _ in range(a.seeds)]
    params = [p for p in ps for _ in range(a.seeds)]
    seeds = [1000 + i for i in range(len(prompts))]
    imgs, x0s = model.sample(prompts, seeds, a.steps, g, sched, keep_x0=True)
    result["n_images"] = len(prompts)
    result["default"] = score_set(imgs, params)
    result["default_extras"] = extras_score(imgs, params)
    print("default:", result["default"], result["default_extras"], flush=True)

    base = [p for p in params if not p["size_word"] and not p["pos_word"]]
    base_idx = [i for i, p in enumerate(params) if not p["size_word"] and not p["pos_word"]]
    result["default_base_prompts_only"] = score_set(imgs[base_idx], base)

    imgs1, _ = model.sample(prompts, seeds, a.steps, 1.0, sched)
    result["guidance_1"] = score_set(imgs1, params)
    print("guidance 1:", result["guidance_1"], flush=True)

    if meta:
        result["preview_convergence"] = preview_convergence(model, x0s, imgs, meta["latent_rgb_factors"],
                                                            meta["latent_rgb_bias"])
        print("previews:", result["preview_convergence"], flush=True)

    if a.sweep:
        sweep = {}
        sub = list(range(0, len(prompts), 2))
        sp, ss, spar = [prompts[i] for i in sub], [seeds[i] for i in sub], [params[i] for i in sub]
        for sc in SCHEDULERS:
            for gg in (3.0, 5.0, 7.5):
                im, _ = model.sample(sp, ss, a.steps, gg, sc)
                sweep[f"{sc} g={gg}"] = score_set(im, spar)
                print("sweep", sc, gg, sweep[f"{sc} g={gg}"], flush=True)
        result["sweep_half_set"] = sweep

    # sample grid: fixed prompts x seeds
    grid_p = [shapes.caption(f, s, b) for f, s, b in
              [("red", "circle", "blue"), ("yellow", "triangle", "purple"), ("white", "square", "black"),
               ("green", "circle", "orange"), ("blue", "triangle", "white"), ("orange", "square", "green"),
               ("purple", "circle", "yellow"), ("black", "triangle", "red")]]
    grid_p += ["a small red square on the left on a white background", "a large blue circle on a yellow background",
               "a green triangle at the top on a black background", "a white circle in the center on a purple background"]
    n_seeds = 4
    gp = [p for p in grid_p for _ in range(n_seeds)]
    gs = [k % n_seeds for k in range(len(gp))]
    gi, _ = model.sample(gp, gs, a.steps, g, sched)
    # rows = seeds 0..3, columns = prompts
    grid = [gi[c * n_seeds + r] for r in range(n_seeds) for c in range(len(grid_p))]
    labels = [grid_p[c] if r == n_seeds - 1 else "" for r in range(n_seeds) for c in range(len(grid_p))]
    save_grid(np.stack(grid), labels, os.path.join(DOCS, "default-model-samples.png"), cols=len(grid_p))
    training_plot(os.path.join(DOCS, "default-model-training.png"))
    result["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(B.WORK, "eval.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "preview_convergence"}, indent=1))


if __name__ == "__main__":
    main()
