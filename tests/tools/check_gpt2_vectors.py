#!/usr/bin/env python3
"""Checks tests/data/gpt2/vectors.json against GPT-2's encoding as openai/gpt-2 src/encoder.py
defines it (the Python `regex` module's pattern, byte-to-unicode map and merge ranks from
vocab.bpe), written out independently of the JavaScript port that made the ids. With --write
it also writes vectors_python.json: strings on which JavaScript's white space differs from the
regex module's (U+0085, U+FEFF) and other characters at the edge of \s, with the ids computed
here, since the JavaScript port cannot give them.
usage: tests/tools/check_gpt2_vectors.py [--write] [tests/data/gpt2]   (needs: pip install regex;
regex 2026.5.9 made the committed file)"""
import json
import os
import sys

import regex

PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_map():
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    m, extra = {}, 0
    for b in range(256):
        if b in keep:
            m[b] = chr(b)
        else:
            m[b] = chr(256 + extra)
            extra += 1
    return m


def bpe(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        best = min(range(len(parts) - 1),
                   key=lambda i: (ranks.get((parts[i], parts[i + 1]), float("inf")), i))
        pair = (parts[best], parts[best + 1])
        if pair not in ranks:
            break
        merged, i = [], 0
        while i < len(parts):  # every occurrence, left to right
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
                merged.append(parts[i] + parts[i + 1])
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


PYTHON_ONLY = [
    "a\u0085 b", "a \u0085b", "  \u0085\u0085x", "line\u0085", "\u0085",
    "\ufeff hello", "hi \ufeff\ufeff", "\ufeff", "a\u180e b", "a \u180e\u180eb",
    "x\u001c\u001c y", "x \u001cy", "\u001d\u001e\u001f", "a\u200b b", "a \u2060b",
    "\u2028\u2029 x", "tab\t\u0085\n end", "\u00a0\u0085 \u3000",
]


def encode(text, vocab, ranks, bm):
    ids = []
    for chunk in PAT.findall(text):
        ids += [vocab[p] for p in bpe("".join(bm[b] for b in chunk.encode("utf-8")), ranks)]
    return ids


def main():
    args = [a for a in sys.argv[1:] if a != "--write"]
    d = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "data", "gpt2")
    vocab = json.load(open(os.path.join(d, "encoder.json"), encoding="utf-8"))
    lines = open(os.path.join(d, "vocab.bpe"), encoding="utf-8").read().split("\n")[1:-1]
    ranks = {tuple(l.split()): r for r, l in enumerate(lines)}
    bm = byte_map()
    bad = 0
    vectors = json.load(open(os.path.join(d, "vectors.json"), encoding="utf-8"))
    for v in vectors:
        ids = encode(v["text"], vocab, ranks, bm)
        if ids != v["ids"]:
            bad += 1
            print("mismatch:", json.dumps(v["text"]), ids, v["ids"])
    print(f"{len(vectors)} vectors, {bad} mismatches")
    if "--write" in sys.argv:
        out = [{"text": t, "ids": encode(t, vocab, ranks, bm)} for t in PYTHON_ONLY]
        with open(os.path.join(d, "vectors_python.json"), "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in out) + "\n]\n")
        print(f"{len(out)} vectors written to vectors_python.json")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
