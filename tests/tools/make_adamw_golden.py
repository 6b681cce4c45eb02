"""Golden values for ten AdamW steps on tests/data/gpt2_tiny.bin, in float64 with torch.

Writes tests/data/adamw_tokens.npy (the B*T+1 tokens of one fixed batch, B=2, T=8),
tests/data/adamw_losses.npy (the loss of each of 10 steps on that batch, computed by the
step's forward pass before its update) and tests/data/adamw_final_wq0.npy (layer 0's W^Q
after the ten steps, as (C, C) with y = x W). Optimizer: torch.optim.AdamW(lr=1e-3,
betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1) on every parameter tensor, the tied token
embedding counted once. The model is read from the llm.c file independently of stepformer.

Run: /usr/bin/python3 tests/tools/make_adamw_golden.py  (needs numpy and torch; only
regenerating the data needs Python, the test suite does not).
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
B, T, STEPS = 2, 8, 10


def load_llmc(path):
    raw = open(path, "rb").read()
    h = np.frombuffer(raw[:1024], dtype="<i4")
    assert h[0] == 20240326 and h[1] == 3
    maxT, V, L, NH, C, Vp = (int(x) for x in h[2:8])
    f = np.frombuffer(raw[1024:], dtype="<f4").astype(np.float64)
    shapes = [("wte", (Vp, C)), ("wpe", (maxT, C)), ("ln1w", (L, C)), ("ln1b", (L, C)),
              ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)), ("attprojw", (L, C, C)),
              ("attprojb", (L, C)), ("ln2w", (L, C)), ("ln2b", (L, C)), ("fcw", (L, 4 * C, C)),
              ("fcb", (L, 4 * C)), ("fcprojw", (L, C, 4 * C)), ("fcprojb", (L, C)),
              ("lnfw", (C,)), ("lnfb", (C,))]
    p, off = {}, 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        p[name] = f[off:off + n].reshape(shape)
        off += n
    assert off == f.size
    cfg = dict(V=V, L=L, NH=NH, C=C)
    p["wte"] = p["wte"][:V]  # the padding rows take no part
    return cfg, p


def main():
    torch.set_default_dtype(torch.float64)
    cfg, p = load_llmc(os.path.join(DATA, "gpt2_tiny.bin"))
    V, L, NH, C = cfg["V"], cfg["L"], cfg["NH"], cfg["C"]
    hs = C // NH
    # One parameter per tensor, split per layer as stepformer stores them (in, out).
    params = {"wte": p["wte"], "wpe": p["wpe"]}
    for l in range(L):
        q, k, v = np.split(p["qkvw"][l], 3, axis=0)
        bq, bk, bv = np.split(p["qkvb"][l], 3)
        params.update({f"L{l}.ln1.gamma": p["ln1w"][l], f"L{l}.ln1.beta": p["ln1b"][l],
                       f"L{l}.attn.wq": q.T, f"L{l}.attn.bq": bq,
                       f"L{l}.attn.wk": k.T, f"L{l}.attn.bk": bk,
                       f"L{l}.attn.wv": v.T, f"L{l}.attn.bv": bv,
                       f"L{l}.attn.wo": p["attprojw"][l].T, f"L{l}.attn.bo": p["attprojb"][l],
                       f"L{l}.ln2.gamma": p["ln2w"][l], f"L{l}.ln2.beta": p["ln2b"][l],
                       f"L{l}.ffn.w1": p["fcw"][l].T, f"L{l}.ffn.b1": p["fcb"][l],
                       f"L{l}.ffn.w2": p["fcprojw"][l].T, f"L{l}.ffn.b2": p["fcprojb"][l]})
    params.update({"lnf.gamma": p["lnfw"], "lnf.beta": p["lnfb"]})
    P = {k: torch.tensor(np.ascontiguousarray(v), requires_grad=True) for k, v in params.items()}

    def ln(x, g, b):
        mu = x.mean(-1, keepdim=True)
        sigma = torch.sqrt(((x - mu) ** 2).mean(-1, keepdim=True) + 1e-5)
        return (x - mu) / sigma * g + b

    def loss_of(x_ids, y_ids):
        x = P["wte"][x_ids] + P["wpe"][:T]  # (B, T, C)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        for l in range(L):
            t = ln(x, P[f"L{l}.ln1.gamma"], P[f"L{l}.ln1.beta"])
            heads = []
            qs = t @ P[f"L{l}.attn.wq"] + P[f"L{l}.attn.bq"]
            ks = t @ P[f"L{l}.attn.wk"] + P[f"L{l}.attn.bk"]
            vs = t @ P[f"L{l}.attn.wv"] + P[f"L{l}.attn.bv"]
            for h in range(NH):
                sl = slice(h * hs, (h + 1) * hs)
                s = qs[..., sl] @ ks[..., sl].transpose(-1, -2) / np.sqrt(hs)
                a = s.masked_fill(mask, float("-inf")).softmax(-1)
                heads.append(a @ vs[..., sl])
            x = x + torch.cat(heads, -1) @ P[f"L{l}.attn.wo"] + P[f"L{l}.attn.bo"]
            t = ln(x, P[f"L{l}.ln2.gamma"], P[f"L{l}.ln2.beta"])
            u = t @ P[f"L{l}.ffn.w1"] + P[f"L{l}.ffn.b1"]
            u = 0.5 * u * (1 + torch.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))
            x = x + u @ P[f"L{l}.ffn.w2"] + P[f"L{l}.ffn.b2"]
        logits = ln(x, P["lnf.gamma"], P["lnf.beta"]) @ P["wte"].T
        return torch.nn.functional.cross_entropy(logits.reshape(-1, V), y_ids.reshape(-1))

    tokens = np.random.RandomState(7).randint(0, V, size=B * T + 1).astype(np.int64)
    x_ids = torch.tensor(tokens[:-1].reshape(B, T))
    y_ids = torch.tensor(tokens[1:].reshape(B, T))
    opt = torch.optim.AdamW(list(P.values()), lr=1e-3, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.1)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_of(x_ids, y_ids)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.save(os.path.join(DATA, "adamw_tokens.npy"), tokens)
    np.save(os.path.join(DATA, "adamw_losses.npy"), np.array(losses))
    np.save(os.path.join(DATA, "adamw_final_wq0.npy"), P["L0.attn.wq"].detach().numpy())
    print("losses:", " ".join(f"{v:.6f}" for v in losses))


if __name__ == "__main__":
    main()
