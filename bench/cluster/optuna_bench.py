#!/usr/bin/env python3
"""Optuna on a trivial objective: trials/s with SQLite (RDB) and JournalFile storage.

Prints one JSON object per configuration. Run with bench/.venv/bin/python.
"""
import argparse
import json
import multiprocessing
import os
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -2, 2)
    y = trial.suggest_float("y", -2, 2)
    return x * x + y * y


def make_storage(kind, path):
    if kind == "sqlite":
        return optuna.storages.RDBStorage(f"sqlite:///{path}")
    from optuna.storages.journal import JournalFileBackend
    return optuna.storages.JournalStorage(JournalFileBackend(path))


def worker(kind, path, study_name, trials, sampler_name):
    storage = make_storage(kind, path)
    sampler = optuna.samplers.TPESampler(seed=os.getpid()) if sampler_name == "tpe" else optuna.samplers.RandomSampler(seed=os.getpid())
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
    study.optimize(objective, n_trials=trials)


def run(kind, sampler_name, processes, trials):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "optuna.db" if kind == "sqlite" else "journal.log")
        storage = make_storage(kind, path)
        optuna.create_study(study_name="bench", storage=storage)
        per = trials // processes
        start = time.perf_counter()
        if processes == 1:
            worker(kind, path, "bench", per, sampler_name)
        else:
            ps = [multiprocessing.Process(target=worker, args=(kind, path, "bench", per, sampler_name)) for _ in range(processes)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
        seconds = time.perf_counter() - start
        done = len(optuna.load_study(study_name="bench", storage=make_storage(kind, path)).trials)
        return {"bench": "optuna", "storage": kind, "sampler": sampler_name, "processes": processes,
                "trials": done, "trials_per_s": done / seconds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--journal-trials", type=int, default=2000)
    args = ap.parse_args()
    print(json.dumps({"bench": "optuna-version", "version": optuna.__version__}), flush=True)
    for kind, sampler, procs, n in [("sqlite", "random", 1, args.trials), ("sqlite", "tpe", 1, args.trials),
                                    ("sqlite", "random", 4, args.trials), ("journal", "random", 1, args.journal_trials),
                                    ("journal", "random", 4, args.journal_trials)]:
        print(json.dumps(run(kind, sampler, procs, n)), flush=True)


if __name__ == "__main__":
    main()
