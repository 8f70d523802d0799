"""Run a command and print its wall time and the peak RSS of its process tree (JSON on the last line).

Usage: python bench/measure.py TIMEOUT_SECONDS COMMAND...  (a command still running at the timeout is killed)
"""

import json
import os
import resource
import signal
import subprocess
import sys
import time

timeout = float(sys.argv[1])
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    code = proc.wait(timeout=timeout)
    timed_out = False
except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    code = proc.wait()
    timed_out = True
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024, "returncode": code, "timed_out": timed_out}))
