"""The Wav2Lip generator (96x96 faces), written so that the public checkpoints load unchanged.

Module and attribute names are part of the contract: they produce the state-dict keys
(`face_encoder_blocks.1.0.conv_block.0.weight`, ...) that `wav2lip.pth` / `wav2lip_gan.pth` use.
The network is a U-Net: a face encoder (6 channels: masked target + reference) whose feature maps
skip to a decoder that starts from a 512-d audio embedding of a 80x16 mel window.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Module):
    """Conv2d + BatchNorm + ReLU; `residual` adds the input before the ReLU (same shape in and out)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride=1, padding=0, residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding), nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        if self.residual:
            out = out + x
        return self.act(out)


class UpBlock(nn.Module):
    """ConvTranspose2d + BatchNorm + ReLU: doubles the spatial size in the decoder."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, padding: int, output_padding: int = 0):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel, stride, padding, output_padding), nn.BatchNorm2d(cout)
        )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


def _res(channels: int) -> ConvBlock:
    return ConvBlock(channels, channels, 3, 1, 1, residual=True)


def _face_encoder() -> nn.ModuleList:
    # Spatial sizes: 96 -> 96 -> 48 -> 24 -> 12 -> 6 -> 3 -> 1.
    return nn.ModuleList([
        nn.Sequential(ConvBlock(6, 16, 7, 1, 3)),
        nn.Sequential(ConvBlock(16, 32, 3, 2, 1), _res(32), _res(32)),
        nn.Sequential(ConvBlock(32, 64, 3, 2, 1), _res(64), _res(64), _res(64)),
        nn.Sequential(ConvBlock(64, 128, 3, 2, 1), _res(128), _res(128)),
        nn.Sequential(ConvBlock(128, 256, 3, 2, 1), _res(256), _res(256)),
        nn.Sequential(ConvBlock(256, 512, 3, 2, 1), _res(512)),
        nn.Sequential(ConvBlock(512, 512, 3, 1, 0), ConvBlock(512, 512, 1, 1, 0)),
    ])


def _audio_encoder() -> nn.Sequential:
    # Mel window 80x16 -> 80x16 -> 27x16 -> 9x6 -> 3x3 -> 1x1.
    return nn.Sequential(
        ConvBlock(1, 32, 3, 1, 1), _res(32), _res(32),
        ConvBlock(32, 64, 3, (3, 1), 1), _res(64), _res(64),
        ConvBlock(64, 128, 3, 3, 1), _res(128), _res(128),
        ConvBlock(128, 256, 3, (3, 2), 1), _res(256),
        ConvBlock(256, 512, 3, 1, 0), ConvBlock(512, 512, 1, 1, 0),
    )


def _face_decoder() -> nn.ModuleList:
    # Each block's input is the previous output concatenated with the matching encoder map,
    # hence the odd input widths (1024 = 512 + 512, 768 = 512 + 256, ...).
    return nn.ModuleList([
        nn.Sequential(ConvBlock(512, 512, 1, 1, 0)),
        nn.Sequential(UpBlock(1024, 512, 3, 1, 0), _res(512)),
        nn.Sequential(UpBlock(1024, 512, 3, 2, 1, 1), _res(512), _res(512)),
        nn.Sequential(UpBlock(768, 384, 3, 2, 1, 1), _res(384), _res(384)),
        nn.Sequential(UpBlock(512, 256, 3, 2, 1, 1), _res(256), _res(256)),
        nn.Sequential(UpBlock(320, 128, 3, 2, 1, 1), _res(128), _res(128)),
        nn.Sequential(UpBlock(160, 64, 3, 2, 1, 1), _res(64), _res(64)),
    ])


class Wav2Lip(nn.Module):
    """`forward(mel, face)`: mel (B,1,80,16), face (B,6,96,96) BGR in 0..1 -> (B,3,96,96) in 0..1."""

    def __init__(self):
        super().__init__()
        self.face_encoder_blocks = _face_encoder()
        self.audio_encoder = _audio_encoder()
        self.face_decoder_blocks = _face_decoder()
        self.output_block = nn.Sequential(
            ConvBlock(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0), nn.Sigmoid()
        )

    def forward(self, mel: torch.Tensor, face: torch.Tensor) -> torch.Tensor:
        if mel.dim() != 4 or face.dim() != 4 or mel.shape[0] != face.shape[0]:
            raise ValueError(f"expected mel (B,1,80,16) and face (B,6,96,96), got {tuple(mel.shape)} and {tuple(face.shape)}")
        skips = []
        x = face
        for block in self.face_encoder_blocks:
            x = block(x)
            skips.append(x)
        x = self.audio_encoder(mel)
        for block in self.face_decoder_blocks:
            x = torch.cat((block(x), skips.pop()), dim=1)
        return self.output_block(x)
