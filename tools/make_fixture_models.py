"""Write the two tiny random-weight fixture models (SD-1.x shaped and SDXL shaped).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_fixture_models.py
    node tools/verify_onnx.mjs tools/.work/verify/fixtures

Deterministic (fixed seeds). Writes fixtures/models/tiny-sd-random/, fixtures/models/tiny-sdxl-random/,
and reference I/O cases for the Node check in tools/.work/verify/fixtures/.
The reference tokenizations (fixtures/tokenizer-reference.json) come from tools/make_tokenizer_reference.py.
"""

from __future__ import annotations

import os
import shutil
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_bpe  # noqa: E402
import sdlayout as L  # noqa: E402
from onnx_export import describe, export  # noqa: E402
from sdmodels import TextEncoder, UNet, VAEDecoder, VAEEncoder, count_params  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures", "models")
CASES = os.path.join(ROOT, "tools", ".work", "verify", "fixtures")

MAX_LEN = 77
VAE_CH = (8, 16, 16, 32)
UNET_CH = (32, 64)
SAMPLE_SIZE = 8  # latent size -> 64x64 default images


def randomize_(m: nn.Module, seed: int) -> nn.Module:
    """Deterministic init; re-initialise zero-initialised output convs so outputs are non-trivial."""
    torch.manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            mod.reset_parameters()
        elif isinstance(mod, nn.Embedding):
            nn.init.normal_(mod.weight, std=0.5)
    return m.eval()


class SDXLTextEncoder2(nn.Module):
    """Reorders TextEncoder's outputs to (text_embeds, last_hidden_state, hidden_states.0..L)."""

    def __init__(self, te: TextEncoder):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        outs = self.te(input_ids)
        last, _pooled, proj = outs[:3]
        return (proj, last) + tuple(outs[3:])


def te_dyn(outputs: list[str]) -> dict:
    d = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    for o in outputs:
        d[o] = {0: "batch_size"} if o in ("pooler_output", "text_embeds") else {0: "batch_size", 1: "sequence_length"}
    return d


def export_vae(folder: str, seed: int, scaling_factor: float, force_upcast: bool, case_prefix: str) -> None:
    enc = randomize_(VAEEncoder(VAE_CH, 4), seed)
    dec = randomize_(VAEDecoder(VAE_CH, 4), seed + 1)
    g = torch.Generator().manual_seed(seed + 2)
    x = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    export(enc, {"sample": x}, ["latent_parameters"], os.path.join(folder, "vae_encoder", "model.onnx"),
           {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "latent_parameters": {0: "batch_size", 2: "latent_height", 3: "latent_width"}},
           check_case=os.path.join(CASES, f"{case_prefix}_vae_encoder.json"))
    from onnx_export import write_case
    write_case(enc, {"sample": torch.rand(1, 3, 48, 80, generator=g) * 2 - 1}, ["latent_parameters"],
               os.path.join(folder, "vae_encoder", "model.onnx"), os.path.join(CASES, f"{case_prefix}_vae_encoder_b1.json"))
    z = torch.randn(2, 4, 8, 8, generator=g)
    export(dec, {"latent_sample": z}, ["sample"], os.path.join(folder, "vae_decoder", "model.onnx"),
           {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
            "sample": {0: "batch_size", 2: "height", 3: "width"}},
           check_case=os.path.join(CASES, f"{case_prefix}_vae_decoder.json"))
    write_case(dec, {"latent_sample": torch.randn(1, 4, 6, 10, generator=g)}, ["sample"],
               os.path.join(folder, "vae_decoder", "model.onnx"), os.path.join(CASES, f"{case_prefix}_vae_decoder_b1.json"))
    cfg = L.vae_config(channels=VAE_CH, latent_channels=4, sample_size=64, scaling_factor=scaling_factor,
                       force_upcast=force_upcast)
    L.write_json(os.path.join(folder, "vae_encoder", "config.json"), cfg)
    L.write_json(os.path.join(folder, "vae_decoder", "config.json"), cfg)


def make_sd(vocab, merges) -> None:
    folder = os.path.join(FIX, "tiny-sd-random")
    shutil.rmtree(folder, ignore_errors=True)
    tok = clip_bpe.write_tokenizer_folder(os.path.join(folder, "tokenizer"), vocab, merges, MAX_LEN)
    L.write_json(os.path.join(folder, "model_index.json"), L.model_index_sd("PNDMScheduler"))
    L.write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), L.pndm_scheduler_sd15())

    hidden = 32
    te = randomize_(TextEncoder(len(vocab), hidden, 2, 2, MAX_LEN, 64, tok.eos_id, causal=True), 100)
    ids = torch.tensor([tok("a red circle on a blue background"), tok("")], dtype=torch.int32)
    outs = ["last_hidden_state", "pooler_output"]
    export(te, {"input_ids": ids}, outs, os.path.join(folder, "text_encoder", "model.onnx"), te_dyn(outs),
           check_case=os.path.join(CASES, "sd_text_encoder.json"))
    L.write_json(os.path.join(folder, "text_encoder", "config.json"), L.text_encoder_config(
        vocab_size=len(vocab), hidden=hidden, layers=2, heads=2, intermediate=64, max_positions=MAX_LEN,
        bos_id=tok.bos_id, eos_id=tok.eos_id, pad_id=tok.pad_id, projection_dim=hidden))

    unet = randomize_(UNet(UNET_CH, context_dim=hidden, heads=2), 200)
    g = torch.Generator().manual_seed(201)
    inputs = {
        "sample": torch.randn(2, 4, 8, 8, generator=g),
        "timestep": torch.tensor([981], dtype=torch.int64),
        "encoder_hidden_states": torch.randn(2, MAX_LEN, hidden, generator=g),
    }
    path = os.path.join(folder, "unet", "model.onnx")
    export(unet, inputs, ["out_sample"], path,
           {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}},
           external_data=True, check_case=os.path.join(CASES, "sd_unet.json"))
    from onnx_export import write_case
    write_case(unet, {"sample": torch.randn(1, 4, 6, 10, generator=g), "timestep": torch.tensor([1], dtype=torch.int64),
                      "encoder_hidden_states": torch.randn(1, MAX_LEN, hidden, generator=g)},
               ["out_sample"], path, os.path.join(CASES, "sd_unet_b1.json"))
    L.write_json(os.path.join(folder, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=hidden, heads=2, layers_per_block=1, sample_size=SAMPLE_SIZE))
    export_vae(folder, 300, 0.18215, False, "sd")
    print("tiny-sd-random: te", count_params(te), "unet", count_params(unet))


def make_sdxl(vocab, merges) -> None:
    folder = os.path.join(FIX, "tiny-sdxl-random")
    shutil.rmtree(folder, ignore_errors=True)
    tok1 = clip_bpe.write_tokenizer_folder(os.path.join(folder, "tokenizer"), vocab, merges, MAX_LEN)
    tok2 = clip_bpe.write_tokenizer_folder(os.path.join(folder, "tokenizer_2"), vocab, merges, MAX_LEN, pad_token="!")
    assert tok2.pad_id == 0
    L.write_json(os.path.join(folder, "model_index.json"), L.model_index_sdxl("EulerDiscreteScheduler"))
    L.write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), L.euler_scheduler_sdxl())

    h1, h2, proj, layers = 32, 64, 32, 2
    hs = [f"hidden_states.{i}" for i in range(layers + 1)]
    te1 = randomize_(TextEncoder(len(vocab), h1, layers, 2, MAX_LEN, 64, tok1.eos_id, causal=True,
                                 output_hidden_states=True), 400)
    ids1 = torch.tensor([tok1("a red circle on a blue background"), tok1("")], dtype=torch.int64)
    outs1 = ["last_hidden_state", "pooler_output"] + hs
    export(te1, {"input_ids": ids1}, outs1, os.path.join(folder, "text_encoder", "model.onnx"), te_dyn(outs1),
           check_case=os.path.join(CASES, "sdxl_text_encoder.json"))
    L.write_json(os.path.join(folder, "text_encoder", "config.json"), L.text_encoder_config(
        vocab_size=len(vocab), hidden=h1, layers=layers, heads=2, intermediate=64, max_positions=MAX_LEN,
        bos_id=tok1.bos_id, eos_id=tok1.eos_id, pad_id=tok1.pad_id, projection_dim=h1))

    te2 = SDXLTextEncoder2(randomize_(TextEncoder(len(vocab), h2, layers, 2, MAX_LEN, 128, tok2.eos_id, causal=True,
                                                  projection_dim=proj, output_hidden_states=True), 500))
    ids2 = torch.tensor([tok2("a red circle on a blue background"), tok2("")], dtype=torch.int64)
    outs2 = ["text_embeds", "last_hidden_state"] + hs
    export(te2, {"input_ids": ids2}, outs2, os.path.join(folder, "text_encoder_2", "model.onnx"), te_dyn(outs2),
           check_case=os.path.join(CASES, "sdxl_text_encoder_2.json"))
    L.write_json(os.path.join(folder, "text_encoder_2", "config.json"), L.text_encoder_config(
        vocab_size=len(vocab), hidden=h2, layers=layers, heads=2, intermediate=128, max_positions=MAX_LEN,
        bos_id=tok2.bos_id, eos_id=tok2.eos_id, pad_id=tok2.pad_id, projection_dim=proj, with_projection=True))

    ctx = h1 + h2
    add_dim = 8
    unet = randomize_(UNet(UNET_CH, context_dim=ctx, heads=2, addition_time_embed_dim=add_dim,
                           text_embeds_dim=proj), 600)
    with torch.no_grad():  # make the added (text_time) embedding weigh more in the random net
        unet.add_lin2.weight.mul_(4.0)
        unet.time_lin2.weight.mul_(2.0)
    g = torch.Generator().manual_seed(601)
    time_ids = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]] * 2)
    inputs = {
        "sample": torch.randn(2, 4, 8, 8, generator=g),
        "timestep": torch.tensor(999.0, dtype=torch.float32),
        "encoder_hidden_states": torch.randn(2, MAX_LEN, ctx, generator=g),
        "text_embeds": torch.randn(2, proj, generator=g),
        "time_ids": time_ids,
    }
    path = os.path.join(folder, "unet", "model.onnx")
    export(unet, inputs, ["out_sample"], path,
           {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "text_embeds": {0: "batch_size"}, "time_ids": {0: "batch_size"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}},
           external_data=True, check_case=os.path.join(CASES, "sdxl_unet.json"))
    from onnx_export import write_case
    write_case(unet, {"sample": torch.randn(1, 4, 6, 10, generator=g), "timestep": torch.tensor(500.5),
                      "encoder_hidden_states": torch.randn(1, MAX_LEN, ctx, generator=g),
                      "text_embeds": torch.randn(1, proj, generator=g),
                      "time_ids": torch.tensor([[48.0, 80.0, 0.0, 0.0, 48.0, 80.0]])},
               ["out_sample"], path, os.path.join(CASES, "sdxl_unet_b1.json"))
    # text_embeds and time_ids must matter
    with torch.no_grad():
        base = unet(*inputs.values())
        alt_te = unet(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"],
                      inputs["text_embeds"] * 0, inputs["time_ids"])
        alt_ti = unet(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"],
                      inputs["text_embeds"], inputs["time_ids"] * 2)
        alt_eh = unet(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"] * 0,
                      inputs["text_embeds"], inputs["time_ids"])
    for name, alt in (("text_embeds", alt_te), ("time_ids", alt_ti), ("encoder_hidden_states", alt_eh)):
        d = (alt - base).abs().mean().item()
        print(f"  sdxl unet: mean |change| when {name} changes: {d:.4f} (output mean |x| {base.abs().mean():.4f})")
        assert d > 1e-3
    L.write_json(os.path.join(folder, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=ctx, heads=2, layers_per_block=1, sample_size=SAMPLE_SIZE,
        addition_time_embed_dim=add_dim, projection_class_embeddings_input_dim=6 * add_dim + proj))
    export_vae(folder, 700, 0.13025, True, "sdxl")
    print("tiny-sdxl-random: te1", count_params(te1), "te2", count_params(te2), "unet", count_params(unet))


def main() -> None:
    torch.set_num_threads(2)
    vocab, merges = clip_bpe.build_vocab_and_merges(clip_bpe.CAPTION_WORDS)
    print(f"vocab {len(vocab)} tokens, {len(merges)} merges")
    make_sd(vocab, merges)
    make_sdxl(vocab, merges)
    for model in ("tiny-sd-random", "tiny-sdxl-random"):
        for comp in sorted(os.listdir(os.path.join(FIX, model))):
            p = os.path.join(FIX, model, comp, "model.onnx")
            if os.path.exists(p):
                print(f"{model}/{comp}:")
                for line in describe(p):
                    print("   ", line)


if __name__ == "__main__":
    main()
