"""Solve LP files with native HiGHS (the copy vendored in scipy) and print timings as JSON.

usage: python3 bench/native_highs.py REPEATS FILE.lp [FILE.lp ...]
Reads each model once, then times `run()` on a fresh solver REPEATS times (best and median ms).
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
    for _ in range(repeats):
        h = _core._Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(path)
        t0 = time.perf_counter()
        h.run()
        times.append((time.perf_counter() - t0) * 1000)
        objective = h.getObjectiveValue()
    out[path] = {"best_ms": min(times), "median_ms": statistics.median(times), "objective": objective}
print(json.dumps(out))
