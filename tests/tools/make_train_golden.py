"""Golden reference data for training on tests/data/gpt2_tiny.bin (loss, gradients, AdamW).

Run from anywhere:

    python3 tests/tools/make_train_golden.py

Needs numpy and torch. Only regenerating the data needs Python: the test suite reads the
.npy files below and does not. Re-running writes byte-identical files (fixed data, no random
initialisation, one thread, float64 throughout).

The model is read from the llm.c checkpoint tests/data/gpt2_tiny.bin by this script on its
own (it does not use the program's loader) and run as GPT-2 in torch float64: pre-norm
blocks, LayerNorm with epsilon 1e-5, causal softmax attention scaled by 1/sqrt(hs), GELU in
its tanh form, a final LayerNorm and the unembedding tied to the token embedding over the
V real rows only (the padding rows of wte are dropped on reading: they neither take part nor
get trained). As a check the script asserts that this model reproduces
tests/data/gpt2_tiny_logits.npy for tests/data/gpt2_tiny_ids.npy to 1e-10.

Data: one fixed batch. B = 2, T = 8; B*T+1 tokens drawn by numpy RandomState(7) from
[0, V). As in llm.c, the inputs are tokens[0:B*T] reshaped (B, T) and the targets are
tokens[1:B*T+1] reshaped (B, T). The loss is the mean cross-entropy (natural log) over all
B*T positions.

Optimizer: torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1) on
every parameter tensor, one group, weight decay on all of them (biases and LayerNorm gains
included), the tied token embedding counted once, the position embedding included. Ten
steps on the same batch; each step's loss is the one of its forward pass, before its update.

Orientation: llm.c stores every weight as [out][in] (y = x W^T + b); the files below that
hold a weight matrix give it in the program's orientation (in, out), y = x W.

Files written to tests/data/ (little-endian .npy, float64 unless noted):

  train_tokens.npy              (B*T+1,) int64, the tokens of the batch
  train_config.npy              (8,) B, T, steps, lr, beta1, beta2, eps, weight_decay
  train_loss_pos.npy            (B, T) per-position cross-entropy of step 0 (before any update)
  train_grad_wte.npy            (V, C) step-0 gradient of the token embedding (real rows)
  train_grad_wpe.npy            (maxT, C) step-0 gradient of the position embedding
                                (rows T.. are zero)
  train_grad_L0_ln1_gamma.npy   (C,) step-0 gradient of block 0's first LayerNorm gain
  train_grad_L0_attn_wq.npy     (C, C) step-0 gradient of block 0's W^Q, y = x W^Q
                                (the transpose of llm.c's qkvw[0] rows 0..C-1)
  train_grad_L1_ffn_w2.npy      (4C, C) step-0 gradient of block 1's second FFN matrix
                                (the transpose of llm.c's fcprojw[1])
  train_grad_L1_ffn_b1.npy      (4C,) step-0 gradient of block 1's first FFN bias
  train_grad_lnf_gamma.npy      (C,) step-0 gradient of the final LayerNorm gain
  train_losses.npy              (10,) the loss of each of the ten AdamW steps
  train_final_L0_attn_wq.npy    (C, C) block 0's W^Q after the ten steps, y = x W^Q
  train_final_wte_row5.npy      (C,) row 5 of the token embedding after the ten steps
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

B, T, STEPS = 2, 8, 10
LR, BETA1, BETA2, ADAM_EPS, WEIGHT_DECAY = 1e-3, 0.9, 0.95, 1e-8, 0.1
DATA_SEED = 7
LN_EPS = 1e-5
LOGITS_TOL = 1e-10

DATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))


# ---------------------------------------------------------------------------------------------
# Reading the llm.c checkpoint


def read_checkpoint(path):
    """Returns (config dict, dict of float64 numpy arrays in llm.c's layout)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    head = np.frombuffer(raw, dtype="<i4", count=256)
    magic, version, maxT, V, L, NH, C, Vp = (int(v) for v in head[:8])
    assert magic == 20240326, magic
    assert version == 3, version
    assert C % NH == 0 and Vp >= V
    layout = [
        ("wte", (Vp, C)), ("wpe", (maxT, C)),
        ("ln1w", (L, C)), ("ln1b", (L, C)),
        ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)),
        ("attprojw", (L, C, C)), ("attprojb", (L, C)),
        ("ln2w", (L, C)), ("ln2b", (L, C)),
        ("fcw", (L, 4 * C, C)), ("fcb", (L, 4 * C)),
        ("fcprojw", (L, C, 4 * C)), ("fcprojb", (L, C)),
        ("lnfw", (C,)), ("lnfb", (C,)),
    ]
    total = sum(int(np.prod(s)) for _, s in layout)
    assert len(raw) == 1024 + 4 * total, (len(raw), 1024 + 4 * total)
    flat = np.frombuffer(raw, dtype="<f4", offset=1024).astype(np.float64)
    w, at = {}, 0
    for name, shape in layout:
        n = int(np.prod(shape))
        w[name] = flat[at:at + n].reshape(shape).copy()
        at += n
    w["wte"] = w["wte"][:V].copy()  # only the real rows; the padding is never used
    cfg = dict(maxT=maxT, V=V, L=L, NH=NH, C=C, Vp=Vp)
    return cfg, w


# ---------------------------------------------------------------------------------------------
# The model: one torch leaf per llm.c tensor and layer, kept in llm.c's [out][in] layout


class GPT2:
    def __init__(self, cfg, w):
        self.cfg = cfg
        L = cfg["L"]
        leaf = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float64,
                                      requires_grad=True)
        self.wte = leaf(w["wte"])  # (V, C), also the unembedding
        self.wpe = leaf(w["wpe"])  # (maxT, C)
        names = ["ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
                 "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb"]
        self.layers = [{k: leaf(w[k][l]) for k in names} for l in range(L)]
        self.lnfw = leaf(w["lnfw"])
        self.lnfb = leaf(w["lnfb"])

    def parameters(self):
        ps = [self.wte, self.wpe]
        for lw in self.layers:
            ps.extend(lw.values())
        ps.extend([self.lnfw, self.lnfb])
        return ps

    def logits(self, ids):
        """ids: (B, N) int64 tensor; returns (B, N, V) logits."""
        C, NH = self.cfg["C"], self.cfg["NH"]
        hs = C // NH
        nb, n = ids.shape
        x = self.wte[ids] + self.wpe[:n]  # (B, N, C)
        causal = torch.ones(n, n, dtype=torch.bool).tril()
        for lw in self.layers:
            h = F.layer_norm(x, (C,), lw["ln1w"], lw["ln1b"], LN_EPS)
            qkv = F.linear(h, lw["qkvw"], lw["qkvb"])  # (B, N, 3C): Q | K | V
            q, k, v = qkv.split(C, dim=-1)
            q = q.view(nb, n, NH, hs).transpose(1, 2)  # (B, NH, N, hs)
            k = k.view(nb, n, NH, hs).transpose(1, 2)
            v = v.view(nb, n, NH, hs).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / np.sqrt(hs))
            att = att.masked_fill(~causal, float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(nb, n, C)
            x = x + F.linear(y, lw["attprojw"], lw["attprojb"])
            h = F.layer_norm(x, (C,), lw["ln2w"], lw["ln2b"], LN_EPS)
            u = F.gelu(F.linear(h, lw["fcw"], lw["fcb"]), approximate="tanh")
            x = x + F.linear(u, lw["fcprojw"], lw["fcprojb"])
        x = F.layer_norm(x, (C,), self.lnfw, self.lnfb, LN_EPS)
        return x @ self.wte.t()  # tied head over the V real rows

    def loss_per_position(self, inputs, targets):
        u = self.logits(inputs)
        V = self.cfg["V"]
        return F.cross_entropy(u.reshape(-1, V), targets.reshape(-1),
                               reduction="none").view(targets.shape)


# ---------------------------------------------------------------------------------------------


def save(name, arr):
    with open(os.path.join(DATA, name), "wb") as fh:
        np.save(fh, arr)


def as_np(t):
    return np.ascontiguousarray(t.detach().numpy(), dtype=np.float64)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg, w = read_checkpoint(os.path.join(DATA, "gpt2_tiny.bin"))
    V, C, maxT = cfg["V"], cfg["C"], cfg["maxT"]
    print("model: L=%d NH=%d C=%d V=%d (Vp=%d) maxT=%d"
          % (cfg["L"], cfg["NH"], C, V, cfg["Vp"], maxT))
    assert T <= maxT

    model = GPT2(cfg, w)

    # The check against the inference golden: the same model, the same logits.
    ids = np.load(os.path.join(DATA, "gpt2_tiny_ids.npy"))
    want = np.load(os.path.join(DATA, "gpt2_tiny_logits.npy"))
    with torch.no_grad():
        got = as_np(model.logits(torch.from_numpy(ids.astype(np.int64))[None])[0])
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = float(np.max(np.abs(got - want)))
    print("logits vs gpt2_tiny_logits.npy (%d ids): max |diff| = %.3e" % (len(ids), diff))
    assert diff < LOGITS_TOL, diff

    # The batch.
    tokens = np.random.RandomState(DATA_SEED).randint(0, V, size=B * T + 1).astype(np.int64)
    inputs = torch.from_numpy(tokens[:B * T].reshape(B, T).copy())
    targets = torch.from_numpy(tokens[1:B * T + 1].reshape(B, T).copy())

    params = model.parameters()
    assert len({id(p) for p in params}) == len(params)  # wte once
    opt = torch.optim.AdamW(params, lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS,
                            weight_decay=WEIGHT_DECAY)
    L0, L1 = model.layers[0], model.layers[1]
    losses = []
    step0 = {}
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        per_pos = model.loss_per_position(inputs, targets)
        loss = per_pos.mean()
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            step0 = {
                "train_loss_pos.npy": as_np(per_pos),
                "train_grad_wte.npy": as_np(model.wte.grad),
                "train_grad_wpe.npy": as_np(model.wpe.grad),
                "train_grad_L0_ln1_gamma.npy": as_np(L0["ln1w"].grad),
                "train_grad_L0_attn_wq.npy": as_np(L0["qkvw"].grad[0:C].t()),
                "train_grad_L1_ffn_w2.npy": as_np(L1["fcprojw"].grad.t()),
                "train_grad_L1_ffn_b1.npy": as_np(L1["fcb"].grad),
                "train_grad_lnf_gamma.npy": as_np(model.lnfw.grad),
            }
            assert abs(step0["train_loss_pos.npy"].mean() - losses[0]) < 1e-14
            assert np.all(step0["train_grad_wpe.npy"][T:] == 0)
        opt.step()

    config = np.array([B, T, STEPS, LR, BETA1, BETA2, ADAM_EPS, WEIGHT_DECAY], dtype=np.float64)
    save("train_tokens.npy", tokens)
    save("train_config.npy", config)
    for name, arr in step0.items():
        save(name, arr)
    save("train_losses.npy", np.array(losses, dtype=np.float64))
    save("train_final_L0_attn_wq.npy", as_np(L0["qkvw"][0:C].t()))
    save("train_final_wte_row5.npy", as_np(model.wte[5]))

    print("tokens:", " ".join(str(int(t)) for t in tokens))
    print("step-0 loss: %.12f (ln V = %.6f)" % (losses[0], np.log(V)))
    print("losses:", " ".join("%.10f" % v for v in losses))
    print("wrote tests/data/train_*.npy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
