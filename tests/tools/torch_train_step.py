"""PyTorch's CPU time for the training step that `stepformer bench` times, for comparison.

    python3 tests/tools/torch_train_step.py [--steps N]

Needs torch (Debian: python3-torch). Not part of the test suite. The model is GPT-2's block
as stepformer runs it: 4 layers, 4 heads, d 128, vocabulary 512, context 128, pre-norm,
LayerNorm eps 1e-5, GELU (tanh form), final LayerNorm, the head tied to the token embedding;
float32. A step is forward, mean cross-entropy, backward and torch.optim.AdamW (lr 3e-4,
betas (0.9, 0.95), eps 1e-8, weight decay 0.1, not fused) on B = 4 sequences of T = 64 random
tokens, as in the bench. Prints the median milliseconds per step with 1 and with 2 threads
(after 5 untimed steps) and the better of the two.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

L, H, C, V, CTX, B, T = 4, 4, 128, 512, 128, 4, 64


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, 4 * C)
        self.fc2 = nn.Linear(4 * C, C)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, C)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(CTX, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf = nn.LayerNorm(C, eps=1e-5)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        logits = self.lnf(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def median_step(threads, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(1234)
    model = GPT()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.1, foreach=True)
    g = torch.Generator().manual_seed(7)
    times = []
    for i in range(steps + 5):
        idx = torch.randint(0, V, (B, T), generator=g)
        tgt = torch.randint(0, V, (B, T), generator=g)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(idx, tgt)
        loss.backward()
        opt.step()
        if i >= 5:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    a = ap.parse_args()
    one, two = median_step(1, a.steps), median_step(2, a.steps)
    print(f"torch {torch.__version__}: median {one:.2f} ms per step with 1 thread, "
          f"{two:.2f} ms with 2; best {min(one, two):.2f} ms")


if __name__ == "__main__":
    main()
