#!/usr/bin/env python3
"""Optuna on a trivial objective: trials/s with each storage, one JSON object per run.

  optuna_bench.py throughput --storage memory|sqlite|sqlite-wal|journal --processes N --trials T
  optuna_bench.py overhead --processes N --trials T --sleep S        # sleep trials, journal storage

Storages: `memory` is Optuna's InMemoryStorage (one process: it cannot be shared, and is not
durable); `sqlite` is RDBStorage as shipped (rollback journal, synchronous=FULL); `sqlite-wal`
the same database with WAL and synchronous=NORMAL, Sweep's settings; `journal` the
JournalFileBackend. `trials_per_s` counts trials over the optimize loop (steady state);
`process_seconds` is measured by the caller around this whole process. Run with
bench/.venv/bin/python.
"""
import argparse
import json
import multiprocessing
import os
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

SLEEP = 0.0


def objective(trial):
    x = trial.suggest_float("x", -2, 2)
    y = trial.suggest_float("y", -2, 2)
    if SLEEP:
        time.sleep(SLEEP)
    return x * x + y * y


def make_storage(kind, path):
    if kind == "memory":
        return optuna.storages.InMemoryStorage()
    if kind in ("sqlite", "sqlite-wal"):
        storage = optuna.storages.RDBStorage(f"sqlite:///{path}")
        if kind == "sqlite-wal":
            import sqlalchemy

            @sqlalchemy.event.listens_for(storage.engine, "connect")
            def pragmas(connection, _record):
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            storage.engine.dispose()  # reconnect so that the pragmas apply
        return storage
    from optuna.storages.journal import JournalFileBackend
    return optuna.storages.JournalStorage(JournalFileBackend(path))


def worker(kind, path, trials, sampler_name, storage=None):
    storage = storage or make_storage(kind, path)
    sampler = optuna.samplers.TPESampler(seed=os.getpid()) if sampler_name == "tpe" else optuna.samplers.RandomSampler(seed=os.getpid())
    study = optuna.load_study(study_name="bench", storage=storage, sampler=sampler)
    study.optimize(objective, n_trials=trials)


def run(kind, sampler_name, processes, trials):
    if kind == "memory" and processes != 1:
        raise SystemExit("in-memory storage cannot be shared between processes")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "journal.log" if kind == "journal" else "optuna.db")
        storage = make_storage(kind, path)
        optuna.create_study(study_name="bench", storage=storage)
        per = trials // processes
        start = time.perf_counter()
        if processes == 1:
            worker(kind, path, per, sampler_name, storage if kind == "memory" else None)
        else:
            ps = [multiprocessing.Process(target=worker, args=(kind, path, per, sampler_name)) for _ in range(processes)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
        seconds = time.perf_counter() - start
        reader = storage if kind == "memory" else make_storage(kind, path)
        done = len(optuna.load_study(study_name="bench", storage=reader).trials)
        return {"bench": "optuna", "storage": kind, "sampler": sampler_name, "processes": processes,
                "trials": done, "trials_per_s": done / seconds, "optimize_seconds": seconds,
                "version": optuna.__version__}


def main():
    global SLEEP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["throughput", "overhead"])
    ap.add_argument("--storage", default="sqlite", choices=["memory", "sqlite", "sqlite-wal", "journal"])
    ap.add_argument("--sampler", default="random", choices=["random", "tpe"])
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--sleep", type=float, default=0.5)
    args = ap.parse_args()
    if args.mode == "overhead":
        SLEEP = args.sleep
        result = run("journal", "random", args.processes, args.trials)
        ideal = -(-args.trials // args.processes) * args.sleep
        result.update(bench="optuna-overhead", sleep=args.sleep, ideal_s=ideal)
    else:
        result = run(args.storage, args.sampler, args.processes, args.trials)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
