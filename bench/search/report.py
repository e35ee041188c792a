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

    sweep_t = load(directory, "search-sweep-timing.json")["results"]
    optuna_t = {(r["function"], r["finished"]): r for r in load(directory, "search-optuna-timing.json")["results"]}
    print()
    print("TPE time per suggestion (median, ms); goal for Sweep: under 2 ms at 10,000 finished trials")
    header = f"{'function':13}{'finished':>10}{'Sweep TPE':>12}{'Optuna TPE':>12}{'Optuna/Sweep':>14}"
    print(header)
    print("-" * len(header))
    for row in sweep_t:
        o = optuna_t.get((row["function"], row["finished"]))
        om = o["median_ms"] if o else float("nan")
        print(f"{row['function']:13}{row['finished']:10d}{row['median_ms']:12.3f}{om:12.1f}{om / row['median_ms']:13.0f}x")
    print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
