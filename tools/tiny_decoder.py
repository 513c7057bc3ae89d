"""TAESD-class tiny latent decoders (PyTorch), for previews.

TAESD (madebyollin/taesd; diffusers' ``AutoencoderTiny``) decodes Stable Diffusion latents with a stack of
3x3 conv + ReLU residual blocks and nearest 2x upsampling: ``Clamp`` (tanh(x/3)*3), conv(latent -> C), ReLU,
then per resolution some blocks, each followed by upsample + conv (bias-free), and a last conv to RGB.
It takes the latents as the diffusion pipeline holds them (already multiplied by the VAE's scaling
factor: TAESD's own scaling factor is 1) and diffusers' ``DecoderTiny`` returns ``x * 2 - 1``, i.e. pixels
in [-1, 1] like the VAE.

``TinyDecoder(channels=(64, 64, 64, 64), blocks=(3, 3, 3, 1))`` is that architecture (1.22 M parameters,
module names as in diffusers' ``DecoderTiny``: ``layers.N``). ``pixel_shuffle=True`` makes the last 2x
step a learned depth-to-space instead (conv to 3*4 channels + PixelShuffle(2)), so that no convolution
runs at full resolution: the variant shipped with stepwise-shapes-64, which must cost a few percent of a
512x512 step of a 2.3 M-parameter UNet on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def conv3(n_in: int, n_out: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, bias=bias)


class Clamp(nn.Module):
    """Soft clamp of the input latents to about [-3, 3], as TAESD does."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    """conv-ReLU-conv-ReLU-conv plus identity (or 1x1) skip, then ReLU."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.conv = nn.Sequential(conv3(n_in, n_out), nn.ReLU(), conv3(n_out, n_out), nn.ReLU(), conv3(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(self.conv(x) + self.skip(x))


class TinyDecoder(nn.Module):
    """[B, latent_channels, h, w] model-space latents -> [B, 3, 8h, 8w] pixels in about [-1, 1].

    ``channels[i]`` / ``blocks[i]``: width and block count at 2**i times the latent resolution. Without
    pixel_shuffle there are 4 levels (1x .. 8x); with it, 3 levels (1x .. 4x) and a depth-to-space to 8x.
    """

    def __init__(self, channels=(64, 64, 64, 64), blocks=(3, 3, 3, 1), latent_channels: int = 4,
                 pixel_shuffle: bool = False):
        super().__init__()
        if len(channels) != len(blocks):
            raise ValueError("channels and blocks need one entry per level")
        if len(channels) != (3 if pixel_shuffle else 4):
            raise ValueError("an 8x decoder has 4 levels, or 3 with a final pixel shuffle")
        self.config = {"channels": list(channels), "blocks": list(blocks), "latent_channels": latent_channels,
                       "pixel_shuffle": pixel_shuffle}
        layers: list[nn.Module] = [Clamp(), conv3(latent_channels, channels[0]), nn.ReLU()]
        last = len(channels) - 1
        for i, (c, n) in enumerate(zip(channels, blocks)):
            layers += [Block(c, c) for _ in range(n)]
            if i < last:
                layers += [nn.Upsample(scale_factor=2), conv3(c, channels[i + 1], bias=False)]
            elif pixel_shuffle:
                layers += [conv3(c, 3 * 4), nn.PixelShuffle(2)]
            else:
                layers.append(conv3(c, 3))
        self.layers = nn.Sequential(*layers)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        # TAESD's decoder ends in [0, 1]; diffusers' DecoderTiny maps that to [-1, 1] like a VAE.
        return self.layers(latents).mul(2).sub(1)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
