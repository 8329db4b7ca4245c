#!/usr/bin/env python3
"""PyTorch reference for training (GRPO / DAPO / Dr. GRPO with LoRA), llm.c `test_gpt2` style.

Regenerate from the repository root with Debian's PyTorch (after make_tiny_models.py):

    /usr/bin/python3 test/reference/make_training_reference.py              # all three models
    /usr/bin/python3 test/reference/make_training_reference.py tiny-llama   # just one

Writes test/fixtures/training/<model>.json (+ <model>.f32, <model>-adapter/). The model code is
imported from make_tiny_models.py (Model.linear is the hook LoRA plugs into); the checkpoints are
the committed test/fixtures/models/<model> files, re-read and upcast exactly to float32. The
engine's tests compare against the committed files and never need PyTorch. Deterministic (fixed
seeds, one thread): re-running gives byte-identical files. See test/reference/README.md.

CONVENTIONS (the engine implements exactly these)
-------------------------------------------------
LoRA (PEFT's convention). For a target Linear with weight W [out, in] (+ bias b, Qwen2 q/k/v):
    y = x W^T + b + s * (x A^T) B^T,    A = lora_A [r, in],  B = lora_B [out, r],  s = alpha / r
  computed as PEFT does: base(x) + lora_B(lora_A(x)) * s; dropout 0. r = 4, alpha = 8, s = 2.
  Targets: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj in every layer (not
  embed_tokens / lm_head / norms). Keys (PEFT, as saved, no adapter name):
    base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight
    base_model.model.model.layers.{i}.mlp.{gate,up,down}_proj.lora_{A,B}.weight
  Fixture init (one torch CPU generator seeded LORA_SEED, tensors drawn in key order: layer,
  then q,k,v,o,gate,up,down, A before B): A ~ U(-1/sqrt(in), 1/sqrt(in)) (= PEFT's
  kaiming_uniform_(a=sqrt(5)) bound), B ~ N(0, LORA_B_STD^2). PEFT's real init is B = 0 (the
  adapter starts as a no-op and dL/dA = 0 at step 0); B is nonzero here so that both A and B
  get gradients and LoRA visibly changes the logits. The frozen base is the checkpoint as
  stored, upcast exactly to float32. Merged weights: W' = W + s * (B @ A).

Batch: one prompt P (input A of test/fixtures/reference/<model>.json), G = 4 completions c_g of
  lengths 5, 8, 3, 6 (ids uniform from a fixed-seed generator: [3, 1024) for tiny-llama,
  [0, 151643) = no special/unused ids for the Qwen models). Sequence g = P + c_g, one causal
  forward per sequence (no padding), positions 0..len-1. Only completion tokens are scored:
    logp_t = log_softmax(logits at position t-1)[token t]   (policy = base + LoRA, float32)
  old_t  = float32(logp_t + delta_t), delta_t ~ U(-0.3, 0.3) (float32, fixed seed chosen so that
           clipping happens on both sides; the policy log-probs at step 0, detached)
  ref_t  = the same with LoRA switched off (base model); full fine-tuning: the initial weights.
  old and ref are DATA for the loss (stored float32 values); the fp64 checks use the same values.
  Rewards r = [2, 0, 1, 0].

Advantages (one per completion, the same for all its tokens):
  GRPO:     A_g = (r_g - mean(r)) / (std(r) + 1e-4),  std unbiased (N-1), as TRL
  Dr. GRPO: A_g = r_g - mean(r)

Per-token loss:
  rho = exp(logp - old)
  l   = -min(rho * A, clip(rho, 1 - eps_low, 1 + eps_high) * A) + beta * k3
  k3  = exp(ref - logp) - (ref - logp) - 1             (beta = 0: no KL term)
  d l / d logp = -A * rho * [not clipped] + beta * (1 - exp(ref - logp))
  clipped (TRL's is_low_clipped / is_high_clipped; the gradient of the PG term is 0 there):
    clipped_low  = rho < 1 - eps_low  and A < 0
    clipped_high = rho > 1 + eps_high and A > 0

Aggregation (N = number of completion tokens, L_g = length of completion g, L_max = 8):
  seq-mean-token-mean     (GRPO, TRL "grpo"):     L = (1/G) sum_g (1/L_g) sum_{t in g} l_t
  token-mean              (DAPO, TRL "dapo"):     L = (1/N) sum_t l_t
  seq-mean-token-sum-norm (Dr. GRPO, "dr_grpo"):  L = (1/(G * L_max)) sum_t l_t

Configs:
  grpo:   eps_low = eps_high = 0.2,  beta = 0.04, seq-mean-token-mean,     GRPO advantages
  dapo:   eps_low 0.2, eps_high 0.28, beta = 0,   token-mean,              GRPO advantages
  drgrpo: eps_low = eps_high = 0.2,  beta = 0,    seq-mean-token-sum-norm, Dr. GRPO advantages

Full fine-tuning (tiny-llama, config grpo, no LoRA): gradient w.r.t. every base parameter (HF
  names). Policy = ref = the stored weights, so k3 = 0 and its gradient is 0 at this point.

AdamW trajectory (tiny-llama, LoRA, config grpo, the same batch every step, old/ref fixed from
  step 0), steps k = 1..10, all trainable tensors (every lora_A and lora_B) in one group:
    loss_k, g = dL/dtheta at the current theta
    total_norm = || (||g_i||_2 for every tensor i) ||_2      (pre-clip norm, recorded)
    c = min(1, max_norm / (total_norm + 1e-6)), g <- c * g   (torch.nn.utils.clip_grad_norm_, max_norm 1)
    lr_k = lr * min(1, k / 3)                                (lr/3, 2lr/3, lr, lr, ...; lr = 1e-3)
    theta <- theta * (1 - lr_k * wd)                         (wd = 0.01, decoupled, torch.optim.AdamW)
    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2      (m = v = 0 before step 1; b1 .9, b2 .999)
    theta <- theta - (lr_k / (1 - b1^k)) * m / (sqrt(v) / sqrt(1 - b2^k) + eps)   (eps = 1e-8)
  (bias corrections in float64 scalars, as torch; everything else float32.)
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tiny_models as mtm  # noqa: E402  (also sets one thread + deterministic algorithms)
from make_tiny_models import Model, f32, sha256, write_json  # noqa: E402

ROOT = mtm.ROOT
OUT_DIR = ROOT / "test" / "fixtures" / "training"

MODELS = ["tiny-llama", "tiny-qwen2", "tiny-qwen3"]
FULL_FT_MODELS = {"tiny-llama"}
TRAJECTORY_MODELS = {"tiny-llama"}

LORA_R = 4
LORA_ALPHA = 8
LORA_SCALING = LORA_ALPHA / LORA_R
LORA_B_STD = 0.02
TARGETS = [("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"),
           ("self_attn", "o_proj"), ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj")]
LORA_SEED = 4242
COMPLETION_SEED = 5151
COMPLETION_LENGTHS = [5, 8, 3, 6]
L_MAX = 8
REWARDS = [2.0, 0.0, 1.0, 0.0]
STD_EPS = 1e-4
DELTA_MAX = 0.3
DELTA_SEED = 7000
CLIP_MARGIN = 0.01        # |rho - clip bound| >= this for every token at step 0 (seed search)
TRAJ_CLIP_MARGIN = 1e-3   # ... and >= this at every step of the trajectory (asserted)

CONFIGS = {
    "grpo": dict(eps_low=0.2, eps_high=0.2, beta=0.04, aggregation="seq-mean-token-mean",
                 advantages="grpo"),
    "dapo": dict(eps_low=0.2, eps_high=0.28, beta=0.0, aggregation="token-mean",
                 advantages="grpo"),
    "drgrpo": dict(eps_low=0.2, eps_high=0.2, beta=0.0, aggregation="seq-mean-token-sum-norm",
                   advantages="drgrpo"),
}

ADAMW = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, max_grad_norm=1.0,
             warmup_steps=3, steps=10)

FD_STEP = 1e-6


# ----------------------------------------------------------------------------------------------
# LoRA model

def lora_modules(spec):
    """[(hf prefix, in, out)] in key order."""
    H, nh, nkv, hd, I = spec["hidden"], spec["heads"], spec["kv_heads"], spec["head_dim"], spec["inter"]
    dims = {"q_proj": (H, nh * hd), "k_proj": (H, nkv * hd), "v_proj": (H, nkv * hd),
            "o_proj": (nh * hd, H), "gate_proj": (H, I), "up_proj": (H, I), "down_proj": (I, H)}
    out = []
    for i in range(spec["layers"]):
        for blk, mod in TARGETS:
            out.append((f"model.layers.{i}.{blk}.{mod}",) + dims[mod])
    return out


def peft_key(prefix, ab):
    return f"base_model.model.{prefix}.lora_{ab}.weight"


def init_lora(spec):
    g = torch.Generator().manual_seed(LORA_SEED)
    out = {}
    for prefix, fin, fout in lora_modules(spec):
        bound = 1.0 / math.sqrt(fin)
        out[peft_key(prefix, "A")] = ((torch.rand((LORA_R, fin), generator=g) * 2.0 - 1.0) * bound).contiguous()
        out[peft_key(prefix, "B")] = (torch.randn((fout, LORA_R), generator=g) * LORA_B_STD).contiguous()
    return out


class LoraModel(Model):
    """make_tiny_models.Model with PEFT LoRA on every target projection. lora: peft key -> tensor
    (used as given: pass leaves with requires_grad to get gradients)."""

    def __init__(self, spec, weights, dtype, lora):
        super().__init__(spec, weights, dtype)
        self.lora = {}
        for prefix, _, _ in lora_modules(spec):
            self.lora[prefix] = (lora[peft_key(prefix, "A")], lora[peft_key(prefix, "B")])
        self.enabled = True

    def linear(self, x, prefix):
        y = super().linear(x, prefix)
        if self.enabled and prefix in self.lora:
            A, B = self.lora[prefix]
            y = y + F.linear(F.linear(x, A), B) * LORA_SCALING
        return y


def completion_logps(model, prompt, completions):
    """Flat [N] tensor of log p(token) for every completion token, sequences in order."""
    P = len(prompt)
    out = []
    for c in completions:
        seq = prompt + c
        lp = torch.log_softmax(model.forward(seq), dim=-1)
        pos = torch.arange(P - 1, P - 1 + len(c))
        out.append(lp[pos, torch.tensor(c, dtype=torch.int64)])
    return torch.cat(out)


# ----------------------------------------------------------------------------------------------
# the loss

def advantages(kind, dtype):
    r = torch.tensor(REWARDS, dtype=torch.float64)
    if kind == "grpo":
        a = (r - r.mean()) / (r.std(unbiased=True) + STD_EPS)
    else:
        a = r - r.mean()
    return a.to(dtype)


def token_adv(adv, lengths):
    return torch.cat([adv[g].repeat(n) for g, n in enumerate(lengths)])


def policy_loss(logp, old, ref, cfg, lengths):
    """Returns (loss, dict of per-token tensors). All inputs flat [N]."""
    dtype = logp.dtype
    A = token_adv(advantages(cfg["advantages"], dtype), lengths)
    rho = torch.exp(logp - old)
    rho_c = torch.clamp(rho, 1.0 - cfg["eps_low"], 1.0 + cfg["eps_high"])
    per = -torch.minimum(rho * A, rho_c * A)
    d = ref - logp
    k3 = torch.exp(d) - d - 1.0
    if cfg["beta"] != 0.0:
        per = per + cfg["beta"] * k3
    G, N = len(lengths), int(sum(lengths))
    agg = cfg["aggregation"]
    if agg == "seq-mean-token-mean":
        parts = torch.split(per, lengths)
        loss = torch.stack([p.sum() / n for p, n in zip(parts, lengths)]).mean()
        w = torch.cat([torch.full((n,), 1.0 / (G * n), dtype=torch.float64) for n in lengths])
    elif agg == "token-mean":
        loss = per.sum() / N
        w = torch.full((N,), 1.0 / N, dtype=torch.float64)
    elif agg == "seq-mean-token-sum-norm":
        loss = per.sum() / (G * L_MAX)
        w = torch.full((N,), 1.0 / (G * L_MAX), dtype=torch.float64)
    else:
        raise ValueError(agg)
    clipped_low = (rho < 1.0 - cfg["eps_low"]) & (A < 0)
    clipped_high = (rho > 1.0 + cfg["eps_high"]) & (A > 0)
    return loss, {"adv": A, "ratio": rho, "k3": k3, "per_token_loss": per,
                  "clipped_low": clipped_low, "clipped_high": clipped_high, "agg_weight": w}


def analytic_dlogp(aux, logp, ref, cfg):
    """dL/dlogp by the formula in the header (float64), to check autograd."""
    lp, rf = logp.detach().double(), ref.double()
    rho, A = aux["ratio"].detach().double(), aux["adv"].double()
    unclipped = ~(aux["clipped_low"] | aux["clipped_high"])
    g = -A * rho * unclipped.double() + cfg["beta"] * (1.0 - torch.exp(rf - lp))
    return g * aux["agg_weight"]


def clip_margin(ratio, cfgs=None):
    """Smallest |rho - bound| over all tokens and every clip bound of the given configs (all)."""
    cfgs = list(CONFIGS.values()) if cfgs is None else cfgs
    bounds = sorted({1.0 - c["eps_low"] for c in cfgs} | {1.0 + c["eps_high"] for c in cfgs})
    r = ratio.detach().double()
    return min(float((r - b).abs().min()) for b in bounds)


def draw_delta():
    """float32 delta ~ U(-0.3, 0.3); the first seed whose ratios exp(-delta) clip on both sides."""
    N = sum(COMPLETION_LENGTHS)
    sign = token_adv(advantages("grpo", torch.float64), COMPLETION_LENGTHS)
    for attempt in range(1000):
        g = torch.Generator().manual_seed(DELTA_SEED + attempt)
        delta = (torch.rand(N, generator=g, dtype=torch.float32) * 2.0 - 1.0) * DELTA_MAX
        rho = torch.exp(-delta.double())
        pos, neg = sign > 0, sign < 0
        ok = (int(((rho < 0.8) & neg).sum()) >= 2 and int(((rho > 1.2) & pos).sum()) >= 2
              and int(((rho > 1.28) & pos).sum()) >= 1
              and int(((rho > 1.2) & (rho < 1.28) & pos).sum()) >= 1
              and int((((rho < 0.8) & pos) | ((rho > 1.2) & neg)).sum()) >= 1   # outside, unclipped
              and clip_margin(rho) >= CLIP_MARGIN)
        if ok:
            return DELTA_SEED + attempt, attempt, delta
    sys.exit("no delta seed found")


# ----------------------------------------------------------------------------------------------
# output helpers

class Blob:
    """All tensors of one model in one little-endian float32 file + an index."""

    def __init__(self, fname):
        self.fname = fname
        self.parts, self.index, self.off = [], [], 0

    def add(self, name, t):
        a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4")
        b = a.tobytes()
        assert all(e["name"] != name for e in self.index), name
        self.index.append({"name": name, "shape": list(a.shape), "dtype": "float32",
                           "file": self.fname, "offset": self.off, "length": a.size})
        self.parts.append(b)
        self.off += len(b)
        return name

    def write(self, path):
        Path(path).write_bytes(b"".join(self.parts))


def ragged(t, lengths, kind=float):
    vals = t.detach().cpu().tolist() if isinstance(t, torch.Tensor) else list(t)
    out, i = [], 0
    for n in lengths:
        seg = vals[i:i + n]
        out.append([bool(v) for v in seg] if kind is bool else [f32(v) for v in seg])
        i += n
    return out


def maxabs(a, b):
    return float((a.detach().double() - b.detach().double()).abs().max())


def grad_diff_stats(g32, g64):
    """fp32 vs fp64 gradient of one tensor."""
    d = (g32.double() - g64.double()).abs()
    m = float(g64.abs().max())
    big = g64.abs() >= 1e-2 * m
    elem = float((d[big] / g64.abs()[big]).max()) if m > 0 else 0.0
    return {"max_abs_diff": float(d.max()), "max_abs_grad": m,
            "max_abs_diff_over_max_abs_grad": float(d.max()) / m if m > 0 else 0.0,
            "max_elementwise_rel_diff_where_abs_grad_ge_1pct_of_max": elem}


def summarise(stats):
    return {
        "max_abs_diff": max(s["max_abs_diff"] for s in stats.values()),
        "max_abs_diff_over_max_abs_grad": max(s["max_abs_diff_over_max_abs_grad"] for s in stats.values()),
        "max_elementwise_rel_diff_where_abs_grad_ge_1pct_of_max":
            max(s["max_elementwise_rel_diff_where_abs_grad_ge_1pct_of_max"] for s in stats.values()),
    }


def adapter_config(model_name):
    """adapter_config.json as PEFT (0.13-0.14) writes it: json.dumps(to_dict(), indent=2,
    sort_keys=True), no trailing newline."""
    return {
        "alpha_pattern": {}, "auto_mapping": None,
        "base_model_name_or_path": f"test/fixtures/models/{model_name}",
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layer_replication": None, "layers_pattern": None, "layers_to_transform": None,
        "loftq_config": {}, "lora_alpha": LORA_ALPHA, "lora_dropout": 0.0, "megatron_config": None,
        "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA", "r": LORA_R,
        "rank_pattern": {}, "revision": None,
        "target_modules": sorted(m for _, m in TARGETS),
        "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }


# ----------------------------------------------------------------------------------------------
# pieces

def lora_grads(spec, weights, lora_init, dtype, prompt, comps, old, ref):
    """Policy log-probs, per-config loss, autograd dL/dlogp and LoRA gradients at lora_init."""
    leaves = {k: v.to(dtype).detach().clone().requires_grad_(True) for k, v in lora_init.items()}
    model = LoraModel(spec, weights, dtype, leaves)
    logp = completion_logps(model, prompt, comps)
    keys = list(leaves)
    res = {"logp": logp.detach(), "model": model, "leaves": leaves, "configs": {}}
    for name, cfg in CONFIGS.items():
        loss, aux = policy_loss(logp, old.to(dtype), ref.to(dtype), cfg, COMPLETION_LENGTHS)
        gs = torch.autograd.grad(loss, [logp] + [leaves[k] for k in keys], retain_graph=True)
        res["configs"][name] = {"loss": loss.detach(), "aux": aux, "dlogp": gs[0],
                                "grads": dict(zip(keys, gs[1:]))}
    return res


def fd_check_lora(spec, r64, prompt, comps, old, ref):
    """Central finite differences (float64) on a few LoRA entries, every config."""
    model, leaves = r64["model"], r64["leaves"]
    keys = list(leaves)
    picks = []
    for k in (keys[0], keys[5], keys[7], keys[-1], keys[len(keys) // 2], keys[len(keys) // 2 + 3]):
        g = r64["configs"]["grpo"]["grads"][k]
        picks.append((k, tuple(int(i) for i in np.unravel_index(int(g.abs().argmax()), tuple(g.shape)))))
    picks.append((keys[2], (1, 2)))
    picks.append((keys[9], (3, 1)))
    out = []
    for k, idx in picks:
        p = leaves[k]
        with torch.no_grad():
            x0 = float(p[idx])
            losses = {}
            for sgn in (1, -1):
                p[idx] = x0 + sgn * FD_STEP
                lp = completion_logps(model, prompt, comps)
                losses[sgn] = {n: float(policy_loss(lp, old.double(), ref.double(), c, COMPLETION_LENGTHS)[0])
                               for n, c in CONFIGS.items()}
            p[idx] = x0
        for n in CONFIGS:
            fd = (losses[1][n] - losses[-1][n]) / (2 * FD_STEP)
            ag = float(r64["configs"][n]["grads"][k][idx])
            out.append({"config": n, "tensor": k, "index": list(idx), "autograd_fp64": ag, "finite_diff": fd,
                        "abs_err": abs(fd - ag), "rel_err": abs(fd - ag) / max(abs(ag), 1e-12)})
    return out


def full_ft(spec, weights, dtype, prompt, comps):
    """Base model with every parameter a leaf; returns (model, leaves, completion logps)."""
    leaves = {n: weights[n].to(dtype).detach().clone().requires_grad_(True) for n in mtm.param_names(spec)}
    model = Model(spec, leaves, dtype)
    assert all(model.w[n] is leaves[n] for n in leaves) if dtype == torch.float32 else True
    logp = completion_logps(model, prompt, comps)
    return model, leaves, logp


def train_trajectory(spec, weights, lora_init, dtype, prompt, comps, old, ref, use_torch_optim=False):
    cfg = CONFIGS["grpo"]
    a = ADAMW
    keys = list(lora_init)
    params = [lora_init[k].to(dtype).detach().clone().requires_grad_(True) for k in keys]
    model = LoraModel(spec, weights, dtype, dict(zip(keys, params)))
    old_d, ref_d = old.to(dtype), ref.to(dtype)
    if use_torch_optim:
        opt = torch.optim.AdamW(params, lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"],
                                weight_decay=a["weight_decay"], foreach=False)
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    steps, snap = [], {}
    for k in range(1, a["steps"] + 1):
        logp = completion_logps(model, prompt, comps)
        loss, aux = policy_loss(logp, old_d, ref_d, cfg, COMPLETION_LENGTHS)
        grads = torch.autograd.grad(loss, params)
        lr_k = a["lr"] * min(1.0, k / a["warmup_steps"])
        if use_torch_optim:
            for p, g in zip(params, grads):
                p.grad = g.clone()
            total = torch.nn.utils.clip_grad_norm_(params, a["max_grad_norm"])
            for grp in opt.param_groups:
                grp["lr"] = lr_k
            opt.step()
            coef = min(1.0, a["max_grad_norm"] / (float(total) + 1e-6))
        else:
            with torch.no_grad():
                total = torch.norm(torch.stack([torch.norm(g, 2) for g in grads]), 2)
                coef_t = torch.clamp(a["max_grad_norm"] / (total + 1e-6), max=1.0)
                coef = float(coef_t)
                for p, g, mi, vi in zip(params, grads, m, v):
                    g = g * coef_t
                    p.mul_(1.0 - lr_k * a["weight_decay"])
                    mi.mul_(a["beta1"]).add_(g, alpha=1.0 - a["beta1"])
                    vi.mul_(a["beta2"]).addcmul_(g, g, value=1.0 - a["beta2"])
                    bc1 = 1.0 - a["beta1"] ** k
                    bc2 = 1.0 - a["beta2"] ** k
                    denom = (vi.sqrt() / math.sqrt(bc2)).add_(a["eps"])
                    p.addcdiv_(mi, denom, value=-(lr_k / bc1))
        steps.append({"step": k, "lr": lr_k, "loss": float(loss), "grad_norm_preclip": float(total),
                      "clip_coef": coef,
                      "n_clipped_low": int(aux["clipped_low"].sum()),
                      "n_clipped_high": int(aux["clipped_high"].sum()),
                      "min_clip_margin": clip_margin(aux["ratio"], [cfg])})
        if k == 1:
            snap["after_step_1"] = {kk: p.detach().clone() for kk, p in zip(keys, params)}
    with torch.no_grad():
        logp = completion_logps(model, prompt, comps)
        loss_final, aux = policy_loss(logp, old_d, ref_d, cfg, COMPLETION_LENGTHS)
    snap["final"] = {kk: p.detach().clone() for kk, p in zip(keys, params)}
    return {"steps": steps, "loss_after_final_step": float(loss_final),
            "min_clip_margin_after_final_step": clip_margin(aux["ratio"], [cfg]),
            "weights": snap}


# ----------------------------------------------------------------------------------------------
# main

def build(name, delta_info):
    print(f"== {name}", flush=True)
    spec = next(s for s in mtm.SPECS if s["name"] == name)
    model_dir = mtm.MODELS_DIR / name
    ref_json = json.loads((mtm.REF_DIR / f"{name}.json").read_text())
    weights = {n: t for n, (_, t) in mtm.load_checkpoint(model_dir).items()}
    for f, h in ref_json["weight_files_sha256"].items():
        assert sha256(model_dir / f) == h, f"{name}: {f} differs from the reference dump's checkpoint"
    prompt = list(ref_json["inputs"]["A"]["input_ids"])
    V = spec["vocab"]
    lo, hi = (3, V) if spec["arch"] == "llama" else (0, 151643)
    gen = torch.Generator().manual_seed(COMPLETION_SEED)
    comps = [torch.randint(lo, hi, (n,), generator=gen).tolist() for n in COMPLETION_LENGTHS]
    lengths = COMPLETION_LENGTHS
    delta_seed, delta_rejected, delta = delta_info

    blob = Blob(f"{name}.f32")
    checks = {}

    # --- LoRA init, policy/ref log-probs, old log-probs
    lora = init_lora(spec)
    for k, t in lora.items():
        blob.add(f"lora_init/{k}", t)
    base32 = Model(spec, weights, torch.float32)
    base64 = Model(spec, weights, torch.float64)
    with torch.no_grad():
        ref = completion_logps(base32, prompt, comps)
        ref64 = completion_logps(base64, prompt, comps)
        lora_model = LoraModel(spec, weights, torch.float32, lora)
        logp0 = completion_logps(lora_model, prompt, comps)
    old = logp0 + delta
    assert old.dtype == torch.float32

    r32 = lora_grads(spec, weights, lora, torch.float32, prompt, comps, old, ref)
    r64 = lora_grads(spec, weights, lora, torch.float64, prompt, comps, old, ref)
    assert torch.equal(r32["logp"], logp0)

    # LoRA must change the model noticeably
    with torch.no_grad():
        la = LoraModel(spec, weights, torch.float32, lora).forward(prompt)
        ba = base32.forward(prompt)
    checks["lora_vs_base"] = {"max_abs_logit_change_input_A": maxabs(la, ba),
                              "max_abs_logp_change_completions": maxabs(logp0, ref)}
    print(f"  LoRA moves input A's logits by up to {maxabs(la, ba):.3f}, completion logps by "
          f"{maxabs(logp0, ref):.3f}", flush=True)

    configs_out, fp64 = {}, {}
    batch_aux = r32["configs"]["grpo"]["aux"]
    for cname, cfg in CONFIGS.items():
        c32, c64 = r32["configs"][cname], r64["configs"][cname]
        aux = c32["aux"]
        an = analytic_dlogp(aux, r32["logp"], ref, cfg)
        d_an = maxabs(c32["dlogp"], an)
        assert d_an <= 1e-6 * max(1.0, float(an.abs().max())), (cname, d_an)
        an64 = analytic_dlogp(c64["aux"], r64["logp"], ref.double(), cfg)
        assert maxabs(c64["dlogp"], an64) <= 1e-14, cname
        grad_names = {}
        stats = {}
        for k, g in c32["grads"].items():
            grad_names[k] = blob.add(f"grad/{cname}/{k}", g)
            stats[k] = grad_diff_stats(g, c64["grads"][k])
        fp64[cname] = {
            "loss_fp32": float(c32["loss"]), "loss_fp64": float(c64["loss"]),
            "loss_abs_diff": abs(float(c32["loss"]) - float(c64["loss"])),
            "dloss_dlogp_max_abs_diff": maxabs(c32["dlogp"], c64["dlogp"]),
            "grads_summary": summarise(stats), "grads": stats,
        }
        nl, nh = int(aux["clipped_low"].sum()), int(aux["clipped_high"].sum())
        configs_out[cname] = {
            **cfg,
            "advantages_per_completion": [f32(v) for v in advantages(cfg["advantages"], torch.float32)],
            "loss": f32(c32["loss"]),
            "n_tokens": int(sum(lengths)),
            "n_clipped_low": nl, "n_clipped_high": nh,
            "clipped_low": ragged(aux["clipped_low"], lengths, bool),
            "clipped_high": ragged(aux["clipped_high"], lengths, bool),
            "per_token_loss": ragged(aux["per_token_loss"], lengths),
            "dloss_dlogp": ragged(c32["dlogp"], lengths),
            "grads": grad_names,
        }
        print(f"  {cname}: loss {float(c32['loss']):.6f} (fp64 {float(c64['loss']):.6f}); clipped low {nl} "
              f"high {nh}; grad fp64 diff {fp64[cname]['grads_summary']}", flush=True)
    # (c) clipping on both sides
    assert configs_out["grpo"]["n_clipped_low"] >= 1 and configs_out["grpo"]["n_clipped_high"] >= 1
    assert configs_out["dapo"]["n_clipped_high"] >= 1
    assert configs_out["dapo"]["n_clipped_high"] < configs_out["grpo"]["n_clipped_high"]
    checks["clipping"] = {c: {"n_clipped_low": configs_out[c]["n_clipped_low"],
                              "n_clipped_high": configs_out[c]["n_clipped_high"]} for c in CONFIGS}
    checks["clipping"]["min_abs_ratio_minus_any_clip_bound"] = clip_margin(batch_aux["ratio"])
    checks["clipping"]["n_ratio_outside_range_but_unclipped_eps_0.2"] = int(
        (((batch_aux["ratio"] < 0.8) & (batch_aux["adv"] > 0)) |
         ((batch_aux["ratio"] > 1.2) & (batch_aux["adv"] < 0))).sum())
    checks["fp64_lora"] = fp64
    checks["fp64_logp"] = {"policy_max_abs_diff": maxabs(r32["logp"], r64["logp"]),
                           "ref_max_abs_diff": maxabs(ref, ref64),
                           "note": "fp64 runs use the stored float32 old/ref values as data"}

    # (a) finite differences
    fd = fd_check_lora(spec, r64, prompt, comps, old, ref)
    worst = max(e["rel_err"] for e in fd)
    assert worst <= 1e-5, worst
    checks["finite_differences_lora"] = {"step": FD_STEP, "dtype": "float64", "max_rel_err": worst,
                                         "max_abs_err": max(e["abs_err"] for e in fd), "entries": fd}
    print(f"  finite differences: {len(fd)} checks, max rel err {worst:.2e}", flush=True)

    doc = {
        "model": name,
        "model_dir": f"test/fixtures/models/{name}",
        "generated_by": "test/reference/make_training_reference.py",
        "weight_files_sha256": ref_json["weight_files_sha256"],
        "compute_dtype": "float32",
        "conventions": __doc__.split("CONVENTIONS (the engine implements exactly these)")[1].split("\n", 2)[2],
        "lora": {
            "r": LORA_R, "lora_alpha": LORA_ALPHA, "scaling": LORA_SCALING, "lora_dropout": 0.0,
            "target_modules": [m for _, m in TARGETS], "seed": LORA_SEED,
            "init": f"A ~ U(-1/sqrt(in), 1/sqrt(in)); B ~ N(0, {LORA_B_STD}^2) (PEFT's real init: B = 0)",
            "keys": list(lora), "adapter_dir": f"test/fixtures/training/{name}-adapter",
            "init_tensors": [f"lora_init/{k}" for k in lora],
        },
        "batch": {
            "prompt_ids": prompt, "prompt_source": f"test/fixtures/reference/{name}.json inputs.A",
            "completion_ids": comps, "completion_lengths": lengths, "completion_seed": COMPLETION_SEED,
            "completion_id_range": [lo, hi], "max_new_tokens": L_MAX, "rewards": REWARDS,
            "delta_seed": delta_seed, "delta_seed_attempts_rejected": delta_rejected,
            "delta": ragged(delta, lengths),
            "logp": ragged(r32["logp"], lengths),
            "old_logp": ragged(old, lengths),
            "ref_logp": ragged(ref, lengths),
            "ratio": ragged(batch_aux["ratio"], lengths),
            "k3": ragged(batch_aux["k3"], lengths),
            "note": ("logp: policy (base + LoRA) in float32; old_logp = float32(logp + delta); ref_logp: "
                     "LoRA off. ratio = exp(logp - old_logp) and k3 are the same in every config."),
        },
        "configs": configs_out,
    }

    # --- full fine-tuning
    if name in FULL_FT_MODELS:
        ft = {}
        for dt in (torch.float32, torch.float64):
            model, leaves, logp = full_ft(spec, weights, dt, prompt, comps)
            with torch.no_grad():
                ref_ft = logp.detach().to(torch.float32) if dt == torch.float32 else ft[torch.float32]["ref"]
                old_ft = (ref_ft + delta) if dt == torch.float32 else ft[torch.float32]["old"]
            loss, aux = policy_loss(logp, old_ft.to(dt), ref_ft.to(dt), CONFIGS["grpo"], lengths)
            names = list(leaves)
            gs = torch.autograd.grad(loss, [logp] + [leaves[n] for n in names], retain_graph=True)
            ft[dt] = {"loss": loss.detach(), "aux": aux, "dlogp": gs[0], "grads": dict(zip(names, gs[1:])),
                      "ref": ref_ft, "old": old_ft, "logp": logp, "model": model, "leaves": leaves}
        f32r, f64r = ft[torch.float32], ft[torch.float64]
        assert torch.equal(f32r["logp"].detach(), ref), "full-FT policy at step 0 != LoRA-off ref"
        an = analytic_dlogp(f32r["aux"], f32r["logp"], f32r["ref"], CONFIGS["grpo"])
        assert maxabs(f32r["dlogp"], an) <= 1e-6
        stats, gnames = {}, {}
        for n, g in f32r["grads"].items():
            gnames[n] = blob.add(f"full_ft_grad/grpo/{n}", g)
            stats[n] = grad_diff_stats(g, f64r["grads"][n])
        # finite differences on a few base entries (float64)
        lv = f64r["leaves"]
        picks = [("model.embed_tokens.weight", (prompt[1], 0)),
                 ("lm_head.weight", (comps[1][2], 3)),
                 ("model.norm.weight", (5,)),
                 ("model.layers.0.input_layernorm.weight", (2,))]
        for n in ("model.layers.1.mlp.down_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                  "model.layers.1.post_attention_layernorm.weight"):
            g = f64r["grads"][n]
            picks.append((n, tuple(int(i) for i in np.unravel_index(int(g.abs().argmax()), tuple(g.shape)))))
        fd_ft = []
        for n, idx in picks:
            p = lv[n]
            with torch.no_grad():
                x0 = float(p[idx])
                ls = {}
                for sgn in (1, -1):
                    p[idx] = x0 + sgn * FD_STEP
                    lp = completion_logps(f64r["model"], prompt, comps)
                    ls[sgn] = float(policy_loss(lp, f32r["old"].double(), f32r["ref"].double(),
                                                CONFIGS["grpo"], lengths)[0])
                p[idx] = x0
            fdv = (ls[1] - ls[-1]) / (2 * FD_STEP)
            ag = float(f64r["grads"][n][idx])
            fd_ft.append({"tensor": n, "index": list(idx), "autograd_fp64": ag, "finite_diff": fdv,
                          "abs_err": abs(fdv - ag), "rel_err": abs(fdv - ag) / max(abs(ag), 1e-12)})
        worst_ft = max(e["rel_err"] for e in fd_ft)
        assert worst_ft <= 1e-5, fd_ft
        fa = f32r["aux"]
        doc["full_finetune"] = {
            "config": "grpo",
            "note": ("No LoRA; policy = ref = the stored weights (so k3 = 0 and the KL term's gradient is 0 "
                     "here); old_logp = float32(logp + delta) with the same delta as the LoRA batch. "
                     "Gradients of every base parameter (HF names); embed_tokens' gradient is nonzero only "
                     "in the rows of tokens that occur in the sequences; tiny-llama's lm_head is untied."),
            "loss": f32(f32r["loss"]),
            "logp": ragged(f32r["logp"], lengths),
            "old_logp": ragged(f32r["old"], lengths),
            "ref_logp": ragged(f32r["ref"], lengths),
            "ratio": ragged(fa["ratio"], lengths),
            "n_clipped_low": int(fa["clipped_low"].sum()), "n_clipped_high": int(fa["clipped_high"].sum()),
            "clipped_low": ragged(fa["clipped_low"], lengths, bool),
            "clipped_high": ragged(fa["clipped_high"], lengths, bool),
            "per_token_loss": ragged(fa["per_token_loss"], lengths),
            "dloss_dlogp": ragged(f32r["dlogp"], lengths),
            "grads": gnames,
        }
        checks["fp64_full_finetune"] = {"loss_abs_diff": abs(float(f32r["loss"]) - float(f64r["loss"])),
                                        "grads_summary": summarise(stats), "grads": stats}
        checks["finite_differences_full_finetune"] = {"step": FD_STEP, "dtype": "float64",
                                                      "max_rel_err": worst_ft, "entries": fd_ft}
        print(f"  full FT: loss {float(f32r['loss']):.6f}; fp64 grad diff {summarise(stats)}; "
              f"FD max rel err {worst_ft:.2e}", flush=True)

    # --- AdamW trajectory
    if name in TRAJECTORY_MODELS:
        t32 = train_trajectory(spec, weights, lora, torch.float32, prompt, comps, old, ref)
        t64 = train_trajectory(spec, weights, lora, torch.float64, prompt, comps, old, ref)
        tto = train_trajectory(spec, weights, lora, torch.float32, prompt, comps, old, ref, use_torch_optim=True)
        assert abs(t32["steps"][0]["loss"] - float(r32["configs"]["grpo"]["loss"])) == 0.0
        for s in t32["steps"]:
            assert s["min_clip_margin"] >= TRAJ_CLIP_MARGIN, s
        assert t32["min_clip_margin_after_final_step"] >= TRAJ_CLIP_MARGIN
        tnames = {}
        for label, ws in t32["weights"].items():
            tnames[label] = {k: blob.add(f"trajectory/{label}/{k}", w) for k, w in ws.items()}
        wdiff64 = max(maxabs(t32["weights"]["final"][k], t64["weights"]["final"][k]) for k in lora)
        wdiff_torch = max(maxabs(t32["weights"]["final"][k], tto["weights"]["final"][k]) for k in lora)
        upd = max(maxabs(t32["weights"]["final"][k], lora[k]) for k in lora)
        doc["trajectory"] = {
            "config": "grpo", "optimizer": "AdamW", **{k: v for k, v in ADAMW.items() if k != "steps"},
            "num_steps": ADAMW["steps"],
            "lr_schedule": "lr_k = lr * min(1, k / warmup_steps), k = 1..steps",
            "grad_clipping": "torch.nn.utils.clip_grad_norm_(all LoRA tensors, max_norm): "
                             "c = min(1, max_norm / (total_norm + 1e-6)); grads *= c",
            "weight_decay_applies_to": "every lora_A and lora_B",
            "steps": [{k: (f32(v) if isinstance(v, float) and k not in ("lr",) else v) for k, v in s.items()}
                      for s in t32["steps"]],
            "loss_after_final_step": f32(t32["loss_after_final_step"]),
            "weights_after_step_1": tnames["after_step_1"],
            "weights_final": tnames["final"],
            "note": ("steps[k-1].loss and .grad_norm_preclip are evaluated at the weights before update k; "
                     "loss_after_final_step at the final weights. old/ref log-probs are the batch's, fixed."),
        }
        checks["trajectory"] = {
            "fp64": {"max_abs_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in zip(t32["steps"], t64["steps"])),
                     "max_rel_grad_norm_diff": max(abs(a["grad_norm_preclip"] - b["grad_norm_preclip"]) /
                                                   b["grad_norm_preclip"] for a, b in zip(t32["steps"], t64["steps"])),
                     "final_weights_max_abs_diff": wdiff64,
                     "loss_after_final_step_abs_diff": abs(t32["loss_after_final_step"] - t64["loss_after_final_step"])},
            "vs_torch_optim_AdamW_and_clip_grad_norm_": {
                "final_weights_max_abs_diff": wdiff_torch,
                "max_abs_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in zip(t32["steps"], tto["steps"]))},
            "final_weights_max_abs_change_from_init": upd,
            "min_clip_margin_over_steps": min(s["min_clip_margin"] for s in t32["steps"]),
        }
        assert wdiff_torch <= 1e-7, wdiff_torch
        print(f"  trajectory: losses {[round(s['loss'], 5) for s in t32['steps']]} -> "
              f"{t32['loss_after_final_step']:.5f}", flush=True)
        print(f"     grad norms {[round(s['grad_norm_preclip'], 4) for s in t32['steps']]}", flush=True)
        print(f"     {checks['trajectory']}", flush=True)

    # --- PEFT adapter + merged weights / logits
    ad = OUT_DIR / f"{name}-adapter"
    ad.mkdir(parents=True, exist_ok=True)
    (ad / "adapter_config.json").write_text(json.dumps(adapter_config(name), indent=2, sort_keys=True))
    mtm.write_safetensors(ad / "adapter_model.safetensors", {k: t.contiguous() for k, t in lora.items()})
    back = mtm.read_safetensors(ad / "adapter_model.safetensors")
    assert set(back) == set(lora) and all(back[k][0] == "F32" and torch.equal(back[k][1], lora[k]) for k in lora)

    merged_names = {}
    merged = dict(weights)
    for prefix, _, _ in lora_modules(spec):
        A, B = lora[peft_key(prefix, "A")], lora[peft_key(prefix, "B")]
        W = weights[prefix + ".weight"] + LORA_SCALING * (B @ A)
        merged[prefix + ".weight"] = W
        merged_names[prefix + ".weight"] = blob.add(f"merged/{prefix}.weight", W)
    with torch.no_grad():
        ml = Model(spec, merged, torch.float32).forward(prompt)
        ul = LoraModel(spec, weights, torch.float32, lora).forward(prompt)
        merged64 = {k: v.double() for k, v in weights.items()}
        for prefix, _, _ in lora_modules(spec):
            merged64[prefix + ".weight"] = merged64[prefix + ".weight"] + LORA_SCALING * (
                lora[peft_key(prefix, "B")].double() @ lora[peft_key(prefix, "A")].double())
        ml64 = Model(spec, merged64, torch.float64).forward(prompt)
        ul64 = LoraModel(spec, weights, torch.float64, {k: v.double() for k, v in lora.items()}).forward(prompt)
    T = len(prompt)
    positions = list(range(T)) if V <= 4096 else [0, 3, T - 1]
    blob.add("merged/logits_input_A", ml[positions])
    d_merge = maxabs(ml, ul)
    d_merge64 = maxabs(ml64, ul64)
    assert d_merge <= 1e-4 and d_merge64 <= 1e-10, (d_merge, d_merge64)
    top = torch.topk(ml, 5, dim=-1)
    doc["merged"] = {
        "adapter_dir": f"test/fixtures/training/{name}-adapter",
        "formula": "W' = W + (lora_alpha / r) * (lora_B @ lora_A), in float32, for every target weight",
        "weights": merged_names,
        "input_ids": prompt,
        "logits_tensor": "merged/logits_input_A",
        "logits_positions": positions,
        "logsumexp": mtm.to_list(torch.logsumexp(ml, -1)),
        "top5": {"ids": top.indices.tolist(), "values": mtm.to_list(top.values)},
        "note": "logits of input A with the adapter merged; equal to base + unmerged LoRA up to float32 noise",
    }
    checks["merge"] = {"merged_vs_unmerged_max_abs_logit_diff_fp32": d_merge,
                       "merged_vs_unmerged_max_abs_logit_diff_fp64": d_merge64,
                       "merged_fp32_vs_unmerged_fp64_max_abs_logit_diff": maxabs(ml, ul64),
                       "max_abs_logit": float(ml.abs().max())}
    print(f"  merge: merged vs unmerged logits {d_merge:.2e} (fp64 {d_merge64:.1e})", flush=True)

    doc["checks"] = checks
    doc["tensors_file"] = blob.fname
    doc["tensors_note"] = ("little-endian float32, row-major; offset in bytes into tensors_file, length in "
                           "elements")
    doc["tensors"] = blob.index
    blob.write(OUT_DIR / blob.fname)
    write_json(OUT_DIR / f"{name}.json", doc)
    reread_check(name)
    return doc


def reread_check(name):
    """Re-read the written files with numpy only: the index covers the .f32 file exactly, stored
    tensors decode, and every config's loss follows (float64) from the stored per-token arrays."""
    doc = json.loads((OUT_DIR / f"{name}.json").read_text())
    raw = (OUT_DIR / doc["tensors_file"]).read_bytes()
    off = 0
    for e in doc["tensors"]:
        assert e["offset"] == off and e["length"] == int(np.prod(e["shape"])), e["name"]
        a = np.frombuffer(raw, "<f4", count=e["length"], offset=e["offset"])
        assert np.all(np.isfinite(a)), e["name"]
        off += 4 * e["length"]
    assert off == len(raw)
    b = doc["batch"]
    lens = b["completion_lengths"]
    flat = lambda x: np.array([v for seq in x for v in seq], dtype=np.float64)  # noqa: E731
    lp, old, ref = flat(b["logp"]), flat(b["old_logp"]), flat(b["ref_logp"])
    G, N = len(lens), sum(lens)
    for cname, c in doc["configs"].items():
        A = np.repeat(np.array(c["advantages_per_completion"], dtype=np.float64), lens)
        rho = np.exp(lp - old)
        per = -np.minimum(rho * A, np.clip(rho, 1 - c["eps_low"], 1 + c["eps_high"]) * A)
        per += c["beta"] * (np.exp(ref - lp) - (ref - lp) - 1)
        if c["aggregation"] == "seq-mean-token-mean":
            loss = np.mean([s.mean() for s in np.split(per, np.cumsum(lens)[:-1])])
        elif c["aggregation"] == "token-mean":
            loss = per.sum() / N
        else:
            loss = per.sum() / (G * doc["batch"]["max_new_tokens"])
        assert abs(loss - c["loss"]) <= 1e-6 * max(1.0, abs(loss)), (name, cname, loss, c["loss"])
        assert np.abs(per - flat(c["per_token_loss"])).max() <= 1e-5, (name, cname)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    delta_info = draw_delta()
    print(f"delta seed {delta_info[0]} ({delta_info[1]} rejected)", flush=True)
    for name in MODELS:
        if only and name not in only:
            continue
        build(name, delta_info)


if __name__ == "__main__":
    main()
