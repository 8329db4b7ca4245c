"""Solve LP files with native HiGHS (the copy vendored in scipy) and print timings as JSON.

usage: python3 bench/native_highs.py REPEATS FILE.lp [FILE.lp ...]
Times reading the LP text and solving it (`readModel` + `run`) on a fresh solver, as the wasm
side parses the text too; REPEATS times after two warm-up runs (best and median ms).
"""
import json
import statistics
import sys
import time

from scipy.optimize._highspy import _core

repeats = int(sys.argv[1])
out = {}
for path in sys.argv[2:]:
    times = []
    objective = None
    for k in range(repeats + 2):
        h = _core._Highs()
        h.setOptionValue("output_flag", False)
        t0 = time.perf_counter()
        h.readModel(path)
        h.run()
        if k >= 2:
            times.append((time.perf_counter() - t0) * 1000)
        objective = h.getObjectiveValue()
    out[path] = {"best_ms": min(times), "median_ms": statistics.median(times), "objective": objective}
print(json.dumps(out))
