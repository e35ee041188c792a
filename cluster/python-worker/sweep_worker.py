#!/usr/bin/env python3
"""A Sweep worker in Python, written from docs/protocol.md alone.

It runs synthetic trials (the functions of the protocol doc); it shows how to speak the
protocol from another language: hello, assignments, per-epoch reports and decisions,
results, heartbeats, reconnection with back-off, and a clean exit on SIGTERM.

The socket lives on a network thread that heartbeats whatever the training does (an
epoch may take longer than the coordinator's liveness window); the training thread
talks to it through two queues.

    apt-get install python3-zmq   (or: pip install pyzmq)
    python3 sweep_worker.py --connect tcp://127.0.0.1:5555 [--id py-1] [--max-trials N]
                            [--keys DIR --key-name NAME]   (CURVE, as `sweep worker`)
"""
import argparse
import json
import math
import os
import queue
import signal
import socket
import threading
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


class Network(threading.Thread):
    """Owns the DEALER socket (ZeroMQ sockets stay on one thread): heartbeats every
    heartbeat interval whatever training does, reconnects with back-off when the
    coordinator goes silent, and passes messages through two queues."""

    def __init__(self, endpoint, worker_id, hello, curve=None):
        super().__init__(name="sweep-network", daemon=True)
        self.endpoint = endpoint
        self.curve = curve  # (public, secret, server) Z85 keys, or None
        self.id = worker_id
        self.hello = hello  # called for each (re)connect; names the running trial
        self.ctx = zmq.Context()
        self.sock = None
        self.outbox = queue.Queue()  # messages to send
        self.inbox = queue.Queue()  # messages received (not heartbeats)
        self.heartbeat = 1.0
        self.liveness = 5
        self.last_heard = time.time()
        self.last_sent = 0.0
        self.backoff = 0.25
        self.reconnect_at = None
        self.closing = threading.Event()
        self.started = time.time()
        self.answered = False

    def send(self, message):
        """Thread-safe: queue a message for the coordinator."""
        self.outbox.put(message)

    def _send_now(self, message):
        message["v"] = VERSION
        try:
            self.sock.send(json.dumps(message).encode())
        except zmq.Again:
            return  # no connection to the coordinator: it says hello again on reconnect
        self.last_sent = time.time()

    def _connect(self):
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        # A DEALER without a peer (its key refused at the handshake) blocks a send for good:
        # bounded, the message is dropped (heartbeats) and the loop goes on.
        self.sock.setsockopt(zmq.SNDTIMEO, 1000)
        self.sock.setsockopt_string(zmq.ROUTING_ID, self.id)
        if self.curve:
            public, secret, server = self.curve
            self.sock.curve_publickey, self.sock.curve_secretkey, self.sock.curve_serverkey = public, secret, server
        self.sock.connect(self.endpoint)
        self.last_heard = time.time()
        self._send_now(self.hello())

    def run(self):
        self._connect()
        while True:
            now = time.time()
            if self.closing.is_set() and self.sock is None:
                return
            if self.reconnect_at is not None:
                if now < self.reconnect_at:
                    time.sleep(min(0.05, self.reconnect_at - now))
                    continue
                self.reconnect_at = None
                self._connect()
            while True:
                try:
                    self._send_now(self.outbox.get_nowait())
                except queue.Empty:
                    break
            if self.closing.is_set():
                self.sock.close(linger=2000)  # let the last messages (result, bye) out
                return
            if self.sock.poll(50):
                while self.sock.poll(0):
                    self.last_heard = time.time()
                    self.backoff = 0.25
                    m = json.loads(self.sock.recv())
                    kind = m.get("type")
                    self.answered = True
                    if kind == "welcome":
                        self.heartbeat, self.liveness = m["heartbeat_ms"] / 1000, m["liveness"]
                    elif kind == "identify":
                        self._send_now(self.hello())
                    elif kind != "heartbeat":
                        self.inbox.put(m)
            now = time.time()
            if not self.answered and now - self.started > 10:
                self.answered = True  # said once
                print(f"no answer from {self.endpoint} for 10 s (is it running? with --keys: is coordinator.pub its key, "
                      "and this worker's key in its authorized_workers?)", flush=True)
            if now - self.last_sent >= self.heartbeat:
                self._send_now({"type": "heartbeat"})
            if now - self.last_heard > self.heartbeat * self.liveness:
                self.sock.close(linger=0)
                self.sock = None
                self.reconnect_at = now + self.backoff
                self.backoff = min(self.backoff * 2, 10)

    def close(self):
        self.closing.set()
        self.join(timeout=5)


class Worker:
    """The training side: runs trials on the main thread while `Network` keeps talking."""

    def __init__(self, endpoint, worker_id, max_trials, curve=None):
        self.id = worker_id
        self.max_trials = max_trials
        self.done = 0
        self.current = None  # (trial, attempt, epoch)
        self.net = Network(endpoint, worker_id, self.hello, curve)

    def hello(self):
        c = self.current
        running = None if c is None else {"trial": c[0], "attempt": c[1], "epoch": c[2]}
        return {"type": "hello", "worker": self.id, "host": socket.gethostname(), "pid": os.getpid(), "version": "py-example",
                "cores": os.cpu_count() or 1, "threads": 1, "capabilities": ["synthetic"], "running": running}

    def receive(self, timeout):
        """The next message from the coordinator, or None after `timeout` s or on SIGTERM."""
        deadline = time.time() + timeout
        while not stop_requested:
            try:
                return self.net.inbox.get(timeout=min(0.1, max(0.0, deadline - time.time())))
            except queue.Empty:
                if time.time() >= deadline:
                    return None
        return None

    def run_trial(self, a):
        task = a["spec"]["task"]
        trial, attempt = a["trial"], a["attempt"]
        epochs = min(task["epochs"], a["max_epochs"])
        value = None
        for epoch in range(1, epochs + 1):
            time.sleep(task["sleep"])  # the network thread heartbeats meanwhile
            value = synthetic_value(task, epoch)
            self.current = (trial, attempt, epoch)
            self.net.send({"type": "report", "trial": trial, "attempt": attempt, "epoch": epoch, "value": value, "metrics": {"value": value}})
            if epoch == epochs:
                break
            while True:  # wait (bounded) for this epoch's decision
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
        self.net.start()
        try:
            self.loop()
        finally:
            self.net.close()

    def loop(self):
        while not stop_requested:
            m = self.receive(timeout=3600)
            if m is None:
                continue
            if m["type"] == "stop":
                self.net.send({"type": "bye", "reason": "study over"})
                return
            if m["type"] == "error":
                raise SystemExit(f"coordinator refused a message: {m['message']}")
            if m["type"] in ("refuse", "quarantine"):  # no work for this worker: exit non-zero
                raise SystemExit(f"coordinator: {m['type']}: {m['reason']}")
            if m["type"] != "assign":
                continue
            state, value, epochs = self.run_trial(m)
            trial, attempt = m["trial"], m["attempt"]
            if state == "stopped":
                self.net.send({"type": "bye", "reason": "SIGTERM", "trial": trial, "attempt": attempt})
                return
            self.current = None
            if state == "cancelled":
                self.net.send({"type": "ready"})
                continue
            self.done += 1
            more = self.max_trials is None or self.done < self.max_trials
            self.net.send({"type": "result", "trial": trial, "attempt": attempt, "state": state, "value": value,
                           "metrics": {"value": value}, "epochs": epochs, "ready": more})
            if not more:
                self.net.send({"type": "bye", "reason": f"done {self.done} trials"})
                return
        self.net.send({"type": "bye", "reason": "SIGTERM"})


def read_keys(directory, name):
    """(public, secret, server) from Sweep's key files: `public = KEY` / `secret = KEY` lines.
    Without a name: `worker`, else the first key of DIR/workers/ (as `sweep worker` does)."""
    keys = sorted(f[:-4] for f in os.listdir(os.path.join(directory, "workers")) if f.endswith(".key")) \
        if os.path.isdir(os.path.join(directory, "workers")) else []
    if name is None:
        name = "worker" if "worker" in keys or not keys else keys[0]
    if name not in keys:
        raise SystemExit(f"{directory}/workers/{name}.key: no such file" + (f"; the directory has {', '.join(keys)}: choose one with --key-name" if keys else " (create keys with `sweep keygen`)"))
    def fields(path):
        with open(path) as f:
            pairs = (line.split("=", 1) for line in (l.strip() for l in f) if line and not line.startswith("#") and "=" in line)
            return {k.strip(): v.strip().encode() for k, v in pairs}
    mine = fields(os.path.join(directory, "workers", name + ".key"))
    if not os.path.exists(os.path.join(directory, "coordinator.pub")):
        raise SystemExit(f"{directory}/coordinator.pub: no such file (copy it from the coordinator's key directory)")
    server = fields(os.path.join(directory, "coordinator.pub"))["public"]
    return mine["public"], mine["secret"], server


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--id", default=f"py-{socket.gethostname()}-{os.getpid()}")
    ap.add_argument("--max-trials", type=int)
    ap.add_argument("--keys", help="a directory made by `sweep keygen` (CURVE): coordinator.pub and workers/NAME.key")
    ap.add_argument("--key-name")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    w = Worker(args.connect, args.id, args.max_trials, curve=read_keys(args.keys, args.key_name) if args.keys else None)
    w.run()
    print(f"worker {args.id}: {w.done} trial(s) done")


if __name__ == "__main__":
    main()
