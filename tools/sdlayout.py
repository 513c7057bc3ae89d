"""Config files of a diffusers/optimum ONNX model folder (model_index.json, component config.json,
scheduler_config.json), with the keys diffusers and optimum read."""

from __future__ import annotations

import json
import os

DIFFUSERS_VERSION = "0.30.0"


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def model_index_sd(scheduler_class: str) -> dict:
    return {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": DIFFUSERS_VERSION,
        "feature_extractor": [None, None],
        "image_encoder": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", scheduler_class],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


def model_index_sdxl(scheduler_class: str) -> dict:
    return {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": DIFFUSERS_VERSION,
        "feature_extractor": [None, None],
        "force_zeros_for_empty_prompt": True,
        "image_encoder": [None, None],
        "scheduler": ["diffusers", scheduler_class],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


_SD_SCHED_COMMON = {
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
}


def pndm_scheduler_sd15() -> dict:
    """PNDMScheduler as runwayml/stable-diffusion-v1-5 ships it."""
    return {
        "_class_name": "PNDMScheduler",
        "_diffusers_version": DIFFUSERS_VERSION,
        **_SD_SCHED_COMMON,
        "clip_sample": False,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
    }


def euler_scheduler_sdxl() -> dict:
    """EulerDiscreteScheduler as stabilityai/stable-diffusion-xl-base-1.0 ships it."""
    return {
        "_class_name": "EulerDiscreteScheduler",
        "_diffusers_version": DIFFUSERS_VERSION,
        **_SD_SCHED_COMMON,
        "clip_sample": False,
        "interpolation_type": "linear",
        "sample_max_value": 1.0,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "timestep_type": "discrete",
        "use_karras_sigmas": False,
    }


def ddim_scheduler_sd() -> dict:
    return {
        "_class_name": "DDIMScheduler",
        "_diffusers_version": DIFFUSERS_VERSION,
        **_SD_SCHED_COMMON,
        "clip_sample": False,
        "clip_sample_range": 1.0,
        "dynamic_thresholding_ratio": 0.995,
        "rescale_betas_zero_snr": False,
        "sample_max_value": 1.0,
        "set_alpha_to_one": False,
        "thresholding": False,
    }


def text_encoder_config(*, vocab_size, hidden, layers, heads, intermediate, max_positions, bos_id, eos_id, pad_id,
                        projection_dim, with_projection=False) -> dict:
    return {
        "_name_or_path": "stepwise",
        "architectures": ["CLIPTextModelWithProjection" if with_projection else "CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": bos_id,
        "dropout": 0.0,
        "eos_token_id": eos_id,
        "hidden_act": "quick_gelu",
        "hidden_size": hidden,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": max_positions,
        "model_type": "clip_text_model",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "pad_token_id": pad_id,
        "projection_dim": projection_dim,
        "torch_dtype": "float32",
        "transformers_version": "4.44.0",
        "vocab_size": vocab_size,
    }


def unet_config(*, channels, cross_attention_dim, heads, layers_per_block, sample_size,
                addition_time_embed_dim=None, projection_class_embeddings_input_dim=None,
                in_channels=4) -> dict:
    n = len(channels)
    down = ["CrossAttnDownBlock2D"] * n
    up = ["CrossAttnUpBlock2D"] * n
    cfg = {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": DIFFUSERS_VERSION,
        "act_fn": "silu",
        "addition_embed_type": "text_time" if addition_time_embed_dim else None,
        "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": addition_time_embed_dim,
        "attention_head_dim": [c // heads for c in channels],
        "block_out_channels": list(channels),
        "center_input_sample": False,
        "class_embed_type": None,
        "cross_attention_dim": cross_attention_dim,
        "down_block_types": down,
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": in_channels,
        "layers_per_block": layers_per_block,
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "norm_eps": 1e-05,
        "norm_num_groups": 8,
        "num_attention_heads": None,
        "out_channels": 4,
        "projection_class_embeddings_input_dim": projection_class_embeddings_input_dim,
        "sample_size": sample_size,
        "time_cond_proj_dim": None,
        "transformer_layers_per_block": 1,
        "up_block_types": up,
        "upcast_attention": False,
        "use_linear_projection": True,
    }
    return cfg


def vae_config(*, channels, latent_channels, sample_size, scaling_factor, force_upcast) -> dict:
    n = len(channels)
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": DIFFUSERS_VERSION,
        "act_fn": "silu",
        "block_out_channels": list(channels),
        "down_block_types": ["DownEncoderBlock2D"] * n,
        "force_upcast": force_upcast,
        "in_channels": 3,
        "latent_channels": latent_channels,
        "latents_mean": None,
        "latents_std": None,
        "layers_per_block": 1,
        "norm_num_groups": 8,
        "out_channels": 3,
        "sample_size": sample_size,
        "scaling_factor": scaling_factor,
        "shift_factor": None,
        "up_block_types": ["UpDecoderBlock2D"] * n,
        "use_post_quant_conv": True,
        "use_quant_conv": True,
    }
