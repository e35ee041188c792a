#!/usr/bin/env python3
"""Optuna's side of the search benchmark (run by bench/search/run).

regrets: median regret over seeds at a fixed trial budget, Optuna's TPE (Optuna 5
defaults: multivariate, constant liar) and random sampler, on the same test functions,
bounds and budget as `sweep-bench search regrets`.

timing: time per TPE suggestion (ask + suggest every parameter) with N finished trials in
an in-memory study filled with `add_trials`; recording the result (tell) is not timed.
"""
import argparse
import json
import math
import statistics
import sys
import time
import warnings

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def branin(x):
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - r
    return a * u * u + s * (1 - t) * math.cos(x[0]) + s


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
              [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j] * 1e-4) ** 2 for j in range(6))
        total += HARTMANN_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


# name -> (function, bounds, known minimum); the same as Search.TestFunction.
FUNCTIONS = {
    "branin": (branin, [(-5, 10), (0, 15)], 0.39788735772973816),
    "hartmann6": (hartmann6, [(0, 1)] * 6, -3.3223680114155147),
    "rosenbrock10": (rosenbrock, [(-5, 10)] * 10, 0.0),
}


def make_sampler(name, seed):
    if name == "optuna_tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "optuna_random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f"unknown sampler {name}")


def objective_for(fname):
    f, bounds, _ = FUNCTIONS[fname]

    def objective(trial):
        return f([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])

    return objective


def regrets(args):
    rows = []
    for fname in args.functions.split(","):
        _, _, minimum = FUNCTIONS[fname]
        for sname in args.samplers.split(","):
            start = time.perf_counter()
            values = []
            for seed in range(args.seeds):
                study = optuna.create_study(sampler=make_sampler(sname, seed))
                study.optimize(objective_for(fname), n_trials=args.trials)
                values.append(study.best_value - minimum)
            seconds = time.perf_counter() - start
            rows.append({"function": fname, "sampler": sname, "median": statistics.median(values),
                         "regrets": values, "seconds": seconds})
            if not args.json:
                print(f"{fname:13} {sname:15} median regret {statistics.median(values):12.6g}   ({seconds:.1f} s)",
                      flush=True)
    if args.json:
        print(json.dumps({"trials": args.trials, "seeds": args.seeds, "results": rows}, sort_keys=True))


def timing(args):
    rows = []
    for fname in args.functions.split(","):
        f, bounds, _ = FUNCTIONS[fname]
        dists = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(bounds)}
        for size in [int(s) for s in args.sizes.split(",")]:
            rng = np.random.default_rng(12345)
            trials = []
            for _ in range(size):
                x = [float(rng.uniform(lo, hi)) for lo, hi in bounds]
                trials.append(optuna.trial.create_trial(
                    params={f"x{i}": v for i, v in enumerate(x)}, distributions=dists, value=f(x)))
            multivariate = args.sampler == "tpe"
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1, multivariate=multivariate))
            study.add_trials(trials)
            repeats = args.repeats if size < 5000 else args.repeats_large
            times, cpu = [], []
            for _ in range(repeats + 1):
                c0 = time.thread_time()
                t0 = time.perf_counter()
                trial = study.ask()
                x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
                elapsed = (time.perf_counter() - t0) * 1e3
                cpu.append((time.thread_time() - c0) * 1e3)
                study.tell(trial, f(x))
                times.append(elapsed)
            first, rest = times[0], times[1:]
            row = {"function": fname, "finished": size, "sampler": args.sampler, "median_ms": statistics.median(rest),
                   "mean_ms": statistics.fmean(rest), "first_ms": first, "repeats": repeats,
                   "median_cpu_ms": statistics.median(cpu[1:]), "min_ms": min(rest)}
            rows.append(row)
            if not args.json:
                print(f"{fname:13} {size:6d} finished: median {row['median_ms']:9.2f} ms, mean {row['mean_ms']:9.2f} ms",
                      flush=True)
    if args.json:
        print(json.dumps({"results": rows}, sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("regrets")
    r.add_argument("--seeds", type=int, default=20)
    r.add_argument("--trials", type=int, default=100)
    r.add_argument("--functions", default="branin,hartmann6,rosenbrock10")
    r.add_argument("--samplers", default="optuna_random,optuna_tpe")
    r.add_argument("--json", action="store_true")
    t = sub.add_parser("timing")
    t.add_argument("--sizes", default="1000,10000")
    t.add_argument("--repeats", type=int, default=10, help="timed suggestions below 5,000 trials")
    t.add_argument("--repeats-large", type=int, default=3, help="timed suggestions from 5,000 trials")
    t.add_argument("--functions", default="hartmann6,rosenbrock10")
    t.add_argument("--sampler", default="tpe", choices=["tpe", "tpe_independent"],
                   help="tpe: Optuna 5's default (multivariate); tpe_independent: multivariate=False")
    t.add_argument("--json", action="store_true")
    args = parser.parse_args()
    {"regrets": regrets, "timing": timing}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
