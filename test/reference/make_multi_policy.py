#!/usr/bin/env python3
"""The built-in policy v2, evom-tiny-multi: a tiny Llama that writes CPLEX LP, GNU MathProg or MiniZinc,
whichever the prompt names, supervised on generated problems.

    npx evom problems --family knapsack,production --difficulty 1 --count 6000 --seed 5001 > /tmp/sft-d1.jsonl
    npx evom problems --family knapsack,production --difficulty 2 --count 6000 --seed 5002 > /tmp/sft-d2.jsonl
    nice -n 10 /usr/bin/python3 test/reference/make_multi_policy.py /tmp/sft-d1.jsonl /tmp/sft-d2.jsonl 1800 1400

(the same problems as make_demo_policy.py's, each in three languages: 36,000 examples; an 1,800-step
cosine schedule, batch 32, lr 3e-3 to 2e-4, stopped at step 1,400 with the learning rate still at
5.6e-4; label smoothing 0.003. 1,991 s (33 min) on the two cores while two `evom demo` runs shared
them, one torch thread (EVOM_THREADS, default 1: two threads were 3-5x slower on the shared cores);
about 0.9 s a step, 21 min, with one core free. Held-out, 40 difficulty-2 problems (seed 900001),
sampled at temperature 1 with 112 new tokens (`evom eval --model public/models/evom-tiny-multi
--temperature 1 --max-new-tokens 112`): highs 77.5 % correct, glpk 80 %, minizinc 75 %, each
82.5 % executed; almost every miss is a slip (a stray token: format or parse error), few are wrong
numbers. At step 1,000 (same run): 70 / 52.5 / 55 %. Mean entropy along the gold completions,
teacher-forced: 0.041 nats/token (evom-tiny: 0.025); GRPO's sampling entropy on it: 0.05-0.11.)

(apt-get install python3-torch libopenblas0-pthread first: Debian torch on the reference BLAS is 5x slower)

Settings: EVOM_LABEL_SMOOTHING=EPS (default 0.003; 0 gives v1's plain cross-entropy), EVOM_THREADS=N
(torch threads, default 1), EVOM_POLICY_OUT=DIR writes the policy there instead of public/models/evom-tiny-multi (and
leaves the tokens fixture alone); EVOM_POLICY_SNAPSHOTS=DIR also writes DIR/step-N/ (a whole
policy) at every evaluation, to pick STOP with `evom eval`.

writes public/models/evom-tiny-multi/ (config.json, generation_config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) and test/fixtures/multi-policy-tokens.json (the ids this
script gives a few texts, which the TypeScript tokenizer must reproduce; checked by
test/multi-policy.test.ts).

Languages. Every problem is trained in each of three languages (so that reading the numbers, the
modeling, is shared and only the syntax differs), all built from the generator's glpk-json gold the
way v1 builds its LP: variables renamed x1…, every coefficient written (zeros included), one
constraint per row named c1…, nothing else:

    highs (CPLEX LP, v1's form)
    Maximize
     obj: 19 x1 + 32 x2
    Subject To
     c1: 2 x1 + 2 x2 <= 12
    Binary
     x1 x2
    End
    glpk (GNU MathProg)
    var x1 binary; var x2 binary;
    maximize obj: 19*x1 + 32*x2;
    c1: 2*x1 + 2*x2 <= 12;
    minizinc
    var 0..1: x1; var 0..1: x2;
    constraint 2*x1 + 2*x2 <= 12;
    solve maximize 19*x1 + 32*x2;

(declarations on one line, like LP's Binary section; integer columns:
`var x1 integer >= 0;` and `var 0..infinity: x1;`; continuous ones: `var x1 >= 0;` and
`var 0.0..infinity: x1;`). pulp is left out: its shortest canonical form (one LpVariable list
comprehension, `m += …` rows) takes about 121 tokens on average and 145 at most on difficulty-2
problems, over the built-in policy's 112 new tokens; the three above take at most about 99 (LP),
109 (MathProg) and 112 (MiniZinc), the wrapper `<think></think><code>\n…</code><|end|>` included
(on 2,040 difficulty-2 problems). Every canonical completion is judged correct by the verifier
(`evom eval --completions`, checked on 30 difficulty-2 problems per target before training).

Prompt. The host renders buildMessages(question, target) (a system message naming the target's
language, then the question) with the chat template below, which keeps the question and ends with a
tag for the target named in the system message: `<|user|>QUESTION<|assistant|><|glpk|>`
(MathProg → <|glpk|>, MiniZinc → <|minizinc|>, CPLEX LP → <|highs|>; any other target gets no tag).
The completion is v1's protocol: `<think></think><code>\nMODEL</code><|end|>`.

Tokenizer: v1's style (whole words with their leading space, single digits, punctuation; WordPiece
+ Split pre-tokenizer + Fuse decoder, so decoding reproduces the text exactly), with three pieces more
so that the two new languages cost about as many tokens as LP: `*x` (a word may lead with `*`
instead of a space: `19*x1` is ` 1 9 *x 1`), and `<=`, `>=`, `..` (with an optional leading space)
are one piece each.

Entropy. A policy that is right about 70 % of the time on ~90-token completions has little entropy
per token whatever it does (v1: 0.01-0.04 nats/token); the recipe adds label smoothing over the real
vocabulary (LABEL_SMOOTHING below, never over the padding rows, which stay unsampled), so that
every token keeps a small share of probability off the gold, and stops the cosine schedule early
(STOP), with its learning rate still high, like v1. The price: about one sample in six slips (a
stray word or a second <think></think><code> in the middle: a format or parse error), which is
what RL can first remove; EVOM_LABEL_SMOOTHING=0 gives a sharper policy with fewer slips.
"""

import json
import math
import os
import random
import re
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
# v1's pieces: the model, the LP form, the safetensors writer (v1's module reads sys.argv[3:5] as
# its own step counts at import; this script takes the same argument layout)
import make_demo_policy as v1  # noqa: E402
from make_demo_policy import Llama, canonical_lp, completion_text, greedy  # noqa: E402
from make_tiny_models import write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ["EVOM_POLICY_OUT"]) if os.environ.get("EVOM_POLICY_OUT") else ROOT / "public" / "models" / "evom-tiny-multi"
SNAPSHOTS = Path(os.environ["EVOM_POLICY_SNAPSHOTS"]) if os.environ.get("EVOM_POLICY_SNAPSHOTS") else None
TOKENS_FIXTURE = ROOT / "test" / "fixtures" / "multi-policy-tokens.json"

SPEC = dict(hidden=64, layers=4, heads=4, kv_heads=2, head_dim=16, inter=192, rope_theta=10000.0, eps=1e-5)
TRAIN = dict(steps=int(sys.argv[3]) if len(sys.argv) > 3 else 3000, stop=int(sys.argv[4]) if len(sys.argv) > 4 else 0, batch=32, lr=3e-3, min_lr=2e-4,
             warmup=100, weight_decay=0.01, seed=7, threads=int(os.environ.get("EVOM_THREADS", "1")), eval_every=250)
LABEL_SMOOTHING = float(os.environ.get("EVOM_LABEL_SMOOTHING", "0.003"))

TARGETS = ["highs", "glpk", "minizinc"]
TAGS = {t: f"<|{t}|>" for t in TARGETS}
SPECIALS = ["[UNK]", "<|user|>", "<|assistant|>", "<|end|>"] + [TAGS[t] for t in TARGETS]
ADDED = ["<think>", "</think>", "<code>", "</code>"]
PRETOKEN = r"[ *]?[A-Za-z_]+| ?[0-9]|\n| ?(?:<=|>=|\.\.)| ?[^\sA-Za-z0-9_]|[ \t]+"
# the system message names the language (src/targets/*/index.ts `language`); the tag goes last
TAG_RULES = [("MathProg", "glpk"), ("MiniZinc", "minizinc"), ("CPLEX LP", "highs")]
CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m.role == 'user' %}<|user|>{{ m.content }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% for m in messages %}{% if m.role == 'system' %}"
    + "".join(f"{'{% if' if i == 0 else '{% elif'} '{key}' in m.content %}}{TAGS[t]}" for i, (key, t) in enumerate(TAG_RULES))
    + "{% endif %}{% endif %}{% endfor %}{% endif %}"
)


# ---- the canonical models ------------------------------------------------------------------------

def _parse(gold):
    g = json.loads(gold)
    names = [v["name"] for v in g["objective"]["vars"]]
    for row in g["subjectTo"]:
        for v in row["vars"]:
            if v["name"] not in names:
                names.append(v["name"])
    return g, names, {n: f"x{i + 1}" for i, n in enumerate(names)}


def _num(c):
    return str(int(c)) if float(c).is_integer() else repr(float(c))


def _expr(vs, names, x):
    coef = {v["name"]: v["coef"] for v in vs}
    return " + ".join(f"{_num(coef.get(n, 0))}*{x[n]}" for n in names)


def _rows(g):
    for i, row in enumerate(g["subjectTo"]):
        b = row["bnds"]
        op, rhs = {3: ("<=", b["ub"]), 2: (">=", b["lb"]), 5: ("=", b["lb"])}[b["type"]]
        yield i, row, op, rhs


def _kind(g, n):
    return "bin" if n in (g.get("binaries") or []) else "int" if n in (g.get("generals") or []) else "cont"


def canonical_mathprog(gold):
    g, names, x = _parse(gold)
    lines = [" ".join({"bin": f"var {x[n]} binary;", "int": f"var {x[n]} integer >= 0;", "cont": f"var {x[n]} >= 0;"}[_kind(g, n)] for n in names)]
    sense = {1: "minimize", 2: "maximize"}[g["objective"]["direction"]]
    lines.append(f"{sense} obj: {_expr(g['objective']['vars'], names, x)};")
    lines += [f"c{i + 1}: {_expr(row['vars'], names, x)} {op} {_num(rhs)};" for i, row, op, rhs in _rows(g)]
    return "\n".join(lines) + "\n"


def canonical_minizinc(gold):
    g, names, x = _parse(gold)
    lines = [" ".join({"bin": f"var 0..1: {x[n]};", "int": f"var 0..infinity: {x[n]};", "cont": f"var 0.0..infinity: {x[n]};"}[_kind(g, n)] for n in names)]
    lines += [f"constraint {_expr(row['vars'], names, x)} {op} {_num(rhs)};" for i, row, op, rhs in _rows(g)]
    sense = {1: "minimize", 2: "maximize"}[g["objective"]["direction"]]
    lines.append(f"solve {sense} {_expr(g['objective']['vars'], names, x)};")
    return "\n".join(lines) + "\n"


CANONICAL = {"highs": canonical_lp, "glpk": canonical_mathprog, "minizinc": canonical_minizinc}


def prompt_text(question, target):
    return f"<|user|>{question}<|assistant|>{TAGS[target]}"


# ---- the tokenizer -------------------------------------------------------------------------------

def pieces(text):
    return v1.pieces(text, PRETOKEN, SPECIALS, ADDED)


def encode(text, vocab):
    return v1.encode(text, vocab, pretoken=PRETOKEN, specials=SPECIALS, added=ADDED)


def tokenizer_files(vocab):
    return v1.tokenizer_files(vocab, PRETOKEN, SPECIALS, ADDED, CHAT_TEMPLATE)


# ---- training ------------------------------------------------------------------------------------

def corpus(files):
    """(target, prompt, completion) for every problem in every language."""
    items = [json.loads(l) for f in files for l in Path(f).read_text().splitlines() if l.strip()]
    return [(t, prompt_text(it["question"], t), completion_text(CANONICAL[t](it["gold"]["glpk-json"]))) for it in items for t in TARGETS]


def main():
    files = sys.argv[1:3]
    torch.manual_seed(TRAIN["seed"])
    torch.set_num_threads(TRAIN["threads"])
    examples = corpus(files)
    counts = {}
    for _, p, c in examples:
        for piece in pieces(p + c):
            counts[piece] = counts.get(piece, 0) + 1
    fixed = SPECIALS + ADDED + [d for d in "0123456789"] + [" " + d for d in "0123456789"]
    rest = sorted((k for k, n in counts.items() if n >= 2 and k not in fixed), key=lambda k: (-counts[k], k))
    vocab = {t: i for i, t in enumerate(fixed + rest)}
    V = len(vocab)
    V_pad = (V + 63) // 64 * 64
    eos = vocab["<|end|>"]
    # label smoothing spreads over the ordinary tokens only (not [UNK], the prompt's specials, the padding)
    smooth_ids = torch.tensor([i for t, i in vocab.items() if t not in SPECIALS or t == "<|end|>"])
    data = [(t, encode(p, vocab), encode(c, vocab)) for t, p, c in examples]
    unk = sum(x.count(0) for _, p, c in data for x in (p, c)) / sum(len(p) + len(c) for _, p, c in data)
    lens = {t: [len(c) for tt, p, c in data if tt == t] for t in TARGETS}
    print(f"{len(data)} examples, vocab {V} (padded {V_pad}), unk rate {unk:.4%}, completion tokens "
          + ", ".join(f"{t} mean {sum(l) / len(l):.0f} max {max(l)}" for t, l in lens.items()), flush=True)
    # hold out whole problems (all their languages) for the exact-match check
    n_items = len(data) // len(TARGETS)
    order = list(range(n_items))
    random.Random(TRAIN["seed"]).shuffle(order)
    held_items = set(order[:24])
    held = [data[i * len(TARGETS) + k] for i in order[:8] for k in range(len(TARGETS))]
    train = [d for j, d in enumerate(data) if j // len(TARGETS) not in held_items]

    model = Llama(SPEC, V_pad)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": TRAIN["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}], lr=TRAIN["lr"], betas=(0.9, 0.95))
    steps, B = TRAIN["steps"], TRAIN["batch"]
    rng = random.Random(TRAIN["seed"] + 1)
    t0 = time.time()
    last = TRAIN["stop"] or steps
    print(f"params {sum(p.numel() for p in model.parameters())}, label smoothing {LABEL_SMOOTHING}, schedule {steps} steps, stop at {last}", flush=True)
    for step in range(1, last + 1):
        lr = TRAIN["lr"] * min(1.0, step / TRAIN["warmup"])
        if step > TRAIN["warmup"]:
            lr = TRAIN["min_lr"] + 0.5 * (TRAIN["lr"] - TRAIN["min_lr"]) * (1 + math.cos(math.pi * (step - TRAIN["warmup"]) / (steps - TRAIN["warmup"])))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = [train[rng.randrange(len(train))] for _ in range(B)]
        T = max(len(p) + len(c) for _, p, c in batch)
        ids = torch.full((B, T), eos, dtype=torch.long)
        tgt = torch.full((B, T), -100, dtype=torch.long)
        for b, (_, p, c) in enumerate(batch):
            seq = p + c
            ids[b, :len(seq)] = torch.tensor(seq)
            tgt[b, len(p) - 1:len(seq) - 1] = torch.tensor(c)  # loss on the completion only
        logits = model(ids).view(-1, V_pad)
        flat = tgt.view(-1)
        keep = flat != -100
        logp = F.log_softmax(logits[keep], -1)
        nll = -logp.gather(1, flat[keep][:, None]).squeeze(1)
        loss = ((1 - LABEL_SMOOTHING) * nll - LABEL_SMOOTHING * logp[:, smooth_ids].mean(-1)).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step in (1, 10):
            with torch.no_grad():
                ent = -(logp.exp() * logp).sum(-1).mean().item()
            print(f"step {step}/{last} ({steps}) nll {nll.mean().item():.4f} entropy {ent:.3f} lr {lr:.2e} {time.time() - t0:.0f} s", flush=True)
        if step % TRAIN["eval_every"] == 0 or step == last:
            model.eval()
            exact = {t: sum(greedy(model, p, eos, 130) == c for tt, p, c in held if tt == t) for t in TARGETS}
            model.train()
            print(f"  held-out exact greedy completions: " + ", ".join(f"{t} {n}/8" for t, n in exact.items()) + f" ({time.time() - t0:.0f} s)", flush=True)
            if SNAPSHOTS:
                save(model, vocab, V_pad, eos, [], SNAPSHOTS / f"step-{step}")
            save(model, vocab, V_pad, eos, [], OUT)
    save(model, vocab, V_pad, eos, examples, OUT)
    print(f"done: {last} steps in {time.time() - t0:.0f} s", flush=True)


def save(model, vocab, V_pad, eos, examples, out):
    v1.write_policy(out, model, V_pad, eos, *tokenizer_files(vocab), spec=SPEC)
    if examples and not os.environ.get("EVOM_POLICY_OUT"):
        write_tokens_fixture(examples, vocab)


def write_tokens_fixture(examples, vocab):
    # one problem in every language (prompt and completion), then texts the pre-tokenizer must split alike
    samples = [t for _, p, c in examples[:len(TARGETS)] for t in (p, c)]
    samples += ["Maximize  x\t+ 3.5 y <= 10\n", "var 0.0..infinity: x2;\nc1: 3*x1 >= 2; a**b <=>= ..", "unknownword £ ünïcode"]
    TOKENS_FIXTURE.write_text(json.dumps([{"text": t, "ids": encode(t, vocab)} for t in samples], indent=1) + "\n")


if __name__ == "__main__":
    main()
