"""Tests of sweep_client with the standard library only (run by `swift test`, through
Tests/EndToEndTests, with Debian's python3)."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

# Signals blocked by the process that started the tests (a test runner's thread that waits
# for signals) are blocked in the programs started here too, and the tests of signal
# handlers waited for a signal that never came: unblocked, as a worker starts programs.
signal.pthread_sigmask(signal.SIG_SETMASK, [])

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.dirname(HERE)


def run_python(code, args=(), env=None, pass_fds=()):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SWEEP_")}
    full_env["PYTHONPATH"] = CLIENT
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code] + list(args), env=full_env, pass_fds=pass_fds,
                          capture_output=True, text=True, timeout=30)


class OutsideASweep(unittest.TestCase):
    def test_params_come_from_the_command_line(self):
        r = run_python("import sweep_client, json; print(json.dumps(sweep_client.params()))",
                       ["--lr=0.01", "--layers=3", "--flag=True", "--name=adam", "--widths=[64, 32]",
                        "--acts=['relu', 'tanh']", "--bools=[True, False]", "--json=[\"a\", null]", "--bracket=[not json", "--depth=None", "--maybe=[None, 2]",
                        "--sched={'name': 'cosine', 'warmup': 5}", "--js={\"a\": [1.5, null]}", "--brace={not a dict", "positional"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"lr": 0.01, "layers": 3, "flag": True, "name": "adam",
                                                "widths": [64, 32], "acts": ["relu", "tanh"], "bools": [True, False],
                                                "json": ["a", None], "bracket": "[not json",
                                                "depth": None, "maybe": [None, 2],
                                                "sched": {"name": "cosine", "warmup": 5}, "js": {"a": [1.5, None]},
                                                "brace": "{not a dict"})

    def test_checkpoint_dir_is_the_workers_or_a_temporary_one(self):
        # Outside a sweep the documented code runs too: os.path.join(checkpoint_dir(), ...)
        # raised TypeError on None.
        r = run_python("import os, sweep_client\nd = sweep_client.checkpoint_dir()\n"
                       "open(os.path.join(d, 'state.json'), 'w').write('{}')\n"
                       "print(d == sweep_client.checkpoint_dir(), os.path.isdir(d))\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["True", "True"])
        # Removed when the program exits, not when a child it forked exits.
        r = run_python("import os, sys, sweep_client\nd = sweep_client.checkpoint_dir()\n"
                       "pid = os.fork()\nif pid == 0: sys.exit(0)\nos.waitpid(pid, 0)\nprint(os.path.isdir(d), d)\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        alive, path = r.stdout.split()
        self.assertEqual(alive, "True")
        self.assertFalse(os.path.exists(path))
        r = run_python("import sweep_client; print(sweep_client.checkpoint_dir())", env={"SWEEP_CHECKPOINT_DIR": "/tmp/ck"})
        self.assertEqual(r.stdout.strip(), "/tmp/ck", r.stderr)

    def test_report_takes_a_dict_and_refuses_a_value_for_an_epoch(self):
        # Ray Tune's train.report({...}) and Optuna's trial.report(value, step) habits.
        r = run_python("import sweep_client; sweep_client.report({'val_loss': 0.5}); sweep_client.report({'val_loss': 0.25}, acc=0.5)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("epoch 1: val_loss=0.5", r.stderr)
        self.assertIn("epoch 2: val_loss=0.25, acc=0.5", r.stderr)
        r = run_python("import sweep_client; sweep_client.report(0.93)")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("the epoch must be a whole number, got 0.93; metrics go by name", r.stderr)
        r = run_python("import sweep_client; sweep_client.report({'val_loss': 0.5}, epoch=5); sweep_client.report({'epoch': 7, 'val_loss': 0.25})")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("epoch 5: val_loss=0.5", r.stderr)
        self.assertIn("epoch 7: val_loss=0.25", r.stderr)
        r = run_python("import sweep_client; sweep_client.report(3.0, loss=1); sweep_client.report(10**20, loss=1)")
        self.assertIn("epoch 3: loss=1", r.stderr)
        self.assertIn("larger than any epoch", r.stderr)

    def test_reports_are_printed_and_never_pruned(self):
        r = run_python("import sweep_client; print(sweep_client.report(1, loss=0.5)); print(sweep_client.report(loss=0.25))")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["False", "False"])
        self.assertIn("epoch 1: loss=0.5", r.stderr)
        self.assertIn("epoch 2: loss=0.25", r.stderr)

    def test_nested_metrics_are_printed_with_dotted_names(self):
        # They raised "must be real number, not dict" outside a sweep (inside, the worker flattens them).
        r = run_python("import sweep_client; sweep_client.report(1, val={'loss': 0.5, 'acc': 0.75}, lr=0.1); "
                       "run = sweep_client.init(); run.log({'val_loss': 0.5, 'val': {'acc': 0.9}})")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("epoch 1: val.loss=0.5, val.acc=0.75, lr=0.1", r.stderr)
        self.assertIn("epoch 2: val_loss=0.5, val.acc=0.9", r.stderr)  # counts on after epoch 1

    def test_an_epoch_below_one_is_refused_saying_epochs_count_from_one(self):
        # Optuna's steps count from 0: the worker ignored such a report as "malformed".
        r = run_python("import sweep_client; sweep_client.report(0, loss=0.5)")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("epochs count from 1", r.stderr)
        self.assertIn("step + 1", r.stderr)

    def test_wandb_surface_uses_defaults_overridden_by_arguments(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init(project='p', config={'lr': 0.1, 'bs': 32})\n"
                "run.config.update({'lr': 5, 'extra': 1})\n"
                "print(run.config.lr, run.config['bs'], run.config.extra, wandb.config.lr)\n"
                "print(run.log({'epoch': 0, 'loss': 1.0}))\n"
                "run.finish()\n")
        r = run_python(code, ["--lr=0.5"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["0.5", "32", "1", "0.5", "False"])


    def test_wandb_scripts_calls_and_config_forms_work(self):
        # What real W&B scripts call: a Namespace as config, update(..., allow_val_change),
        # define_metric, login, watch, summary, media objects in log(); a flat dotted key.
        code = ("import argparse, json, sweep_client as wandb\n"
                "wandb.login()\n"
                "args = argparse.Namespace(lr=0.1, depth=2)\n"
                "run = wandb.init(config=args, name='x')\n"
                "run.config.update({'extra': 1}, allow_val_change=True)\n"
                "wandb.define_metric('val_loss', summary='min'); run.define_metric('acc'); wandb.watch(None)\n"
                "run.log({'loss': 1.0, 'img': wandb.Image(None), 'table': wandb.Table(columns=[])})\n"
                "wandb.summary['best'] = 1\n"
                "print(json.dumps(run.config.as_dict(), sort_keys=True), run.name)\n"
                "run.finish()\n"
                "flat = wandb.init(config={'model.depth': 3})\n"
                "print(flat.config['model.depth'], json.dumps(dict(flat.config), sort_keys=True))\n"
                "flat.finish()\n"
                "nested = wandb.init()\n"
                "print(nested.config['opt.lr'], nested.config.opt['lr'])\n")
        r = run_python(code, ["--lr=0.5", "--model.depth=4", "--opt.lr=0.01"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(json.loads(lines[0].rsplit(" ", 1)[0]),
                         {"depth": 2, "extra": 1, "lr": 0.5, "model": {"depth": 4}, "opt": {"lr": 0.01}})
        self.assertEqual(lines[0].rsplit(" ", 1)[1], "x")
        # The script's flat "model.depth" gets the sweep's value (W&B keeps dotted keys flat).
        self.assertEqual(lines[1].split(" ", 1)[0], "4")
        self.assertEqual(json.loads(lines[1].split(" ", 1)[1])["model.depth"], 4)
        self.assertEqual(lines[2].split(), ["0.01", "0.01"])

    def test_nested_parameters_are_nested_dicts_in_the_wandb_config(self):
        # W&B gives nested sweep parameters (and constant dicts) as nested dicts; Sweep sends
        # them as dotted names. The script's own defaults merge under the sweep's values.
        code = ("import sweep_client as wandb, json\n"
                "run = wandb.init(config={'optimizer': {'name': 'sgd', 'momentum': 0.9}, 'bs': 8})\n"
                "print(json.dumps(dict(run.config), sort_keys=True))\n"
                "print(run.config.optimizer['lr'], wandb.config.optimizer['name'])\n"
                "print(json.dumps(wandb.params(), sort_keys=True))\n")
        r = run_python(code, ["--optimizer.name=adam", "--optimizer.lr=0.1", "--opt.betas.b1=0.9", "--a.=1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(json.loads(lines[0]), {"optimizer": {"name": "adam", "lr": 0.1, "momentum": 0.9}, "bs": 8,
                                                "opt": {"betas": {"b1": 0.9}}, "a.": 1})
        self.assertEqual(lines[1].split(), ["0.1", "adam"])
        self.assertEqual(json.loads(lines[2]), {"optimizer.name": "adam", "optimizer.lr": 0.1, "opt.betas.b1": 0.9, "a.": 1},
                         "params() keeps Sweep's dotted names")
        # A plain name beside dotted ones under it: both kept, in either order.
        for args in (["--a=2", "--a.b=1"], ["--a.b=1", "--a=2"]):
            r = run_python("import sweep_client as wandb, json; print(json.dumps(dict(wandb.init().config), sort_keys=True))", args)
            self.assertEqual(json.loads(r.stdout), {"a": 2, "a.b": 1}, r.stderr)


    def test_a_wandb_files_parameters_come_nested_and_dotted_names_stay_flat(self):
        # argument_style: nested (W&B files): the worker sends groups as dicts; a name written
        # with a dot is a key of its own, as in W&B (it was nested: .get() found nothing).
        code = ("import sweep_client as wandb, json\n"
                "c = wandb.init(config={'optimizer': {'momentum': 0.9}}).config\n"
                "print(json.dumps([c.get('model.encoder.depth'), 'model.encoder.depth' in c, c.optimizer, c['optimizer.nadam.beta']], sort_keys=True))\n")
        params = {"optimizer": {"lr": 0.1, "nadam": {"beta": 0.95}}, "model.encoder.depth": 4}
        r = run_python(code, env={"SWEEP_PARAMS": json.dumps(params), "SWEEP_ARGUMENT_STYLE": "nested"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), [4, True, {"lr": 0.1, "momentum": 0.9, "nadam": {"beta": 0.95}}, 0.95])

    def test_an_update_with_an_array_for_a_sweep_key_warns_and_goes_on(self):
        # Comparing an array to the sweep's value has no truth value: update() raised.
        r = run_python("import numpy, sweep_client as wandb\nrun = wandb.init()\n"
                       "wandb.config.update({'lr': numpy.array([1.0, 2.0])})\nprint(wandb.config.lr)\n", ["--lr=0.1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["0.1"])
        self.assertIn("config item 'lr' is set by the sweep (0.1): update()'s", r.stderr)

    def test_a_scripts_own_values_never_override_the_sweeps(self):
        # `config.lr = 0.01` (W&B's examples set defaults so) set an attribute that shadowed
        # the sweep's value: every trial trained at 0.01. As in W&B, the sweep's keys are
        # locked against attribute and item assignment; other keys are set both ways.
        code = ("import sweep_client as wandb, json\n"
                "run = wandb.init()\n"
                "config = wandb.config\n"
                "config.lr = 0.01\n"
                "config['lr'] = 0.02\n"
                "config.batch = 3\n"
                "config['epochs'] = 5\n"
                "config.update({'lr': 0.03, 'batch': 3})\n"
                "print(json.dumps([config.lr, config['lr'], config.batch, config['batch'], config.epochs, config.as_dict()], sort_keys=True))\n"
                "import copy\n"
                "print(json.dumps([dict(copy.copy(config)), dict(copy.deepcopy(config))], sort_keys=True))\n"
                "print(wandb.init() is run, wandb.init(reinit=True) is run)\n")
        r = run_python(code, ["--lr=0.1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(json.loads(lines[0]), [0.1, 0.1, 3, 3, 5, {"lr": 0.1, "batch": 3, "epochs": 5}])
        # Copies keep the sweep's values (filled item by item, they lost the locked ones).
        self.assertEqual(json.loads(lines[1]), [{"lr": 0.1, "batch": 3, "epochs": 5}] * 2)
        self.assertEqual(lines[2].split(), ["True", "False"])
        self.assertIn("config item 'lr' is set by the sweep (0.1)", r.stderr)
        # update() is ignored for it too, and said so (as W&B says "locked by 'sweep'").
        self.assertIn("config item 'lr' is set by the sweep (0.1): update()'s 0.03 is ignored", r.stderr)


    def test_more_of_wandbs_surface_runs_unchanged(self):
        # Calls of real W&B scripts that failed with TypeError or AttributeError (the trial
        # failed after it had trained): finish(quiet=), log(sync=), wandb.plot and
        # sklearn, alerts, Table.add_data, artifacts, run fields, util.generate_id.
        code = ("import sweep_client as wandb\n"
                "wandb.termlog('hello'); wandb.setup(); wandb.require('core')\n"
                "with wandb.init(config={'lr': 0.1}) as run:\n"
                "    t = wandb.Table(columns=['a']); t.add_data(1)\n"
                "    wandb.log({'cm': wandb.plot.confusion_matrix(probs=None), 'x': 1.0}, sync=False)\n"
                "    run.log({'x': 2.0}, sync=True)\n"
                "    wandb.sklearn.plot_classifier(None, None)\n"
                "    wandb.alert(title='t', text='done', level=wandb.AlertLevel.INFO)\n"
                "    art = wandb.Artifact('model', type='model')\n"
                "    with art.new_file('notes.txt') as f: f.write('x')\n"
                "    art.add(t, 'table'); run.log_artifact(art); run.log_model(path='.'); run.mark_preempting()\n"
                "    m = run.define_metric('x', summary='max')\n"
                "    print(run.step, m.summary, run.resumed, run.entity == '', run.group, len(wandb.util.generate_id()))\n"
                "    wandb.finish(quiet=True)\n"
                "try:\n"
                "    wandb.use_artifact('data:latest').download()\n"
                "except wandb.errors.Error as e:\n"
                "    print('refused:', e)\n"
                "try:\n"
                "    wandb.Api()\n"
                "except AttributeError as e:\n"
                "    print('missing:', e)\n")
        r = run_python(code)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["2", "max", "False", "True", "None", "8"])
        self.assertIn("refused: W&B artifact 'data:latest' lives on W&B's server", lines[1])
        self.assertIn("missing: sweep_client has no 'Api'", lines[2])
        self.assertIn("wandb: hello", r.stderr)
        self.assertIn("alert: t: done", r.stderr)

    def test_tables_keep_their_data_and_errors_import_as_a_module(self):
        code = ("import sweep_client as wandb\n"
                "from sweep_client.errors import CommError\n"
                "t = wandb.Table(columns=['a', 'b'], data=[[1, 2]]); t.add_data(3, 4); t.add_column('c', [5, 6])\n"
                "print(len(t.data), t.columns, t.get_column('b'), CommError is wandb.Error)\n"
                "run = wandb.init(group='g', job_type='train')\n"
                "print(run.group, run.job_type, run.use_artifact('x:latest').name)\n")
        r = run_python(code)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["2 ['a', 'b', 'c'] [2, 4] True", "g train x:latest"])

    def test_config_set_between_runs_goes_to_the_next_run_only(self):
        # It was taken again by every later run (fold 0, 0, 0).
        code = ("import sweep_client as wandb\n"
                "for fold in range(3):\n"
                "    wandb.config.fold = fold\n"
                "    run = wandb.init(reinit=True)\n"
                "    print(run.config.fold)\n"
                "    run.finish()\n")
        r = run_python(code)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["0", "1", "2"])

    def test_config_and_define_metric_before_init_reach_the_run(self):
        # W&B refuses both before init(); they were dropped without a word.
        code = ("import json, sweep_client as wandb\n"
                "wandb.config.update({'early': 1, 'lr': 0.5})\n"
                "wandb.define_metric('loss', summary='min')\n"
                "run = wandb.init(config={'lr': 0.1})\n"
                "for v in [3.0, 1.0, 2.0]: run.log({'loss': v})\n"
                "print(json.dumps(run.config.as_dict(), sort_keys=True))\n"
                "run.finish()\n")
        r = run_python(code)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"early": 1, "lr": 0.1})
        self.assertIn("summary: loss=1", r.stderr)

    def test_a_config_mapping_like_omegaconfs_keeps_its_keys(self):
        # Hydra scripts pass OmegaConf's DictConfig, a Mapping whose attributes are all
        # private: read as an object, every default was lost (config was {}).
        code = ("import json, sweep_client as wandb\n"
                "from collections.abc import Mapping, Sequence\n"
                "class ListConfig(Sequence):\n"
                "    def __init__(self, items): self._content = list(items)\n"
                "    def __getitem__(self, i): return self._content[i]\n"
                "    def __len__(self): return len(self._content)\n"
                "class DictConfig(Mapping):\n"
                "    def __init__(self, d): self._content = dict(d)\n"
                "    def __getitem__(self, k): return self._content[k]\n"
                "    def __iter__(self): return iter(self._content)\n"
                "    def __len__(self): return len(self._content)\n"
                "cfg = DictConfig({'lr': 0.5, 'epochs': 2, 'model': DictConfig({'layers': ListConfig([64, 32])})})\n"
                "run = wandb.init(config=cfg)\n"
                "print(json.dumps(run.config.as_dict(), sort_keys=True), run.config.epochs)\n")
        r = run_python(code, ["--lr=0.1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        config, epochs = r.stdout.rsplit(" ", 1)
        self.assertEqual(json.loads(config), {"epochs": 2, "lr": 0.1, "model": {"layers": [64, 32]}})
        self.assertEqual(epochs.strip(), "2")

    def test_sweep_and_agent_run_the_function_once_outside_a_sweep(self):
        code = ("import sweep_client as wandb\n"
                "def train():\n"
                "    run = wandb.init(config={'lr': 0.1})\n"
                "    run.log({'loss': run.config.lr})\n"
                "    print('trained', run.config.lr)\n"
                "sweep_id = wandb.sweep({'method': 'random', 'parameters': {'lr': {'values': [1, 2]}}}, project='p')\n"
                "wandb.agent(sweep_id, function=train, count=5)\n"
                "wandb.agent(sweep_id, function=train, count=5)\n")
        r = run_python(code, ["--lr=0.25"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["trained 0.25"])
        self.assertIn("Sweep runs a search from a sweep file", r.stderr)


class InsideASweep(unittest.TestCase):
    """The test plays the worker: it reads the report line and answers the decision."""

    def start_program(self, code, extra_env=None):
        """Starts `code` as the worker starts a program: its report and decision pipes, and a
        watchdog that kills it with the processes it started after 60 s (a program waiting
        for an answer it is not given would hang the test; killed, its pipe closes and the
        test fails instead). Returns the process, the report pipe's reading end, the
        decision pipe's writing end and the watchdog."""
        report_r, report_w = os.pipe()
        decision_r, decision_w = os.pipe()
        env = {"SWEEP_REPORT_FD": str(report_w), "SWEEP_DECISION_FD": str(decision_r),
               "SWEEP_REPORT_PIPE": str(os.fstat(report_w).st_ino), "SWEEP_DECISION_PIPE": str(os.fstat(decision_r).st_ino),
               "SWEEP_PARAMS": json.dumps({"lr": 0.1, "flag": False, "name": "x"})}
        env.update(extra_env or {})
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SWEEP_")}
        full_env.update(env, PYTHONPATH=CLIENT)
        proc = subprocess.Popen([sys.executable, "-c", code], env=full_env, pass_fds=(report_w, decision_r),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        os.close(report_w)
        os.close(decision_r)
        import signal, threading
        watchdog = threading.Timer(60, lambda: os.killpg(proc.pid, signal.SIGKILL))
        watchdog.start()
        return proc, report_r, decision_w, watchdog

    def run_with_worker(self, code, answers, extra_env=None):
        proc, report_r, decision_w, watchdog = self.start_program(code, extra_env)
        lines = []
        try:
            with os.fdopen(report_r) as reports, os.fdopen(decision_w, "w", buffering=1) as decisions:
                for answer in answers:
                    line = reports.readline()
                    lines.append(json.loads(line) if line else None)
                    decisions.write(answer + "\n")
                # What it writes after the last answer (a summary at exit), read to the end.
                lines += [json.loads(l) for l in reports.read().splitlines() if l.strip()]
        except BrokenPipeError:
            pass
        finally:
            watchdog.cancel()
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.stderr = err
        return lines, out

    def test_a_descriptor_that_is_not_the_workers_pipe_is_refused_and_left_alone(self):
        # A launcher's child: Python's subprocess closed descriptors 3 and 4, and the child's
        # own log file took one (reports were appended to it), or it stays closed.
        import tempfile
        with tempfile.TemporaryFile() as log:
            fd = log.fileno()
            r = run_python("import sweep_client\nsweep_client.report(1, loss=1.0)\n",
                           env={"SWEEP_REPORT_FD": str(fd), "SWEEP_REPORT_PIPE": "1"}, pass_fds=(fd,))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("descriptor %d in pid" % fd, r.stderr)
            self.assertIn("is not the worker's report pipe", r.stderr)
            self.assertIn("pass_fds=(3, 4)", r.stderr)
            log.seek(0)
            self.assertEqual(log.read(), b"")
        # Another pipe at the descriptor (not the worker's: its inode differs) is refused too.
        other_r, other_w = os.pipe()
        try:
            r = run_python("import sweep_client\nsweep_client.report(1, loss=1.0)\n",
                           env={"SWEEP_REPORT_FD": str(other_w), "SWEEP_REPORT_PIPE": str(os.fstat(other_w).st_ino + 1)}, pass_fds=(other_w,))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("is not the worker's report pipe", r.stderr)
        finally:
            os.close(other_r)
            os.close(other_w)
        r = run_python("import sweep_client\nsweep_client.report(1, loss=1.0)\n", env={"SWEEP_REPORT_FD": "57"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("descriptor 57 (the worker's report pipe) is not open", r.stderr)

    def test_report_writes_a_line_and_returns_the_decision(self):
        code = ("import sweep_client\n"
                "p = sweep_client.params()\n"
                "assert p == {'lr': 0.1, 'flag': False, 'name': 'x'}, p\n"
                "print(sweep_client.report(1, loss=2.0, acc=1))\n"
                "print(sweep_client.report(2, loss=1.0))\n")
        lines, out = self.run_with_worker(code, ["continue 1", "prune 2 below the median"])
        self.assertEqual(lines, [{"loss": 2.0, "acc": 1, "epoch": 1}, {"loss": 1.0, "epoch": 2}])
        self.assertEqual(out.split(), ["False", "True"])

    def test_a_resumed_attempt_counts_on_from_its_checkpoints_epoch(self):
        # SWEEP_RESUME_EPOCH=4: reports without an epoch, W&B's log without a step, and steps
        # counted from 0 or from 1 all go on with epoch 5 (they started at 1 again).
        for code in ["import sweep_client\nsweep_client.report(loss=1.0)\nsweep_client.report(loss=0.5)\n",
                     "import sweep_client as wandb\nrun = wandb.init()\nrun.log({'loss': 1.0})\nrun.log({'loss': 0.5})\n",
                     "import sweep_client as wandb\nrun = wandb.init()\nrun.log({'loss': 1.0}, step=4)\nrun.log({'loss': 0.5}, step=5)\nrun.finish()\n",
                     "import sweep_client as wandb\nrun = wandb.init()\nrun.log({'loss': 1.0}, step=5)\nrun.log({'loss': 0.5}, step=6)\nrun.finish()\n"]:
            lines, _ = self.run_with_worker(code, ["continue 5", "continue 6"], {"SWEEP_RESUME_EPOCH": "4"})
            self.assertEqual([l["epoch"] for l in lines], [5, 6], code)

    def test_wandb_log_counts_steps_and_drops_its_own_epoch_key(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init(config={'lr': 5})\n"
                "assert run.config.lr == 0.1\n"
                "for e in range(2):\n"
                "    print(run.log({'epoch': e, 'val_loss': 1.0 / (e + 1)}))\n"
                "run.finish()\n")
        lines, out = self.run_with_worker(code, ["continue 1", "continue 2"])
        self.assertEqual(lines, [{"val_loss": 1.0, "epoch": 1}, {"val_loss": 0.5, "epoch": 2}])
        self.assertEqual(out.split(), ["False", "False"])

    def test_a_second_init_before_finish_is_the_same_run(self):
        # As W&B in a script: the same run, counting on (a second run counted from 1 again,
        # and the worker dropped its reports as repeated epochs).
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "run.log({'val_loss': 1.0})\n"
                "again = wandb.init(config={'extra': 7, 'lr': 5})\n"
                "print(again is run, again.config.extra, again.config.lr)\n"
                "again.log({'val_loss': 0.5})\n"
                "again.finish()\n")
        lines, out = self.run_with_worker(code, ["continue 1", "continue 2"])
        self.assertEqual([l["epoch"] for l in lines], [1, 2])
        self.assertEqual(out.split(), ["True", "7", "0.1"])

    def test_a_run_started_after_one_finished_counts_on_and_a_finished_runs_log_is_ignored(self):
        # Folds one after another (init, log, finish; again): the second run counted from
        # epoch 1 again, its reports were dropped as repeated epochs and fold 0's value
        # stood; a log after finish() was reported and became the trial's value.
        code = ("import sweep_client as wandb\n"
                "for fold in range(2):\n"
                "    run = wandb.init(reinit=True)\n"
                "    for e in range(2): run.log({'val_loss': 10.0 - 5 * fold - e})\n"
                "    run.finish()\n"
                "run.log({'val_loss': 0.5}); wandb.log({'val_loss': 0.25})\n"
                "print('done')\n")
        lines, out = self.run_with_worker(code, ["continue 1", "continue 2", "continue 3", "continue 4"])
        self.assertEqual([(l["epoch"], l["val_loss"]) for l in lines], [(1, 10.0), (2, 9.0), (3, 5.0), (4, 4.0)])
        self.assertEqual(out.split(), ["done"])
        self.assertEqual(self.stderr.count("log() after the run finished is ignored"), 1, self.stderr)

    def test_a_later_runs_steps_count_on_in_a_resumed_attempt(self):
        # Resumed at epoch 5: run 1 logs steps 5 and 6 (epochs 6, 7); run 2's steps 0, 1, 2
        # became epochs 2, 3, 4 (below 7: dropped) where they count on to 8, 9, 10.
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "for s in (5, 6): run.log({'val_loss': 1.0}, step=s)\n"
                "run.finish()\n"
                "run = wandb.init()\n"
                "for s in (0, 1, 2): run.log({'val_loss': 0.5}, step=s)\n"
                "run.finish()\n")
        lines, _ = self.run_with_worker(code, ["continue 6", "continue 7", "continue 8", "continue 9", "continue 10"],
                                        extra_env={"SWEEP_RESUME_EPOCH": "5"})
        self.assertEqual([l["epoch"] for l in lines], [6, 7, 8, 9, 10])

    def test_a_prune_seen_from_a_thread_ends_a_program_with_a_process_pool(self):
        # multiprocessing's exit handler joined the pool's processes, which waited for work:
        # the program sat until the worker's SIGTERM (kill_grace, 10 s), its atexit unrun.
        code = ("import atexit, sys, threading, time, concurrent.futures as cf, sweep_client as wandb\n"
                "atexit.register(lambda: print('own atexit ran', flush=True))\n"
                "run = wandb.init()\n"
                "def train():\n"
                "    for e in range(5): run.log({'val_loss': 1.0})\n"
                "with cf.ProcessPoolExecutor(2) as pool:\n"
                "    list(pool.map(abs, range(4)))\n"
                "    threading.Thread(target=train).start()\n"
                "    pool.submit(time.sleep, 30).result()\n"
                "print('main trained on')\n")
        # (Held by its pool, the program is killed by the 60 s watchdog: status not 0, and
        # no atexit output.)
        lines, out = self.run_with_worker(code, ["continue 1", "prune 2 asha"])
        self.assertEqual(len(lines), 2)
        self.assertIn("own atexit ran", out)
        self.assertNotIn("main trained on", out)

    def test_a_summary_set_before_init_is_the_trials_value(self):
        # report() each epoch, then the final value the Optuna way: it was dropped unsaid.
        code = ("import sweep_client\n"
                "sweep_client.report(1, val_loss=0.5)\n"
                "sweep_client.summary['val_loss'] = 0.001234\n")
        lines, _ = self.run_with_worker(code, ["continue 1"], extra_env={"SWEEP_METRIC": "val_loss"})
        self.assertEqual(lines, [{"val_loss": 0.5, "epoch": 1}, {"summary": {"val_loss": 0.001234}}])

    def test_wandb_commit_false_and_nested_metrics(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "for e in range(2):\n"
                "    run.log({'val': {'loss': 1.0 / (e + 1)}}, commit=False)\n"
                "    run.log({'acc': 0.5 + e / 4})\n"
                "run.finish()\n")
        lines, _ = self.run_with_worker(code, ["continue 1", "continue 2"])
        self.assertEqual(lines, [{"val": {"loss": 1.0}, "acc": 0.5, "epoch": 1},
                                 {"val": {"loss": 0.5}, "acc": 0.75, "epoch": 2}])

    def test_wandb_metrics_of_one_step_are_one_report_and_the_last_is_sent_at_exit(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "for e in range(2):\n"
                "    run.log({'train_loss': 1.0 + e}, step=e)\n"
                "    run.log({'val_loss': 2.0 + e}, step=e)\n"
                "run.log({'test_loss': 5.0}, commit=False)\n")
        lines, _ = self.run_with_worker(code, ["continue 1", "continue 2"])
        # As in W&B, a call without step adds to the step being logged; it is sent at exit.
        self.assertEqual(lines, [{"train_loss": 1.0, "val_loss": 2.0, "epoch": 1},
                                 {"train_loss": 2.0, "val_loss": 3.0, "test_loss": 5.0, "epoch": 2}])

    def test_wandb_log_to_an_earlier_step_is_dropped_with_a_warning(self):
        # As W&B: steps must increase; a lower one is ignored (it was merged into the
        # pending step, replacing its value without a word).
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "run.log({'loss': 5.0}, step=5)\n"
                "run.log({'loss': 3.0}, step=3)\n"
                "run.log({'loss': 4.0}, step=6)\n")
        lines, _ = self.run_with_worker(code, ["continue 5", "continue 6"])
        self.assertEqual(lines, [{"loss": 5.0, "epoch": 5}, {"loss": 4.0, "epoch": 6}])
        self.assertIn("log(step=3) ignored: steps must increase, and the current step is 5", self.stderr)

    def test_wandb_steps_are_the_objectives_values_and_the_rest_goes_with_them(self):
        # As W&B's hyperband counts a run's steps (the values of the metric), not log() calls:
        # five training logs and one validation per epoch are one report per epoch; what
        # follows the last validation (a test score) is sent in the summary at exit.
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "for e in range(2):\n"
                "    for b in range(5):\n"
                "        run.log({'train_loss': 10 * e + b})\n"
                "    run.log({'val': {'acc': 0.5 + e / 4}})\n"
                "run.log({'test_acc': 0.7})\n")
        lines, _ = self.run_with_worker(code, ["continue 1", "continue 2"], {"SWEEP_METRIC": "val.acc", "SWEEP_RESUME_EPOCH": "0"})
        self.assertEqual(lines, [{"train_loss": 4, "val": {"acc": 0.5}, "epoch": 1},
                                 {"train_loss": 14, "val": {"acc": 0.75}, "epoch": 2},
                                 {"summary": {"test_acc": 0.7}}])

    def test_wandb_summary_the_script_sets_is_sent_when_it_finishes(self):
        # W&B ranks runs by run.summary: a script that sets its best value there.
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "history = [1.0, 0.2, 0.9]\n"
                "for v in history:\n"
                "    run.log({'val_loss': v})\n"
                "run.summary['val_loss'] = min(history)\n"
                "wandb.summary.update({'note': 'text is left out', 'best_epoch': 2})\n"
                "assert run.summary['val_loss'] == 0.2\n"
                "run.finish()\n")
        lines, _ = self.run_with_worker(code, ["continue 1", "continue 2", "continue 3"], {"SWEEP_METRIC": "val_loss"})
        self.assertEqual([l.get("val_loss") for l in lines[:3]], [1.0, 0.2, 0.9])
        self.assertEqual(lines[3:], [{"summary": {"val_loss": 0.2, "best_epoch": 2}}])

    def test_processes_started_by_the_reporting_one_do_not_report(self):
        # W&B's cross-validation example: folds in child processes log their own runs; in
        # the trial they reported first and their value won. They print instead.
        code = ("import multiprocessing as mp, sweep_client as wandb\n"
                "def fold(i):\n"
                "    r = wandb.init()\n"
                "    r.log({'val_accuracy': i / 10})\n"
                "    r.finish()\n"
                "if __name__ == '__main__':\n"
                "    run = wandb.init()\n"
                "    for i in range(3):\n"
                "        p = mp.get_context('fork').Process(target=fold, args=(i,)); p.start(); p.join()\n"
                "    p = mp.get_context('spawn').Process(target=fold, args=(5,)); p.start(); p.join()\n"
                "    run.log({'val_accuracy': 0.9})\n")
        lines, _ = self.run_with_worker(code, ["continue 1"], {"SWEEP_METRIC": "val_accuracy"})
        self.assertEqual(lines, [{"val_accuracy": 0.9, "epoch": 1}])

    def test_processes_started_before_the_first_report_do_not_report(self):
        # As W&B's cross-validation example does: the folds start (and log) before the
        # script's own init(); fold 0's value was the trial's, the mean dropped.
        code = ("import multiprocessing as mp, sweep_client as wandb\n"
                "def fold(i):\n"
                "    r = wandb.init()\n"
                "    r.log({'val_accuracy': i / 10})\n"
                "    r.finish()\n"
                "if __name__ == '__main__':\n"
                "    for i in range(3):\n"
                "        p = mp.get_context('fork').Process(target=fold, args=(i,)); p.start(); p.join()\n"
                "    p = mp.get_context('spawn').Process(target=fold, args=(5,)); p.start(); p.join()\n"
                "    run = wandb.init()\n"
                "    run.log({'val_accuracy': 0.25})\n")
        lines, _ = self.run_with_worker(code, ["continue 1"], {"SWEEP_METRIC": "val_accuracy"})
        self.assertEqual(lines, [{"val_accuracy": 0.25, "epoch": 1}])

    def test_define_metric_summary_is_the_runs_value(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "wandb.define_metric('val_loss', summary='min')\n"
                "for v in [0.9, 0.5, 0.3, 0.4, 0.6]:\n"
                "    run.log({'val_loss': v})\n"
                "assert run.sweep_id is not None and run.get_sweep_url() is None\n"
                "run.finish()\n")
        lines, _ = self.run_with_worker(code, ["continue %d" % e for e in range(1, 6)], {"SWEEP_METRIC": "val_loss", "SWEEP_STUDY": "s"})
        self.assertEqual(lines[5:], [{"summary": {"val_loss": 0.3}}])

    def test_define_metric_takes_globs_and_nested_names(self):
        # "val/*" and "val.loss" for {"val": {"loss": v}}: the trial's value was the last
        # one logged, not the minimum asked for.
        for metric, define, log in [("val/loss", "val/*", "{'val/loss': v}"), ("val.loss", "val.loss", "{'val': {'loss': v}}")]:
            code = ("import sweep_client as wandb\n"
                    "run = wandb.init()\n"
                    "wandb.define_metric(%r, summary='min')\n"
                    "for v in [5.0, 2.0, 1.0, 3.0, 4.0]:\n"
                    "    run.log(%s)\n"
                    "run.finish()\n" % (define, log))
            lines, _ = self.run_with_worker(code, ["continue %d" % e for e in range(1, 6)], {"SWEEP_METRIC": metric})
            self.assertEqual(lines[5:], [{"summary": {metric: 1.0}}], metric)

    def test_rays_report_checkpoint_becomes_the_trials_checkpoint(self):
        # Ray Tune's train.report(metrics, checkpoint=Checkpoint.from_directory(d)): the
        # checkpoint was dropped as a non-number metric, so a ported PBT study never paused.
        import tempfile
        with tempfile.TemporaryDirectory() as target:
            open(os.path.join(target, "old.txt"), "w").write("old")
            code = ("import os, tempfile, sweep_client\n"
                    "start = sweep_client.get_checkpoint()\n"
                    "print(open(os.path.join(start.path, 'old.txt')).read())\n"
                    "d = tempfile.mkdtemp(); open(os.path.join(d, 'state.txt'), 'w').write('epoch 1')\n"
                    "sweep_client.report({'val_loss': 0.5}, checkpoint=sweep_client.Checkpoint.from_directory(d))\n"
                    "f = os.path.join(tempfile.mkdtemp(), 'model.bin'); open(f, 'w').write('epoch 2')\n"
                    "sweep_client.report({'val_loss': 0.4}, checkpoint=f)\n"
                    # Saved into checkpoint_dir() itself: used as it is (it was deleted, then copied: FileNotFoundError).
                    "inside = os.path.join(sweep_client.checkpoint_dir(), 'model.bin'); open(inside, 'w').write('epoch 3')\n"
                    "sweep_client.report({'val_loss': 0.3}, checkpoint=inside)\n"
                    # None (Ray's reports that save nothing) and a number named checkpoint (a metric).
                    "sweep_client.report({'val_loss': 0.2, 'checkpoint': 7})\n"
                    "sweep_client.report({'val_loss': 0.1}, checkpoint=None)\n")
            lines, out = self.run_with_worker(code, ["continue %d" % e for e in range(1, 6)], {"SWEEP_CHECKPOINT_DIR": target})
            self.assertEqual([l.get("val_loss") for l in lines], [0.5, 0.4, 0.3, 0.2, 0.1])
            self.assertEqual([l.get("checkpoint") for l in lines], [None, None, None, 7, None])
            self.assertEqual(out.strip(), "old")
            self.assertEqual(sorted(os.listdir(target)), ["model.bin"])
            with open(os.path.join(target, "model.bin")) as f:
                self.assertEqual(f.read(), "epoch 3")
            self.assertNotIn("ignored", self.stderr)

    def test_agent_runs_the_trials_function_once(self):
        # W&B's notebook pattern: wandb.sweep(config) then wandb.agent(id, function=train).
        code = ("import sweep_client as wandb\n"
                "def train():\n"
                "    with wandb.init(config={'lr': 0.1}) as run:\n"
                "        run.log({'val_loss': run.config.lr})\n"
                "sweep_id = wandb.sweep({'method': 'bayes'}, project='p')\n"
                "print(sweep_id)\n"
                "wandb.agent(sweep_id, function=train, count=20)\n")
        lines, out = self.run_with_worker(code, ["continue 1"], {"SWEEP_METRIC": "val_loss", "SWEEP_STUDY": "study1", "SWEEP_PARAMS": '{"lr": 0.5}'})
        self.assertEqual(lines, [{"val_loss": 0.5, "epoch": 1}])
        self.assertEqual(out.strip(), "study1")

    def test_a_large_summary_comes_in_lines_the_objective_first(self):
        code = ("import sweep_client as wandb\n"
                "run = wandb.init()\n"
                "run.log({'val_loss': 1.0})\n"
                "run.summary.update({'s%07d' % i: 1.0 for i in range(100000)})\n"
                "run.summary['val_loss'] = 0.05\n")
        lines, _ = self.run_with_worker(code, ["continue 1"], {"SWEEP_METRIC": "val_loss"})
        summaries = [l["summary"] for l in lines[1:]]
        self.assertGreater(len(summaries), 3)
        self.assertEqual(list(summaries[0])[0], "val_loss")
        self.assertEqual(sum(len(x) for x in summaries), 100001)

    def echoing_worker(self, code, count, extra_env=None, pause=0.0):
        """Plays a worker that answers each of `count` reports with its own epoch (threads
        report in no set order); returns the report lines."""
        proc, report_r, decision_w, watchdog = self.start_program(code, extra_env)
        lines = []
        try:
            with os.fdopen(report_r) as reports, os.fdopen(decision_w, "w", buffering=1) as decisions:
                for _ in range(count):
                    line = reports.readline()
                    if not line:
                        break
                    lines.append(json.loads(line))
                    if pause:
                        import time
                        time.sleep(pause)
                    decisions.write("continue %d\n" % lines[-1]["epoch"])
        finally:
            watchdog.cancel()
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.stderr = err
        return lines

    def test_threads_report_one_at_a_time(self):
        # Two threads reporting at once read each other's answers (and waited for good), or
        # both opened descriptor 3 (one closed it: Bad file descriptor).
        code = ("import threading, sweep_client\n"
                "def evaluator():\n"
                "    for e in range(2, 200, 2): sweep_client.report(e, val_loss=1.0 / e)\n"
                "t = threading.Thread(target=evaluator); t.start()\n"
                "for e in range(1, 200, 2): sweep_client.report(e, val_loss=1.0 / e)\n"
                "t.join()\n"
                "print('done')\n")
        lines = self.echoing_worker(code, 199)
        self.assertEqual(sorted(l["epoch"] for l in lines), list(range(1, 200)))

    def handler_reports_while_main_waits(self, handler_epoch, answers):
        """Runs a program whose SIGUSR1 handler reports `handler_epoch` while its main report
        (epoch 1) waits for an answer: the signal comes once the main report's line is read,
        `answers` (one write each, 0.3 s apart, as a worker answers in turn) once the
        handler's is. Returns the program's printed lines: the handler's result, the main's."""
        import signal, time
        code = ("import faulthandler, signal, sweep_client\n"
                "faulthandler.dump_traceback_later(20, exit=True)  # a hang fails with where it hangs\n"
                "def on_usr1(signum, frame):\n"
                "    print('handler', sweep_client.report(%d, val_loss=0.5), flush=True)\n"
                "signal.signal(signal.SIGUSR1, on_usr1)\n"
                "print('main', sweep_client.report(1, val_loss=1.0), flush=True)\n" % handler_epoch)
        proc, report_r, decision_w, watchdog = self.start_program(code)
        try:
            with os.fdopen(report_r) as reports, os.fdopen(decision_w, "w", buffering=1) as decisions:
                self.assertEqual(json.loads(reports.readline())["epoch"], 1)
                os.kill(proc.pid, signal.SIGUSR1)
                line = reports.readline()
                if not line:
                    self.fail("no report from the handler: %s" % (proc.communicate(timeout=30),))
                self.assertEqual(json.loads(line)["epoch"], handler_epoch)
                for answer in answers:
                    decisions.write(answer + "\n")
                    time.sleep(0.3)
                self.assertEqual(reports.read(), "")
        finally:
            watchdog.cancel()
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        return out.split("\n")[:2]

    def test_a_report_from_a_signal_handler_while_another_waits_gets_its_answer(self):
        # A SIGTERM handler that reports (a last value, a checkpoint's epoch) while the main
        # thread waits for an answer read the same pipe again: Python refused the nested
        # read (RuntimeError: reentrant call inside BufferedReader). The handler's report
        # is sent without waiting; the waiting report reads both answers, and a prune among
        # them counts, also when it comes after the waiting report's own.
        self.assertEqual(self.handler_reports_while_main_waits(100, ["continue 1", "prune 100 below the median"]),
                         ["handler False", "main True"])

    def test_a_handler_that_reports_the_waiting_reports_epoch_gets_both_answers_read(self):
        # The handler's report of the same epoch: both answers were taken for the waiting
        # report's, and it waited for the handler's for good.
        self.assertEqual(self.handler_reports_while_main_waits(1, ["continue 1", "continue 1"]), ["handler False", "main False"])

    def terminated_while_writing(self, code):
        """Runs `code`, sends SIGTERM once its long write is under way with the pipe full (it
        waits half written), and returns the program's status and the lines it wrote."""
        import select, signal, time
        proc, report_r, decision_w, watchdog = self.start_program(code)
        try:
            select.select([report_r], [], [], 30)  # the long write is under way
            time.sleep(0.3)  # and the pipe full: it waits half written
            os.kill(proc.pid, signal.SIGTERM)
            with os.fdopen(report_r, "rb") as reports:
                lines = reports.read().split(b"\n")
        finally:
            os.close(decision_w)
            watchdog.cancel()
        proc.communicate(timeout=30)
        return proc.returncode, lines

    def test_a_handler_that_reports_and_exits_during_a_long_report_leaves_both_lines_whole(self):
        # A SIGTERM handler that reported and called sys.exit while a long report (over a
        # pipe's buffer) was half written left half a line: the next line ran into it, and
        # the worker dropped both as malformed.
        handler = ("import signal, sys, sweep_client\n"
                   "def on_term(signum, frame):\n"
                   "    sweep_client.report(7, val_loss=0.5)\n"
                   "    sys.exit(0)\n"
                   "signal.signal(signal.SIGTERM, on_term)\n")
        _, lines = self.terminated_while_writing(
            handler + "sweep_client.report(1, val_loss=1.0, **{'m%05d' % i + 'y' * 190: 1.0 for i in range(1000)})\n")
        self.assertEqual(lines[-1], b"")
        parsed = [json.loads(l) for l in lines[:-1]]
        self.assertEqual([p["epoch"] for p in parsed], [1, 7])
        self.assertEqual(len(parsed[0]), 1002)
        # The same while run.finish() writes a long summary: the handler's report waited for
        # an answer to a line it had only queued, and the program hung until killed.
        summary = handler + ("run = sweep_client.init()\n"
                             "for k in range(KEYS): run.summary['m%05d' % k + 'y' * 190] = 1.0\n"
                             "run.finish()\n")
        status, lines = self.terminated_while_writing(summary.replace("KEYS", "1000"))
        self.assertEqual(status, 0)
        parsed = [json.loads(l) for l in lines if l]
        # (The summary may come again at exit, when the handler cut in before it was marked
        # sent: the worker merges it.)
        self.assertEqual([sorted(p) if "summary" in p else p["epoch"] for p in parsed][:2], [["summary"], 7])
        self.assertTrue(all("summary" in p for p in parsed[2:]), parsed[2:])
        # A summary of several lines, cut by the handler's exit after its first: the rest
        # still goes (at exit), every key at least once (it was lost).
        _, lines = self.terminated_while_writing(summary.replace("KEYS", "4000"))
        parsed = [json.loads(l) for l in lines if l]
        keys = set(k for p in parsed if "summary" in p for k in p["summary"])
        self.assertEqual(len(keys), 4000)
        self.assertIn(7, [p.get("epoch") for p in parsed])

    def test_a_child_forked_while_a_thread_waits_for_an_answer_does_not_wait_for_its_lock(self):
        # The child inherited the held lock, and its report (which only prints) waited for good.
        code = ("import os, threading, time, sweep_client\n"
                "t = threading.Thread(target=lambda: sweep_client.report(1, loss=1.0)); t.start(); time.sleep(0.5)\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    sweep_client.report(2, loss=0.5)\n"
                "    os._exit(0)\n"
                "start = time.time(); os.waitpid(pid, 0)\n"
                "print('child ended in', round(time.time() - start, 1))\n"
                "t.join()\n")
        lines = self.echoing_worker(code, 1, pause=3)
        self.assertEqual([l["epoch"] for l in lines], [1])
        self.assertIn("epoch 2: loss=0.5", self.stderr)

    def test_of_processes_forked_before_any_import_one_reports(self):
        # Pool workers that import the client themselves each took themselves for the first
        # and read each other's answers: the trial hung.
        # (Side by side: the barriers keep both alive while either reports. One that ended
        # leaves the channel to the next, whose repeated epochs the worker ignores.)
        code = ("import multiprocessing as mp\n"
                "ctx = mp.get_context('fork')\n"
                "both = ctx.Barrier(2)\n"
                "def fold(k):\n"
                "    import sweep_client\n"
                "    both.wait()\n"
                "    for e in range(1, 4): sweep_client.report(e, val_loss=float(k + 1) / e)\n"
                "    both.wait()\n"
                "if __name__ == '__main__':\n"
                "    ps = [ctx.Process(target=fold, args=(k,)) for k in range(2)]\n"
                "    [p.start() for p in ps]; [p.join() for p in ps]\n"
                "    print([p.exitcode for p in ps])\n")
        lines = self.echoing_worker(code, 3)
        self.assertEqual([l["epoch"] for l in lines], [1, 2, 3])
        self.assertEqual(len({l["val_loss"] for l in lines if l["epoch"] == 1}), 1)
        self.assertIn("another process reports for this trial", self.stderr)

    def test_a_launcher_that_read_its_config_hands_the_channel_to_its_child(self):
        # The documented launcher: init() for the config, then the training process, with
        # SWEEP_CLIENT_PID unset and descriptors 3 and 4 kept (its reports were printed).
        code = ("import os, sys, subprocess, sweep_client as wandb\n"
                "run = wandb.init()\n"
                "env = dict(os.environ); env.pop('SWEEP_CLIENT_PID', None)\n"
                "child = 'import sweep_client\\nfor e in (1, 2): sweep_client.report(e, val_loss=0.5 / e)\\n'\n"
                "fds = (int(os.environ['SWEEP_REPORT_FD']), int(os.environ['SWEEP_DECISION_FD']))  # (3, 4) under a worker\n"
                "sys.exit(subprocess.call([sys.executable, '-c', child], env=env, pass_fds=fds))\n")
        lines = self.echoing_worker(code, 2)
        self.assertEqual([l["epoch"] for l in lines], [1, 2])

    def test_threads_log_one_at_a_time(self):
        # Two threads logging the objective counted the same epoch twice (one was dropped).
        code = ("import threading, sweep_client as wandb\n"
                "run = wandb.init()\n"
                "def part():\n"
                "    for _ in range(50): run.log({'val_loss': 0.5})\n"
                "ts = [threading.Thread(target=part) for _ in range(2)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\n")
        lines = self.echoing_worker(code, 100, extra_env={"SWEEP_METRIC": "val_loss"})
        self.assertEqual(sorted(l["epoch"] for l in lines), list(range(1, 101)))

    def test_a_report_of_more_metrics_than_a_worker_keeps_sends_the_objective(self):
        # 40,000 metrics made a line over the worker's 1 MiB, dropped whole (objective too).
        code = ("import sweep_client\n"
                "m = {'layer%05d.grad_norm' % i: 0.001 * i for i in range(40000)}\n"
                "m['val_loss'] = 0.5\n"
                "sweep_client.report(1, **m)\n")
        lines = self.echoing_worker(code, 1, extra_env={"SWEEP_METRIC": "val_loss"})
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["val_loss"], 0.5)
        self.assertEqual(len(lines[0]), 256 + 1)  # the metrics kept, and the epoch
        self.assertIn("a report of 40001 metrics is over the worker's 1 MiB a line: the 256 it keeps are sent", self.stderr)

    def test_wandb_log_from_a_thread_ends_the_program_when_pruned(self):
        # sys.exit in a thread ended that thread: the main one trained on until SIGTERM.
        code = ("import threading, time, sweep_client as wandb\n"
                "run = wandb.init()\n"
                "def train():\n"
                "    for e in range(5): run.log({'val_loss': 1.0})\n"
                "threading.Thread(target=train).start()\n"
                "time.sleep(20)\n"
                "print('main trained on')\n")
        lines, out = self.run_with_worker(code, ["continue 1", "prune 2 asha"])
        self.assertEqual(len(lines), 2)
        self.assertNotIn("main trained on", out)
        self.assertIn("stopped at step 2 (asha); exiting", self.stderr)

    def test_after_a_prune_reports_return_true_without_waiting(self):
        code = ("import sweep_client\n"
                "print(sweep_client.report(1, loss=2.0))\n"
                "print(sweep_client.report(2, loss=1.0), sweep_client.report(3, loss=0.5))\n")
        lines, out = self.run_with_worker(code, ["prune 1 median"])
        self.assertEqual(lines, [{"loss": 2.0, "epoch": 1}])
        self.assertEqual(out.split(), ["True", "True", "True"])

    def test_wandb_log_ends_the_program_when_pruned(self):
        # It says why it stops (the reason the worker gives: a prune, or a non-finite objective).
        code = ("import sys, sweep_client as wandb\n"
                "sys.stderr = sys.stdout\n"
                "run = wandb.init()\n"
                "for e in range(5):\n"
                "    run.log({'val_loss': 1.0})\n"
                "    print('logged', e)\n"
                "print('not reached')\n")
        lines, out = self.run_with_worker(code, ["continue 1", "prune 2 asha"])
        self.assertEqual(len(lines), 2)
        self.assertEqual(out.split("\n")[:2], ["logged 0", "[sweep_client] stopped at step 2 (asha); exiting"])


if __name__ == "__main__":
    unittest.main()
