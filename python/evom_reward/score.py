"""Completions to rewards: extract the code here (protocol.py), run it on the servers (client.py),
and take each outcome's ``reward``. Shared by the verl and TRL entry points.

Rewards decided here, without a server, as EVOM's ``prepare()`` and ``score()`` decide them
(src/verifier/score.ts; the server's default weights: format 1, answer 1, exec 0):
  - no code block (or a completion over 8 MiB): ``format_error``, reward 0.0;
  - code larger than the servers take (``max_code_bytes``, at most 4 MiB): ``parse_error``, which
    keeps the format reward, 1.0.
"""

import math
import os
import threading
from typing import Any, List, Optional, Sequence, Union

from .client import EvomClient, EvomError, RequestRefused, Result
from .protocol import FENCES, extract_code

DEFAULT_TARGET = "highs"
FORMAT_ERROR_REWARD = 0.0
PARSE_ERROR_REWARD = 1.0  # w_format: the completion kept the protocol
MAX_COMPLETION_CHARS = 8 * 1024 * 1024  # the verifier's max_completion_bytes
MAX_CODE_BYTES = 4 * 1024 * 1024  # the verifier's max_code_bytes

_lock = threading.Lock()
_clients = {}


def default_client() -> EvomClient:
    """One client per (EVOM_SERVER_URL, EVOM_SERVER_TOKEN), made on first use."""
    key = (os.environ.get("EVOM_SERVER_URL", ""), os.environ.get("EVOM_SERVER_TOKEN", ""))
    with _lock:
        if key not in _clients:
            _clients[key] = EvomClient(key[0], key[1])
        return _clients[key]


def default_target() -> str:
    return os.environ.get("EVOM_TARGET") or DEFAULT_TARGET


def normalize_answer(answer: Any) -> Union[float, str]:
    """A finite number or "infeasible" (the server checks the rest); numpy scalars become floats."""
    if isinstance(answer, str):
        return answer
    if answer is None or isinstance(answer, bool):
        raise ValueError(f"the expected answer must be a number or \"infeasible\", got {answer!r}")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise ValueError(f"the expected answer must be a number or \"infeasible\", got {answer!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"the expected answer must be finite, got {answer!r}")
    return value


class Job:
    """One completion to score: target, expected answer, problem text, extra request fields."""

    __slots__ = ("completion", "target", "answer", "question", "extra")

    def __init__(self, completion: Any, answer: Any, target: Optional[str] = None, question: Any = None, **extra: Any):
        self.completion = completion
        self.answer = answer
        self.target = target or default_target()
        self.question = question if question is None or isinstance(question, str) else str(question)
        self.extra = {k: v for k, v in extra.items() if v is not None}


def score_jobs(jobs: Sequence[Job], client: Optional[EvomClient] = None) -> List[Union[float, EvomError]]:
    """One reward per job, in order, or the error that kept it from having one (an expected answer
    that is neither a finite number nor a string is refused here, as the server would)."""
    client = client or default_client()
    protocol = os.environ.get("EVOM_PROTOCOL", "lenient")
    out: List[Any] = [None] * len(jobs)
    items, where = [], []
    limit = None
    for i, j in enumerate(jobs):
        try:
            answer = normalize_answer(j.answer)
        except ValueError as e:
            out[i] = RequestRefused(str(e), 400)
            continue
        text = j.completion
        if not isinstance(text, str) or len(text) > MAX_COMPLETION_CHARS:
            out[i] = FORMAT_ERROR_REWARD
            continue
        ex = extract_code(text, protocol, FENCES.get(j.target, ()))
        if not ex.ok:
            out[i] = FORMAT_ERROR_REWARD
            continue
        if limit is None:
            limit = min(MAX_CODE_BYTES, client.max_code_bytes())
        if len(ex.code.encode("utf-8", "surrogatepass")) > limit:
            out[i] = PARSE_ERROR_REWARD
            continue
        item = {"target": j.target, "code": ex.code, "answer": answer, **j.extra}
        if j.question is not None:
            item["question"] = j.question
        items.append(item)
        where.append(i)
    for i, r in zip(where, client.run(items)):
        out[i] = _reward(r)
    return out


def _reward(r: Result) -> Union[float, EvomError]:
    if isinstance(r, EvomError):
        return r
    reward = r.get("reward")
    if isinstance(reward, bool) or not isinstance(reward, (int, float)):
        return RequestRefused(f"the server's outcome has no reward (class {r.get('class')!r})")
    return float(reward)
