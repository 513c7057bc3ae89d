#!/usr/bin/env python3
"""Reference runs of diffusers' own image-to-image and inpainting pipelines on the fixture models.

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/reference/make_image_pipeline_reference.py

Runs the installed diffusers' StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline,
StableDiffusionXLImg2ImgPipeline and StableDiffusionXLInpaintPipeline `__call__` (their own
preprocessing, get_timesteps, prepare_latents, VAE sampling, add_noise, mask handling, loop and
callbacks) and diffusers' schedulers, with transformers' CLIPTokenizer on the fixture tokenizer
folders. The networks are the fixtures' ONNX graphs run by onnxruntime (Python) behind thin
wrappers with the attributes the pipelines read, so the comparison with the engine tests the
pipeline logic and not the export; the VAE encoder's `latent_parameters` (mean ‖ logvar) become
diffusers' own DiagonalGaussianDistribution, which samples from the call's generator.

Writes main/engine/pipelines/fixtures/image-pipeline-reference.json (per case: the pipeline, the
call's arguments, the scheduler, the callback, the UNet batch of every step, the timesteps that
ran, T and the final latents) and the input pictures main/engine/pipelines/fixtures/*.png.

diffusers' SDCFGCutoffCallback / SDXLCFGCutoffCallback halve only the text conditioning; an
inpainting run whose guidance ends needs `mask` and `masked_image_latents` halved as well (diffusers
would otherwise feed a 2B-row mask to B-row latents). Cases with a cutoff on an inpainting pipeline
use a subclass that also halves those two (`*+mask`), which is what Stepwise's cutoff callbacks do.
"""
import functools
import json
import os
import sys
import types
import warnings

import numpy as np
import onnxruntime as ort
import PIL.Image
import torch
from transformers import CLIPTokenizer

import diffusers
import diffusers.image_processor
from diffusers.callbacks import SDCFGCutoffCallback, SDXLCFGCutoffCallback
from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(ROOT, "fixtures", "models")
OUT_DIR = os.path.join(ROOT, "main", "engine", "pipelines", "fixtures")
OUT = os.path.join(OUT_DIR, "image-pipeline-reference.json")


# ---------------------------------------------------------------------------------------------
# ONNX graphs behind the attributes diffusers' pipelines read
# ---------------------------------------------------------------------------------------------
def session(folder, component):
    """`folder`: a fixture name, or an absolute model folder (os.path.join keeps an absolute one)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(os.path.join(FIX, folder, component, "model.onnx"), options,
                                providers=["CPUExecutionProvider"])


def read_config(folder, component):
    with open(os.path.join(FIX, folder, component, "config.json")) as f:
        return json.load(f)


class Config(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


class EncoderOutput(tuple):
    def __new__(cls, first, hidden_states):
        obj = super().__new__(cls, (first,))
        obj.hidden_states = hidden_states
        return obj


class OnnxTextEncoder:
    dtype = torch.float32

    def __init__(self, folder, component, projection_dim=None):
        self.session = session(folder, component)
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.input_type = np.int32 if "int32" in self.session.get_inputs()[0].type else np.int64
        self.config = Config(projection_dim=projection_dim)

    def __call__(self, input_ids, attention_mask=None, output_hidden_states=False):
        ids = input_ids.numpy().astype(self.input_type)
        results = dict(zip(self.outputs, self.session.run(None, {"input_ids": ids})))
        first = results.get("text_embeds", results["last_hidden_state"])
        hidden = tuple(torch.from_numpy(results[n]) for n in sorted(k for k in results if k.startswith("hidden_states.")))
        return EncoderOutput(torch.from_numpy(first), hidden if output_hidden_states else None)


class OnnxUNet:
    dtype = torch.float32

    def __init__(self, folder, add_in_features=None):
        self.session = session(folder, "unet")
        raw = read_config(folder, "unet")
        self.config = Config(in_channels=raw["in_channels"], sample_size=raw["sample_size"],
                             time_cond_proj_dim=raw.get("time_cond_proj_dim"),
                             addition_time_embed_dim=raw.get("addition_time_embed_dim"))
        self.timestep_type = next(i for i in self.session.get_inputs() if i.name == "timestep").type
        self.batches = []
        if add_in_features is not None:
            self.add_embedding = types.SimpleNamespace(linear_1=types.SimpleNamespace(in_features=add_in_features))

    def __call__(self, sample, t, encoder_hidden_states=None, timestep_cond=None, cross_attention_kwargs=None,
                 added_cond_kwargs=None, return_dict=False):
        self.batches.append(int(sample.shape[0]))
        value = float(torch.as_tensor(t).reshape(-1)[0])
        if "int64" in self.timestep_type:
            assert value == int(value), f"the SD fixture UNet takes integer timesteps, got {value}"
            timestep = np.array([int(value)], dtype=np.int64)
        else:
            timestep = np.array(value, dtype=np.float32)
        feeds = {"sample": sample.numpy(), "timestep": timestep,
                 "encoder_hidden_states": encoder_hidden_states.numpy()}
        if added_cond_kwargs is not None:
            feeds["text_embeds"] = added_cond_kwargs["text_embeds"].numpy()
            feeds["time_ids"] = added_cond_kwargs["time_ids"].numpy()
        return (torch.from_numpy(self.session.run(None, feeds)[0]),)


class OnnxVae:
    dtype = torch.float32

    def __init__(self, folder):
        self.encoder = session(folder, "vae_encoder")
        self.decoder = session(folder, "vae_decoder")
        raw = read_config(folder, "vae_encoder")
        self.config = Config(scaling_factor=raw["scaling_factor"], block_out_channels=raw["block_out_channels"],
                             latent_channels=raw["latent_channels"], force_upcast=raw.get("force_upcast", False),
                             latents_mean=raw.get("latents_mean"), latents_std=raw.get("latents_std"),
                             shift_factor=raw.get("shift_factor"))

    def to(self, *args, **kwargs):
        return self

    def encode(self, image):
        params = self.encoder.run(None, {"sample": image.numpy()})[0]
        return types.SimpleNamespace(latent_dist=DiagonalGaussianDistribution(torch.from_numpy(params)))

    def decode(self, latents, return_dict=False, generator=None):
        return (torch.from_numpy(self.decoder.run(None, {"latent_sample": latents.numpy()})[0]),)


def tokenizer(folder, name):
    return CLIPTokenizer.from_pretrained(os.path.join(FIX, folder, name))


def scheduler(class_name, folder, overrides=None):
    with open(os.path.join(FIX, folder, "scheduler", "scheduler_config.json")) as f:
        config = json.load(f)
    return getattr(diffusers, class_name).from_config(dict(config, **(overrides or {})))


def sd_pipeline(cls, folder):
    with open(os.path.join(FIX, folder, "model_index.json")) as f:
        index = json.load(f)
    return cls(vae=OnnxVae(folder), text_encoder=OnnxTextEncoder(folder, "text_encoder"),
               tokenizer=tokenizer(folder, "tokenizer"), unet=OnnxUNet(folder),
               scheduler=scheduler(index["scheduler"][1], folder), safety_checker=None,
               feature_extractor=None, requires_safety_checker=False)


def sdxl_pipeline(cls, folder):
    with open(os.path.join(FIX, folder, "model_index.json")) as f:
        index = json.load(f)
    unet = read_config(folder, "unet")
    has_first = index.get("text_encoder", [None])[0] is not None
    return cls(vae=OnnxVae(folder),
               text_encoder=OnnxTextEncoder(folder, "text_encoder") if has_first else None,
               text_encoder_2=OnnxTextEncoder(folder, "text_encoder_2", projection_dim=32),
               tokenizer=tokenizer(folder, "tokenizer") if has_first else None,
               tokenizer_2=tokenizer(folder, "tokenizer_2"),
               unet=OnnxUNet(folder, add_in_features=unet["projection_class_embeddings_input_dim"]),
               scheduler=scheduler(index["scheduler"][1], folder),
               requires_aesthetics_score=index.get("requires_aesthetics_score", False),
               force_zeros_for_empty_prompt=index.get("force_zeros_for_empty_prompt", True),
               add_watermarker=False)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def blue_square(size=64):
    """A blue square on white with a soft diagonal shading (so every pixel value differs a little)."""
    img = np.zeros((size, size, 3), dtype=np.uint8)
    for y in range(size):
        for x in range(size):
            inside = size // 4 <= x < 3 * size // 4 and size // 4 <= y < 3 * size // 4
            shade = (x + 2 * y) % 23
            img[y, x] = (30 + shade, 60 + shade, 220 - shade) if inside else (250 - shade, 248 - shade, 245)
    return PIL.Image.fromarray(img, "RGB")


def half_mask(size=64):
    """White (repaint) on the left half, with a ragged edge; black (keep) elsewhere."""
    m = np.zeros((size, size), dtype=np.uint8)
    for y in range(size):
        edge = size // 2 + (y % 5) - 2
        m[y, :edge] = 255
        m[y, edge:edge + 2] = 140  # grey border pixels: binarised at 0.5
    return PIL.Image.fromarray(m, "L")


def halve_all(callback, pipeline, step_index, callback_kwargs):
    """diffusers' cutoff rule, applied to every tensor input (theirs halve only the text ones)."""
    config = callback.config
    cutoff_step = (config.cutoff_step_index if config.cutoff_step_index is not None
                   else int(pipeline.num_timesteps * config.cutoff_step_ratio))
    if step_index == cutoff_step:
        for name in callback.tensor_inputs:
            callback_kwargs[name] = callback_kwargs[name][-1:]
        pipeline._guidance_scale = 0.0
    return callback_kwargs


class SDCutoffWithMask(SDCFGCutoffCallback):
    tensor_inputs = ["prompt_embeds", "mask", "masked_image_latents"]

    def callback_fn(self, pipeline, step_index, timestep, callback_kwargs):
        return halve_all(self, pipeline, step_index, callback_kwargs)


class SDXLCutoffWithMask(SDXLCFGCutoffCallback):
    tensor_inputs = ["prompt_embeds", "add_text_embeds", "add_time_ids", "mask", "masked_image_latents"]

    def callback_fn(self, pipeline, step_index, timestep, callback_kwargs):
        return halve_all(self, pipeline, step_index, callback_kwargs)


CALLBACKS = {
    "SDCFGCutoffCallback": SDCFGCutoffCallback,
    "SDXLCFGCutoffCallback": SDXLCFGCutoffCallback,
    "SDCFGCutoffCallback+mask": SDCutoffWithMask,
    "SDXLCFGCutoffCallback+mask": SDXLCutoffWithMask,
}

PROMPT = "a red square on a white background"
# name, pipeline class, fixture folder, scheduler (None: the folder's), overrides, call kwargs, callback
CASES = [
    ("sd-img2img-pndm", "StableDiffusionImg2ImgPipeline", "tiny-sd-random", None, None,
     dict(strength=0.6, num_inference_steps=10), None),
    ("sd-img2img-ddim-batch", "StableDiffusionImg2ImgPipeline", "tiny-sd-random", "DDIMScheduler", None,
     dict(prompt=["a red square on a white background", "a green circle"], negative_prompt=["", "blue"],
          strength=0.5, num_inference_steps=4, num_images_per_prompt=2), None),
    ("sd-img2img-euler-ancestral", "StableDiffusionImg2ImgPipeline", "tiny-sd-random",
     "EulerAncestralDiscreteScheduler", None, dict(strength=0.75, num_inference_steps=8), None),
    ("sd-img2img-dpm-cutoff", "StableDiffusionImg2ImgPipeline", "tiny-sd-random", "DPMSolverMultistepScheduler",
     None, dict(strength=0.8, num_inference_steps=10), ("SDCFGCutoffCallback", 0.5)),
    ("sd-img2img-heun", "StableDiffusionImg2ImgPipeline", "tiny-sd-random", "HeunDiscreteScheduler", None,
     dict(strength=0.5, num_inference_steps=6), None),
    ("sd-img2img-lms-strength-1", "StableDiffusionImg2ImgPipeline", "tiny-sd-random", "LMSDiscreteScheduler", None,
     dict(strength=1.0, num_inference_steps=5), None),
    ("sd-inpaint4-ddim", "StableDiffusionInpaintPipeline", "tiny-sd-random", "DDIMScheduler", None,
     dict(num_inference_steps=6), None),
    ("sd-inpaint4-euler", "StableDiffusionInpaintPipeline", "tiny-sd-random", "EulerDiscreteScheduler", None,
     dict(strength=0.7, num_inference_steps=8, prompt="a yellow circle"), None),
    ("sd-inpaint4-dpm-cutoff", "StableDiffusionInpaintPipeline", "tiny-sd-random", "DPMSolverMultistepScheduler",
     None, dict(strength=0.9, num_inference_steps=8), ("SDCFGCutoffCallback+mask", 0.4)),
    ("sd-inpaint9-pndm", "StableDiffusionInpaintPipeline", "tiny-sd-inpaint", None, None,
     dict(num_inference_steps=5), None),
    ("sd-inpaint9-euler-cutoff", "StableDiffusionInpaintPipeline", "tiny-sd-inpaint", "EulerDiscreteScheduler",
     None, dict(strength=0.6, num_inference_steps=10), ("SDCFGCutoffCallback+mask", 0.5)),
    ("sdxl-img2img-euler", "StableDiffusionXLImg2ImgPipeline", "tiny-sdxl-random", None, None,
     dict(num_inference_steps=10), None),
    ("sdxl-img2img-dpm-karras-end", "StableDiffusionXLImg2ImgPipeline", "tiny-sdxl-random",
     "DPMSolverMultistepScheduler", {"use_karras_sigmas": True},
     dict(strength=0.6, num_inference_steps=10, denoising_end=0.8, prompt_2="a green square"),
     ("SDXLCFGCutoffCallback", 0.3)),
    ("sdxl-inpaint4-euler-ancestral", "StableDiffusionXLInpaintPipeline", "tiny-sdxl-random",
     "EulerAncestralDiscreteScheduler", None, dict(num_inference_steps=5, guidance_rescale=0.5), None),
    ("sdxl-inpaint9-euler-cutoff", "StableDiffusionXLInpaintPipeline", "tiny-sdxl-inpaint", None, None,
     dict(strength=0.8, num_inference_steps=6, negative_prompt="blue"), ("SDXLCFGCutoffCallback+mask", 0.5)),
    ("sdxl-inpaint9-heun", "StableDiffusionXLInpaintPipeline", "tiny-sdxl-inpaint", "HeunDiscreteScheduler", None,
     dict(strength=1.0, num_inference_steps=4), None),
    ("sdxl-refiner-denoising-start", "StableDiffusionXLImg2ImgPipeline", "tiny-sdxl-refiner", None, None,
     dict(num_inference_steps=10, denoising_start=0.7, aesthetic_score=7.0, negative_aesthetic_score=2.0), None),
    ("sdxl-refiner-heun-start", "StableDiffusionXLImg2ImgPipeline", "tiny-sdxl-refiner", "HeunDiscreteScheduler",
     None, dict(num_inference_steps=6, denoising_start=0.5), None),
]


def run_case(name, pipeline_class, folder, sched, overrides, kwargs, callback, image, mask):
    cls = getattr(diffusers, pipeline_class)
    pipe = sdxl_pipeline(cls, folder) if "XL" in pipeline_class else sd_pipeline(cls, folder)
    if sched is not None or overrides:
        pipe.scheduler = scheduler(sched or type(pipe.scheduler).__name__, folder, overrides)
    call = dict(prompt=PROMPT, image=image, generator=torch.Generator("cpu").manual_seed(7), output_type="latent")
    if "Inpaint" in pipeline_class:
        call["mask_image"] = mask
    call.update(kwargs)
    cb = None if callback is None else CALLBACKS[callback[0]](cutoff_step_ratio=callback[1])
    ran = []
    original_step = pipe.scheduler.step

    # wraps keeps step's signature visible: the pipeline passes eta / generator only to a step
    # whose signature names them.
    @functools.wraps(original_step)
    def step(model_output, timestep, sample, *args, **kw):
        ran.append(float(timestep))
        return original_step(model_output, timestep, sample, *args, **kw)

    pipe.scheduler.step = step
    with torch.no_grad():
        out = pipe(**call, callback_on_step_end=cb)
    latents = out.images
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    return {
        "name": name,
        "pipeline": pipeline_class,
        "model": folder,
        "scheduler": type(pipe.scheduler).__name__,
        "schedulerOverrides": overrides or {},
        "seed": 7,
        "prompt": call["prompt"],
        "call": args,
        "callback": None if callback is None else {"kind": callback[0], "value": callback[1]},
        "timesteps": ran,
        "unetBatches": pipe.unet.batches,
        "numTimesteps": pipe.num_timesteps,
        "shape": list(latents.shape),
        "latents": [float(x) for x in latents.flatten().tolist()],
    }


def resize_cases(image, mask):
    """Pillow's LANCZOS resizes (what VaeImageProcessor.resize does), as SHA-256 of the bytes."""
    import hashlib
    out = []
    for name, src, size in (("rgb-down", image, (40, 56)), ("rgb-up", image, (100, 72)),
                            ("rgb-width-only", image, (48, 64)), ("grey-down", mask, (24, 32)),
                            ("grey-up", mask, (96, 80))):
        resized = np.asarray(src.resize(size, resample=PIL.Image.LANCZOS))
        flat = resized.reshape(-1)
        out.append({"name": name, "mode": src.mode, "width": size[0], "height": size[1],
                    "sha256": hashlib.sha256(flat.tobytes()).hexdigest(),
                    "first": [int(v) for v in flat[:24]]})
    # The full image processor: grey conversion of an RGB mask, then resize and binarize.
    rgb_mask = PIL.Image.merge("RGB", (mask, mask.point(lambda v: 255 - v), mask))
    processor = diffusers.image_processor.VaeImageProcessor(
        vae_scale_factor=8, do_normalize=False, do_binarize=True, do_convert_grayscale=True)
    processed = processor.preprocess(rgb_mask, height=40, width=48)
    rgb_mask.save(os.path.join(OUT_DIR, "rgb-mask-64.png"))
    out.append({"name": "mask-processor", "source": "rgb-mask-64.png", "width": 48, "height": 40,
                "ones": int(processed.sum().item()),
                "rows": ["".join("1" if v >= 0.5 else "0" for v in row) for row in processed[0, 0].tolist()]})
    image_processor = diffusers.image_processor.VaeImageProcessor(vae_scale_factor=8)
    pixels = image_processor.preprocess(image.resize((70, 53), resample=PIL.Image.BICUBIC))
    image.resize((70, 53), resample=PIL.Image.BICUBIC).save(os.path.join(OUT_DIR, "odd-size-70x53.png"))
    out.append({"name": "image-processor", "source": "odd-size-70x53.png", "shape": list(pixels.shape),
                "sum": float(pixels.double().sum()), "first": [float(v) for v in pixels.flatten()[:12]]})
    return out


def main():
    torch.set_num_threads(1)
    diffusers.utils.logging.set_verbosity_error()
    warnings.simplefilter("ignore")
    image, mask = blue_square(), half_mask()
    image.save(os.path.join(OUT_DIR, "blue-square-64.png"))
    mask.save(os.path.join(OUT_DIR, "half-mask-64.png"))
    cases = []
    for case in CASES:
        cases.append(run_case(*case, image=image, mask=mask))
        c = cases[-1]
        print(c["name"], c["unetBatches"], c["shape"], file=sys.stderr)
    with open(OUT, "w") as f:
        json.dump({"diffusersVersion": diffusers.__version__, "torchVersion": torch.__version__,
                   "onnxruntimeVersion": ort.__version__, "pillowVersion": PIL.__version__,
                   "image": "blue-square-64.png", "mask": "half-mask-64.png",
                   "resize": resize_cases(image, mask), "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
