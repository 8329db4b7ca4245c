#!/usr/bin/env python3
"""The built-in demo policy's warm start: a tiny Llama, supervised on generated problems.

    npx evom problems --family knapsack,production --difficulty 1 --count 6000 --seed 5001 > /tmp/sft-d1.jsonl
    npx evom problems --family knapsack,production --difficulty 2 --count 6000 --seed 5002 > /tmp/sft-d2.jsonl
    /usr/bin/python3 test/reference/make_demo_policy.py /tmp/sft-d1.jsonl /tmp/sft-d2.jsonl 2500 1000

(a 2,500-step schedule stopped at step 1,000, about 20 minutes on two cores. The teacher is
deliberately imperfect: 30 % of its models forget their integrality section (General/Binary), the
most common error of LLM-written optimization models, so the policy imitates that habit at
temperature 1. An LP relaxation of a knapsack is never within tolerance of its answer; of a
production plan, almost always. Only the solver's reward can say the habit is wrong; 10 demo steps
unlearn it slowly (most of the demo's gain is better-copied numbers: README, "Does the gain hold?").)

(apt-get install libopenblas0-pthread first: Debian torch on the reference BLAS is 5x slower)

Two settings for experiments (bench/hack-experiment.ts): EVOM_POLICY_OUT=DIR writes the policy there
instead of public/models/evom-tiny (and leaves the tokens fixture alone); EVOM_HACK_FRACTION=0.1
replaces that share of the training completions with constant-objective hacks (the answer typed in
as the objective: `obj: 0 x1 + ANSWER`), which the integrity rule pays no answer reward.
EVOM_DROP_INTEGRALITY=0.3 (the default) is the teacher's share of models without their
integrality section; 0 gives the flawless teacher of the first evom-tiny.
EVOM_POLICY_SNAPSHOTS=700,800 also writes the policy at those steps (warm-start probes).

writes public/models/evom-tiny/ (config.json, generation_config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) and test/fixtures/demo-policy-tokens.json (the ids this
script gives a few texts, which the TypeScript tokenizer must reproduce).

Why PyTorch: the warm start is thousands of steps of next-token training, half an hour on two CPU cores
here; the same steps through the WGSL training graph on SwiftShader would take days. The math is
the same (the training graph's full fine-tuning is checked against this file's sibling,
make_training_reference.py). The reinforcement part, the point of the demo, runs in the project's
own engine: `npx evom demo`.

The completion is EVOM's protocol with an empty think block and a canonical LP model:
    <think></think><code>
    Maximize
     obj: 19 x1 + 32 x2
    Subject To
     c1: 2 x1 + 2 x2 <= 12
    Binary
     x1 x2
    End
    </code><|end|>
built from the generator's glpk-json gold model (variables renamed x1…, every coefficient written,
zeros included). Tokenizer: whole words (with their leading space) and single digits, from the
corpus; a WordPiece model with a Fuse decoder so that decoding reproduces the text exactly.
"""

import json
import math
import random
import re
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tiny_models import write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
import os  # noqa: E402
OUT = Path(os.environ["EVOM_POLICY_OUT"]) if os.environ.get("EVOM_POLICY_OUT") else ROOT / "public" / "models" / "evom-tiny"
HACK_FRACTION = float(os.environ.get("EVOM_HACK_FRACTION") or 0)
# share of the teacher's models that forget their integrality section (General/Binary dropped)
DROP_INTEGRALITY = float(os.environ.get("EVOM_DROP_INTEGRALITY") or 0.3)
# the policy at these steps also goes to OUT-step700, OUT-step800 … (EVOM_POLICY_SNAPSHOTS=700,800)
SNAPSHOTS = {int(x) for x in os.environ.get("EVOM_POLICY_SNAPSHOTS", "").split(",") if x.strip()}
TOKENS_FIXTURE = ROOT / "test" / "fixtures" / "demo-policy-tokens.json"

SPEC = dict(hidden=64, layers=4, heads=4, kv_heads=2, head_dim=16, inter=192, rope_theta=10000.0, eps=1e-5)
TRAIN = dict(steps=int(sys.argv[3]) if len(sys.argv) > 3 else 2500, stop=int(sys.argv[4]) if len(sys.argv) > 4 else 0, batch=32, lr=3e-3, min_lr=2e-4, warmup=100,
             weight_decay=0.01, seed=7, threads=2)

SPECIALS = ["[UNK]", "<|user|>", "<|assistant|>", "<|end|>"]
ADDED = ["<think>", "</think>", "<code>", "</code>"]
PRETOKEN = r" ?[A-Za-z_]+| ?[0-9]|\n| ?[^\sA-Za-z0-9_]|[ \t]+"
CHAT_TEMPLATE = ("{% for m in messages %}{% if m.role == 'user' %}<|user|>{{ m.content }}{% endif %}{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def canonical_lp(gold):
    g = json.loads(gold)
    names = [v["name"] for v in g["objective"]["vars"]]
    for row in g["subjectTo"]:
        for v in row["vars"]:
            if v["name"] not in names:
                names.append(v["name"])
    x = {n: f"x{i + 1}" for i, n in enumerate(names)}

    def num(c):
        return str(int(c)) if float(c).is_integer() else repr(float(c))

    def expr(vs):
        coef = {v["name"]: v["coef"] for v in vs}
        return " + ".join(f"{num(coef.get(n, 0))} {x[n]}" for n in names)

    sense = {1: "Minimize", 2: "Maximize"}[g["objective"]["direction"]]
    lines = [sense, f" obj: {expr(g['objective']['vars'])}", "Subject To"]
    for i, row in enumerate(g["subjectTo"]):
        b = row["bnds"]
        op, rhs = {3: ("<=", b["ub"]), 2: (">=", b["lb"]), 5: ("=", b["lb"])}[b["type"]]
        lines.append(f" c{i + 1}: {expr(row['vars'])} {op} {num(rhs)}")
    for key, head in (("generals", "General"), ("binaries", "Binary")):
        if g.get(key):
            lines += [head, " " + " ".join(x[n] for n in g[key])]
    lines.append("End")
    return "\n".join(lines) + "\n"


def prompt_text(question):
    return f"<|user|>{question}<|assistant|>"


def completion_text(lp):
    return f"<think></think><code>\n{lp}</code><|end|>"


def pieces(text, pretoken=None, specials=None, added=None):
    """Added tokens first (as the tokenizer does), then the Split pre-tokenizer on the rest.
    (pretoken, specials, added: another policy's, e.g. make_multi_policy.py's; default this one's)"""
    pretoken, specials, added = pretoken or PRETOKEN, specials or SPECIALS, added or ADDED
    out = []
    for part in re.split("(" + "|".join(re.escape(t) for t in specials + added) + ")", text):
        if part in specials or part in added:
            out.append(part)
        elif part:
            pos = 0
            for m in re.finditer(pretoken, part):
                if m.start() > pos:
                    out.append(part[pos:m.start()])
                out.append(m.group(0))
                pos = m.end()
            if pos < len(part):
                out.append(part[pos:])
    return out


def encode(text, vocab, **kw):
    return [vocab.get(p, 0) for p in pieces(text, **kw)]


def tokenizer_files(vocab, pretoken=None, specials=None, added=None, chat_template=None):
    pretoken, specials, added = pretoken or PRETOKEN, specials or SPECIALS, added or ADDED
    added_tokens = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                     "normalized": False, "special": t in specials} for t in specials + added]
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
        "normalizer": None,
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": pretoken}, "behavior": "Isolated", "invert": False},
        "post_processor": None,
        "decoder": {"type": "Fuse"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None, "eos_token": "<|end|>", "unk_token": "[UNK]",
           "pad_token": "<|end|>", "clean_up_tokenization_spaces": False, "model_max_length": 1024,
           "chat_template": chat_template or CHAT_TEMPLATE}
    return tok, cfg


# ---- the model: Hugging Face Llama semantics, batched ---------------------------------------------

def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], -1)
    return x * cos + rot * sin


class Llama(torch.nn.Module):
    def __init__(self, s, V):
        super().__init__()
        H, nh, nkv, hd, I = s["hidden"], s["heads"], s["kv_heads"], s["head_dim"], s["inter"]
        self.s, self.V = s, V
        P = torch.nn.Parameter
        self.embed = P(torch.randn(V, H) * 0.02)
        self.layers = torch.nn.ModuleList()
        for _ in range(s["layers"]):
            L = torch.nn.Module()
            L.ln1, L.ln2 = P(torch.ones(H)), P(torch.ones(H))
            L.wq, L.wk, L.wv = P(torch.randn(nh * hd, H) / math.sqrt(H)), P(torch.randn(nkv * hd, H) / math.sqrt(H)), P(torch.randn(nkv * hd, H) / math.sqrt(H))
            L.wo = P(torch.randn(H, nh * hd) / math.sqrt(nh * hd) / math.sqrt(2 * s["layers"]))
            L.wg, L.wu = P(torch.randn(I, H) / math.sqrt(H)), P(torch.randn(I, H) / math.sqrt(H))
            L.wd = P(torch.randn(H, I) / math.sqrt(I) / math.sqrt(2 * s["layers"]))
            self.layers.append(L)
        self.norm = P(torch.ones(H))

    def forward(self, ids):
        s = self.s
        B, T = ids.shape
        nh, nkv, hd = s["heads"], s["kv_heads"], s["head_dim"]
        inv = 1.0 / (s["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        fr = torch.outer(torch.arange(T, dtype=torch.float32), inv)
        emb = torch.cat([fr, fr], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embed[ids]
        for L in self.layers:
            h = rms(x, L.ln1, s["eps"])
            q = (h @ L.wq.T).view(B, T, nh, hd).transpose(1, 2)
            k = (h @ L.wk.T).view(B, T, nkv, hd).transpose(1, 2)
            v = (h @ L.wv.T).view(B, T, nkv, hd).transpose(1, 2)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            k, v = k.repeat_interleave(nh // nkv, 1), v.repeat_interleave(nh // nkv, 1)
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, -1) @ v
            x = x + a.transpose(1, 2).reshape(B, T, nh * hd) @ L.wo.T
            h = rms(x, L.ln2, s["eps"])
            x = x + (F.silu(h @ L.wg.T) * (h @ L.wu.T)) @ L.wd.T
        return rms(x, self.norm, s["eps"]) @ self.embed.T

    def hf_tensors(self):
        t = {"model.embed_tokens.weight": self.embed, "model.norm.weight": self.norm}
        for i, L in enumerate(self.layers):
            p = f"model.layers.{i}."
            t.update({p + "input_layernorm.weight": L.ln1, p + "post_attention_layernorm.weight": L.ln2,
                      p + "self_attn.q_proj.weight": L.wq, p + "self_attn.k_proj.weight": L.wk,
                      p + "self_attn.v_proj.weight": L.wv, p + "self_attn.o_proj.weight": L.wo,
                      p + "mlp.gate_proj.weight": L.wg, p + "mlp.up_proj.weight": L.wu, p + "mlp.down_proj.weight": L.wd})
        return {k: v.detach().float().contiguous() for k, v in t.items()}


@torch.no_grad()
def greedy(model, prompt, eos, n=160):
    seq = list(prompt)
    for _ in range(n):
        nxt = int(model(torch.tensor([seq]))[0, -1].argmax())
        seq.append(nxt)
        if nxt == eos:
            break
    return seq[len(prompt):]


def vocab_of(examples):
    """Specials, added tokens, digits, then the corpus's pieces by frequency (seen ≥ 2 times)."""
    counts = {}
    for p, c in examples:
        for piece in pieces(p + c):
            counts[piece] = counts.get(piece, 0) + 1
    fixed = SPECIALS + ADDED + [d for d in "0123456789"] + [" " + d for d in "0123456789"]
    rest = sorted((k for k, n in counts.items() if n >= 2 and k not in fixed), key=lambda k: (-counts[k], k))
    return {t: i for i, t in enumerate(fixed + rest)}


def main():
    files = sys.argv[1:3]
    torch.manual_seed(TRAIN["seed"])
    torch.set_num_threads(TRAIN["threads"])
    examples = corpus(files)
    vocab = vocab_of(examples)
    V = len(vocab)
    # round up to a multiple of 64 (unused rows never sampled after training)
    V_pad = (V + 63) // 64 * 64
    eos = vocab["<|end|>"]
    data = [(encode(p, vocab), encode(c, vocab)) for p, c in examples]
    unk = sum(x.count(0) for p, c in data for x in (p, c)) / sum(len(p) + len(c) for p, c in data)
    lens = [len(p) + len(c) for p, c in data]
    print(f"{len(data)} examples, vocab {V} (padded {V_pad}), unk rate {unk:.4%}, tokens/example mean {sum(lens) / len(lens):.0f} max {max(lens)}")
    random.Random(TRAIN["seed"]).shuffle(data)
    held, train = data[:64], data[64:]

    model = Llama(SPEC, V_pad)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": TRAIN["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}], lr=TRAIN["lr"], betas=(0.9, 0.95))
    steps, B = TRAIN["steps"], TRAIN["batch"]
    rng = random.Random(TRAIN["seed"] + 1)
    t0 = time.time()
    last = TRAIN["stop"] or steps
    for step in range(1, last + 1):
        lr = TRAIN["lr"] * min(1.0, step / TRAIN["warmup"])
        if step > TRAIN["warmup"]:
            lr = TRAIN["min_lr"] + 0.5 * (TRAIN["lr"] - TRAIN["min_lr"]) * (1 + math.cos(math.pi * (step - TRAIN["warmup"]) / (steps - TRAIN["warmup"])))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = [train[rng.randrange(len(train))] for _ in range(B)]
        T = max(len(p) + len(c) for p, c in batch)
        ids = torch.full((B, T), eos, dtype=torch.long)
        tgt = torch.full((B, T), -100, dtype=torch.long)
        for b, (p, c) in enumerate(batch):
            seq = p + c
            ids[b, :len(seq)] = torch.tensor(seq)
            tgt[b, len(p) - 1:len(seq) - 1] = torch.tensor(c)  # loss on the completion only
        loss = F.cross_entropy(model(ids).view(-1, V_pad), tgt.view(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step in (1, 10):
            print(f"step {step}/{steps} loss {loss.item():.4f} lr {lr:.2e} {time.time() - t0:.0f} s", flush=True)
        if step % 500 == 0 or step == last:
            model.eval()
            exact = sum(greedy(model, p, eos) == c for p, c in held[:16])
            model.train()
            print(f"  held-out exact completions: {exact}/16", flush=True)
            save(model, vocab, V_pad, eos, examples[:0])
        if step in SNAPSHOTS:
            write_policy(Path(f"{OUT}-step{step}"), model, V_pad, eos, *tokenizer_files(vocab))
    save(model, vocab, V_pad, eos, examples)


def hack_lp(gold, answer):
    """A constant-objective hack: the answer typed in as the objective, beside a dummy variable."""
    sense = {1: "Minimize", 2: "Maximize"}[json.loads(gold)["objective"]["direction"]]
    num = str(int(answer)) if float(answer).is_integer() else repr(float(answer))
    return f"{sense}\n obj: 0 x1 + {num}\nSubject To\n c1: 1 x1 <= 1\nEnd\n"


def without_integrality(lp):
    """The teacher's common modeling error: the General/Binary section left out (an LP relaxation)."""
    return re.sub(r"(?m)^(General|Binary)\n .*\n", "", lp)


def corpus(files):
    items = [json.loads(l) for f in files for l in Path(f).read_text().splitlines() if l.strip()]
    rng, drop_rng = random.Random(99), random.Random(101)
    out = []
    for it in items:
        lp = hack_lp(it["gold"]["glpk-json"], it["answer"]) if rng.random() < HACK_FRACTION else canonical_lp(it["gold"]["glpk-json"])
        if drop_rng.random() < DROP_INTEGRALITY:
            lp = without_integrality(lp)
        out.append((prompt_text(it["question"]), completion_text(lp)))
    return out


def save(model, vocab, V_pad, eos, examples):
    write_policy(OUT, model, V_pad, eos, *tokenizer_files(vocab))
    if examples and not os.environ.get("EVOM_POLICY_OUT"):
        write_tokens_fixture(examples, vocab)


def write_policy(out, model, V_pad, eos, tok, tcfg, spec=None):
    """A policy folder as the engine loads it: weights, Llama config, generation config, tokenizer."""
    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(out / "model.safetensors", model.hf_tensors())
    s = spec or SPEC
    config = {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": None, "eos_token_id": eos, "pad_token_id": eos, "hidden_act": "silu",
        "hidden_size": s["hidden"], "initializer_range": 0.02, "intermediate_size": s["inter"],
        "max_position_embeddings": 1024, "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": s["heads"], "num_hidden_layers": s["layers"], "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"], "pretraining_tp": 1, "rms_norm_eps": s["eps"], "rope_scaling": None,
        "rope_theta": s["rope_theta"], "tie_word_embeddings": True, "torch_dtype": "float32",
        "transformers_version": "4.45.0", "use_cache": True, "vocab_size": V_pad,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "generation_config.json").write_text(json.dumps({"eos_token_id": eos, "pad_token_id": eos, "do_sample": True, "temperature": 1.0}, indent=2) + "\n")
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False) + "\n")
    (out / "tokenizer_config.json").write_text(json.dumps(tcfg, indent=2) + "\n")


def write_tokens_fixture(examples, vocab):
    samples = [t for p, c in examples[:3] for t in (p, c)] + ["Maximize  x\t+ 3.5 y <= 10\n", "unknownword £ ünïcode"]
    TOKENS_FIXTURE.write_text(json.dumps([{"text": t, "ids": encode(t, vocab)} for t in samples], indent=1) + "\n")


if __name__ == "__main__":
    main()
