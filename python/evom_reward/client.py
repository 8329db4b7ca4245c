"""A client for ``evom serve`` (server/http.ts) in the standard library only.

Pacing, as the TypeScript client (src/verifier/remote.ts) does it: read ``GET /healthz`` once per
server for its ``limits``; keep at most ``min(per_token_concurrency, 2 * workers)`` items in flight
per server, in ``POST /v1/batch`` requests of at most ``max_batch`` items and ``max_request_bytes``;
on 429 and 503 wait as ``Retry-After`` says (with exponential backoff and jitter; 429 also halves
what is sent at once) without using up attempts; on connection errors, timeouts and other 5xx
answers rest that server and retry on the next one. A request no server could answer after
``attempts`` failures (or after ``patience_s`` of busy answers) ends in ``ServerUnavailable``; a
request the server refused (401, 403, 4xx, or an item answered ``{"error", "status": 4xx}``) ends in
``RequestRefused``. Both are ``RuntimeError``s, never a reward.
"""

import http.client
import json
import math
import os
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Union

DEFAULT_WINDOW = 4  # requests in flight when a server does not say (remote.ts)
DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_CODE_BYTES = 256 * 1024
DEFAULT_TIME_LIMIT_S = 10  # the server's default_time_limit_s
_BODY_MARGIN = 1024  # bytes kept free in a batch body for '{"items": [', commas and ']}'


class EvomError(RuntimeError):
    """No reward could be computed for an item (the trainer must see a failure, not a zero)."""


class ServerUnavailable(EvomError):
    """No sandbox server could run the item: connection errors, timeouts, 5xx, or busy too long."""


class RequestRefused(EvomError):
    """A server refused the request or the item (bad token, bad request, too large)."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


Result = Union[Dict[str, Any], EvomError]


class _Server:
    def __init__(self, url: str):
        self.url = url
        self.window = self.advertised = DEFAULT_WINDOW
        self.workers = 1
        self.concurrency = 1  # min(workers, per_token_concurrency): runs of this token at once
        self.max_batch = DEFAULT_MAX_BATCH
        self.max_request_bytes = DEFAULT_MAX_REQUEST_BYTES
        self.max_code_bytes = DEFAULT_MAX_CODE_BYTES
        self.learned = False
        self.inflight = 0
        self.rest_until = 0.0
        self.served = self.failures = self.busy = 0


def _split_urls(urls: Union[str, Sequence[str], None]) -> List[str]:
    if urls is None:
        urls = os.environ.get("EVOM_SERVER_URL", "")
    if isinstance(urls, str):
        urls = urls.split(",")
    out = [u.strip().rstrip("/") for u in urls if u and u.strip()]
    if not out:
        raise ValueError("no sandbox server URL: set EVOM_SERVER_URL (comma-separated for several servers)")
    return out


class EvomClient:
    """Runs model code on one or more sandbox servers. Thread-safe; one per process is enough."""

    def __init__(self, urls: Union[str, Sequence[str], None] = None, token: Optional[str] = None, *,
                 attempts: int = 4, backoff_s: float = 0.25, max_backoff_s: float = 30.0,
                 patience_s: float = 600.0, rest_s: float = 5.0, timeout_s: Optional[float] = None):
        self.servers = [_Server(u) for u in _split_urls(urls)]
        self.token = token if token is not None else os.environ.get("EVOM_SERVER_TOKEN", "")
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.patience_s = patience_s
        self.rest_s = rest_s
        self.timeout_s = timeout_s
        self._cond = threading.Condition()
        self._learn_lock = threading.Lock()
        self._learned_once = False
        self._sleep = time.sleep  # tests record the waits here
        self._clock = time.monotonic  # and count patience in them

    # -- limits ---------------------------------------------------------------------------------

    def learn_limits(self) -> None:
        """GET /healthz of every server once; a server that does not answer keeps the defaults."""
        with self._learn_lock:
            if self._learned_once:
                return
            self._learned_once = True
            for s in self.servers:
                try:
                    with urllib.request.urlopen(urllib.request.Request(s.url + "/healthz"), timeout=10) as res:
                        limits = json.loads(res.read()).get("limits") or {}
                except (OSError, http.client.HTTPException, ValueError, AttributeError):
                    continue  # unreachable now: the first request finds out
                pcc, workers = limits.get("per_token_concurrency"), limits.get("workers")
                if isinstance(pcc, int) and isinstance(workers, int):
                    s.workers = max(1, workers)
                    s.concurrency = max(1, min(s.workers, pcc))
                    s.window = s.advertised = max(1, min(pcc, 2 * s.workers))
                for key in ("max_batch", "max_request_bytes", "max_code_bytes"):
                    if isinstance(limits.get(key), int) and limits[key] > 0:
                        setattr(s, key, limits[key])
                s.learned = True

    def max_code_bytes(self) -> int:
        """The smallest model code (UTF-8 bytes) every server accepts."""
        self.learn_limits()
        return min(s.max_code_bytes for s in self.servers)

    def stats(self) -> List[Dict[str, Any]]:
        """Per server: requests answered, failures, 429/503 answers, window now."""
        with self._cond:
            return [{"url": s.url, "served": s.served, "failures": s.failures, "busy": s.busy,
                     "window": s.window, "advertised": s.advertised, "learned": s.learned} for s in self.servers]

    # -- running --------------------------------------------------------------------------------

    def run(self, items: Sequence[Dict[str, Any]]) -> List[Result]:
        """Run every item (``{target, code, answer, question?, ...}``) on the servers; one result
        per item, in order: the server's outcome (a dict with ``class`` and ``reward``), or an
        ``EvomError``. Never raises for a failed item."""
        if not items:
            return []
        self.learn_limits()
        results: List[Optional[Result]] = [None] * len(items)
        bodies = [json.dumps(it) for it in items]  # ASCII (ensure_ascii): its length is its size in bytes
        chunks = self._chunks(bodies, results)
        if chunks:
            capacity = sum(max(1, s.advertised) for s in self.servers)
            with ThreadPoolExecutor(max_workers=max(1, min(len(chunks), capacity, 64))) as pool:
                for f in [pool.submit(self._send, c, bodies, results) for c in chunks]:
                    f.result()
        return [r if r is not None else ServerUnavailable("internal error: no result") for r in results]

    def _chunks(self, bodies: List[str], results: List[Optional[Result]]) -> List[List[int]]:
        """Batches: at most max_batch items, half a server's window (so two overlap), and a body
        within max_request_bytes. An item too large for any body is refused here."""
        size = max(1, min(min(s.max_batch, max(1, s.advertised // 2)) for s in self.servers))
        limit = min(s.max_request_bytes for s in self.servers) - _BODY_MARGIN
        chunks: List[List[int]] = []
        cur: List[int] = []
        cur_bytes = 0
        for i, b in enumerate(bodies):
            if len(b) > limit:
                results[i] = RequestRefused(f"the request for this item is {len(b)} bytes; the server takes at most {limit + _BODY_MARGIN}", 413)
                continue
            if cur and (len(cur) >= size or cur_bytes + len(b) + 2 > limit):
                chunks.append(cur)
                cur, cur_bytes = [], 0
            cur.append(i)
            cur_bytes += len(b) + 2
        if cur:
            chunks.append(cur)
        return chunks

    def _acquire(self, n: int) -> _Server:
        """A server with room for n items (not resting first, most room first); waits for one."""
        with self._cond:
            while True:
                now = time.monotonic()
                room = [s for s in self.servers if s.inflight == 0 or s.inflight + n <= s.window]
                up = [s for s in room if s.rest_until <= now]
                pool = up or (room if all(s.rest_until > now for s in self.servers) else [])
                if pool:
                    s = max(pool, key=lambda x: x.window - x.inflight)
                    s.inflight += n
                    return s
                self._cond.wait(timeout=0.5)  # a resting server becomes usable without any release

    def _release(self, s: _Server, n: int) -> None:
        with self._cond:
            s.inflight -= n
            self._cond.notify_all()

    def _timeout(self, s: _Server, bodies: List[str], idx: List[int]) -> float:
        if self.timeout_s is not None:
            return self.timeout_s
        limit = DEFAULT_TIME_LIMIT_S
        for i in idx:
            try:
                limit = max(limit, float(json.loads(bodies[i]).get("time_limit_s") or 0))
            except (ValueError, AttributeError):
                pass
        # every run of this client on this server may be ahead of the last one, a few at a time
        return (limit + 5) * math.ceil(max(s.window, len(idx)) / s.concurrency) + 30

    def _post(self, s: _Server, body: bytes, timeout: float):
        """POST /v1/batch; (status, headers, parsed JSON or None)."""
        req = urllib.request.Request(s.url + "/v1/batch", data=body, method="POST", headers={
            "content-type": "application/json", "authorization": f"Bearer {self.token}", "user-agent": "evom-reward/1"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                status, headers, text = res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            status, headers = e.code, e.headers
            try:
                text = e.read()
            except (OSError, http.client.HTTPException):
                text = b""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, headers, parsed

    def _send(self, idx: List[int], bodies: List[str], results: List[Optional[Result]]) -> None:
        """Send one batch until every item has a result (splitting it where a server says 413)."""
        pending = list(idx)
        failures = 0
        problems: List[str] = []
        backoff = self.backoff_s
        deadline = self._clock() + self.patience_s
        while pending:
            n = len(pending)
            s = self._acquire(n)
            wait = 0.0
            try:
                body = ("{\"items\": [" + ", ".join(bodies[i] for i in pending) + "]}").encode()
                status, headers, parsed = self._post(s, body, self._timeout(s, bodies, pending))
                msg = parsed.get("error") if isinstance(parsed, dict) else None
                answers = parsed.get("results") if isinstance(parsed, dict) else None
                if status == 200 and isinstance(answers, list) and len(answers) == len(pending):
                    retry = []
                    for i, a in zip(pending, answers):
                        if isinstance(a, dict) and "error" in a and "class" not in a:
                            st = a.get("status")
                            if isinstance(st, int) and 400 <= st < 500:
                                results[i] = RequestRefused(f"{s.url} refused the item: {a['error']}", st)
                            else:
                                retry.append(i)
                                problems.append(f"{s.url}: item error {st} {a['error']}")
                        elif isinstance(a, dict):
                            results[i] = a
                        else:
                            retry.append(i)
                            problems.append(f"{s.url}: an item's answer is not an object")
                    with self._cond:
                        s.served += 1
                        s.window = min(s.advertised, s.window + 1)
                    if not retry:
                        return
                    pending = retry
                    failures += 1
                    wait = backoff
                elif status in (401, 403):
                    self._refuse(pending, results, f"{s.url} rejected the token: {msg or status}", status)
                    return
                elif status == 413 and len(pending) > 1:
                    half = n // 2  # this server takes less than it said: send halves
                    self._release(s, n)
                    s = None
                    self._send(pending[:half], bodies, results)
                    self._send(pending[half:], bodies, results)
                    return
                elif status in (400, 413, 422):
                    self._refuse(pending, results, f"{s.url} refused the request: {msg or status}", status)
                    return
                elif status in (429, 503):
                    # busy, not broken: wait as told, send less at once, keep the attempts
                    problems.append(f"{s.url}: HTTP {status} {msg or ''}".rstrip())
                    with self._cond:
                        s.busy += 1
                        if status == 429:
                            s.window = max(1, s.window // 2)
                    try:
                        retry_after = float(headers.get("retry-after") or 1)
                    except (TypeError, ValueError):
                        retry_after = 1.0
                    wait = max(backoff, retry_after)
                else:
                    failures += 1
                    problems.append(f"{s.url}: HTTP {status} {msg or ''}".rstrip())
                    self._rest(s)
                    wait = backoff
            except (OSError, http.client.HTTPException, ValueError) as e:
                # connection refused or reset, timeout, the server died mid-run, a bad URL
                failures += 1
                problems.append(f"{s.url}: {type(e).__name__}: {e}")
                self._rest(s)
                wait = backoff
            finally:
                if s is not None:
                    self._release(s, n)
            if failures >= self.attempts:
                self._fail(pending, results, f"no sandbox server could run the code after {failures} failed attempts: {'; '.join(problems[-self.attempts:])}")
                return
            if self._clock() + wait > deadline:
                self._fail(pending, results, f"the sandbox servers stayed busy for {self.patience_s:g} s: {'; '.join(problems[-3:])}")
                return
            self._sleep(wait * (1 + random.random() * 0.25))  # jitter: clients that met a 429 together spread out
            backoff = min(self.max_backoff_s, backoff * 2)

    def _rest(self, s: _Server) -> None:
        with self._cond:
            s.failures += 1
            s.rest_until = time.monotonic() + self.rest_s

    @staticmethod
    def _refuse(idx, results, message, status) -> None:
        for i in idx:
            results[i] = RequestRefused(message, status)

    @staticmethod
    def _fail(idx, results, message) -> None:
        for i in idx:
            results[i] = ServerUnavailable(message)
