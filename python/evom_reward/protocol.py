"""EVOM's completion protocol in Python: ``<think>...</think><code>...</code>``, with a fenced code
block accepted as a fallback in lenient mode. A mirror of ``src/verifier/protocol.ts``; never raises:
a bad completion is an ``Extraction`` with ``ok=False`` and a reason.

How a completion is read (one pass over the text, linear in its length):
  - the code block is the one after ``</think>``: tags mentioned while thinking are not blocks (a
    ``</think>`` with no ``<think>`` before it closes a thinking part the prompt opened);
  - ``<code lang="lp">`` and other attributes are accepted; a fence inside the block is stripped;
  - lenient mode, no ``<code>`` block: one fenced block is the code; with several, the one whose info
    string names the target's language (``FENCES``). The browser also tries "the first that parses"
    with the target's checker; this client has no checkers, so several unmarked fences are a format
    error here.
"""

import re
from typing import NamedTuple, Optional, Sequence

# Fence info strings of each target's language (TargetModule.fences in src/targets/*/index.ts).
_PYTHON_FENCES = ("python", "py", "python3")
FENCES = {
    "highs": ("lp", "cplex", "cplex-lp"),
    "glpk": ("mathprog", "gmpl", "mod", "ampl", "glpk"),
    "glpk-json": ("json",),
    **{t: ("minizinc", "mzn") for t in ("minizinc", "minizinc-cbc", "minizinc-gecode", "minizinc-chuffed")},
    **{t: _PYTHON_FENCES for t in ("pulp", "scipy", "cvxopt", "swiglpk", "ortools", "gurobi", "copt")},
}


class Extraction(NamedTuple):
    ok: bool
    code: Optional[str] = None
    via: Optional[str] = None  # 'code_tag' | 'fence'
    think: Optional[str] = None
    reason: Optional[str] = None


def _fail(reason: str) -> Extraction:
    return Extraction(False, reason=reason)


# JavaScript's whitespace (\s and String.prototype.trim), so that blank() and the regular expressions
# below mean what they mean in protocol.ts.
_WS = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_S = "[" + re.escape(_WS) + "]"

# An opening or closing think/code tag; attributes up to 200 characters. Every match starts at '<'
# and is bounded, so the scan is linear.
_TAG = re.compile(r"<(/?)(think|code)(?=" + _S + r"|>)([^<>]{0,200})>")
_LEADING_BREAK = re.compile(r"\A[ \t]*\r?\n")
_FENCE_LINE = re.compile(r"[ \t]*```")
_FENCE_INFO = re.compile(r"[ \t]*```[ \t]*([A-Za-z0-9_+.-]*)")
_FENCE_CLOSE = re.compile(r"[ \t]*```[ \t]*")


def _js_trim(s: str) -> str:
    return s.strip(_WS)


def _blank(s: str) -> bool:
    return _js_trim(s) == ""


def _strip_inner_fence(code: str) -> str:
    r"""<code>```lp ... ```</code>: models often fence inside the tag; keep the fenced body. What
    protocol.ts's /^\s*```[^\n]*\n([\s\S]*?)\n?[ \t]*```\s*$/ matches, found without backtracking
    (that expression takes quadratic time on a long run of spaces before the closing fence)."""
    i = len(code) - len(code.lstrip(_WS))
    if code.startswith("```", i):
        nl = code.find("\n", i + 3)
        if nl >= 0:
            body = nl + 1
            end = len(code.rstrip(_WS))
            close = end - 3  # the closing fence: the last ```, with only whitespace after it
            if close >= body and code[close:end] == "```":
                stop = close
                while stop > body and code[stop - 1] in " \t":
                    stop -= 1
                if stop - 1 >= body and code[stop - 1] == "\n":
                    stop -= 1
                return code[body:stop]
    # Drop the line break right after <code> so line 1 is the model's first line.
    return _LEADING_BREAK.sub("", code, count=1)


def extract_code(completion, strictness: str = "lenient", fences: Sequence[str] = ()) -> Extraction:
    """The model's code in a completion, or why there is none (a format error)."""
    if not isinstance(completion, str):
        return _fail("the completion is not text")
    strict = strictness == "strict"

    tags = []  # (start, end, close, name)
    for m in _TAG.finditer(completion):
        if m.group(1) == "/" and _js_trim(m.group(3)) != "":
            continue  # </code foo> is not a closing tag
        tags.append((m.start(), m.end(), m.group(1) == "/", m.group(2)))

    # The thinking part: from the first <think> to the first </think> after it; a </think> with no
    # <think> before it closes a thinking part the prompt opened.
    first_open = next((t for t in tags if t[3] == "think" and not t[2]), None)
    think_close = next((t for t in tags if t[3] == "think" and t[2] and (first_open is None or t[0] > first_open[0])), None)
    if first_open is not None and think_close is None:
        return _fail("<think> is opened but never closed with </think>, so no code block follows it")
    think_end = think_close[1] if think_close else 0
    think = completion[(first_open[1] if first_open else 0):think_close[0]] if think_close else None

    after = [t for t in tags if t[0] >= think_end and t[3] == "code"]
    opens = [t for t in after if not t[2]]
    if opens:
        open_ = opens[0]
        close = next((t for t in after if t[2] and t[0] > open_[0]), None)
        if close is None:
            return _fail("<code> is opened but never closed with </code>")
        if len(opens) > 1 and opens[1][0] < close[0]:
            return _fail("a <code> tag inside the <code> block: write exactly one <code>…</code>")
        if len(opens) > 1:
            return _fail(f"found {len(opens)} <code> blocks; expected exactly one")
        if strict and not (first_open is not None and _blank(completion[:first_open[0]])
                           and _blank(completion[think_end:open_[0]]) and _blank(completion[close[1]:])):
            return _fail("strict protocol: expected exactly <think>…</think> followed by <code>…</code> and nothing else")
        code = _strip_inner_fence(completion[open_[1]:close[0]])
        if _js_trim(code) == "":
            return _fail("the <code> block is empty")
        return Extraction(True, code=code, via="code_tag", think=think)
    if strict:
        return _fail("no <code>…</code> block found")
    return _fenced_block(completion, think_end, tuple(fences), think)


def _fenced_block(text: str, start: int, fences: tuple, think: Optional[str]) -> Extraction:
    """Lenient mode: fenced blocks after the thinking part, one line at a time."""
    blocks = []  # (info, body)
    open_ = None  # (info, body_start)
    pos = start
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        fence = _FENCE_LINE.match(text, pos, line_end) is not None
        if fence and open_ is None:
            m = _FENCE_INFO.match(text, pos, line_end)
            open_ = ((m.group(1) if m else "").lower(), line_end + 1)
        elif fence and open_ is not None and _FENCE_CLOSE.fullmatch(text, pos, line_end):
            blocks.append((open_[0], text[min(open_[1], pos):pos]))
            open_ = None
        if nl < 0:
            break
        pos = nl + 1
    if open_ is not None:
        return _fail("a ``` fence is opened but never closed on its own line")
    if not blocks:
        return _fail("no <code>…</code> block and no fenced code block found")
    pick = blocks[0] if len(blocks) == 1 else None
    if pick is None and fences:
        pick = next((b for b in blocks if b[0] in fences), None)
    if pick is None:
        lang = f" (or one marked ```{fences[0]})" if fences else ""
        return _fail(f"no <code> block, and {len(blocks)} fenced code blocks; expected exactly one{lang}")
    if _js_trim(pick[1]) == "":
        return _fail("the fenced code block is empty")
    return Extraction(True, code=pick[1], via="fence", think=think)
