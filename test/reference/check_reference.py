#!/usr/bin/env python3
"""Independent check of the committed fixtures: numpy only (no torch), float64.

    /usr/bin/python3 test/reference/check_reference.py      (any Python 3 with numpy works)

Re-reads each checkpoint folder the way an engine would (config.json; model.safetensors or
model.safetensors.index.json + shards; BF16/F16/F32 decoded by hand), runs a second, separately
written forward pass (explicit per-head loops, explicit GQA head mapping) in float64, and compares
it with every array in test/fixtures/reference/<model>.json and the rows of <model>.logits.f32.
Also re-checks greedy ids, top-5 ids, logsumexp and teacher-forced logprobs. Prints the max
differences; exits non-zero if any exceeds TOL (float32 reference vs float64 recomputation).
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-4


def read_st(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    hdr = json.loads(data[8:8 + n])
    out = {}
    for name, info in hdr.items():
        if name == "__metadata__":
            continue
        b0, b1 = info["data_offsets"]
        raw = data[8 + n + b0: 8 + n + b1]
        if info["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2")
        else:
            a = np.frombuffer(raw, "<f4")
        out[name] = a.astype(np.float64).reshape(info["shape"])
    return out


def load(model_dir):
    idx = model_dir / "model.safetensors.index.json"
    if idx.exists():
        wm = json.loads(idx.read_text())["weight_map"]
        w = {}
        for f in sorted(set(wm.values())):
            part = read_st(model_dir / f)
            assert sorted(part) == sorted(k for k, v in wm.items() if v == f)
            w.update(part)
        return w
    return read_st(model_dir / "model.safetensors")


def forward(cfg, w, ids):
    H = cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    qk_norm = cfg["model_type"] == "qwen3"
    T = len(ids)
    acts = {"layers": []}

    def norm(x, g):
        return g * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))

    def rope(x):  # x [T, hd]; pairs (i, i + hd/2)
        half = hd // 2
        out = np.empty_like(x)
        for t in range(T):
            for i in range(half):
                ang = t * theta ** (-(2 * i) / hd)
                c, s = np.cos(ang), np.sin(ang)
                a, b = x[t, i], x[t, i + half]
                out[t, i] = a * c - b * s
                out[t, i + half] = b * c + a * s
        return out

    def lin(x, name, bias=True):
        y = x @ w[name + ".weight"].T
        if bias and (name + ".bias") in w:
            y = y + w[name + ".bias"]
        return y

    x = w["model.embed_tokens.weight"][ids]
    acts["embeddings"] = x
    for li in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{li}."
        L = {}
        h = norm(x, w[p + "input_layernorm.weight"])
        L["input_norm"] = h
        q, k, v = lin(h, p + "self_attn.q_proj"), lin(h, p + "self_attn.k_proj"), lin(h, p + "self_attn.v_proj")
        qs = [q[:, j * hd:(j + 1) * hd] for j in range(nh)]
        ks = [k[:, j * hd:(j + 1) * hd] for j in range(nkv)]
        vs = [v[:, j * hd:(j + 1) * hd] for j in range(nkv)]
        if qk_norm:
            L["q_proj"], L["k_proj"] = q, k
            qs = [norm(a, w[p + "self_attn.q_norm.weight"]) for a in qs]
            ks = [norm(a, w[p + "self_attn.k_norm.weight"]) for a in ks]
        L["q"], L["k"], L["v"] = np.concatenate(qs, 1), np.concatenate(ks, 1), v
        qs, ks = [rope(a) for a in qs], [rope(a) for a in ks]
        L["q_rope"], L["k_rope"] = np.concatenate(qs, 1), np.concatenate(ks, 1)
        ctx = []
        for j in range(nh):
            kvh = j // (nh // nkv)
            sc = qs[j] @ ks[kvh].T / np.sqrt(hd)
            sc[np.triu_indices(T, 1)] = -np.inf
            pr = np.exp(sc - sc.max(-1, keepdims=True))
            pr /= pr.sum(-1, keepdims=True)
            ctx.append(pr @ vs[kvh])
        ctx = np.concatenate(ctx, 1)
        L["attn"] = ctx
        a = lin(ctx, p + "self_attn.o_proj")
        L["attn_out"] = a
        x = x + a
        L["hidden_after_attn"] = x
        h2 = norm(x, w[p + "post_attention_layernorm.weight"])
        L["post_attention_norm"] = h2
        g = lin(h2, p + "mlp.gate_proj")
        act = g / (1 + np.exp(-g)) * lin(h2, p + "mlp.up_proj")
        L["mlp_act"] = act
        m = lin(act, p + "mlp.down_proj")
        L["mlp_out"] = m
        x = x + m
        L["output"] = x
        acts["layers"].append(L)
    hf = norm(x, w["model.norm.weight"])
    acts["final_norm"] = hf
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return hf @ head.T, acts


def logsumexp(z):
    m = z.max(-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[..., 0]


def main():
    worst = 0.0
    for name in ["tiny-qwen2", "tiny-qwen3", "tiny-llama"]:
        mdir = ROOT / "test" / "fixtures" / "models" / name
        ref = json.loads((ROOT / "test" / "fixtures" / "reference" / f"{name}.json").read_text())
        cfg = json.loads((mdir / "config.json").read_text())
        w = load(mdir)
        assert not cfg["tie_word_embeddings"] or "lm_head.weight" not in w
        V = cfg["vocab_size"]
        rows = np.fromfile(ROOT / "test" / "fixtures" / "reference" / ref["logits_file"], "<f4")
        rows = rows.reshape(ref["logits_shape"]).astype(np.float64)
        assert ref["logits_shape"][1] == V
        diffs = {}
        for key, inp in ref["inputs"].items():
            logits, acts = forward(cfg, w, inp["input_ids"])
            d = {"embeddings": acts["embeddings"], "final_norm": acts["final_norm"]}
            for k in d:
                diffs[f"{key}.{k}"] = np.abs(np.array(inp[k]) - d[k]).max()
            for li, L in enumerate(acts["layers"]):
                assert sorted(L) == sorted(inp["layers"][li]), (sorted(L), sorted(inp["layers"][li]))
                for k, v in L.items():
                    diffs[f"{key}.layers[{li}].{k}"] = np.abs(np.array(inp["layers"][li][k]) - v).max()
            for r, pos in enumerate(inp["logits_positions"]):
                diffs[f"{key}.logits[{pos}]"] = np.abs(rows[inp["logits_row_offset"] + r] - logits[pos]).max()
            lse = logsumexp(logits)
            diffs[f"{key}.logsumexp"] = np.abs(np.array(inp["logsumexp"]) - lse).max()
            top5 = np.argsort(-logits, -1)[:, :5].tolist()
            assert top5 == inp["top5"]["ids"], f"{name}/{key}: top5 ids differ"
            seq = inp["teacher_forced"]["ids"]
            assert seq == inp["input_ids"] + inp["greedy"]["ids"]
            lg, _ = forward(cfg, w, seq)
            lp = lg - logsumexp(lg)[:, None]
            T = len(inp["input_ids"])
            assert [int(i) for i in lg[T - 1:-1].argmax(-1)] == inp["greedy"]["ids"], f"{name}/{key}: greedy"
            tf = np.array([lp[t, seq[t + 1]] for t in range(len(seq) - 1)])
            diffs[f"{key}.teacher_forced"] = np.abs(tf - np.array(inp["teacher_forced"]["logprobs"])).max()
            diffs[f"{key}.greedy.logprobs"] = np.abs(
                tf[T - 1:] - np.array(inp["greedy"]["logprobs"])).max()
        k_max = max(diffs, key=diffs.get)
        print(f"{name}: {len(diffs)} arrays, max abs diff {diffs[k_max]:.3e} ({k_max})")
        worst = max(worst, diffs[k_max])
    print(f"worst {worst:.3e} (tolerance {TOL})")
    sys.exit(0 if worst <= TOL else 1)


if __name__ == "__main__":
    main()
