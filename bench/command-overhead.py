#!/usr/bin/env python3
"""What Sweep adds per command trial and per report, against the built-in path.

    python3 bench/command-overhead.py [--sweep .build/release/sweep] [--trials 40] [--reports 200]

Per trial: a command sweep of 1-report trials on one worker, wall time per trial, minus the
interpreter's own start-up (measured separately: `python3 -c 'import sweep_client'`),
against a synthetic (built-in) sweep of 1-epoch trials. Per report: trials of R reports
against trials of 1 report, per extra report, against the same for synthetic trials (both
wait for the coordinator's decision each epoch). Goal: < 5 ms per trial and < 1 ms per
report on top of the built-in path.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT = os.path.join(ROOT, "clients", "python")
PROGRAM = """import sweep_client, sys
n = int(sys.argv[1])
for e in range(1, n + 1):
    sweep_client.report(e, loss=1.0 / e)
"""


def sweep_file(kind, study, trials, epochs):
    head = "study: %s\nsampler: {name: random}\npruner: {name: none}\nbudget: {trials: %d, max_epochs: %d}\n" % (study, trials, epochs)
    if kind == "synthetic":
        return head + "synthetic:\n  function: sphere\n  epochs: %d\n  sleep: 0\n  inputs:\n    x: {uniform: [-1, 1]}\n" % epochs
    return head + ("objective: {metric: loss, direction: minimize}\ncommand: [%s, prog.py, \"%d\"]\n"
                   "environment: {PYTHONPATH: \"%s\"}\nparameters:\n  x: {uniform: [-1, 1]}\n") % (sys.executable, epochs, CLIENT)


def run(sweep, directory, kind, trials, epochs):
    study = "%s-%d-%d" % (kind, trials, epochs)
    path = os.path.join(directory, study + ".yaml")
    with open(path, "w") as f:
        f.write(sweep_file(kind, study, trials, epochs))
    db = os.path.join(directory, study + ".db")
    start = time.perf_counter()
    r = subprocess.run([sweep, "run", path, "--db", db, "--workers", "1", "--no-progress"], cwd=directory,
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0 or "%d/%d trials" % (trials, trials) not in r.stdout:
        sys.exit("sweep failed:\n" + r.stdout + r.stderr)
    if "failed 0" not in r.stdout:
        sys.exit("trials failed:\n" + r.stdout)
    return elapsed


def interpreter_startup(n=20):
    env = dict(os.environ, PYTHONPATH=CLIENT)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sweep_client"], env=env, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", default=os.path.join(ROOT, ".build", "release", "sweep"))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--reports", type=int, default=200)
    a = ap.parse_args()
    a.sweep = os.path.abspath(a.sweep)
    if not os.path.exists(a.sweep):
        sys.exit("no sweep binary at %s (build it, or pass --sweep)" % a.sweep)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "prog.py"), "w") as f:
            f.write(PROGRAM)
        interp = interpreter_startup()
        # Fixed costs (start-up, first connection) cancel out between n and 2n trials.
        per = {}
        for kind in ("synthetic", "command"):
            t1 = run(a.sweep, d, kind, a.trials, 1)
            t2 = run(a.sweep, d, kind, 2 * a.trials, 1)
            per[kind] = (t2 - t1) / a.trials
        rep = {}
        for kind in ("synthetic", "command"):
            t1 = run(a.sweep, d, kind, 4, 1)
            tr = run(a.sweep, d, kind, 4, a.reports)
            rep[kind] = (tr - t1) / (4 * (a.reports - 1))
    print("interpreter start-up (python3 -c 'import sweep_client'): %.2f ms" % (interp * 1000))
    print("per trial, built-in (synthetic) path:                  %.2f ms" % (per["synthetic"] * 1000))
    print("per trial, command path:                               %.2f ms" % (per["command"] * 1000))
    print("  Sweep's cost per command trial beyond the interpreter and the built-in path: %.2f ms (goal < 5)"
          % ((per["command"] - interp - per["synthetic"]) * 1000))
    print("per report, built-in path:                             %.3f ms" % (rep["synthetic"] * 1000))
    print("per report, command path:                              %.3f ms" % (rep["command"] * 1000))
    print("  Sweep's cost per report beyond the built-in path:    %.3f ms (goal < 1)" % ((rep["command"] - rep["synthetic"]) * 1000))


if __name__ == "__main__":
    main()
