import Foundation
import Store
import Testing

/// Population Based Training and ASHA with promotions over the user's own program: it saves
/// its state in `SWEEP_CHECKPOINT_DIR` before each report and loads it when
/// `SWEEP_RESUME_EPOCH` is set, as Ray Tune's function trainables do (both were refused for
/// command trials).
@Suite(.serialized) struct CommandSchedulingTests {
    /// A "model" of one weight w that moves by lr each epoch (loss |w - 3|); its state names
    /// the trial that wrote it, and each start appends what it loaded to `loads.jsonl`.
    static let program = """
        import json, os
        import sweep_client
        p = sweep_client.params()
        lr = float(p["lr"])
        state = os.path.join(sweep_client.checkpoint_dir(), "state.json")
        w, start, writer = 0.0, 0, os.environ["SWEEP_TRIAL"]
        if os.environ.get("SWEEP_RESUME_EPOCH"):
            with open(state) as f:
                s = json.load(f)
            w, start, writer = s["w"], s["epoch"], s["writer"]
            assert start == int(os.environ["SWEEP_RESUME_EPOCH"]), (start, os.environ["SWEEP_RESUME_EPOCH"])
        with open("loads.jsonl", "a") as f:
            f.write(json.dumps({"trial": int(os.environ["SWEEP_TRIAL"]), "attempt": int(os.environ["SWEEP_ATTEMPT"]),
                                "from": int(writer), "epoch": start, "lr": lr}) + "\\n")
        for epoch in range(start + 1, 9):
            w += lr
            with open(state + ".tmp", "w") as f:
                json.dump({"w": w, "epoch": epoch, "writer": os.environ["SWEEP_TRIAL"]}, f)
            os.replace(state + ".tmp", state)
            if sweep_client.report(epoch, loss=abs(w - 3.0)):
                break
        """

    static func sweep(_ study: String, _ scheduling: String) -> String {
        """
        study: \(study)
        objective: {metric: loss, direction: minimize}
        program: train.py
        command: [python3, "${program}", "${args}"]
        working_directory: .
        environment: {PYTHONPATH: "\(pythonClientPath)"}
        seed: 3
        parameters:
          lr: {loguniform: [0.01, 1.0]}
        sampler: {name: random}
        \(scheduling)
        """
    }

    static func loads(_ h: SweepHarness) -> [[String: Any]] {
        h.logText("loads.jsonl").split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The program with `bytes` more of state beside its JSON (a model's weights): written
    /// with each save, marked with the trial and epoch that wrote it, checked when loaded.
    static func program(padding bytes: Int) -> String {
        guard bytes > 0 else { return program }
        return program
            .replacingOccurrences(of: "    w, start, writer = s[\"w\"], s[\"epoch\"], s[\"writer\"]\n", with: """
                w, start, writer = s["w"], s["epoch"], s["writer"]
                with open(state + ".pad", "rb") as f:
                    pad = f.read()
                assert len(pad) == \(bytes) and pad.startswith(("%s/%d;" % (writer, start)).encode()), (len(pad), pad[:16])

            """)
            .replacingOccurrences(of: "    os.replace(state + \".tmp\", state)\n", with: """
                os.replace(state + ".tmp", state)
                mark = ("%s/%d;" % (os.environ["SWEEP_TRIAL"], epoch)).encode()
                with open(state + ".pad", "wb") as f:
                    f.write(mark + bytes(\(bytes) - len(mark)))

            """)
    }

    /// Also with 20 MiB of state a member (over the 12 MiB one message carries: sent in
    /// parts, fetched in chunks; PBT made no exploit with such checkpoints).
    @Test(arguments: [0, 20 << 20])
    func populationBasedTrainingContinuesMembersFromAnotherMembersCheckpoint(padding: Int) throws {
        let h = try SweepHarness("cmd-pbt")
        defer { h.cleanUp() }
        _ = try h.write("train.py", Self.program(padding: padding))
        let file = try h.write("pbt.yaml", Self.sweep("pbt", """
            scheduler: {name: pbt, population: 4, perturbation_interval: 2, quantile: 0.25, mutations: [lr]}
            budget: {trials: 4, max_epochs: 8}
            """))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 180)
        #expect(status == 0, "\(output)")
        let (trials, lineage) = try h.reader().read { q in
            let s = try q.requireStudy(named: "pbt")
            return (try q.trials(studyID: s.id), try q.lineage(studyID: s.id))
        }
        #expect(trials.count == 4 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        #expect(!lineage.isEmpty, "no member exploited another")
        let warnings = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "pbt").id, kinds: [.warning]) }
        #expect(!warnings.contains { $0.message.contains("not kept") || $0.message.contains("without a checkpoint") }, "\(warnings.map(\.message))")
        #expect(!output.contains("without a checkpoint"), "\(output)")
        // Never back in time (two members sent each other back to epoch 4, 22 times).
        #expect(lineage.allSatisfy { $0.sourceEpoch >= $0.epoch }, "\(lineage.map { ($0.member, $0.epoch, $0.source, $0.sourceEpoch) })")
        // Each exploit started the member's program on the source's state of that epoch,
        // with the explored parameters.
        let starts = Self.loads(h)
        for step in lineage {
            let start = starts.first { ($0["trial"] as? Int) == step.member && ($0["epoch"] as? Int) == step.sourceEpoch && ($0["attempt"] as? Int ?? 0) > 1 }
            #expect(start != nil, "member \(step.member) never started from epoch \(step.sourceEpoch): \(starts)")
            // (Foundation's JSON reader may miss the last bit of a double the program wrote exactly.)
            #expect(abs((start?["lr"] as? Double ?? .nan) - (step.params["lr"]?.number ?? .nan)) < 1e-12, "\(String(describing: start)) vs \(step.params)")
            // The state it loaded is the one the source's program saved at that epoch.
            #expect(start?["from"] as? Int == step.source, "\(String(describing: start)) vs source \(step.source)")
        }
        // The report draws the lineage and offers no train file (export-schedule refuses
        // command studies: the report offered it).
        if padding == 0 {
            let (reported, said) = try h.run(["report", "pbt", "--db", h.db, "--out", h.path("pbt.html")])
            let page = try String(contentsOfFile: h.path("pbt.html"), encoding: .utf8)
            #expect(reported == 0 && page.contains("PBT lineage") && !page.contains("export-schedule"), "\(said)")
            // `show --format json` gives the SWEEP_SEED of the member and of each segment of its
            // effective schedule (its 64-bit seed is beyond what jq and JavaScript keep exact).
            let member = try #require(lineage.first?.member)
            let shown = try h.run(["show", "pbt", "\(member)", "--db", h.db, "--format", "json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any], "\(shown.output)")
            let seeds = Dictionary(uniqueKeysWithValues: trials.map { ($0.number, Int(UInt32(truncatingIfNeeded: $0.seed))) })
            #expect(doc["program_seed"] as? Int == seeds[member], "\(shown.output.prefix(400))")
            let segments = ((doc["population"] as? [String: Any])?["effective_schedule"] as? [[String: Any]]) ?? []
            #expect(!segments.isEmpty && segments.allSatisfy { ($0["program_seed"] as? Int) == seeds[$0["trial"] as? Int ?? -1] }, "\(segments)")
            // `export` has the same per member (it had only each member's final parameters).
            let exported = try h.run(["export", "pbt", "--db", h.db])
            let all = try #require((try JSONSerialization.jsonObject(with: Data(exported.output.utf8)) as? [String: Any])?["trials"] as? [[String: Any]])
            let same = try #require(all.first { $0["number"] as? Int == member })
            #expect(same["program_seed"] as? Int == seeds[member])
            #expect((same["population"] as? NSDictionary) == (doc["population"] as? NSDictionary), "\(same["population"] ?? "none")")
        }
    }

    /// Checkpoints that cannot be written (`DB.artifacts` a file here; a full disk alike):
    /// members go on without pausing and the run ends, saying so. The file was written after
    /// the pause was decided: the member paused, found no checkpoint, started over and paused
    /// again, thousands of attempts a minute and never an end.
    @Test func pbtWhoseCheckpointsCannotBeWrittenEndsAndSaysWhy() throws {
        let h = try SweepHarness("cmd-pbt-unwritable")
        defer { h.cleanUp() }
        _ = try h.write("train.py", Self.program(padding: 0))
        _ = try h.write("sweep.db.artifacts", "not a directory")
        let file = try h.write("pbt.yaml", Self.sweep("pbt", """
            scheduler: {name: pbt, population: 4, perturbation_interval: 2, quantile: 0.25, mutations: [lr]}
            budget: {trials: 4, max_epochs: 6}
            """))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("checkpoint(s) could not be written, e.g. checkpoint of trial") && output.contains("Not a directory"), "\(output)")
        let (trials, attempts) = try h.reader().read { q in
            let s = try q.requireStudy(named: "pbt")
            let trials = try q.trials(studyID: s.id)
            return (trials, try trials.map { try q.attempts(trialID: $0.id).count }.reduce(0, +))
        }
        #expect(trials.count == 4 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        #expect(attempts == 4, "\(attempts) attempts")
    }

    /// Also with 40 MiB of state, sent every epoch: the rung end's checkpoint is never
    /// skipped for the 16 MiB/s rate (a promoted trial went on past its rung unranked).
    @Test(arguments: [0, 40 << 20])
    func ashaPromotionsContinuePausedTrialsFromTheirOwnCheckpoints(padding: Int) throws {
        let h = try SweepHarness("cmd-asha")
        defer { h.cleanUp() }
        _ = try h.write("train.py", Self.program(padding: padding))
        let file = try h.write("asha.yaml", Self.sweep("asha", """
            pruner: {name: asha, mode: promotion, min_resource: 2, reduction_factor: 2}
            budget: {trials: 4, max_epochs: 8}
            """))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 180)
        #expect(status == 0, "\(output)")
        #expect(!output.contains("without a checkpoint"), "\(output)")
        let rows = try trialsAndCurves(h, "asha")
        let promoted = rows.filter { $0.2.count > 1 }
        #expect(!promoted.isEmpty, "nothing was promoted: \(rows.map { ($0.0.number, $0.0.state) })")
        for (trial, curve, attempts) in promoted {
            // Each attempt after the first continued from the epoch the one before paused at,
            // from the trial's own state, and the curve has every epoch once.
            #expect(curve.map(\.step) == Array(1...curve.count), "trial \(trial.number): \(curve.map(\.step))")
            for a in attempts.dropFirst() {
                #expect(Self.loads(h).contains { ($0["trial"] as? Int) == trial.number && ($0["attempt"] as? Int) == a.attempt
                    && ($0["from"] as? Int) == trial.number && ($0["epoch"] as? Int) == a.resumedFromEpoch }, "trial \(trial.number) attempt \(a.attempt)")
            }
        }
    }

    /// A program that saves its state at other epochs than the boundaries: the directory at
    /// a boundary holds an earlier epoch's state and is not taken for the boundary's (a
    /// member continued from epoch 5's weights labelled epoch 6); the trial does not pause.
    @Test func aStateSavedAtAnotherEpochIsNotTakenForTheBoundarys() throws {
        let h = try SweepHarness("cmd-pbt-stale")
        defer { h.cleanUp() }
        _ = try h.write("train.py", Self.program.replacingOccurrences(of: "    w += lr\n", with: "    w += lr\n    if epoch % 2 == 0:\n        sweep_client.report(epoch, loss=abs(w - 3.0))\n        continue\n"))
        let file = try h.write("pbt.yaml", Self.sweep("stale", """
            scheduler: {name: pbt, population: 2, perturbation_interval: 2, mutations: [lr]}
            budget: {trials: 2, max_epochs: 8}
            """))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let (lineage, events) = try h.reader().read { q in
            let s = try q.requireStudy(named: "stale")
            return (try q.lineage(studyID: s.id), try q.events(studyID: s.id))
        }
        #expect(lineage.isEmpty, "\(lineage)")
        #expect(events.contains { $0.message.contains("without a checkpoint of that epoch: it goes on without pausing (the program saved nothing in SWEEP_CHECKPOINT_DIR since its last report") },
                "\(events.map(\.message))")
        #expect(h.logText("sweep.db.logs/stale/trial-0.attempt-1.err").contains("did not change since the report before epoch 2's"))
        // Said where the user looks (the run ended as a plain random search, exit 0, unsaid).
        #expect(output.contains("warning: 2 trial(s) reached a pause of the scheduler without a checkpoint and went on without pausing, e.g. trial"), "\(output)")
    }

    /// A program that saves nothing cannot pause: the study runs on, and says why.
    @Test func aProgramThatSavesNothingIsToldWhyItNeverPauses() throws {
        let h = try SweepHarness("cmd-pbt-nothing")
        defer { h.cleanUp() }
        _ = try h.write("train.py", "import sweep_client\np = sweep_client.params()\nfor e in range(1, 5):\n    sweep_client.report(e, loss=float(p['lr']) / e)\n")
        let file = try h.write("pbt.yaml", Self.sweep("none", """
            scheduler: {name: pbt, population: 2, perturbation_interval: 2, mutations: [lr]}
            budget: {trials: 2, max_epochs: 4}
            """))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let events = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "none").id) }
        #expect(events.contains { $0.message.contains("without a checkpoint of that epoch: it goes on without pausing (the program saved nothing in SWEEP_CHECKPOINT_DIR") },
                "\(events.map(\.message))")
        #expect(output.contains("warning: 2 trial(s) reached a pause"), "\(output)")
    }

    /// Checkpoints refused by `--checkpoint-limit` in a study without pauses are said at the
    /// end of the run: only a study event told, and a user found out that the trials could
    /// not resume only after a crash.
    @Test func checkpointsOverTheLimitAreSaidAtTheEndOfTheRun() throws {
        let h = try SweepHarness("cmd-ckpt-limit")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import os, sweep_client
            p = sweep_client.params()
            for e in range(1, 4):
                with open(os.path.join(sweep_client.checkpoint_dir(), "weights.bin"), "wb") as f:
                    f.write(bytes([e]) * (2 << 20))
                sweep_client.report(e, loss=float(p['lr']) / e)
            """)
        let file = try h.write("lim.yaml", Self.sweep("lim", "pruner: {name: none}\nbudget: {trials: 2, max_epochs: 3}"))
        // (Epochs 1 and 2 of each trial: none is sent at its last epoch.)
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress", "--checkpoint-limit", "1"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("warning: 4 checkpoint(s) not kept: the running trials' checkpoints would pass --checkpoint-limit (e.g. checkpoint of trial 0 after epoch 1")
                && output.contains("raise --checkpoint-limit"), "\(output)")
    }

    /// A checkpoint the coordinator cannot keep (over `--checkpoint-limit` for all running
    /// trials together) cannot pause its trial: the run's warning gives the coordinator's
    /// reason (it listed four possible causes; the worker knew which).
    @Test func aCheckpointTheCoordinatorCannotKeepIsNamedAsTheReason() throws {
        let h = try SweepHarness("cmd-pbt-large")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import os, sweep_client
            p = sweep_client.params()
            for e in range(1, 5):
                with open(os.path.join(sweep_client.checkpoint_dir(), "weights.bin"), "wb") as f:
                    f.write(bytes([e]) * (13 << 20))
                sweep_client.report(e, loss=float(p['lr']) / e)
            """)
        let file = try h.write("pbt.yaml", Self.sweep("large", """
            scheduler: {name: pbt, population: 2, perturbation_interval: 2, mutations: [lr]}
            budget: {trials: 2, max_epochs: 4}
            """))
        // Under one checkpoint: refused whatever the order the members run in (with room for
        // one, a loaded machine ran them one after the other and both fitted).
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress", "--checkpoint-limit", "12"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("reached a pause of the scheduler without a checkpoint")
                && output.contains("the coordinator did not take the checkpoint: this 13.0 MiB with the 0.0 MiB held for running trials would pass --checkpoint-limit 12.0 MiB"), "\(output)")
    }
}
