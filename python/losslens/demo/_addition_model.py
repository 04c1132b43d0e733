"""A small decoder-only Transformer for the addition task (pre-LayerNorm GPT blocks, learned positions).

The attention is written out (no fused kernels) so that forward-mode AD, which POLCA's projected
gradients and curvatures use, runs through every operation.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees itself and the positions before it."""

    def __init__(self, width, n_heads, context):
        super().__init__()
        if width % n_heads:
            raise ValueError(f"width {width} is not a multiple of n_heads {n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.register_buffer("future", torch.triu(torch.ones(context, context, dtype=torch.bool), 1), persistent=False)

    def forward(self, x):
        n, length, width = x.shape
        q, k, v = self.qkv(x).view(n, length, 3, self.n_heads, width // self.n_heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(width // self.n_heads)
        scores = scores.masked_fill(self.future[:length, :length], float("-inf"))
        mixed = F.softmax(scores, dim=-1) @ v
        return self.out(mixed.transpose(1, 2).reshape(n, length, width))


class Block(nn.Module):
    """Pre-LayerNorm Transformer block: attention and a GELU MLP, each on a residual branch."""

    def __init__(self, width, n_heads, mlp_width, context):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = CausalSelfAttention(width, n_heads, context)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, mlp_width), nn.GELU(), nn.Linear(mlp_width, width))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class DecoderTransformer(nn.Module):
    """Token and position embeddings, ``n_layers`` causal blocks, a final LayerNorm and a linear read-out.

    Parameters
    ----------
    vocabulary : int
        Number of token ids.
    context : int
        Longest input sequence.
    width : int, default=128
        Embedding dimension (the POLCA paper: 512).
    n_layers : int, default=2
        Blocks (the paper: 3).
    n_heads : int, default=4
        Attention heads per block (the paper: 4).
    mlp_width : int, default=None
        Hidden units of each MLP; None means ``4 * width`` (the paper: 2048 = 4 * 512).
    """

    def __init__(self, vocabulary, context, width=128, n_layers=2, n_heads=4, mlp_width=None):
        super().__init__()
        self.token_embedding = nn.Embedding(vocabulary, width)
        self.position_embedding = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, n_heads, mlp_width or 4 * width, context) for _ in range(n_layers))
        self.norm = nn.LayerNorm(width)
        self.readout = nn.Linear(width, vocabulary)
        self.register_buffer("positions", torch.arange(context), persistent=False)

    def forward(self, tokens):
        """Next-token logits, shape (n, length, vocabulary), for token ids of shape (n, length)."""
        x = self.token_embedding(tokens) + self.position_embedding(self.positions[:tokens.shape[1]])
        for block in self.blocks:
            x = block(x)
        return self.readout(self.norm(x))

    @property
    def n_parameters(self):
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters())
