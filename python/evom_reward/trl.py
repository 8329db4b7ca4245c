"""A TRL reward function: ``GRPOTrainer(reward_funcs=reward_func, ...)``.

TRL calls it with keyword arguments: ``prompts``, ``completions`` (strings, or lists of chat
messages), ``completion_ids``, ``trainer_state`` and every dataset column but ``prompt``. This one
reads the columns ``answer`` (or ``ground_truth``), ``target`` (default EVOM_TARGET or "highs"),
``question`` (the problem's text, for the integrity rule) and ``tolerance``. An item no server could
score, or one without an answer, gets ``None``: TRL leaves it out instead of training on a zero.
"""

import os
import sys
from typing import Any, List, Optional

try:
    from .client import EvomError
    from .score import Job, score_jobs
except ImportError:  # loaded by path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from evom_reward.client import EvomError
    from evom_reward.score import Job, score_jobs

__all__ = ["reward_func", "completion_text"]


def completion_text(completion: Any) -> Any:
    """A completion's text: a string as is; chat messages: the assistant's contents in order."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        parts = []
        for m in completion:
            if not isinstance(m, dict) or m.get("role", "assistant") != "assistant":
                continue
            content = m.get("content")
            if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if isinstance(content, str):
                parts.append(content)
        return "\n".join(parts)
    return completion


def _column(kwargs: dict, name: str, n: int) -> List[Any]:
    v = kwargs.get(name)
    if v is None or isinstance(v, (str, bytes, int, float, dict)):
        return [v] * n  # one value for every completion
    v = list(v)
    if len(v) != n:
        raise ValueError(f"the column {name!r} has {len(v)} values for {n} completions")
    return v


def reward_func(completions: List[Any], **kwargs: Any) -> List[Optional[float]]:
    """EVOM rewards of a batch of completions, in order; None where there is none."""
    n = len(completions)
    key = "answer" if "answer" in kwargs else "ground_truth" if "ground_truth" in kwargs else None
    if key is None:
        raise ValueError("no expected answers: give the dataset an 'answer' column (a number or \"infeasible\")")
    answers, targets = _column(kwargs, key, n), _column(kwargs, "target", n)
    questions, tolerances = _column(kwargs, "question", n), _column(kwargs, "tolerance", n)
    out: List[Optional[float]] = [None] * n
    jobs, where = [], []
    for i in range(n):
        if answers[i] is None:
            continue  # not an item this function scores
        jobs.append(Job(completion_text(completions[i]), answers[i], target=targets[i], question=questions[i], tolerance=tolerances[i]))
        where.append(i)
    for i, s in zip(where, score_jobs(jobs)):
        out[i] = None if isinstance(s, EvomError) else s
    return out
