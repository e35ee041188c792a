"""Report metrics from your own training program to a Sweep worker.

Inside a sweep (a Sweep worker started the program), reports go over the channel the
worker names in SWEEP_REPORT_FD, and the coordinator's decision comes back on
SWEEP_DECISION_FD. Outside a sweep the same calls still work: parameters come from the
command line (--name=value), reports are printed, and nothing is ever pruned.

Two surfaces:

    import sweep_client
    p = sweep_client.params()                        # {"lr": 0.01, ...}
    for epoch in range(1, 11):
        ...
        if sweep_client.report(epoch, val_loss=v):   # True: pruned, stop now
            break

and a W&B-like one, so a W&B script changes only its import:

    import sweep_client as wandb
    run = wandb.init()
    lr = run.config.lr                               # or run.config["lr"]
    run.log({"val_loss": v})                         # one call per epoch
    run.finish()

Standard library only (docs/commands.md describes the line protocol underneath).
"""

import ast
import atexit
import contextlib
import errno
import fcntl
import json
import os
import select
import shutil
import stat
import sys
import tempfile
import threading
import time
import types
from collections.abc import Mapping, Sequence

__all__ = ["params", "report", "pruned", "in_sweep", "checkpoint_dir", "get_checkpoint", "Checkpoint", "init", "Run", "Config", "Summary"]

__version__ = "0.1.0"

def _resumed_epoch():
    """The epoch an attempt continues after (SWEEP_RESUME_EPOCH: a checkpoint's, or a PBT
    member's source), 0 for a fresh start: reports without an epoch count on from it."""
    try:
        return max(0, int(os.environ.get("SWEEP_RESUME_EPOCH", "0")))
    except ValueError:
        return 0


_state = {"out": None, "inp": None, "epoch": _resumed_epoch(), "pruned": False, "params": None}

# One report at a time: a report is a line written and its answer read, and two threads
# reporting at once read each other's answers (and waited for good), or opened the channel
# twice (the losing file object closed descriptor 3 as it was collected).
_lock = threading.RLock()


def _after_fork_in_child():
    # A child forked while another thread of the parent held the lock (waiting for an
    # answer) would wait for it for good: the child gets a lock of its own. The
    # record lock on the channel is the parent's: the child has not taken it.
    global _lock
    _lock = threading.RLock()
    _state["lock"] = None
    _state["reporting"] = False
    _state["writing"] = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

# The worker keeps at most this many metrics of a report, with names of 1 to 200 bytes,
# and reads lines up to 1 MiB (a longer one is dropped whole).
_MAX_METRICS = 256
_MAX_NAME_BYTES = 200
_MAX_LINE_BYTES = 1 << 20

# The process that imports the client first reports for the trial; the processes it starts
# do not, even those started before its first report or init(): W&B's cross-validation
# example starts its folds first, and fold 0's value became the trial's while the mean the
# script reported later was dropped as a repeated epoch.
if "SWEEP_REPORT_FD" in os.environ and "SWEEP_CLIENT_PID" not in os.environ:
    os.environ["SWEEP_CLIENT_PID"] = str(os.getpid())


def _say(text):
    """One line on stderr in one write: print() writes the text and its newline apart, and
    the notes of processes started together ran into each other on one line."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed stderr: nothing to tell


def in_sweep():
    """True when a Sweep worker started this program, and not a process started by one
    that already reports (multiprocessing folds, pool workers): those would report into the
    trial too, and the first value would win. Their calls act as outside a sweep."""
    if "SWEEP_REPORT_FD" not in os.environ:
        return False
    owner = os.environ.get("SWEEP_CLIENT_PID")
    if owner is None or owner == str(os.getpid()):
        return True
    if not _state.get("told"):
        _state["told"] = True
        _say("[sweep_client] pid %d was started by pid %s, which reports for this trial: its calls are printed, "
              "not reported (unset SWEEP_CLIENT_PID in it to report from here)" % (os.getpid(), owner))
    return False


def _holds_report_lock():
    """Whether this process holds the trial's report channel: an exclusive record lock on
    it, taken at its first report and held until the process exits. Pool workers forked
    before anything imported the client each took themselves for the first (the
    environment cannot tell them apart) and read each other's answers: the trial hung.
    (Taken at a report, not at init(): a launcher that reads its config and hands the
    channel to the training process it starts never holds it.) A descriptor that takes no
    lock (not the worker's pipe) is judged by its check."""
    if _state.get("lock") is None:
        try:
            fcntl.lockf(int(os.environ["SWEEP_REPORT_FD"]), fcntl.LOCK_EX | fcntl.LOCK_NB)
            _state["lock"] = True
        except OSError as error:
            _state["lock"] = error.errno not in (errno.EAGAIN, errno.EACCES)
        except ValueError:
            _state["lock"] = True
    return _state["lock"]


def _claim():
    """This process reports for the trial: processes it starts afterwards do not."""
    if in_sweep():
        os.environ["SWEEP_CLIENT_PID"] = str(os.getpid())


def checkpoint_dir():
    """The directory to save the trial's state in.

    Save there before reporting an epoch: after the report the worker uploads the files when
    they changed, and a re-queued trial's next attempt (on any host) starts with them in
    place, so the program continues after the epoch it saved instead of from the start.
    Outside a sweep: a new temporary directory (the same for the whole process), so the
    same code runs (it was None, and `os.path.join(checkpoint_dir(), ...)` raised); None
    only inside a sweep whose worker keeps no checkpoints.
    """
    if "SWEEP_CHECKPOINT_DIR" in os.environ or "SWEEP_REPORT_FD" in os.environ:
        return os.environ.get("SWEEP_CHECKPOINT_DIR")
    with _lock:
        if _state.get("local_checkpoints") is None:
            _state["local_checkpoints"] = tempfile.mkdtemp(prefix="sweep-checkpoint-")
            # Temporary: removed when this process exits (not by a forked child that exits,
            # which inherits the handler: the parent's directory went with the child).
            maker = os.getpid()
            atexit.register(lambda path=_state["local_checkpoints"]: os.getpid() == maker and shutil.rmtree(path, True))
        return _state["local_checkpoints"]


class Checkpoint(object):
    """Ray Tune's checkpoint, as `get_checkpoint()` gives it: a directory of files."""

    def __init__(self, path):
        self.path = path

    @classmethod
    def from_directory(cls, path):
        return cls(os.fspath(path))

    @contextlib.contextmanager
    def as_directory(self):
        yield self.path

    def to_directory(self, path=None):
        path = path or tempfile.mkdtemp(prefix="sweep-checkpoint-copy-")
        shutil.copytree(self.path, path, dirs_exist_ok=True)
        return path


def get_checkpoint():
    """Ray Tune's `train.get_checkpoint()`: the checkpoint this attempt starts from (a
    re-run's, or a PBT member's source: SWEEP_RESUME_EPOCH says its epoch), or None."""
    path = os.environ.get("SWEEP_CHECKPOINT_DIR")
    if path and os.path.isdir(path) and os.listdir(path):
        return Checkpoint(path)
    return None


def _is_checkpoint(value):
    """Whether a report's `checkpoint=` is a checkpoint (a path, or Ray's `Checkpoint` with
    its `path`), not a metric that happens to be named so."""
    return isinstance(value, (str, bytes, os.PathLike)) or (hasattr(value, "path") and not isinstance(value, (int, float)))


def _say_once(key, text):
    if not _state.get(key):
        _state[key] = True
        _say(text)


def _adopt_checkpoint(checkpoint):
    """Ray Tune's `report(metrics, checkpoint=...)`: the checkpoint's files become the
    trial's checkpoint (checkpoint_dir()'s content), sent with this report. They were
    dropped without a word: a ported PBT study never paused a member. Copied beside the
    folder first, so that a failure (a full disk) leaves the last checkpoint whole; a path
    already inside the folder is used as it is."""
    source = checkpoint.path if hasattr(checkpoint, "path") else checkpoint
    try:
        source = os.fsdecode(os.fspath(source))
    except TypeError:
        source = None
    target = checkpoint_dir()
    if source is None or not os.path.exists(source) or target is None:
        _say_once("told_checkpoint", "[sweep_client] report(checkpoint=%r) ignored: %s" % (checkpoint, "this worker keeps no checkpoints" if target is None else
                  "give a directory (or a file) of the state, or save into sweep_client.checkpoint_dir() before reporting"))
        return
    real_source, real_target = os.path.realpath(source), os.path.realpath(target)
    if real_source == real_target or real_source.startswith(real_target + os.sep):
        return  # already the trial's checkpoint (saved into checkpoint_dir())
    if real_target.startswith(real_source + os.sep):
        _say_once("told_checkpoint_outer", "[sweep_client] report(checkpoint=%r) ignored: it holds the trial's checkpoint folder %s itself; "
                  "give the folder of the state only" % (checkpoint, target))
        return
    staging = tempfile.mkdtemp(prefix=".adopting-", dir=os.path.dirname(real_target))
    try:
        if os.path.isdir(source):
            shutil.copytree(source, staging, dirs_exist_ok=True)
        else:
            shutil.copy2(source, staging)
        for entry in os.listdir(target):
            full = os.path.join(target, entry)
            shutil.rmtree(full) if os.path.isdir(full) and not os.path.islink(full) else os.remove(full)
        for entry in os.listdir(staging):
            os.replace(os.path.join(staging, entry), os.path.join(target, entry))
    finally:
        shutil.rmtree(staging, True)


def _parse_value(text):
    """A command-line value as the worker wrote it: numbers, True/False, None, lists and dicts
    (Python literals as W&B writes them, `['relu', 'tanh']`, `{'name': 'cosine'}`, or JSON),
    else text."""
    if text == "None":
        return None
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if (text.startswith("[") and text.endswith("]")) or (text.startswith("{") and text.endswith("}")):
        # Lists and dicts as W&B's agent writes them (Python literals), or JSON.
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            try:
                return json.loads(text)
            except ValueError:
                pass
    return text


def _params_from_argv(argv):
    out = {}
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            out[name] = _parse_value(value)
    return out


def params():
    """The trial's parameters: from the worker (SWEEP_PARAMS), else from --name=value
    arguments of the command line."""
    if _state["params"] is None:
        raw = os.environ.get("SWEEP_PARAMS")
        _state["params"] = json.loads(raw) if raw else _params_from_argv(sys.argv[1:])
    return dict(_state["params"])


def _check_channel(fd, what, inode_variable):
    """Refuses a descriptor that is not the worker's pipe: a process started by a launcher
    may have it closed, or hold its own file there (Python's subprocess closes descriptors
    3 and 4 unless told to keep them), and reports went into the program's own log file."""
    keep = ("start it with the descriptors kept (Python: subprocess.Popen(..., pass_fds=(3, 4)); multiprocessing "
            "keeps them only with the fork start method, not spawn or forkserver)")
    try:
        info = os.fstat(fd)
    except OSError:
        raise RuntimeError("[sweep_client] descriptor %d (the worker's %s pipe) is not open in pid %d: the process that "
                           "started this one closed it; report from the process the worker started, or %s" % (fd, what, os.getpid(), keep))
    expected = os.environ.get(inode_variable)
    if not stat.S_ISFIFO(info.st_mode) or (expected is not None and str(info.st_ino) != expected):
        raise RuntimeError("[sweep_client] descriptor %d in pid %d is not the worker's %s pipe (the process that started this one "
                           "closed it and the descriptor was reused, e.g. by a log file); %s" % (fd, os.getpid(), what, keep))


def _channels():
    if _state["out"] is None:
        report = int(os.environ["SWEEP_REPORT_FD"])
        _check_channel(report, "report", "SWEEP_REPORT_PIPE")
        fd = os.environ.get("SWEEP_DECISION_FD")
        if fd:
            _check_channel(int(fd), "decision", "SWEEP_DECISION_PIPE")
        # Raw descriptors, not file objects: a report from a signal handler that interrupted
        # another report's wait reads the same pipe, and Python refuses a file object's nested
        # read (RuntimeError: reentrant call inside BufferedReader).
        _state["out"] = report
        _state["inp"] = int(fd) if fd else None
        _state["unread"] = b""
        _state["unanswered"] = []  # epochs of reports sent without waiting (an epoch may repeat)
    return _state["out"], _state["inp"]


def _write_line(fd, text):
    """Writes one line whole (os.write may take part of a long one). A line written from a
    signal handler while another is half written waits until that one is whole."""
    if _state.get("writing"):
        _state.setdefault("queued", []).append(text)
        return
    _state["writing"] = True
    try:
        _write_line_now(fd, text)
    finally:
        _state["writing"] = False
        # (Also when a handler raised mid-write, sys.exit in a SIGTERM handler: its report,
        # queued, still goes out.)
        while _state.get("queued"):
            _write_line(fd, _state["queued"].pop(0))


def _write_line_now(fd, text):
    data = (text + "\n").encode("utf-8")
    if len(data) <= getattr(select, "PIPE_BUF", 512):
        os.write(fd, data)  # all or nothing on a pipe (retried after a signal's handler)
        return
    # A longer line may go in parts, and a signal handler may run between them. One that
    # raised (sys.exit in a SIGTERM handler) left half a line, and the next (the summary at
    # exit) ran into it: the worker dropped both. Written by a thread, the line is whole
    # whatever the main thread's handlers do; it is waited for before anything else is
    # written (the handler's own report, queued meanwhile, comes after it).
    # (An event, not join(): a join interrupted by a handler's exception takes the thread
    # for ended while it still writes, in CPython before 3.13.)
    done = threading.Event()
    threading.Thread(target=_write_all, args=(fd, data, done), name="sweep_client-write").start()
    try:
        done.wait()
    except BaseException:
        while not done.is_set():
            try:
                done.wait()
            except BaseException:
                pass
        raise


def _write_all(fd, data, done):
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass  # the worker closed the channel: nothing reads the line
    finally:
        done.set()


def _answer_to(epoch, fd):
    """The worker's answer to the report of `epoch` (its words: "continue EPOCH", "prune
    EPOCH REASON", "stop EPOCH REASON"), or None when the worker closed the channel.
    Answers to other reports (one a signal handler sent while this one waited) count as
    they come: a prune among them prunes the trial."""
    key = str(epoch)
    mine = None
    while True:
        # Waits in short slices: a signal that lands just before a blocking read leaves its
        # Python handler pending until the read returns, and a handler that reports (then
        # waits for the program's end) would wait on this answer.
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        lines = (_state["unread"] + chunk).split(b"\n")
        _state["unread"] = lines.pop()
        for line in lines:
            parts = line.decode("utf-8", "replace").split(" ", 2)
            if len(parts) < 2:
                continue
            # (The worker answers in order: this report's answer comes before those of the
            # reports a handler sent while it waited, whatever their epochs.)
            if parts[1].strip() == key and mine is None:
                mine = parts
                continue
            if parts[1].strip() in _state["unanswered"]:
                _state["unanswered"].remove(parts[1].strip())
            if parts[0] in ("prune", "stop"):
                _state["pruned" if parts[0] == "prune" else "stopped"] = True
                _state["stop_reason"] = parts[2].strip() if len(parts) > 2 else ""
        # (The answers to reports sent from a signal handler meanwhile are read too: the
        # worker answers each in turn, and a prune among them is this trial's.)
        if mine is not None and not _state["unanswered"]:
            return mine


def _numbers(metrics):
    """The numbers of `metrics` (numpy and torch scalars as floats); nested dicts stay
    nested (the worker flattens them: {"val": {"loss": 1}} is val.loss)."""
    numbers = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            inner = _numbers(v)
            if inner:
                numbers[k] = inner
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            try:
                v = float(v)  # numpy and torch scalars
            except (TypeError, ValueError):
                continue
        numbers[k] = v
    return numbers


def _flattened(numbers, prefix=""):
    """(dotted name, number) pairs of nested numbers, as the worker names them (val.loss)."""
    for k, v in numbers.items():
        if isinstance(v, dict):
            yield from _flattened(v, prefix + k + ".")
        else:
            yield prefix + k, v


def report(epoch=None, /, **metrics):
    """Reports one epoch's metrics (numbers); returns True when the coordinator pruned the
    trial, or the study counts no more epochs (budget.max_epochs): the program should stop
    now. `epoch` counts from 1 (default: the next one). A dict in its place is the metrics
    (`report({"val_loss": v})`, as Ray Tune's train.report takes them). Safe to call from
    several threads (one report at a time)."""
    if isinstance(epoch, Mapping):
        metrics = dict(epoch, **metrics)
        epoch = None
    checkpoint = None
    if "checkpoint" in metrics and (metrics["checkpoint"] is None or _is_checkpoint(metrics["checkpoint"])):
        # Ray's checkpoint=, None on the reports that save none (a number stays a metric).
        checkpoint = metrics.pop("checkpoint")
    if epoch is None and "epoch" in metrics:
        # report(epoch=3, ...) and report({"epoch": 3, ...}): the epoch, not a metric.
        epoch = metrics.pop("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
        whole = isinstance(epoch, float) and epoch.is_integer()
        if not whole and not hasattr(epoch, "__index__"):
            raise TypeError("sweep_client.report: the epoch must be a whole number, got %r; metrics go by name: "
                            "report(epoch, val_loss=v), or report(val_loss=v) for the next epoch (Optuna's "
                            "trial.report(value, step) is report(step + 1, NAME=value))" % (epoch,))
        epoch = int(epoch)
    if epoch is not None and epoch > 2 ** 53:
        raise ValueError("sweep_client.report: epoch %d is larger than any epoch a study counts" % epoch)
    if epoch is not None and int(epoch) < 1:
        # The worker ignores such a report (it was told only "a malformed line").
        raise ValueError("sweep_client.report: epoch %d: epochs count from 1 (a step counted from 0, "
                         "as Optuna's trial.report(value, step) takes, is epoch step + 1)" % int(epoch))
    return _report(epoch, metrics, checkpoint)


def _report(epoch, metrics, checkpoint=None):
    numbers = _numbers(metrics)
    with _lock:
        if _state["pruned"] or _state.get("stopped"):
            return True  # already told; the worker no longer counts reports
        epoch = _state["epoch"] + 1 if epoch is None else int(epoch)
        _state["epoch"] = epoch
        if in_sweep() and not _holds_report_lock() and not _state.get("told_held"):
            _state["told_held"] = True
            _say("[sweep_client] pid %d: another process reports for this trial (one that imported sweep_client "
                  "before this one, e.g. a pool worker: import sweep_client in the main script before starting the pool); "
                  "its calls are printed, not reported" % os.getpid())
        if not in_sweep() or not _holds_report_lock():
            _say("[sweep_client] epoch %d: %s" % (epoch, ", ".join("%s=%g" % kv for kv in _flattened(numbers))))
            return False
        # (Only the reporting process, one report at a time: a pool worker's checkpoint
        # replaced the trial's, and two threads' copies ran into each other.)
        if checkpoint is not None:
            _adopt_checkpoint(checkpoint)
        return _send_report(epoch, numbers)


def _bounded(numbers):
    """The metrics a worker keeps of `numbers`, as it picks them: names of 1 to 200 bytes,
    then at most 256, the objective (SWEEP_METRIC) and the top-level names first. Sent
    instead of a line over the worker's 1 MiB, which it drops whole, the objective with it
    (40,000 per-layer metrics lost the epoch)."""
    flat = [(k, v) for k, v in _flattened(numbers) if 0 < len(k.encode("utf-8")) <= _MAX_NAME_BYTES]
    objective = os.environ.get("SWEEP_METRIC")
    flat.sort(key=lambda kv: (kv[0] != objective, kv[0].count("."), kv[0]))
    if not _state.get("told_bounded"):
        _state["told_bounded"] = True
        _say("[sweep_client] a report of %d metrics is over the worker's 1 MiB a line: the %d it keeps are sent "
              "(the objective and top-level names first; docs/limits.md)" % (len(list(_flattened(numbers))), min(len(flat), _MAX_METRICS)))
    return dict(flat[:_MAX_METRICS])


def _send_report(epoch, numbers):
    _claim()
    out, inp = _channels()
    line = dict(numbers)
    line["epoch"] = epoch
    text = json.dumps(line, allow_nan=True)
    if len(text) >= _MAX_LINE_BYTES // 4 and len(text.encode("utf-8")) >= _MAX_LINE_BYTES:
        line = _bounded(numbers)
        line["epoch"] = epoch
        text = json.dumps(line, allow_nan=True)
    if _state.get("reporting") or _state.get("writing"):
        # A report from a signal handler while this thread is in another report or writes a
        # summary: sent, not waited for (Python refuses a nested read of a file object, a
        # nested os.read could take the other's answer, and its line waits for the other's
        # to be written whole). Its answer counts when a report reads it.
        if inp is not None:
            _state["unanswered"].append(str(epoch))
        _write_line(out, text)
        return _state["pruned"] or bool(_state.get("stopped"))
    _state["reporting"] = True
    try:
        _write_line(out, text)
        if inp is None:
            return False
        # "stop" comes past the study's last epoch: stop now, the trial completes.
        parts = _answer_to(epoch, inp)
    finally:
        _state["reporting"] = False
    if parts is None:  # the worker closed the channel
        return _state["pruned"]
    if parts[0] == "prune":
        _state["pruned"] = True
        _state["stop_reason"] = parts[2].strip() if len(parts) > 2 else ""
    if parts[0] == "stop":
        _state["stopped"] = True
        return True
    return _state["pruned"]


def _has(data, name):
    """Whether `data` holds metric `name`, flat ("val/loss", "val.loss") or nested
    ({"val": {"loss": ...}} is val.loss, as the worker flattens it)."""
    if name in data:
        return True
    node = data
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def pruned():
    """Whether the trial was pruned (or stopped for a non-finite objective, which the
    study records as FAIL: either way the program should stop)."""
    return _state["pruned"]


def _nested(flat):
    """Dotted names (a sweep's nested parameters, optimizer.lr) as nested dicts, as W&B's
    run.config gives them (config.optimizer["lr"]). A name that collides with another (a
    plain `a` beside `a.b`) stays flat: no value is ever lost, whatever the order."""
    plain = {n for n in flat if "." not in n or "" in n.split(".")}
    out = {n: v for n, v in flat.items() if n in plain}
    for name, value in flat.items():
        if name in plain:
            continue
        parts = name.split(".")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {}) if part not in node or isinstance(node[part], dict) else None
            if child is None or (node is out and part in plain):
                node = None
                break
            node = child
        if node is None or parts[-1] in node:
            out[name] = value
        else:
            node[parts[-1]] = value
    return out


def _merged(default, value):
    """A sweep's value over a script's default: nested dicts merge, the sweep's leaves win."""
    if isinstance(default, dict) and isinstance(value, dict):
        out = dict(default)
        for k, v in value.items():
            out[k] = _merged(out.get(k), v)
        return out
    return value


def _plain(value):
    """A mapping or sequence of a config library (OmegaConf's DictConfig and ListConfig) as
    a dict or list, all the way down."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, list, tuple)):
        return [_plain(v) for v in value]
    return value


def _as_dict(values):
    """A config given as W&B takes it: a dict or another mapping (OmegaConf's DictConfig,
    as Hydra scripts pass `cfg`), an object with attributes (an argparse Namespace, a
    dataclass), or None."""
    if values is None:
        return {}
    if isinstance(values, Mapping):
        # (Before the attributes: a DictConfig's are all private, and its keys were lost.)
        return _plain(values)
    if hasattr(values, "__dict__"):
        return {k: v for k, v in vars(values).items() if not k.startswith("_")}
    return dict(values)


def _equal(a, b):
    """a == b as a truth value; False when it has none (a numpy array compared element-wise)."""
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return False


class Config(dict):
    """The parameters, readable as attributes (run.config.lr) and as keys; nested
    parameters as nested dicts (run.config.optimizer["lr"]). The sweep's values win over
    defaults a script sets (as in W&B): `update` leaves them alone. A dotted name the
    script's defaults use flat ("model.depth") stays flat, as W&B keeps it; read either way."""

    def __init__(self, defaults=None, locked=None):
        defaults = _as_dict(defaults)
        dict.__init__(self, defaults)
        locked = dict(locked or {})
        # A sweep value for a flat dotted key the script itself uses replaces that key.
        flat = {k: v for k, v in locked.items() if "." in k and k in defaults}
        for k, v in flat.items():
            dict.__setitem__(self, k, v)
        rest = {k: v for k, v in locked.items() if k not in flat}
        # A W&B file's parameters come nested already (argument_style: nested): a name
        # written with a dot (`model.encoder.depth`) stays flat, as in W&B.
        self._locked = rest if os.environ.get("SWEEP_ARGUMENT_STYLE") == "nested" else _nested(rest)
        self._locked.update(flat)
        for k, v in self._locked.items():
            if k not in flat:
                dict.__setitem__(self, k, _merged(self.get(k), v))

    def __missing__(self, key):
        # config["optimizer.lr"] for a nested parameter (W&B scripts read both ways).
        if isinstance(key, str) and "." in key:
            node = self
            for part in key.split("."):
                if not isinstance(node, dict) or part not in node:
                    raise KeyError(key)
                node = node[part]
            return node
        raise KeyError(key)

    def as_dict(self):
        return dict(self)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

    def __setattr__(self, name, value):
        # `config.lr = 0.01` is `config["lr"] = 0.01`, as in W&B (it set an attribute that
        # shadowed the sweep's value: every trial trained at 0.01, recorded under its own).
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __setitem__(self, key, value):
        # A key the sweep set is locked, as in W&B: a script's own value is ignored (a dict
        # merges under the sweep's leaves).
        locked = self.__dict__.get("_locked", {})
        if key in locked:
            # (Stored all the same: copy.copy and deepcopy fill a new Config item by item.)
            if isinstance(value, dict) and isinstance(locked[key], dict):
                dict.__setitem__(self, key, _merged(value, locked[key]))
                return
            if value != locked[key]:
                _say("sweep_client: config item %r is set by the sweep (%r): the script's %r is ignored, as in W&B"
                      % (key, locked[key], value))
            dict.__setitem__(self, key, locked[key])
            return
        dict.__setitem__(self, key, value)

    def update(self, *args, allow_val_change=None, **kwargs):
        values = {}
        for a in args:
            values.update(_as_dict(a))
        values.update(kwargs)
        for k, v in values.items():
            if k not in self._locked:
                self[k] = v
            elif isinstance(v, dict) and isinstance(self._locked[k], dict):
                dict.__setitem__(self, k, _merged(v, self._locked[k]))
            elif not _equal(v, self._locked[k]):
                # (As W&B warns: "Config item 'lr' was locked by 'sweep' (ignored update)".)
                _say("sweep_client: config item %r is set by the sweep (%r): update()'s %r is ignored, as in W&B"
                     % (k, self._locked[k], v))

    def setdefaults(self, d):
        for k, v in d.items():
            self.setdefault(k, v)


class Summary(dict):
    """W&B's run.summary: the last value of each logged metric, unless the script sets its
    own (`run.summary["val_loss"] = best`). What the script sets is sent when the run
    finishes, and its objective is the trial's value (as W&B ranks runs by their summary)."""

    def __init__(self):
        dict.__init__(self)
        self._set = set()

    def __setitem__(self, key, value):
        self._set.add(key)
        dict.__setitem__(self, key, value)

    def update(self, *args, **kwargs):
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def _logged(self, data):
        # Values log() sets: the defaults the script's own values override.
        for k, v in data.items():
            if k not in self._set:
                dict.__setitem__(self, k, v)

    def _own(self):
        return {k: self[k] for k in self._set if k in self}


def _exit_from_thread():
    """Ends the program from a thread that saw a prune: exit handlers run first (the
    program's own, and the summary sent at exit), then os._exit. multiprocessing's handler
    joins the pool processes a ProcessPoolExecutor left waiting for work, for good (the
    program sat until the worker's SIGTERM): they are ended first, and the handlers get a
    few seconds at most."""
    watchdog = threading.Timer(5.0, os._exit, args=(0,))
    watchdog.daemon = True
    watchdog.start()
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        for child in multiprocessing.active_children():
            child.terminate()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


class Run(object):
    """A W&B-like run: config, log(), finish()."""

    def __init__(self, config=None, name=None):
        _claim()
        self.config = Config(config, locked=params())
        self.summary = Summary()
        self._summary_sent = None
        # W&B's run name and id: the trial, when a worker runs the program.
        trial = os.environ.get("SWEEP_TRIAL")
        self.id = "trial-%s" % trial if trial is not None else "local"
        self.name = name or self.id
        # A run started after another finished (W&B's reinit, folds one after another)
        # counts on from the trial's last epoch: from the resumed epoch, its reports were
        # dropped as repeated epochs and the first run's value stood.
        self._epoch = max(_resumed_epoch(), _state["epoch"])
        # Whether an earlier run of this attempt reported: this run's steps then count from
        # its own start (0 or 1) on top of the trial's last epoch.
        self._continues = _state["epoch"] > _resumed_epoch()
        self._finished = False
        self._told_finished = False
        self.start_time = time.time()
        self.settings = Settings()
        self._uncommitted = {}
        self._pending_epoch = None  # the step data is being gathered for (W&B's step=)
        self._step_offset = None
        self._last_step = None  # the highest step= logged (a lower one is dropped, as W&B does)
        # Inside a sweep the objective's name: W&B counts a run's steps for early termination
        # by the values of that metric it logged, so each log() that has it is the next epoch
        # and data logged without it goes with the next one that has it.
        self._metric = os.environ.get("SWEEP_METRIC") if in_sweep() else None
        self._held = {}
        self.tags = ()
        self._aggregates = {}      # define_metric(name, summary=...): name -> min | max | mean
        self._logged_values = {}   # the values of those names, as logged
        atexit.register(self._flush_at_exit)
        # define_metric calls made before init() (W&B refuses them; they were dropped).
        for args, kwargs in _metrics_before_init:
            self.define_metric(*args, **kwargs)
        del _metrics_before_init[:]

    def log(self, data, step=None, commit=None, sync=None):
        with _lock:  # threads may log at once: one at a time (their epochs were counted twice)
            return self._log(data, step, commit)

    def _log(self, data, step=None, commit=None):
        """W&B's log: one call per step unless it says otherwise. Without `step`, each call
        is the next epoch (`commit=False` keeps the data for the next call). With `step`,
        the data of a step is gathered until a later step is logged, `commit=True`, or the
        run finishes, as W&B does. Steps count from 0 or 1, as the script's first one says
        (W&B's count from 0; Sweep's epochs from 1). When the coordinator prunes the trial,
        the program exits (status 0), as W&B's agent ends an early-terminated run. After
        finish() it is ignored with a warning, as W&B ignores a finished run's log."""
        if self._finished:
            if not self._told_finished:
                self._told_finished = True
                _say("[sweep_client] log() after the run finished is ignored, as in W&B (run %s is finished; "
                     "wandb.init() starts another, which counts on from its last epoch)" % self.id)
            return False
        if step is not None:
            step = int(step)
            if self._step_offset is None:
                if self._continues:
                    # A run after another: its steps start again, at 0 (W&B) or 1.
                    self._step_offset = self._epoch + (1 if step == 0 else 0)
                else:
                    # After a resume at epoch R the first step is R (counting from 0) or R + 1.
                    resumed = _resumed_epoch()
                    self._step_offset = 1 if step == resumed else 0
            epoch = step + self._step_offset
            # As W&B: a step below the current one is ignored with a warning (it was merged
            # into the pending step, replacing its values without a word).
            last = self._last_step
            if last is not None and step < last:
                _say("[sweep_client] log(step=%d) ignored: steps must increase, and the current step is %d (as in W&B, the data is dropped)"
                      % (step, last))
                return False
            self._last_step = step
            if self._pending_epoch is not None and epoch > self._pending_epoch:
                self._commit()
            self._pending_epoch = epoch
            self._uncommitted.update(data)
            if commit:
                self._commit()
            return False
        self._uncommitted.update(data)
        if commit is False:
            return False
        self._commit()
        return False

    def _commit(self, exiting=False):
        data, self._uncommitted = self._uncommitted, {}
        epoch = self._pending_epoch if self._pending_epoch is not None else self._epoch + 1
        self._pending_epoch = None
        if not data:
            return
        self.summary._logged(data)
        if self._aggregates:
            # By the flat name (`val.loss` for {"val": {"loss": v}}), as define_metric names it.
            for name, value in _flattened(_numbers(data)):
                if isinstance(value, (int, float)) and self._aggregate_of(name) is not None:
                    self._logged_values.setdefault(name, []).append(float(value))
        # W&B scripts often log their own "epoch" counter (from 0); the step is Sweep's epoch.
        data = {k: v for k, v in data.items() if k != "epoch"}
        if self._metric is not None:
            if not _has(data, self._metric):
                self._held = _merged(self._held, data)
                return
            data, self._held = _merged(self._held, data), {}
            epoch = self._epoch + 1
        self._epoch = epoch
        # (Past the study's last epoch the worker says stop: W&B's agent cuts no run at an
        # epoch count, so the script goes on, its further steps not sent.)
        if _report(epoch, data) and _state["pruned"] and not exiting:
            # W&B's agent ends an early-terminated run; W&B scripts do not check log()'s result.
            # (Not always a prune: a non-finite objective stops the trial as FAIL the same way.)
            why = _state.get("stop_reason") or "pruned"
            _say("[sweep_client] stopped at step %d (%s); exiting" % (epoch, why))
            if threading.current_thread() is not threading.main_thread():
                # sys.exit ends only this thread: the main one trained on until the worker's
                # SIGTERM, kill_grace later.
                _exit_from_thread()
            sys.exit(0)

    def _flush_at_exit(self):
        # Data a script logged last without committing it (or its last step=) still counts.
        if self._uncommitted and not _state["pruned"] and not self._finished:
            self._commit(exiting=True)
        self._send_summary()

    def _send_summary(self):
        """The values the script set in run.summary (or define_metric's aggregates), and
        those it logged after the objective's last value (in no report), once (again if
        they changed)."""
        aggregated = {k: v for k, v in self._aggregated().items() if k not in self.summary._set}
        own = _numbers(_merged(_merged(self._held, aggregated), self.summary._own()))
        if not own or own == self._summary_sent or _state["pruned"]:
            return
        if not in_sweep():
            self._summary_sent = own
            _say("[sweep_client] summary: %s" % ", ".join("%s=%g" % kv for kv in sorted(own.items()) if not isinstance(kv[1], dict)))
            return
        with _lock:
            out, _ = _channels()
            # In lines well under the worker's 1 MiB, the objective first: a line over the
            # bound is dropped whole, and the objective with it.
            items = sorted(own.items(), key=lambda kv: kv[0] != self._metric)
            chunk, size = {}, 0
            for k, v in items:
                text = json.dumps({k: v}, allow_nan=True)
                if chunk and size + len(text) > 256 * 1024:
                    _write_line(out, json.dumps({"summary": chunk}, allow_nan=True))
                    chunk, size = {}, 0
                chunk[k] = v
                size += len(text)
            _write_line(out, json.dumps({"summary": chunk}, allow_nan=True))
            # Sent once all of it went: a handler that exited between two of its lines (sys.exit
            # in a SIGTERM handler) left the rest unsent, and the pass at exit took it for sent.
            self._summary_sent = own

    def finish(self, exit_code=None, quiet=None):
        if self._finished:
            return
        if self._uncommitted:
            with _lock:
                self._commit()
        self._finished = True
        self._send_summary()
        if run is self:
            # As W&B resets wandb.config: what is set now goes to the next run.
            globals()["config"] = _config_before_init
        if exit_code:
            sys.exit(exit_code)

    def define_metric(self, name=None, step_metric=None, summary=None, goal=None, **kwargs):
        """W&B's define_metric: `summary="min" | "max" | "mean" | "first" | "best"` (best by
        `goal`, "minimize" or "maximize") makes that aggregate of the logged values the run's
        summary, and so the trial's value when it is the objective; the rest changes nothing
        for a sweep. `name` may be a glob (`"val/*"`) and names a nested value by its dotted
        name (`"val.loss"` for `log({"val": {"loss": v}})`), as in W&B."""
        if name and summary:
            for how in str(summary).split(","):
                how = how.strip()
                if how == "best":
                    how = "max" if str(goal or "minimize").startswith("max") else "min"
                if how in ("min", "max", "mean", "first", "last"):
                    self._aggregates[name] = how
        return _Metric(name, step_metric=step_metric, summary=summary, goal=goal, **kwargs)

    def _aggregate_of(self, name):
        """The aggregate define_metric asked for `name`: its own, else a glob's that matches
        as W&B matches one (a trailing `*` as a prefix; names starting with `_` left out)."""
        how = self._aggregates.get(name)
        if how is None and not name.startswith("_"):
            for pattern, glob in self._aggregates.items():
                if pattern.endswith("*") and name.startswith(pattern[:-1]):
                    return glob
        return how

    def _aggregated(self):
        """The summaries define_metric asked for, from the values logged so far."""
        out = {}
        for name, logged in self._logged_values.items():
            how = self._aggregate_of(name)
            values = [v for v in logged if v == v]  # NaN left out
            if not values or how in (None, "last"):
                continue
            out[name] = (min(values) if how == "min" else max(values) if how == "max"
                         else values[0] if how == "first" else sum(values) / len(values))
        return out

    @property
    def sweep_id(self):
        return os.environ.get("SWEEP_STUDY")

    @property
    def project(self):
        return os.environ.get("SWEEP_STUDY", "")

    @property
    def dir(self):
        """A directory of the run's own (not the checkpoint directory: what is saved there is
        uploaded after each report and restores a re-run)."""
        import tempfile
        path = os.path.join(tempfile.gettempdir(), "sweep-run-%s-%s" % (os.environ.get("SWEEP_STUDY", "local"), self.id))
        os.makedirs(path, exist_ok=True)
        return path

    @property
    def step(self):
        """The run's last step: the epochs it reported."""
        return self._epoch

    @property
    def path(self):
        return "sweep/%s/%s" % (os.environ.get("SWEEP_STUDY", "local"), self.id)

    @property
    def resumed(self):
        """Whether this attempt continues an earlier one (from a checkpoint, or a PBT source)."""
        return _resumed_epoch() > 0

    # W&B's run fields that mean nothing for a sweep.
    entity = ""
    group = job_type = notes = url = None

    def get_sweep_url(self):
        return None

    def get_project_url(self):
        return None

    def get_url(self):
        return None

    def log_code(self, *args, **kwargs):
        return None

    def use_artifact(self, *args, **kwargs):
        return use_artifact(*args, **kwargs)

    def alert(self, *args, **kwargs):
        return None

    # W&B calls that change nothing for a sweep: accepted so that scripts run unchanged.

    def watch(self, *args, **kwargs):
        return None

    def save(self, *args, **kwargs):
        return None

    def log_artifact(self, *args, **kwargs):
        return None

    def unwatch(self, *args, **kwargs):
        return None

    def log_model(self, *args, **kwargs):
        return None

    def link_model(self, *args, **kwargs):
        return None

    def link_artifact(self, *args, **kwargs):
        return None

    def mark_preempting(self):
        return None

    def status(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()
        return False


run = None
config = Config()
# What a script sets in `config` before init() (W&B refuses it; it was dropped): defaults
# the run starts with, under init()'s own.
_config_before_init = config
# define_metric(...) calls before init(), applied when the run starts.
_metrics_before_init = []


def init(config=None, name=None, **_ignored):
    """Starts the run (W&B's project, entity, ... are accepted and ignored). Called again
    before the run finishes, it returns the same run, as W&B does in a script (a second run
    counted its epochs from 1 again, and its reports were dropped as repeated epochs); the
    new config's keys the run lacks are added. With `reinit=True` the run finishes and a
    new one starts, as in W&B."""
    global run, _config_before_init
    if run is not None and not run._finished:
        if not _ignored.get("reinit"):
            for k, v in _as_dict(config).items():
                if k not in run.config:
                    run.config[k] = v
            return run
        run.finish()
    if _config_before_init:
        merged = dict(_config_before_init)
        merged.update(_as_dict(config))
        config = merged
    # (Taken once: the next run's are what is set after this one finishes.)
    _config_before_init = Config()
    run = Run(config, name=name)
    run.group, run.job_type, run.notes = _ignored.get("group"), _ignored.get("job_type"), _ignored.get("notes")
    globals()["config"] = run.config
    globals()["summary"] = run.summary
    return run


class _SummaryBeforeInit(Summary):
    """`summary` before init(): a value set there starts the run and goes to its summary
    (Optuna's `return value` ported as `sweep_client.summary[metric] = value`), rather than
    into a dict nothing sends (W&B raises there)."""

    def __setitem__(self, key, value):
        (run or init()).summary[key] = value


summary = _SummaryBeforeInit()


def login(*args, **kwargs):
    """W&B's login: nothing to log in to."""
    return True


def join(exit_code=None):
    """W&B's old name for finish()."""
    return finish(exit_code)


class Settings(object):
    """W&B's settings object: accepted and ignored."""

    def __init__(self, *args, **kwargs):
        pass


class Artifact(object):
    """W&B's artifacts: accepted, nothing is uploaded. One the script reads back
    (`use_artifact(...).download()`) would come from W&B's server: said plainly."""

    def __init__(self, name=None, *args, **kwargs):
        self.name = name

    def add_file(self, *args, **kwargs):
        return None

    def add_dir(self, *args, **kwargs):
        return None

    def add(self, *args, **kwargs):
        return None

    def add_reference(self, *args, **kwargs):
        return None

    def new_file(self, name, mode="w", encoding=None):
        """A file whose content goes nowhere, as the artifact is not uploaded."""
        return open(os.devnull, mode, encoding=encoding)

    def wait(self, *args, **kwargs):
        return self

    def save(self, *args, **kwargs):
        return None

    def _from_server(self, *args, **kwargs):
        raise Error("W&B artifact %r lives on W&B's server, which Sweep does not use: pass the data's path "
                    "to the program instead (a fixed value in the sweep file's parameters)" % (self.name,))

    download = file = get = get_path = get_entry = checkout = verify = _from_server


def use_artifact(artifact_or_name=None, *args, **kwargs):
    return artifact_or_name if isinstance(artifact_or_name, Artifact) else Artifact(artifact_or_name)


def log_artifact(*args, **kwargs):
    return None


def define_metric(*args, **kwargs):
    if run is None or run._finished:
        # Before init() W&B refuses it; kept for the run instead (it was dropped: the
        # trial's value was the last one logged, not the summary asked for).
        _metrics_before_init.append((args, kwargs))
        return _Metric(*args[:1], **kwargs)
    return run.define_metric(*args, **kwargs)


class _Metric(object):
    """What define_metric returns (W&B's Metric): its settings, readable."""

    def __init__(self, name=None, step_metric=None, summary=None, goal=None, **kwargs):
        self.name, self.step_metric, self.summary, self.goal = name, step_metric, summary, goal
        self.hidden = kwargs.get("hidden")
        self.step_sync = kwargs.get("step_sync")


def watch(*args, **kwargs):
    return None


def save(*args, **kwargs):
    return None


class _Media(object):
    """W&B's media objects (Image, Histogram, ...): accepted in log() and left out of the
    report, which keeps numbers only."""

    def __init__(self, *args, **kwargs):
        pass


class Table(_Media):
    """W&B's Table: its columns and rows kept (scripts read them back), never sent."""

    def __init__(self, columns=None, data=None, rows=None, dataframe=None, **kwargs):
        self.columns = list(columns or (list(dataframe.columns) if dataframe is not None else []))
        self.data = [list(r) for r in (data if data is not None else rows if rows is not None
                                       else (dataframe.values.tolist() if dataframe is not None else []))]

    def add_data(self, *values):
        self.data.append(list(values))

    def add_column(self, name, data, optional=False):
        self.columns.append(name)
        for row, value in zip(self.data, data):
            row.append(value)

    def get_column(self, name, convert_to=None):
        i = self.columns.index(name)
        return [row[i] for row in self.data]

    def get_index(self):
        return list(range(len(self.data)))


Image = Histogram = Audio = Video = Html = Object3D = Molecule = Graph = Plotly = _Media


class _Charts(object):
    """`wandb.plot` and `wandb.sklearn`: charts W&B's server draws. Each call gives a media
    object, which log() leaves out."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: _Media()


plot = sklearn = _Charts()


class Error(Exception):
    """W&B's wandb.Error."""


# W&B's wandb.errors, importable as a module (`from wandb.errors import CommError`).
errors = types.ModuleType(__name__ + ".errors", "W&B's wandb.errors: the exception types scripts catch.")
errors.Error = Error
errors.CommError = errors.UsageError = errors.AuthenticationError = Error
sys.modules[errors.__name__] = errors


class AlertLevel(object):
    INFO, WARN, ERROR = "INFO", "WARN", "ERROR"


class util(object):
    """W&B's wandb.util: the helper scripts call."""

    @staticmethod
    def generate_id(length=8):
        import random
        import string
        return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(length))


def alert(title=None, text=None, level=None, wait_duration=None):
    """W&B's alert: said on stderr (no one is notified)."""
    _say("[sweep_client] alert: %s: %s" % (title, text))


def termlog(string="", *args, **kwargs):
    _say("wandb: %s" % string)


def termwarn(string="", *args, **kwargs):
    _say("wandb: WARNING %s" % string)


def termerror(string="", *args, **kwargs):
    _say("wandb: ERROR %s" % string)


def unwatch(*args, **kwargs):
    return None


def log_model(*args, **kwargs):
    return None


def link_model(*args, **kwargs):
    return None


def mark_preempting():
    return None


def setup(*args, **kwargs):
    return None


def require(*args, **kwargs):
    return None


def teardown(*args, **kwargs):
    return None


def log(data, step=None, commit=None, sync=None):
    return (run or init()).log(data, step=step, commit=commit)


def finish(exit_code=None, quiet=None):
    if run is not None:
        run.finish(exit_code)


def sweep(sweep, entity=None, project=None, prior_runs=None):
    """W&B's sweep(config): inside a Sweep trial, the study's name (the sweep file given to
    `sweep run` defines the search, not this dict). Outside, says how to run the search and
    returns "local": agent() then runs the function once, with the script's defaults."""
    if in_sweep():
        return os.environ.get("SWEEP_STUDY", "sweep")
    _say("[sweep_client] wandb.sweep(): Sweep runs a search from a sweep file, not from Python: save this dict "
         "(json.dump(sweep_config, open('sweep.json', 'w'))), add \"program\": \"%s\" to it, and run "
         "`sweep run sweep.json` (count= is run_cap in the file); here agent() runs the function once"
         % os.path.basename(sys.argv[0] or "train.py"))
    return "local"


def agent(sweep_id=None, function=None, entity=None, project=None, count=None):
    """W&B's agent(id, function=train, count=N): inside a Sweep trial, calls `function` once
    (the worker runs the program once per trial; the budget is the file's `run_cap`, not
    `count`); outside a sweep, once with the script's defaults. A second call in the same
    program does nothing."""
    if function is None or _state.get("agent_ran"):
        return None
    _state["agent_ran"] = True
    function()
    if run is not None:
        run.finish()
    return None


def __getattr__(name):
    # A W&B name the client lacks said as such: a bare AttributeError gave a W&B user no clue.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError("sweep_client has no %r: it stands in for W&B's run API (init, config, log, summary, "
                         "define_metric, finish, sweep and agent, and no-op media, artifacts, plot and alerts), "
                         "not for W&B's server (Api, reports); docs/commands.md, \"The Python client\"" % name)
