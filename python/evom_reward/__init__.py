"""EVOM's verifier as a reward for verl and TRL, through a running ``evom serve`` (standard library
only). Environment: EVOM_SERVER_URL (comma-separated for several servers), EVOM_SERVER_TOKEN,
EVOM_TARGET (default target, "highs"), EVOM_PROTOCOL ("lenient" or "strict")."""

from .client import EvomClient, EvomError, RequestRefused, ServerUnavailable
from .protocol import Extraction, extract_code
from .score import Job, score_jobs
from .trl import reward_func
from .verl import compute_score, compute_score_batch

__all__ = ["EvomClient", "EvomError", "RequestRefused", "ServerUnavailable", "Extraction", "extract_code",
           "Job", "score_jobs", "reward_func", "compute_score", "compute_score_batch"]
