"""Small Stable-Diffusion-shaped modules (PyTorch 1.13), written to export cleanly to ONNX.

* ``TextEncoder``: CLIP-like (token + learned position embeddings, pre-LN transformer layers with
  hand-written attention, final LayerNorm, pooled output at the first EOS token, optional
  projection for ``CLIPTextModelWithProjection``-style ``text_embeds``).
* ``UNet``: UNet2DConditionModel-like (ResBlocks with timestep embedding, a transformer block with
  self- and cross-attention at every level and in the middle, optional SDXL "text_time" added
  embedding from ``text_embeds`` and ``time_ids``). Predicts epsilon.
* ``VAEEncoder`` / ``VAEDecoder``: AutoencoderKL-like, downscale 2**(len(channels)-1), no attention.

Attention is plain matmul + softmax (no ``nn.MultiheadAttention`` fast paths, which do not
export under ``no_grad`` in torch 1.13). Every shape is read from the input at run time, so batch,
height, width and sequence length stay dynamic in the exported graphs.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """diffusers ``get_timestep_embedding`` with flip_sin_to_cos=True, downscale_freq_shift=0.

    ``t``: float tensor of shape [N]; returns [N, dim] = [cos | sin].
    """
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32) / half
    freqs = torch.exp(exponent)
    args = t[:, None].float() * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, context_dim: int | None = None, bias_qkv: bool = False):
        super().__init__()
        assert dim % heads == 0
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        ctx = context_dim or dim
        self.to_q = nn.Linear(dim, dim, bias=bias_qkv)
        self.to_k = nn.Linear(ctx, dim, bias=bias_qkv)
        self.to_v = nn.Linear(ctx, dim, bias=bias_qkv)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        b = x.shape[0]
        h, d = self.heads, self.head_dim
        q = self.to_q(x).reshape(b, -1, h, d).transpose(1, 2)
        k = self.to_k(context).reshape(b, -1, h, d).transpose(1, 2)
        v = self.to_v(context).reshape(b, -1, h, d).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        out = torch.matmul(att, v).transpose(1, 2).reshape(b, -1, h * d)
        return self.to_out(out)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class TextLayer(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, bias_qkv=True)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.act = QuickGELU()
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class TextEncoder(nn.Module):
    """Outputs (in this order): last_hidden_state, pooler_output, [text_embeds], [hidden_states.0..L]."""

    def __init__(self, vocab_size: int, hidden: int, layers: int, heads: int, max_positions: int,
                 intermediate: int, eos_token_id: int, causal: bool = True, projection_dim: int | None = None,
                 output_hidden_states: bool = False):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, hidden)
        self.pos = nn.Embedding(max_positions, hidden)
        self.layers = nn.ModuleList([TextLayer(hidden, heads, intermediate) for _ in range(layers)])
        self.final_ln = nn.LayerNorm(hidden)
        self.eos_token_id = eos_token_id
        self.causal = causal
        self.proj = nn.Linear(hidden, projection_dim, bias=False) if projection_dim else None
        self.output_hidden_states = output_hidden_states
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.01)

    def forward(self, input_ids: torch.Tensor):
        ids = input_ids.long()
        s = ids.shape[1]
        x = self.tok(ids) + self.pos.weight[:s].unsqueeze(0)
        mask = None
        if self.causal:
            r = torch.arange(s)
            mask = (r[None, :] > r[:, None]).float() * -1e9
        hidden_states = [x]
        for layer in self.layers:
            x = layer(x, mask)
            hidden_states.append(x)
        last = self.final_ln(x)
        # CLIP's pooled output: the hidden state at the first EOS token.
        eos_pos = (ids == self.eos_token_id).float().argmax(dim=-1)
        onehot = (torch.arange(s)[None, :] == eos_pos[:, None]).float()
        pooled = (last * onehot[:, :, None]).sum(dim=1)
        outs = [last, pooled]
        if self.proj is not None:
            outs.append(self.proj(pooled))
        if self.output_hidden_states:
            outs += hidden_states
        return tuple(outs)


def groups_for(c: int) -> int:
    for g in (32, 16, 8, 4, 2, 1):
        if c % g == 0 and c // g >= 2:
            return g
    return 1


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int | None):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.temb is not None:
            h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class Transformer2D(nn.Module):
    """GroupNorm, proj_in, [LN + self-attn, LN + cross-attn, LN + GELU MLP], proj_out, residual."""

    def __init__(self, c: int, heads: int, context_dim: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups_for(c), c)
        self.proj_in = nn.Linear(c, c)
        self.ln1 = nn.LayerNorm(c)
        self.attn1 = Attention(c, heads)
        self.ln2 = nn.LayerNorm(c)
        self.attn2 = Attention(c, heads, context_dim=context_dim)
        self.ln3 = nn.LayerNorm(c)
        self.ff1 = nn.Linear(c, 4 * c)
        self.ff2 = nn.Linear(4 * c, c)
        self.proj_out = nn.Linear(c, c)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        h = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        h = self.proj_in(h)
        h = h + self.attn1(self.ln1(h))
        h = h + self.attn2(self.ln2(h), context)
        h = h + self.ff2(F.gelu(self.ff1(self.ln3(h))))
        h = self.proj_out(h).transpose(1, 2).reshape(b, c, hh, ww)
        return x + h


class UNet(nn.Module):
    """forward(sample, timestep, encoder_hidden_states[, text_embeds, time_ids]) -> out_sample.

    ``timestep`` may be rank 0 or shape [1] or [B]; it is broadcast over the batch.
    """

    def __init__(self, channels=(48, 96), in_channels=4, out_channels=4, context_dim=128, heads=2,
                 layers_per_block=1, addition_time_embed_dim: int | None = None,
                 text_embeds_dim: int | None = None, num_time_ids: int = 6):
        super().__init__()
        # 6 micro-conditioning ids (SDXL base); 5 for a refiner (original size, crop, aesthetic score)
        self.num_time_ids = num_time_ids
        self.channels = tuple(channels)
        c0 = channels[0]
        temb = 4 * c0
        self.temb_dim = temb
        self.time_lin1 = nn.Linear(c0, temb)
        self.time_lin2 = nn.Linear(temb, temb)
        self.addition_time_embed_dim = addition_time_embed_dim
        if addition_time_embed_dim:
            in_dim = num_time_ids * addition_time_embed_dim + text_embeds_dim
            self.projection_class_embeddings_input_dim = in_dim
            self.add_lin1 = nn.Linear(in_dim, temb)
            self.add_lin2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)

        self.down = nn.ModuleList()
        skip_ch = [c0]
        prev = c0
        for i, c in enumerate(channels):
            blocks = nn.ModuleList()
            for _ in range(layers_per_block):
                blocks.append(nn.ModuleList([ResBlock(prev, c, temb), Transformer2D(c, heads, context_dim)]))
                prev = c
                skip_ch.append(c)
            ds = None
            if i < len(channels) - 1:
                ds = nn.Conv2d(c, c, 3, stride=2, padding=1)
                skip_ch.append(c)
            self.down.append(nn.ModuleList([blocks, ds if ds is not None else nn.Identity()]))
        self.has_ds = [i < len(channels) - 1 for i in range(len(channels))]

        cm = channels[-1]
        self.mid_res1 = ResBlock(cm, cm, temb)
        self.mid_attn = Transformer2D(cm, heads, context_dim)
        self.mid_res2 = ResBlock(cm, cm, temb)

        self.up = nn.ModuleList()
        for i, c in reversed(list(enumerate(channels))):
            blocks = nn.ModuleList()
            for _ in range(layers_per_block + 1):
                sc = skip_ch.pop()
                blocks.append(nn.ModuleList([ResBlock(prev + sc, c, temb), Transformer2D(c, heads, context_dim)]))
                prev = c
            us = nn.Conv2d(c, c, 3, padding=1) if i > 0 else nn.Identity()
            self.up.append(nn.ModuleList([blocks, us]))
        self.norm_out = nn.GroupNorm(groups_for(c0), c0)
        self.conv_out = nn.Conv2d(c0, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds=None, time_ids=None):
        b = sample.shape[0]
        t = timestep.float().reshape(-1)
        emb = sinusoidal_embedding(t, self.channels[0])  # [1 or B, c0]
        emb = self.time_lin2(F.silu(self.time_lin1(emb)))
        emb = emb.expand(b, self.temb_dim)
        if self.addition_time_embed_dim:
            tid = sinusoidal_embedding(time_ids.float().reshape(-1), self.addition_time_embed_dim)
            tid = tid.reshape(b, self.num_time_ids * self.addition_time_embed_dim)
            add = torch.cat([text_embeds, tid], dim=-1)
            emb = emb + self.add_lin2(F.silu(self.add_lin1(add)))

        h = self.conv_in(sample)
        skips = [h]
        for i, (blocks, ds) in enumerate(self.down):
            for res, attn in blocks:
                h = attn(res(h, emb), encoder_hidden_states)
                skips.append(h)
            if self.has_ds[i]:
                h = ds(h)
                skips.append(h)
        h = self.mid_res1(h, emb)
        h = self.mid_attn(h, encoder_hidden_states)
        h = self.mid_res2(h, emb)
        n = len(self.up)
        for j, (blocks, us) in enumerate(self.up):
            for res, attn in blocks:
                h = torch.cat([h, skips.pop()], dim=1)
                h = attn(res(h, emb), encoder_hidden_states)
            if j < n - 1:
                h = us(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class VAEEncoder(nn.Module):
    """sample [B,3,H,W] in [-1,1] -> latent_parameters [B, 2*latent, H/f, W/f] (mean | logvar)."""

    def __init__(self, channels=(16, 32, 64, 128), latent_channels=4, blocks_per_level=1):
        super().__init__()
        self.conv_in = nn.Conv2d(3, channels[0], 3, padding=1)
        layers = []
        prev = channels[0]
        for i, c in enumerate(channels):
            for _ in range(blocks_per_level):
                layers.append(ResBlock(prev, c, None))
                prev = c
            if i < len(channels) - 1:
                layers.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.body = nn.ModuleList(layers)
        self.mid = ResBlock(prev, prev, None)
        self.norm_out = nn.GroupNorm(groups_for(prev), prev)
        self.conv_out = nn.Conv2d(prev, 2 * latent_channels, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for layer in self.body:
            h = layer(h)
        h = self.mid(h)
        return self.quant_conv(self.conv_out(F.silu(self.norm_out(h))))


class VAEDecoder(nn.Module):
    """latent_sample [B, latent, h, w] (unscaled) -> sample [B, 3, h*f, w*f] roughly in [-1, 1]."""

    def __init__(self, channels=(16, 32, 64, 128), latent_channels=4, blocks_per_level=1):
        super().__init__()
        rev = list(reversed(channels))
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.conv_in = nn.Conv2d(latent_channels, rev[0], 3, padding=1)
        self.mid = ResBlock(rev[0], rev[0], None)
        layers = []
        prev = rev[0]
        for i, c in enumerate(rev):
            for _ in range(blocks_per_level + 1):
                layers.append(ResBlock(prev, c, None))
                prev = c
            if i < len(rev) - 1:
                layers.append(Upsample(c))
        self.body = nn.ModuleList(layers)
        self.norm_out = nn.GroupNorm(groups_for(prev), prev)
        self.conv_out = nn.Conv2d(prev, 3, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(self.post_quant_conv(z))
        h = self.mid(h)
        for layer in self.body:
            h = layer(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Upsample(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


class CompactVAEEncoder(nn.Module):
    """Cheaper AutoencoderKL-like encoder: one ResBlock per level, strided convs that also widen.

    sample [B,3,H,W] -> latent_parameters [B, 2*latent, H/f, W/f], f = 2**(len(channels)-1).
    """

    def __init__(self, channels=(16, 32, 64, 128), latent_channels=4):
        super().__init__()
        self.conv_in = nn.Conv2d(3, channels[0], 3, padding=1)
        layers = [ResBlock(channels[0], channels[0], None)]
        for cin, cout in zip(channels[:-1], channels[1:]):
            layers.append(nn.Conv2d(cin, cout, 3, stride=2, padding=1))
            layers.append(ResBlock(cout, cout, None))
        self.body = nn.ModuleList(layers)
        c = channels[-1]
        self.norm_out = nn.GroupNorm(groups_for(c), c)
        self.conv_out = nn.Conv2d(c, 2 * latent_channels, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for layer in self.body:
            h = layer(h)
        return self.quant_conv(self.conv_out(F.silu(self.norm_out(h))))


class CompactVAEDecoder(nn.Module):
    """Cheaper AutoencoderKL-like decoder: ResBlock per level; upsample + conv that also narrows.

    latent_sample [B, latent, h, w] (unscaled) -> sample [B, 3, h*f, w*f].
    """

    def __init__(self, channels=(16, 32, 64, 128), latent_channels=4):
        super().__init__()
        rev = list(reversed(channels))
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.conv_in = nn.Conv2d(latent_channels, rev[0], 3, padding=1)
        layers = [ResBlock(rev[0], rev[0], None), ResBlock(rev[0], rev[0], None)]
        for cin, cout in zip(rev[:-1], rev[1:]):
            layers.append(UpsampleTo(cin, cout))
            layers.append(ResBlock(cout, cout, None))
        self.body = nn.ModuleList(layers)
        self.norm_out = nn.GroupNorm(groups_for(rev[-1]), rev[-1])
        self.conv_out = nn.Conv2d(rev[-1], 3, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(self.post_quant_conv(z))
        for layer in self.body:
            h = layer(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class UpsampleTo(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
