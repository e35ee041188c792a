#!/usr/bin/env python3
"""A Sweep worker in Python, written from docs/protocol.md alone.

It runs synthetic trials (the functions of the protocol doc); it shows how to speak the
protocol from another language: hello, assignments, per-epoch reports and decisions,
results, heartbeats, reconnection with back-off, and a clean exit on SIGTERM.

    pip install pyzmq
    python3 sweep_worker.py --connect tcp://127.0.0.1:5555 [--id py-1] [--max-trials N]
"""
import argparse
import json
import math
import os
import signal
import socket
import time

import zmq

VERSION = 1
stop_requested = False


def on_signal(_sig, _frame):
    global stop_requested
    stop_requested = True


def synthetic_value(task, epoch):
    x = [i["value"] for i in task["inputs"]]
    f = task["function"]
    if f == "sphere":
        v = sum(t * t for t in x)
    elif f == "rosenbrock":
        v = sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1)) if len(x) > 1 else (1 - x[0]) ** 2
    elif f == "branin":
        a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
        v = a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s
    elif f == "constant":
        v = 0.0
    else:
        raise ValueError(f"function {f} is not implemented in this example worker")
    n = task["epochs"]
    return v + task["decay"] * (n - epoch) / n


class Worker:
    def __init__(self, endpoint, worker_id, max_trials):
        self.endpoint = endpoint
        self.id = worker_id
        self.max_trials = max_trials
        self.ctx = zmq.Context()
        self.sock = None
        self.heartbeat = 1.0
        self.liveness = 5
        self.last_heard = time.time()
        self.last_sent = 0.0
        self.backoff = 0.25
        self.done = 0
        self.current = None  # (trial, attempt, epoch)

    def send(self, message):
        message["v"] = VERSION
        self.sock.send(json.dumps(message).encode())
        self.last_sent = time.time()

    def connect(self):
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt_string(zmq.ROUTING_ID, self.id)
        self.sock.connect(self.endpoint)
        self.last_heard = time.time()
        running = None if self.current is None else {"trial": self.current[0], "attempt": self.current[1], "epoch": self.current[2]}
        self.send({"type": "hello", "worker": self.id, "host": socket.gethostname(), "pid": os.getpid(), "version": "py-example",
                   "cores": os.cpu_count() or 1, "threads": 1, "capabilities": ["synthetic"], "running": running})

    def receive(self, timeout):
        """The next message, answering heartbeats and reconnecting when the coordinator is silent."""
        deadline = time.time() + timeout
        while True:
            if self.sock.poll(100):
                self.last_heard = time.time()
                self.backoff = 0.25
                m = json.loads(self.sock.recv())
                if m.get("type") == "welcome":
                    self.heartbeat, self.liveness = m["heartbeat_ms"] / 1000, m["liveness"]
                elif m.get("type") == "identify":
                    self.connect()
                elif m.get("type") != "heartbeat":
                    return m
            now = time.time()
            if now - self.last_sent >= self.heartbeat:
                self.send({"type": "heartbeat"})
            if now - self.last_heard > self.heartbeat * self.liveness:
                time.sleep(self.backoff)
                self.backoff = min(self.backoff * 2, 10)
                self.connect()
            if stop_requested or now >= deadline:
                return None

    def run_trial(self, a):
        task = a["spec"]["task"]
        trial, attempt = a["trial"], a["attempt"]
        epochs = min(task["epochs"], a["max_epochs"])
        value = None
        for epoch in range(1, epochs + 1):
            time.sleep(task["sleep"])
            value = synthetic_value(task, epoch)
            self.current = (trial, attempt, epoch)
            self.send({"type": "report", "trial": trial, "attempt": attempt, "epoch": epoch, "value": value, "metrics": {"value": value}})
            if epoch == epochs:
                break
            while True:  # wait for this epoch's decision
                m = self.receive(timeout=10)
                if m is None:
                    break
                if m["type"] == "decision" and m["trial"] == trial and m["epoch"] == epoch:
                    if m["action"] == "prune":
                        return "pruned", value, epoch
                    break
                if m["type"] == "cancel" and m["trial"] == trial:
                    return "cancelled", value, epoch
            if stop_requested:
                return "stopped", value, epoch
        return "complete", value, epochs

    def run(self):
        self.connect()
        while not stop_requested:
            m = self.receive(timeout=3600)
            if m is None:
                continue
            if m["type"] == "stop":
                break
            if m["type"] == "error":
                raise SystemExit(f"coordinator refused a message: {m['message']}")
            if m["type"] != "assign":
                continue
            state, value, epochs = self.run_trial(m)
            trial, attempt = m["trial"], m["attempt"]
            if state == "stopped":
                self.send({"type": "bye", "reason": "SIGTERM", "trial": trial, "attempt": attempt})
                return
            self.current = None
            if state == "cancelled":
                self.send({"type": "ready"})
                continue
            self.done += 1
            more = self.max_trials is None or self.done < self.max_trials
            self.send({"type": "result", "trial": trial, "attempt": attempt, "state": state, "value": value,
                       "metrics": {"value": value}, "epochs": epochs, "ready": more})
            if not more:
                self.send({"type": "bye", "reason": f"done {self.done} trials"})
                return
        if self.sock is not None and stop_requested:
            self.send({"type": "bye", "reason": "SIGTERM"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--id", default=f"py-{socket.gethostname()}-{os.getpid()}")
    ap.add_argument("--max-trials", type=int)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    w = Worker(args.connect, args.id, args.max_trials)
    w.run()
    print(f"worker {args.id}: {w.done} trial(s) done")


if __name__ == "__main__":
    main()
