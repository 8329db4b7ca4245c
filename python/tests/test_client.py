"""The client's pacing and failure handling against a scripted stand-in for `evom serve` (the real
server, with its sandbox, is exercised by test/python-reward.test.ts).
Run: PYTHONPATH=python python3 -m unittest discover -s python/tests"""

import importlib.util
import json
import os
import socket
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from evom_reward.client import EvomClient, RequestRefused, ServerUnavailable
from evom_reward.score import Job, score_jobs

OK = "<think>t</think><code>\nimport pulp\nOK\n</code>"
WRONG = "<think>t</think><code>\nimport pulp\nWRONG\n</code>"
HERE = os.path.dirname(os.path.abspath(__file__))


class FakeServer:
    """/healthz with the given limits; /v1/batch answers each item from its code: 'OK' → correct
    (reward 2), 'WRONG' → wrong_answer (1), 'REFUSE' → {error, status: 400}, 'FLAKY' → an item
    error 500 the first time. `script` is a list of (status, headers) answered before the batch is
    run, one per request, e.g. [(429, {"Retry-After": "3"})]."""

    def __init__(self, limits=None, script=(), delay=0.0):
        self.limits = {"workers": 2, "per_token_concurrency": 16, "max_batch": 64, "max_request_bytes": 4 << 20, "max_code_bytes": 256 << 10, **(limits or {})}
        self.script = list(script)
        self.delay = delay
        self.lock = threading.Lock()
        self.batches = []  # item counts of the batches run
        self.requests = 0
        self.inflight = self.max_inflight = 0
        self.flaky_seen = set()
        self.received = []  # every item of every batch run
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.reply(200, {"ok": True, "limits": fake.limits})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with fake.lock:
                    fake.requests += 1
                    step = fake.script.pop(0) if fake.script else None
                if self.headers.get("authorization") != "Bearer tok-0123456789abcdef":
                    return self.reply(401, {"error": "token rejected"})
                if step is not None:
                    return self.reply(step[0], {"error": f"scripted {step[0]}"}, step[1])
                items = body["items"]
                if len(items) > fake.limits["max_batch"]:
                    return self.reply(413, {"error": f"batch of {len(items)} items exceeds {fake.limits['max_batch']}"})
                with fake.lock:
                    fake.batches.append(len(items))
                    fake.received.extend(items)
                    fake.inflight += len(items)
                    fake.max_inflight = max(fake.max_inflight, fake.inflight)
                try:
                    if fake.delay:
                        threading.Event().wait(fake.delay)
                    self.reply(200, {"results": [fake.answer(it) for it in items]})
                finally:
                    with fake.lock:
                        fake.inflight -= len(items)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, it):
        code = it["code"]
        if "REFUSE" in code:
            return {"error": "items[0]: unknown target", "status": 400}
        if "FLAKY" in code:
            with self.lock:
                first = code not in self.flaky_seen
                self.flaky_seen.add(code)
            if first:
                return {"error": "internal error: boom", "status": 500}
        ok = "OK" in code or "FLAKY" in code
        return {"class": "correct" if ok else "wrong_answer", "reward": 2.0 if ok else 1.0, "echo": it}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def client(urls, **kw):
    c = EvomClient(urls, "tok-0123456789abcdef", backoff_s=0.01, rest_s=0.05, **kw)
    c.waits = []
    c._sleep = c.waits.append  # record the waits instead of sleeping
    c._clock = lambda: sum(c.waits)  # time passes only in those waits
    return c


def items(codes):
    return [{"target": "pulp", "code": c, "answer": 11} for c in codes]


class Pacing(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()

    def server(self, **kw):
        s = FakeServer(**kw)
        self.servers.append(s)
        return s

    def test_batches_and_window_follow_the_advertised_limits(self):
        srv = self.server(limits={"workers": 2, "per_token_concurrency": 3, "max_batch": 5}, delay=0.05)
        c = client(srv.url)
        out = c.run(items([f"OK {i}" for i in range(30)]))
        self.assertEqual([o["echo"]["code"] for o in out], [f"OK {i}" for i in range(30)])  # in order
        self.assertEqual(sum(srv.batches), 30)
        window = min(3, 2 * 2)
        self.assertLessEqual(max(srv.batches), min(5, window))
        self.assertLessEqual(srv.max_inflight, window)
        self.assertEqual(c.stats()[0]["advertised"], 3)
        self.assertTrue(c.stats()[0]["learned"])

    def test_max_batch_caps_a_batch_under_a_wide_window(self):
        srv = self.server(limits={"workers": 64, "per_token_concurrency": 64, "max_batch": 4})
        client(srv.url).run(items(["OK"] * 20))
        self.assertEqual(max(srv.batches), 4)

    def test_request_bytes_split_batches(self):
        srv = self.server(limits={"max_request_bytes": 4000})
        out = client(srv.url).run(items(["OK " + "x" * 1000] * 8 + ["OK " + "y" * 5000]))
        self.assertEqual(sum(srv.batches), 8)
        self.assertLessEqual(max(srv.batches), 2)  # about 1 KB an item, 3 KB a body
        self.assertIsInstance(out[8], RequestRefused)  # one item alone is over the limit
        self.assertEqual(out[8].status, 413)

    def test_429_and_503_honour_retry_after_without_using_attempts(self):
        srv = self.server(script=[(429, {"Retry-After": "3"}), (503, {"Retry-After": "2"}), (429, {"Retry-After": "1"}), (503, {"Retry-After": "7"})])
        c = client(srv.url, attempts=1)
        out = c.run(items(["OK"]))
        self.assertEqual(out[0]["reward"], 2.0)
        self.assertEqual(len(c.waits), 4)
        for wait, told in zip(c.waits, [3, 2, 1, 7]):
            self.assertGreaterEqual(wait, told)
            self.assertLessEqual(wait, max(told, 0.01 * 2 ** 4) * 1.25)  # jitter of at most a quarter
        self.assertEqual(c.stats()[0]["busy"], 4)
        self.assertEqual(c.stats()[0]["failures"], 0)

    def test_429_halves_the_window(self):
        srv = self.server(limits={"workers": 8, "per_token_concurrency": 8}, script=[(429, {"Retry-After": "0"})])
        c = client(srv.url)
        c.run(items(["OK"]))
        self.assertEqual(c.stats()[0]["window"], 5)  # 8 → 4 on the 429, back up by one per answer

    def test_busy_past_patience_is_unavailable(self):
        srv = self.server(script=[(503, {"Retry-After": "30"})] * 5)
        out = client(srv.url, patience_s=60).run(items(["OK"]))
        self.assertIsInstance(out[0], ServerUnavailable)
        self.assertIn("stayed busy", str(out[0]))

    def test_backoff_grows_and_is_capped(self):
        srv = self.server(script=[(500, {})] * 6)
        c = client(srv.url, attempts=10, max_backoff_s=0.05)
        self.assertEqual(c.run(items(["OK"]))[0]["reward"], 2.0)
        self.assertEqual(len(c.waits), 6)
        self.assertLess(c.waits[0], c.waits[2])
        self.assertTrue(all(w <= 0.05 * 1.25 for w in c.waits))

    def test_failover_to_the_next_server(self):
        srv = self.server()
        c = client([closed_port_url(), srv.url])
        out = c.run(items(["OK", "WRONG"] * 10))
        self.assertEqual([o["reward"] for o in out], [2.0, 1.0] * 10)
        self.assertEqual(sum(srv.batches), 20)

    def test_5xx_rests_the_server_and_retries_elsewhere(self):
        bad = self.server(script=[(502, {})] * 100)
        good = self.server()
        c = client([bad.url, good.url])
        out = c.run(items(["OK"] * 12))
        self.assertEqual([o["reward"] for o in out], [2.0] * 12)
        self.assertGreater(c.stats()[0]["failures"], 0)
        self.assertEqual(sum(good.batches), 12)

    def test_unreachable_servers_fail_after_the_attempts(self):
        c = client([closed_port_url(), closed_port_url()], attempts=3)
        out = c.run(items(["OK", "OK"]))
        self.assertTrue(all(isinstance(o, ServerUnavailable) for o in out))
        self.assertIn("after 3 failed attempts", str(out[0]))
        self.assertIsInstance(out[0], RuntimeError)

    def test_item_errors_4xx_refused_5xx_retried(self):
        srv = self.server()
        out = client(srv.url).run(items(["OK", "REFUSE", "FLAKY 1", "WRONG"]))
        self.assertEqual(out[0]["reward"], 2.0)
        self.assertIsInstance(out[1], RequestRefused)
        self.assertEqual(out[1].status, 400)
        self.assertEqual(out[2]["reward"], 2.0)
        self.assertEqual(out[3]["reward"], 1.0)

    def test_a_rejected_token_is_refused_not_retried(self):
        srv = self.server()
        c = EvomClient(srv.url, "wrong-token-0123456789")
        out = c.run(items(["OK"]))
        self.assertIsInstance(out[0], RequestRefused)
        self.assertEqual(out[0].status, 401)
        self.assertEqual(srv.requests, 1)

    def test_413_for_a_batch_splits_it(self):
        # the server says max_batch 64 in /healthz but takes 2: halves until they fit
        srv = self.server()
        c = client(srv.url)
        c.learn_limits()
        srv.limits["max_batch"] = 2
        out = c.run(items(["OK"] * 16))
        self.assertEqual([o["reward"] for o in out], [2.0] * 16)
        self.assertEqual(max(srv.batches), 2)


class Scoring(unittest.TestCase):
    def setUp(self):
        self.srv = FakeServer()
        self.client = client(self.srv.url)

    def tearDown(self):
        self.srv.close()

    def test_format_errors_score_zero_without_a_request(self):
        out = score_jobs([Job("no code at all", 11, "pulp"), Job("<think>x", 11, "pulp"), Job(None, 11, "pulp")], self.client)
        self.assertEqual(out, [0.0, 0.0, 0.0])
        self.assertEqual(self.srv.requests, 0)

    def test_code_over_the_servers_limit_is_a_parse_error(self):
        self.srv.limits["max_code_bytes"] = 100
        out = score_jobs([Job(f"<code>{'x' * 200}</code>", 11, "pulp"), Job(OK, 11, "pulp")], self.client)
        self.assertEqual(out, [1.0, 2.0])
        self.assertEqual(self.srv.batches, [1])

    def test_the_request_carries_the_extracted_code_target_answer_question(self):
        out = score_jobs([Job(OK, "infeasible", "scipy", "A problem with 11 apples.", tolerance="int", time_limit_s=None),
                          Job("Model:\n```python\nimport pulp\nOK\n```\n", 11, "pulp", 12)], self.client)
        self.assertEqual(out, [2.0, 2.0])
        self.assertEqual(self.srv.received, [
            {"target": "scipy", "code": "import pulp\nOK\n", "answer": "infeasible", "tolerance": "int", "question": "A problem with 11 apples."},
            {"target": "pulp", "code": "import pulp\nOK\n", "answer": 11.0, "question": "12"},
        ])

    def test_answers_are_normalized_or_refused(self):
        class Num:  # a numpy-like scalar
            def __float__(self):
                return 11.0

        out = score_jobs([Job(OK, Num(), "pulp"), Job(OK, float("nan"), "pulp"), Job(OK, None, "pulp"), Job(OK, True, "pulp")], self.client)
        self.assertEqual(out[0], 2.0)
        self.assertTrue(all(isinstance(o, RequestRefused) for o in out[1:]))


class EntryPoints(unittest.TestCase):
    """verl's and TRL's calling conventions against the stand-in (the real server: the vitest file)."""

    def setUp(self):
        self.srv = FakeServer()
        self.env = {k: os.environ.get(k) for k in ("EVOM_SERVER_URL", "EVOM_SERVER_TOKEN", "EVOM_TARGET")}
        os.environ.update({"EVOM_SERVER_URL": self.srv.url, "EVOM_SERVER_TOKEN": "tok-0123456789abcdef", "EVOM_TARGET": "pulp"})

    def tearDown(self):
        self.srv.close()
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def load_by_path(self):
        # as verl loads custom_reward_function.path: by file location, not as a package
        path = os.path.join(HERE, "..", "evom_reward", "verl.py")
        spec = importlib.util.spec_from_file_location("custom_module", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_verl_by_path(self):
        m = self.load_by_path()
        self.assertEqual(m.compute_score(data_source="evom", solution_str=OK, ground_truth="11", extra_info={"question": "q"}), 2.0)
        self.assertEqual(m.compute_score("evom", WRONG, 11, None), 1.0)
        self.assertEqual(m.compute_score("evom", "nothing", 11), 0.0)
        scores = m.compute_score_batch(data_sources=["evom"] * 3, solution_strs=[OK, WRONG, "x"], ground_truths=[11, 11, 11],
                                       extra_infos=[{"target": "pulp"}, None, {}], some_reward_kwarg=1)
        self.assertEqual(scores, [2.0, 1.0, 0.0])

    def test_verl_raises_on_a_refused_item(self):
        m = self.load_by_path()
        with self.assertRaises(RuntimeError) as e:
            m.compute_score_batch(data_sources=["evom"] * 2, solution_strs=[OK, OK.replace("OK", "REFUSE")], ground_truths=[11, 11], extra_infos=None)
        self.assertIn("1 of 2 completions could not be scored", str(e.exception))

    def test_trl_reward_func(self):
        from evom_reward.trl import reward_func

        completions = [[{"role": "assistant", "content": OK}], OK, [{"role": "assistant", "content": WRONG}], OK.replace("OK", "REFUSE"), OK]
        out = reward_func(prompts=["p"] * 5, completions=completions, completion_ids=[[1]] * 5,
                          answer=[11, 11, 11, 11, None], question=["q"] * 5, trainer_state=None)
        self.assertEqual(out, [2.0, 2.0, 1.0, None, None])
        with self.assertRaises(ValueError):
            reward_func(completions=[OK])


if __name__ == "__main__":
    unittest.main()
