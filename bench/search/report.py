#!/usr/bin/env python3
"""Prints the side-by-side tables of bench/search/run from its JSON files."""
import json
import os
import sys


def load(directory, name):
    with open(os.path.join(directory, name)) as f:
        return json.load(f)


def main(directory):
    sweep_r = load(directory, "search-sweep-regrets.json")
    optuna_r = load(directory, "search-optuna-regrets.json")
    medians = {}
    for row in sweep_r["results"]:
        medians[(row["function"], "sweep_" + row["sampler"])] = row["median"]
    for row in optuna_r["results"]:
        medians[(row["function"], row["sampler"])] = row["median"]
    functions = list(dict.fromkeys(row["function"] for row in sweep_r["results"]))
    columns = [("sweep_random", "Sweep random"), ("sweep_quasi_random", "Sweep QMC"), ("sweep_tpe", "Sweep TPE"),
               ("optuna_random", "Optuna random"), ("optuna_tpe", "Optuna TPE")]

    print()
    print(f"Median regret (best value - optimum) at {sweep_r['trials']} trials over {sweep_r['seeds']} seeds; lower is better")
    header = f"{'function':13}" + "".join(f"{title:>15}" for _, title in columns) + f"{'TPE Sweep/Optuna':>18}"
    print(header)
    print("-" * len(header))
    for f in functions:
        cells = "".join(f"{medians.get((f, key), float('nan')):15.4g}" for key, _ in columns)
        ratio = medians.get((f, "sweep_tpe"), float("nan")) / medians.get((f, "optuna_tpe"), float("nan"))
        print(f"{f:13}{cells}{ratio:18.2f}")

    print()
    print("TPE time per suggestion in ms (median of warm suggestions, each followed by recording its result);")
    print("goal for Sweep: under 2 ms at 10,000 finished trials. 'tpe' is Optuna 5's default (multivariate),")
    print("'tpe_independent' models each parameter alone (multivariate: false; Sweep's path for conditional")
    print("parameters). Sweep's CPU time and fastest suggestion are shown because the machine is shared.")
    header = (f"{'mode':17}{'function':14}{'finished':>9}{'Sweep':>9}{'Sweep CPU':>11}{'Sweep min':>11}"
              f"{'Optuna':>10}{'Optuna/Sweep':>14}")
    print(header)
    print("-" * len(header))
    for mode in ("tpe", "tpe_independent"):
        try:
            sweep_t = load(directory, f"search-sweep-timing-{mode}.json")["results"]
            optuna_t = {(r["function"], r["finished"]): r
                        for r in load(directory, f"search-optuna-timing-{mode}.json")["results"]}
        except FileNotFoundError:
            continue
        for row in sweep_t:
            o = optuna_t.get((row["function"], row["finished"]))
            om = o["median_ms"] if o else float("nan")
            print(f"{mode:17}{row['function']:14}{row['finished']:9d}{row['median_ms']:9.3f}{row['median_cpu_ms']:11.3f}"
                  f"{row['min_ms']:11.3f}{om:10.1f}{om / row['median_ms']:13.0f}x")
    print()

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
