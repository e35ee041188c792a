#!/usr/bin/env python3
"""What Sweep adds per command trial and per report, against the built-in path.

    python3 bench/command-overhead.py [--sweep .build/release/sweep] [--trials 40] [--reports 200] [--rounds 3]

Per trial: sweeps of 1-report trials on one worker, wall time per trial (the difference
between N and 2N trials, so start-up and the first connection cancel out), minus the
program's own start-up measured separately (`sh -c :`, `python3 -c 'import sweep_client'`),
against a synthetic (built-in) sweep of 1-epoch trials. Two programs: a one-line shell
report (interpreter start-up ~1 ms, so the noise is small) and Python with sweep_client.
Per report: trials of R reports against trials of 1 report, per extra report, against the
same for synthetic trials (both wait for the coordinator's decision each epoch).
Every measurement runs once per round, interleaved; medians (and ranges) are printed, of
wall time and of CPU time (user + system of `sweep run`, its workers and their programs):
on a loaded machine wall time is mostly waiting for a core, CPU time is what Sweep spends.
Goal (issue #12): < 5 ms per trial and < 1 ms per report on top of the built-in path.
"""
import argparse
import json
import os
import resource
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
# One report, then (when more epochs are asked for) one per decision read back.
SHELL = """e=1; while [ $e -le $1 ]; do echo "{\\"loss\\": $e}" >&3; [ $e -lt $1 ] && read d <&4; e=$((e+1)); done"""


def sweep_file(kind, study, trials, epochs):
    head = "study: %s\nsampler: {name: random}\npruner: {name: none}\nbudget: {trials: %d, max_epochs: %d}\n" % (study, trials, epochs)
    if kind == "synthetic":
        return head + "synthetic:\n  function: sphere\n  epochs: %d\n  sleep: 0\n  inputs:\n    x: {uniform: [-1, 1]}\n" % epochs
    command = "[%s, prog.py, \"%d\"]" % (sys.executable, epochs) if kind == "python" else "[sh, prog.sh, \"%d\"]" % epochs
    return head + ("objective: {metric: loss, direction: minimize}\ncommand: %s\n"
                   "environment: {PYTHONPATH: \"%s\"}\nparameters:\n  x: {uniform: [-1, 1]}\n") % (command, CLIENT)


def run(sweep, directory, kind, trials, epochs):
    study = "%s-%d-%d" % (kind, trials, epochs)
    path = os.path.join(directory, study + ".yaml")
    with open(path, "w") as f:
        f.write(sweep_file(kind, study, trials, epochs))
    db = os.path.join(directory, study + ".db")
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    cpu0 = children_cpu()
    start = time.perf_counter()
    r = subprocess.run([sweep, "run", path, "--db", db, "--workers", "1", "--no-progress"], cwd=directory,
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu = children_cpu() - cpu0
    if r.returncode != 0 or "%d/%d trials" % (trials, trials) not in r.stdout:
        sys.exit("sweep failed:\n" + r.stdout + r.stderr)
    if "failed 0" not in r.stdout:
        sys.exit("trials failed:\n" + r.stdout)
    return elapsed, cpu


def children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def startup(argv, env, n=20):
    times = []
    cpu0 = children_cpu()
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, env=env, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), (children_cpu() - cpu0) / n


def fmt(values, scale=1000.0, digits=2):
    m = statistics.median(values) * scale
    lo, hi = min(values) * scale, max(values) * scale
    return "%.*f ms (%.*f..%.*f)" % (digits, m, digits, lo, digits, hi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", default=os.path.join(ROOT, ".build", "release", "sweep"))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the numbers here too")
    a = ap.parse_args()
    a.sweep = os.path.abspath(a.sweep)
    if not os.path.exists(a.sweep):
        sys.exit("no sweep binary at %s (build it, or pass --sweep)" % a.sweep)
    kinds = ("synthetic", "sh", "python")
    env = dict(os.environ, PYTHONPATH=CLIENT)
    # Per kind, per round: (wall, cpu) seconds.
    per = {k: [] for k in kinds}
    rep = {k: [] for k in kinds}
    start = {"sh": [], "python": []}
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "prog.py"), "w") as f:
            f.write(PROGRAM)
        with open(os.path.join(d, "prog.sh"), "w") as f:
            f.write(SHELL + "\n")
        for _ in range(a.rounds):
            start["sh"].append(startup(["sh", "-c", ":"], env))
            start["python"].append(startup([sys.executable, "-c", "import sweep_client"], env))
            for kind in kinds:
                n = a.trials * (4 if kind != "python" else 1)  # cheap trials: more of them
                t1 = run(a.sweep, d, kind, n, 1)
                t2 = run(a.sweep, d, kind, 2 * n, 1)
                per[kind].append(tuple((t2[i] - t1[i]) / n for i in (0, 1)))
            for kind in kinds:
                t1 = run(a.sweep, d, kind, 4, 1)
                tr = run(a.sweep, d, kind, 4, a.reports)
                rep[kind].append(tuple((tr[i] - t1[i]) / (4 * (a.reports - 1)) for i in (0, 1)))
    R = range(a.rounds)
    results = {}
    print("medians of %d interleaved rounds (range), release binary %s" % (a.rounds, a.sweep))
    for i, what in ((0, "wall time"), (1, "CPU time")):
        col = lambda xs: [x[i] for x in xs]
        cost = {k: [per[k][r][i] - start[k][r][i] - per["synthetic"][r][i] for r in R] for k in ("sh", "python")}
        report = {k: [rep[k][r][i] - rep["synthetic"][r][i] for r in R] for k in ("sh", "python")}
        results[what] = {"per_trial": {k: col(per[k]) for k in kinds}, "per_report": {k: col(rep[k]) for k in kinds},
                         "startup": {k: col(start[k]) for k in start}, "trial_cost": cost, "report_cost": report}
        print("== %s" % what)
        print("start-up alone: sh -c ':' %s; python3 -c 'import sweep_client' %s" % (fmt(col(start["sh"])), fmt(col(start["python"]))))
        print("per trial, built-in (synthetic) path:   %s" % fmt(col(per["synthetic"])))
        print("per trial, command path, shell:         %s" % fmt(col(per["sh"])))
        print("per trial, command path, Python:        %s" % fmt(col(per["python"])))
        print("  Sweep's cost per command trial beyond the program's start-up and the built-in path:")
        print("    shell  %s (goal < 5)" % fmt(cost["sh"]))
        print("    Python %s (goal < 5)" % fmt(cost["python"]))
        print("per report, built-in path:              %s" % fmt(col(rep["synthetic"]), digits=3))
        print("per report, command path, shell:        %s" % fmt(col(rep["sh"]), digits=3))
        print("per report, command path, Python:       %s" % fmt(col(rep["python"]), digits=3))
        print("  Sweep's cost per report beyond the built-in path: shell %s, Python %s (goal < 1)"
              % (fmt(report["sh"], digits=3), fmt(report["python"], digits=3)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
