"""Writes the golden test data for stepformer into tests/data/.

Run from the repository root:

    python3 tests/tools/make_golden.py

Only needed to regenerate the data: the test suite reads the files below and does not need
Python. Needs numpy only. Fixed seed; re-running writes byte-identical files.

Files written (all little-endian):

  gpt2_tiny.bin            llm.c GPT-2 checkpoint (magic 20240326, version 3) with random
                           weights: L=2 layers, NH=4 heads, C=64 channels, V=300 tokens
                           (padded to Vp=384), maxT=32. The padding rows of wte (V..Vp) hold
                           1e3 so that a loader which uses them is caught.
  gpt2_tiny_tokenizer.bin  llm.c tokenizer (magic 20240328, version 2, eot = 299): ids 0..255
                           are the single bytes 0..255, ids 256..298 are 43 merged pieces
                           (each the concatenation of two earlier pieces, so BPE with
                           rank = id reproduces them), id 299 is "<|endoftext|>".
  gpt2_tiny_ids.npy        (N,) int64, the input ids (N = 12)
  gpt2_tiny_logits.npy     (N, V) float64 logits u_i = h_i E^T over the real vocabulary
  gpt2_tiny_probs.npy      (N, V) float64 softmax of the logits
  gpt2_tiny_L0_attn.npy    (NH, N, N) float64 attention weights alpha of block 0, exactly 0
  gpt2_tiny_L1_attn.npy    above the diagonal; the same for block 1
  gpt2_tiny_L0_ln1_stats.npy  (N, 2) float64 mean and sigma = sqrt(var + 1e-5) of block 0's
                           input, per token
  gpt2_tiny_L0_q.npy       (NH, N, hs) float64 queries of block 0 (bias included), hs = C/NH
  gpt2_tiny_L0_resid2.npy  (N, C) float64 output of block 0

The goldens are computed in float64 from the float32 weights as stored, by per-token loops
that follow Jurafsky & Martin ch. 9 (sections 9.1 and 9.2): every position i is handled on its
own, attending to the positions j <= i. They are independent of the matrix form the program
uses; as a check the script recomputes them in a vectorised matrix form and asserts that the
two agree to 1e-12.
"""

import os
import struct
import sys

import numpy as np

SEED = 20240326
L, NH, C, V, MAXT = 2, 4, 64, 300, 32
VP = ((V + 127) // 128) * 128
HS = C // NH
EPS = 1e-5
PAD_VALUE = 1e3
IDS = [5, 17, 299, 42, 0, 100, 7, 256, 33, 12, 200, 64]

# Merged pieces in id order from 256: (left, right), each an earlier piece.
MERGES = [
    ("t", "h"), ("h", "e"), ("th", "e"), (" ", "t"), (" ", "the"),
    ("i", "n"), ("in", "g"), (" ", "a"), (" a", "n"), (" an", "d"),
    ("a", "n"), ("an", "d"), ("e", "r"), (" ", "s"), ("o", "n"),
    (" ", "o"), (" o", "f"), ("r", "e"), (" ", "w"), (" ", "i"),
    (" ", "in"), (" i", "s"), ("a", "t"), (" ", "c"), ("e", "n"),
    (" ", "b"), ("o", "r"), ("e", "s"), ("e", "d"), ("i", "t"),
    (" i", "t"), (" ", "h"), (" ", "he"), (" ", "m"), ("o", "u"),
    (" ", "f"), (" t", "o"), ("l", "l"), (" ", "d"), ("a", "r"),
    ("s", "t"), (" s", "t"), ("\n", "\n"),
]
EOT = b"<|endoftext|>"

OUT_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
)


# ---------------------------------------------------------------------------------------------
# Tokenizer


def make_pieces():
    """The V pieces as bytes: 256 single bytes, the merges, then the end-of-text token."""
    pieces = [bytes([b]) for b in range(256)]
    for left, right in MERGES:
        lb, rb = left.encode(), right.encode()
        assert lb in pieces and rb in pieces, (left, right)
        assert lb + rb not in pieces, (left, right)
        pieces.append(lb + rb)
    pieces.append(EOT)
    assert len(pieces) == V
    return pieces


def bpe_encode(word, rank):
    """Byte-level BPE of one pre-token: repeatedly merge the adjacent pair whose
    concatenation is a piece with the lowest id."""
    parts = [bytes([b]) for b in word]
    while len(parts) > 1:
        best, at = None, -1
        for k in range(len(parts) - 1):
            r = rank.get(parts[k] + parts[k + 1])
            if r is not None and (best is None or r < best):
                best, at = r, k
        if best is None:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return [rank[p] for p in parts]


def check_tokenizer(pieces):
    rank = {p: i for i, p in enumerate(pieces[: V - 1])}
    for i in range(256, V - 1):
        got = bpe_encode(pieces[i], rank)
        assert got == [i], (pieces[i], got)
    # A few whole words, for the record.
    assert bpe_encode(b" the", rank) == [260]
    assert bpe_encode(b" and", rank) == [265]
    assert bpe_encode(b"thing", rank) == [256, 262]


def tokenizer_bytes(pieces):
    head = np.zeros(256, dtype="<u4")
    head[0], head[1], head[2], head[3] = 20240328, 2, V, V - 1
    out = [head.tobytes()]
    for p in pieces:
        assert 0 < len(p) < 256
        out.append(struct.pack("<B", len(p)) + p)
    return b"".join(out)


# ---------------------------------------------------------------------------------------------
# Weights (llm.c layout: every linear weight stored [out][in], y = x W^T + b)


def make_weights():
    rs = np.random.RandomState(SEED)

    def normal(shape, std):
        return (std * rs.standard_normal(shape)).astype(np.float32)

    def gain(shape):
        return rs.uniform(0.8, 1.2, shape).astype(np.float32)

    w = {}
    w["wte"] = normal((VP, C), 0.1)
    w["wte"][V:, :] = PAD_VALUE  # garbage a correct loader never reads
    w["wpe"] = normal((MAXT, C), 0.05)
    w["ln1w"] = gain((L, C))
    w["ln1b"] = normal((L, C), 0.02)
    w["qkvw"] = normal((L, 3 * C, C), 0.15)  # large enough that attention is far from uniform
    w["qkvb"] = normal((L, 3 * C), 0.02)
    w["attprojw"] = normal((L, C, C), 0.05)
    w["attprojb"] = normal((L, C), 0.02)
    w["ln2w"] = gain((L, C))
    w["ln2b"] = normal((L, C), 0.02)
    w["fcw"] = normal((L, 4 * C, C), 0.1)
    w["fcb"] = normal((L, 4 * C), 0.02)
    w["fcprojw"] = normal((L, C, 4 * C), 0.05)
    w["fcprojb"] = normal((L, C), 0.02)
    w["lnfw"] = gain((C,))
    w["lnfb"] = normal((C,), 0.02)
    return w


ORDER = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
         "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"]


def checkpoint_bytes(w):
    head = np.zeros(256, dtype="<i4")
    head[:8] = [20240326, 3, MAXT, V, L, NH, C, VP]
    return head.tobytes() + b"".join(w[k].astype("<f4").tobytes() for k in ORDER)


def textbook_weights(w):
    """float64 weights in the textbook's orientation (y = x W, W of shape (d_in, d_out))."""
    f = lambda a: np.asarray(a, dtype=np.float64)
    E = f(w["wte"][:V])  # (V, C): the padding rows are dropped
    P = f(w["wpe"])  # (maxT, C)
    layers = []
    for l in range(L):
        qkvw = f(w["qkvw"][l])  # (3C, C) [out][in]
        qkvb = f(w["qkvb"][l])
        layers.append(dict(
            g1=f(w["ln1w"][l]), b1=f(w["ln1b"][l]),
            Wq=qkvw[0:C].T.copy(), bq=qkvb[0:C],
            Wk=qkvw[C:2 * C].T.copy(), bk=qkvb[C:2 * C],
            Wv=qkvw[2 * C:3 * C].T.copy(), bv=qkvb[2 * C:3 * C],
            Wo=f(w["attprojw"][l]).T.copy(), bo=f(w["attprojb"][l]),
            g2=f(w["ln2w"][l]), b2=f(w["ln2b"][l]),
            W1=f(w["fcw"][l]).T.copy(), c1=f(w["fcb"][l]),  # (C, 4C)
            W2=f(w["fcprojw"][l]).T.copy(), c2=f(w["fcprojb"][l]),  # (4C, C)
        ))
    return E, P, layers, f(w["lnfw"]), f(w["lnfb"])


# ---------------------------------------------------------------------------------------------
# The per-token forward pass (J&M 9.1 / 9.2)


def ln_token(x, gamma, beta):
    """LayerNorm of one token vector; returns (y, mu, sigma)."""
    d = len(x)
    mu = 0.0
    for v in x:
        mu += v
    mu /= d
    var = 0.0
    for v in x:
        var += (v - mu) * (v - mu)
    var /= d
    sigma = np.sqrt(var + EPS)
    return gamma * ((x - mu) / sigma) + beta, mu, sigma


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def forward_loops(ids, E, P, layers, gf, bf):
    N = len(ids)
    rec = {"attn": [], "ln1_stats": [], "q": [], "resid2": []}
    # x_i = E[id_i] + P[i]
    x = [E[ids[i]] + P[i] for i in range(N)]
    for lw in layers:
        stats = np.zeros((N, 2))
        t1 = []
        for i in range(N):
            y, mu, sigma = ln_token(x[i], lw["g1"], lw["b1"])
            t1.append(y)
            stats[i] = mu, sigma
        # q_i^c, k_i^c, v_i^c for every position i and head c: t1_i W^{Qc} + b^{Qc}
        q = np.zeros((NH, N, HS))
        k = np.zeros((NH, N, HS))
        v = np.zeros((NH, N, HS))
        for c in range(NH):
            cols = slice(c * HS, (c + 1) * HS)
            for i in range(N):
                q[c, i] = np.dot(t1[i], lw["Wq"][:, cols]) + lw["bq"][cols]
                k[c, i] = np.dot(t1[i], lw["Wk"][:, cols]) + lw["bk"][cols]
                v[c, i] = np.dot(t1[i], lw["Wv"][:, cols]) + lw["bv"][cols]
        alpha = np.zeros((NH, N, N))
        out = []
        for i in range(N):
            heads = []
            for c in range(NH):
                # score(x_i, x_j) = q_i . k_j / sqrt(d_k) for j <= i; alpha = softmax over j
                score = np.array([np.dot(q[c, i], k[c, j]) / np.sqrt(HS) for j in range(i + 1)])
                m = max(score)
                e = [np.exp(s - m) for s in score]
                total = sum(e)
                head = np.zeros(HS)
                for j in range(i + 1):
                    alpha[c, i, j] = e[j] / total
                    head += alpha[c, i, j] * v[c, j]
                heads.append(head)
            a = np.dot(np.concatenate(heads), lw["Wo"]) + lw["bo"]
            t3 = x[i] + a
            t4, _, _ = ln_token(t3, lw["g2"], lw["b2"])
            ffn = np.dot(gelu(np.dot(t4, lw["W1"]) + lw["c1"]), lw["W2"]) + lw["c2"]
            out.append(t3 + ffn)
        x = out
        rec["attn"].append(alpha)
        rec["ln1_stats"].append(stats)
        rec["q"].append(q)
        rec["resid2"].append(np.array(x))
    logits = np.zeros((N, V))
    for i in range(N):
        h, _, _ = ln_token(x[i], gf, bf)
        for w in range(V):
            logits[i, w] = np.dot(h, E[w])
    rec["logits"] = logits
    return rec


def softmax_rows(u):
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# A second, vectorised computation (matrix form over all positions), only as a check


def forward_matrix(ids, w):
    f = lambda a: np.asarray(a, dtype=np.float64)
    N = len(ids)

    def ln(X, g, b):
        mu = X.mean(-1, keepdims=True)
        sd = np.sqrt(X.var(-1, keepdims=True) + EPS)
        return (X - mu) / sd * g + b, mu[:, 0], sd[:, 0]

    wte = f(w["wte"])
    X = wte[ids] + f(w["wpe"])[:N]
    rec = {"attn": [], "ln1_stats": [], "q": [], "resid2": []}
    mask = np.triu(np.ones((N, N), dtype=bool), 1)
    for l in range(L):
        T, mu, sd = ln(X, f(w["ln1w"][l]), f(w["ln1b"][l]))
        QKV = T @ f(w["qkvw"][l]).T + f(w["qkvb"][l])  # (N, 3C)
        Q, K, Vv = (QKV[:, s * C:(s + 1) * C].reshape(N, NH, HS).transpose(1, 0, 2)
                    for s in range(3))
        S = Q @ K.transpose(0, 2, 1) / np.sqrt(HS)
        S[:, mask] = -np.inf
        A = softmax_rows(S)
        Y = (A @ Vv).transpose(1, 0, 2).reshape(N, C)
        X = X + Y @ f(w["attprojw"][l]).T + f(w["attprojb"][l])
        T2, _, _ = ln(X, f(w["ln2w"][l]), f(w["ln2b"][l]))
        H = gelu(T2 @ f(w["fcw"][l]).T + f(w["fcb"][l]))
        X = X + H @ f(w["fcprojw"][l]).T + f(w["fcprojb"][l])
        rec["attn"].append(A)
        rec["ln1_stats"].append(np.stack([mu, sd], 1))
        rec["q"].append(Q)
        rec["resid2"].append(X)
    Hf, _, _ = ln(X, f(w["lnfw"]), f(w["lnfb"]))
    rec["logits"] = Hf @ wte[:V].T
    return rec


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# ---------------------------------------------------------------------------------------------


def main():
    pieces = make_pieces()
    check_tokenizer(pieces)
    w = make_weights()
    ids = np.array(IDS, dtype=np.int64)
    assert len(ids) <= MAXT and ids.min() >= 0 and ids.max() < V

    E, P, layers, gf, bf = textbook_weights(w)
    rec = forward_loops([int(i) for i in ids], E, P, layers, gf, bf)
    probs = softmax_rows(rec["logits"])

    # The check: the per-token loops and the matrix form agree.
    chk = forward_matrix(ids, w)
    diffs = {"logits": max_diff(rec["logits"], chk["logits"])}
    for key in ("attn", "ln1_stats", "q", "resid2"):
        diffs[key] = max(max_diff(a, b) for a, b in zip(rec[key], chk[key]))
    for key, dv in diffs.items():
        print(f"loops vs matrix form, {key}: max |diff| = {dv:.3e}")
        assert dv < 1e-12, key
    for l in range(L):
        A = rec["attn"][l]
        assert np.all(A[:, np.triu_indices(len(ids), 1)[0], np.triu_indices(len(ids), 1)[1]] == 0)
        assert np.allclose(A.sum(-1), 1.0, atol=1e-14)
        print(f"L{l} attention: max weight {A.max():.3f}, mean max per row "
              f"{A[:, 1:, :].max(-1).mean():.3f} (uniform would be "
              f"{np.mean([1.0 / (i + 1) for i in range(1, len(ids))]):.3f})")
    print(f"logits: std {rec['logits'].std():.3f}, largest prob {probs.max():.3f}")

    os.makedirs(OUT_DIR, exist_ok=True)

    def write(name, data):
        with open(os.path.join(OUT_DIR, name), "wb") as fh:
            fh.write(data)

    def save(name, arr):
        with open(os.path.join(OUT_DIR, name), "wb") as fh:
            np.save(fh, arr)

    write("gpt2_tiny.bin", checkpoint_bytes(w))
    write("gpt2_tiny_tokenizer.bin", tokenizer_bytes(pieces))
    save("gpt2_tiny_ids.npy", ids)
    save("gpt2_tiny_logits.npy", rec["logits"])
    save("gpt2_tiny_probs.npy", probs)
    save("gpt2_tiny_L0_attn.npy", rec["attn"][0])
    save("gpt2_tiny_L1_attn.npy", rec["attn"][1])
    save("gpt2_tiny_L0_ln1_stats.npy", rec["ln1_stats"][0])
    save("gpt2_tiny_L0_q.npy", rec["q"][0])
    save("gpt2_tiny_L0_resid2.npy", rec["resid2"][0])
    print(f"wrote {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
