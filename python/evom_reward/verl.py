"""verl's custom reward function: ``custom_reward_function.path=python/evom_reward/verl.py`` with
``custom_reward_function.name=compute_score`` (one item per call, the naive reward manager) or
``compute_score_batch`` (with ``reward_model.reward_manager=batch``).

verl loads this file by its path (not as a package), so the package is imported from the folder
above it. A completion no server could score raises ``RuntimeError`` (``EvomError``): the trainer
sees a failure, never a made-up zero.
"""

import os
import sys
from typing import Any, List, Optional, Sequence

try:
    from .client import EvomError
    from .score import Job, score_jobs
except ImportError:  # loaded by path: import the package from the folder above this file
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from evom_reward.client import EvomError
    from evom_reward.score import Job, score_jobs

__all__ = ["compute_score", "compute_score_batch"]


def _job(solution_str: Any, ground_truth: Any, extra_info: Any) -> Job:
    info = extra_info if hasattr(extra_info, "get") else {}
    return Job(solution_str, ground_truth, target=info.get("target"), question=info.get("question"),
               tolerance=info.get("tolerance"), time_limit_s=info.get("time_limit_s"))


def _raise_failures(scores: List[Any]) -> List[float]:
    failed = [(i, s) for i, s in enumerate(scores) if isinstance(s, EvomError)]
    if failed:
        i, first = failed[0]
        raise type(first)(f"{len(failed)} of {len(scores)} completions could not be scored (item {i}: {first})")
    return scores


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[dict] = None, **kwargs: Any) -> float:
    """The EVOM reward of one completion. ``extra_info``: ``target`` (default EVOM_TARGET or
    "highs"), ``question`` (the problem's text, for the integrity rule), ``tolerance``, ``time_limit_s``."""
    return _raise_failures(score_jobs([_job(solution_str, ground_truth, extra_info)]))[0]


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Optional[Sequence[Any]] = None, **kwargs: Any) -> List[float]:
    """The EVOM rewards of a batch, in order (verl's BatchRewardManager calls it with these keywords)."""
    n = len(solution_strs)
    if extra_infos is None:
        extra_infos = [None] * n
    if len(ground_truths) != n or len(extra_infos) != n:
        raise ValueError(f"{n} solution_strs, {len(ground_truths)} ground_truths, {len(extra_infos)} extra_infos")
    return _raise_failures(score_jobs([_job(s, g, e) for s, g, e in zip(solution_strs, ground_truths, extra_infos)]))
