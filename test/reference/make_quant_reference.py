#!/usr/bin/env python3
"""PyTorch reference for LoRA training through a group-wise quantized frozen base (q4 / q8).

Regenerate from the repository root with Debian's PyTorch (after make_training_reference.py):

    /usr/bin/python3 test/reference/make_quant_reference.py

Writes test/fixtures/training/<model>-<kind>.json (+ .f32) for tiny-llama (F16, untied; its
vocabulary of 1,024 keeps the check fast: quantization touches only the projections, whose biases
and shapes add nothing here), kinds q4 and q8: the batch, LoRA init, losses, dL/dlogp and every
LoRA gradient of make_training_reference.py's three configs, computed on the DEQUANTIZED base
(every q/k/v/o/gate/up/down projection; embedding, LM head and norms as stored), plus the
dequantized projections of layer 0 so the engine's quantizer can be checked value for value.

QUANTIZATION (src/gpu/kernels/weights.ts implements exactly this), flat over the row-major
[out, in] matrix in groups of 32 (within a row when in % 32 = 0), all arithmetic float32:
    s = float16(absmax(group) / qmax)                qmax = 7 (q4), 127 (q8)
    q = clamp(floor(w / s + 0.5), -qmax, qmax)      (q = 0 where s = 0)
    dequantized w = q * s                            (exact in float32)
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tiny_models as mtm  # noqa: E402
import make_training_reference as mtr  # noqa: E402
from make_tiny_models import f32, write_json  # noqa: E402

MODELS = ["tiny-llama"]
KINDS = {"q4": 7, "q8": 127}
GROUP = 32
PROJ = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def dequantize(w, qmax):
    """w: float32 tensor [out, in] -> float32 tensor of the dequantized values."""
    a = w.detach().to(torch.float32).contiguous().numpy().astype(np.float32).reshape(-1)
    n = a.size
    pad = (-n) % GROUP
    g = np.concatenate([a, np.zeros(pad, np.float32)]).reshape(-1, GROUP)
    absmax = np.abs(g).max(axis=1).astype(np.float32)
    s = (absmax / np.float32(qmax)).astype(np.float32).astype(np.float16).astype(np.float32)
    assert np.isfinite(s).all()
    safe = np.where(s > 0, s, np.float32(1))
    q = np.floor((g / safe[:, None]).astype(np.float32) + np.float32(0.5)).astype(np.float32)
    q = np.where(s[:, None] > 0, np.clip(q, -qmax, qmax), np.float32(0))
    d = (q * s[:, None]).astype(np.float32).reshape(-1)[:n]
    return torch.from_numpy(d.reshape(tuple(w.shape)).copy())


def is_projection(name):
    return name.startswith("model.layers.") and name.endswith(".weight") and any(f".{p}." in name for p in PROJ)


def build(name, kind, delta_info):
    print(f"== {name} {kind}", flush=True)
    qmax = KINDS[kind]
    spec = next(s for s in mtm.SPECS if s["name"] == name)
    ref_json = json.loads((mtm.REF_DIR / f"{name}.json").read_text())
    stored = {n: t for n, (_, t) in mtm.load_checkpoint(mtm.MODELS_DIR / name).items()}
    weights = {n: (dequantize(t.to(torch.float32), qmax) if is_projection(n) else t) for n, t in stored.items()}
    changed = max(float((weights[n].to(torch.float64) - stored[n].to(torch.float64)).abs().max()) for n in weights if is_projection(n))
    print(f"  largest change of a projection weight by quantization: {changed:.3e}", flush=True)
    prompt = list(ref_json["inputs"]["A"]["input_ids"])
    V = spec["vocab"]
    lo, hi = (3, V) if spec["arch"] == "llama" else (0, 151643)
    gen = torch.Generator().manual_seed(mtr.COMPLETION_SEED)
    comps = [torch.randint(lo, hi, (n,), generator=gen).tolist() for n in mtr.COMPLETION_LENGTHS]
    lengths = mtr.COMPLETION_LENGTHS
    _, _, delta = delta_info

    blob = mtr.Blob(f"{name}-{kind}.f32")
    lora = mtr.init_lora(spec)
    for k, t in lora.items():
        blob.add(f"lora_init/{k}", t)
    for n in sorted(weights):
        if is_projection(n) and n.startswith("model.layers.0."):
            blob.add(f"dequantized/{n}", weights[n])
    with torch.no_grad():
        ref = mtr.completion_logps(mtm.Model(spec, weights, torch.float32), prompt, comps)
        logp0 = mtr.completion_logps(mtr.LoraModel(spec, weights, torch.float32, lora), prompt, comps)
    old = logp0 + delta
    r32 = mtr.lora_grads(spec, weights, lora, torch.float32, prompt, comps, old, ref)
    configs = {}
    for cname, cfg in mtr.CONFIGS.items():
        c = r32["configs"][cname]
        aux = c["aux"]
        configs[cname] = {
            **cfg, "loss": f32(c["loss"]),
            "n_clipped_low": int(aux["clipped_low"].sum()), "n_clipped_high": int(aux["clipped_high"].sum()),
            "dloss_dlogp": mtr.ragged(c["dlogp"], lengths),
            "grads": {k: blob.add(f"grad/{cname}/{k}", g) for k, g in c["grads"].items()},
        }
        print(f"  {cname}: loss {float(c['loss']):.6f}", flush=True)
    doc = {
        "model": name, "quantization": {"kind": kind, "group": GROUP, "qmax": qmax, "scale": "float16",
                                         "largest_change": changed},
        "model_dir": f"test/fixtures/models/{name}",
        "generated_by": "test/reference/make_quant_reference.py",
        "weight_files_sha256": ref_json["weight_files_sha256"],
        "lora": {"r": mtr.LORA_R, "lora_alpha": mtr.LORA_ALPHA, "target_modules": [m for _, m in mtr.TARGETS], "keys": list(lora)},
        "batch": {
            "prompt_ids": prompt, "completion_ids": comps, "rewards": mtr.REWARDS, "max_new_tokens": mtr.L_MAX,
            "logp": mtr.ragged(r32["logp"], lengths), "old_logp": mtr.ragged(old, lengths), "ref_logp": mtr.ragged(ref, lengths),
        },
        "configs": configs,
        "tensors": blob.index,
    }
    blob.write(mtr.OUT_DIR / f"{name}-{kind}.f32")
    write_json(mtr.OUT_DIR / f"{name}-{kind}.json", doc)


def main():
    delta_info = mtr.draw_delta()
    for name in MODELS:
        for kind in KINDS:
            build(name, kind, delta_info)


if __name__ == "__main__":
    main()
