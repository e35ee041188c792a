import Foundation
import Store
import Testing

/// Population Based Training with real processes: a coordinator and two workers train a
/// population of four on a toy data set; members pause at each boundary, the bottom ones
/// continue from a top member's checkpoint (no epoch run twice), every step is in the
/// lineage, and the winner's schedule exports as a train file that `sweep train` runs.
@Suite("Population Based Training end to end", .serialized)
struct PopulationBasedTrainingE2ETests {
    static let pbt = """
        scheduler:
          name: pbt
          population: 4
          perturbation_interval: 2
          quantile: 0.5
          resample_probability: 0
          mutations: [optimizer.learning_rate]
        budget: {trials: 4}
        """

    /// A toy sweep over the learning rate with the given search sections.
    static func sweepFile(study: String = "pbt-e2e", epochs: Int = 6, search: String = pbt) -> String {
        """
        study: \(study)
        objective: {metric: val_accuracy, direction: maximize}
        seed: 7
        data: {dataset: moons, samples: 400}
        model: {hidden: [16]}
        training:
          epochs: \(epochs)
          batch_size: 32
          optimizer: {name: sgd, learning_rate: {loguniform: [0.001, 0.3]}}
        sampler: {name: random}
        \(search)
        """
    }

    /// Two members judged after every epoch, the bottom one always exploiting the top one.
    static let pairEveryEpoch = """
        scheduler: {name: pbt, population: 2, perturbation_interval: 1, quantile: 0.5, resample_probability: 0, mutations: [optimizer.learning_rate]}
        budget: {trials: 2}
        """

    /// `sweep status` of a population counts epochs (members end together at the last one:
    /// "0/2 trials" until then said nothing) and names the member ahead at its latest epoch;
    /// the JSON has the same, and a finished population shows every epoch and its best.
    @Test func statusOfAPopulationCountsEpochsAndNamesTheLeadingMember() throws {
        let h = try SweepHarness("pbt-status")
        defer { h.cleanUp() }
        let file = try h.write("pbt.yaml", Self.sweepFile(study: "long", epochs: 400, search: Self.pairEveryEpoch))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let reported = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "long").id).map(\.epochs).reduce(0, +) }) ?? 0 }
        #expect(h.waitFor(timeout: 120) { reported() >= 6 }, "\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGINT)
        #expect(h.waitFor(timeout: 60) { !run.isRunning })
        let (trials, latest) = try h.reader().read { q in
            let trials = try q.trials(studyID: try q.requireStudy(named: "long").id)
            return (trials, try trials.map { t in try q.intermediates(trialID: t.id).first { $0.step == t.epochs }?.value })
        }
        let done = trials.map(\.epochs).reduce(0, +)
        try #require(trials.count == 2 && done >= 6 && done < 800, "\(trials)")
        let leader = try #require(zip(trials, latest).compactMap { t, v in v.map { (t.number, $0) } }.max { $0.1 < $1.1 })
        let status = try h.run(["status", "long", "--db", h.db])
        #expect(status.status == 0 && status.output.contains("] \(done)/800 epochs of 2 members  [INTERRUPTED]"), "\(status.output)")
        #expect(status.output.contains("leading: trial \(leader.0)  val_accuracy "), "\(status.output)")
        #expect(status.output.contains(" epochs/"), "the rate is in epochs: \(status.output)")
        let json = try h.run(["status", "long", "--db", h.db, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        let population = try #require(object["population"] as? [String: Any], "\(json.output)")
        #expect(population["epochs_done"] as? Int == done && population["epochs_total"] as? Int == 800 && population["members"] as? Int == 2, "\(json.output)")
        let leading = try #require(population["leading"] as? [String: Any], "\(json.output)")
        #expect((leading["trial"] as? [String: Any])?["number"] as? Int == leader.0 && leading["value"] as? Double == leader.1, "\(json.output)")

        // A finished population: every epoch counted, and its best trial.
        let short = try h.write("short.yaml", Self.sweepFile(study: "short", epochs: 3, search: Self.pairEveryEpoch))
        #expect(try h.run(["run", short, "--db", h.db, "--workers", "2", "--no-progress"]).status == 0)
        let finished = try h.run(["status", "short", "--db", h.db]).output
        #expect(finished.contains("] 6/6 epochs of 2 members  [FINISHED]") && finished.contains("best: trial "), "\(finished)")
        // Its rate stays the whole run's an hour later (the recent window is empty then).
        let later = try h.reader().read { q in try q.progress(study: try q.requireStudy(named: "short"), now: Date().timeIntervalSince1970 + 3600, population: (members: 2, epochs: 3)) }
        #expect((later.epochRate ?? 0) > 0, "\(later)")
    }

    @Test func validatePrintsTheSchedulerSettingsWithTheirDefaults() throws {
        let h = try SweepHarness("pbt-validate")
        defer { h.cleanUp() }
        let file = try h.write("pbt.yaml", Self.sweepFile(search: """
            scheduler: {name: pbt, population: 4, perturbation_interval: 2, mutations: [optimizer.learning_rate]}
            budget: {trials: 4}
            """))
        let pbt = try h.run(["validate", file])
        #expect(pbt.status == 0, "\(pbt.output)")
        #expect(pbt.output.contains("""
            scheduler pbt: population 4, perturbation every 2 epoch(s), quantile 0.25, resample probability 0.25, \
            perturbation factors [0.8, 1.2], mutations [optimizer.learning_rate]
            sampler random, pruner none;
            """), "\(pbt.output)")
        let plain = try h.run(["validate", try h.write("plain.yaml", Self.sweepFile(study: "plain", search: "budget: {trials: 2}"))])
        #expect(plain.status == 0 && plain.output.contains("sampler random, pruner median;") && !plain.output.contains("scheduler"), "\(plain.output)")
    }

    /// With `--checkpoint-limit 0` members cannot pause: the warning names the option (it
    /// blamed the program, or said nothing for the built-in trainer).
    @Test func aCoordinatorKeepingNoCheckpointsSaysWhyMembersDoNotPause() throws {
        let h = try SweepHarness("pbt-no-checkpoints")
        defer { h.cleanUp() }
        let file = try h.write("pbt.yaml", Self.sweepFile(study: "nock", epochs: 3, search: Self.pairEveryEpoch))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--checkpoint-limit", "0", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let events = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "nock").id) }
        let warnings = events.filter { $0.message.contains("without a checkpoint of that epoch") }
        #expect(!warnings.isEmpty && warnings.allSatisfy { $0.message.hasSuffix("(this coordinator keeps no checkpoints: --checkpoint-limit 0)") },
                "\(events.map(\.message))")
    }

    /// A network whose checkpoint (weights and Adam's moments, ~27 MB) is over the 16 MiB one
    /// message may carry: sent in parts and fetched in chunks (sent whole, the message was
    /// refused and its worker cut off, again at every epoch).
    @Test func aNetworkWithCheckpointsOverOneMessagePausesAndContinuesFromThem() throws {
        let h = try SweepHarness("pbt-large")
        defer { h.cleanUp() }
        let file = try h.write("pbt.yaml", Self.sweepFile(study: "large", epochs: 3, search: Self.pairEveryEpoch).replacingOccurrences(of: "hidden: [16]", with: "hidden: [1500, 1500]")
            .replacingOccurrences(of: "name: sgd", with: "name: adam").replacingOccurrences(of: "samples: 400", with: "samples: 120"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 300)
        #expect(status == 0, "\(output)")
        let (trials, attempts, events) = try h.reader().read { q in
            let s = try q.requireStudy(named: "large")
            let trials = try q.trials(studyID: s.id)
            return (trials, try trials.flatMap { try q.attempts(trialID: $0.id) }, try q.events(studyID: s.id))
        }
        #expect(trials.count == 2 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.state, $0.error ?? "") })")
        // Every continuation after a pause started from a checkpoint fetched in chunks (its
        // own or, exploiting, another member's: which one is PBT's draw).
        let resumed = attempts.filter { $0.attempt > 1 }
        #expect(!resumed.isEmpty && resumed.allSatisfy { $0.resumedFromEpoch != nil }, "\(attempts.map { ($0.attempt, $0.resumedFromEpoch ?? -1) }) \(events.map(\.message))")
        #expect(events.contains { $0.kind == "paused" } && !events.contains { $0.message.contains("without a checkpoint") || $0.message.contains("not kept") },
                "\(events.map(\.message))")
        #expect(!output.contains("oversized") && !output.contains("dropped messages"), "\(output)")
    }

    @Test func membersContinueFromOtherMembersCheckpointsAndTheScheduleExports() throws {
        let h = try SweepHarness("pbt")
        defer { h.cleanUp() }
        let file = try h.write("pbt.yaml", Self.sweepFile())
        let run = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let (trials, lineage, attempts, curves) = try h.reader().read { q in
            let s = try q.requireStudy(named: "pbt-e2e")
            let trials = try q.trials(studyID: s.id)
            return (trials, try q.lineage(studyID: s.id), try trials.map { try q.attempts(trialID: $0.id) },
                    try trials.map { try q.intermediates(trialID: $0.id) })
        }
        #expect(trials.map(\.state) == [.complete, .complete, .complete, .complete])
        #expect(!lineage.isEmpty, "the bottom half exploits at each boundary")
        let rate = "optimizer.learning_rate"
        /// A member's rate just before lineage step `sequence`: after its last earlier step,
        /// else as sampled (its first step's old value; the stored one if it never exploited).
        func rateOf(_ member: Int, before sequence: Int64) -> Double? {
            let steps = lineage.filter { $0.member == member }.sorted { $0.sequence < $1.sequence }
            if let last = steps.last(where: { $0.sequence < sequence }) { return last.params[rate]?.number }
            return (steps.first?.oldParams ?? trials[member].params)[rate]?.number
        }
        for step in lineage {
            #expect(step.source != step.member && step.sourceEpoch >= 2)
            // Explore perturbed the one mutated rate: the source's rate times the recorded
            // factor, clipped to the range. (It may equal the member's old rate: a member that
            // copies the same source twice with the same factor keeps its rate.)
            #expect(step.changes.keys.sorted() == [rate], "\(step)")
            let factor = ["x0.8": 0.8, "x1.2": 1.2][step.changes[rate] ?? ""]
            let source = rateOf(step.source, before: step.sequence)
            if let factor, let source, let explored = step.params[rate]?.number {
                let expected = min(max(source * factor, 0.001), 0.3)
                #expect(abs(explored - expected) <= 1e-9 * expected, "\(step): source rate \(source)")
            } else {
                Issue.record("step without a factor, a source rate or an explored rate: \(step)")
            }
            // The member's next attempt continued from the copied checkpoint's epoch.
            let later = attempts[step.member].filter { $0.resumedFromEpoch == step.sourceEpoch }
            #expect(!later.isEmpty, "trial \(step.member) resumed from epoch \(step.sourceEpoch): \(attempts[step.member])")
        }
        for (number, list) in attempts.enumerated() {
            // Paused at epochs 2 and 4, each later attempt resumed from a checkpoint: none started over.
            #expect(list.count >= 2 && list.dropFirst().allSatisfy { $0.resumedFromEpoch != nil }, "trial \(number): \(list)")
            #expect(list.dropLast().allSatisfy { $0.outcome == .paused } && list.last?.outcome == .complete)
            #expect(curves[number].last?.step == 6)
        }
        // The schedule of the member that exploited last, as a train file.
        let member = try #require(lineage.last?.member)
        let out = h.directory.appendingPathComponent("schedule.yaml").path
        let export = try h.run(["export-schedule", "pbt-e2e", "--db", h.db, "--trial", "\(member)", "--out", out])
        #expect(export.status == 0, "\(export.output)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("piecewise"), "\(text)")
        let train = try h.run(["train", out])
        #expect(train.status == 0, "\(train.output)")
        #expect(train.output.contains("epoch 6/6"), "\(train.output)")
        // The report has the lineage view and every member's schedule.
        let page = h.directory.appendingPathComponent("report.html").path
        let report = try h.run(["report", "pbt-e2e", "--db", h.db, "--out", page])
        #expect(report.status == 0, "\(report.output)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("id=\"lineage-table\"") && html.contains("id=\"schedules-table\"") && html.contains("sweep export-schedule"))
        // `sweep show` has the lineage view.
        let show = try h.run(["show", "pbt-e2e", "\(member)", "--db", h.db])
        #expect(show.status == 0 && show.output.contains("continued from trial \(lineage.last!.source)'s checkpoint"), "\(show.output)")
        // Its step reads "rate SOURCE'S -> EXPLORED (FACTOR; before: OWN)": the factor applies to the source's rate.
        let last = lineage.last!
        let line = try #require(show.output.split(separator: "\n").last { $0.contains("epoch \(last.epoch): continued from trial \(last.source)'s") }, "\(show.output)")
        let words = try #require(line.components(separatedBy: "\(rate) ").last).split(separator: " ")
        let shown = try #require(Double(words[0])), sourceRate = try #require(rateOf(last.source, before: last.sequence))
        #expect(abs(shown - sourceRate) <= 1e-3 * sourceRate, "\(line): the source's rate is \(sourceRate)")
        #expect(line.contains("(\(last.changes[rate]!); before: "), "\(line)")
        // The JSON has the same lineage as data (it left it out), and the trial's events.
        let json = try h.run(["show", "pbt-e2e", "\(member)", "--db", h.db, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        let population = try #require(object["population"] as? [String: Any], "\(json.output)")
        let steps = try #require(population["steps"] as? [[String: Any]])
        #expect(steps.count == lineage.filter { $0.member == member }.count && steps.last?["source_trial"] as? Int == last.source && steps.last?["epoch"] as? Int == last.epoch, "\(steps)")
        let change = try #require((steps.last?["changes"] as? [[String: Any]])?.first { $0["name"] as? String == rate })
        #expect(change["change"] as? String == last.changes[rate] && abs((change["source_value"] as? Double ?? 0) - sourceRate) <= 1e-3 * sourceRate, "\(change)")
        #expect((population["schedule"] as? [Any])?.isEmpty == false && (population["effective_schedule"] as? [Any])?.isEmpty == false)
        #expect((object["events"] as? [[String: Any]])?.contains { ($0["message"] as? String)?.contains("continued from") == true || $0["kind"] as? String == "exploited" } == true, "\(object["events"] ?? "")")
        // More trials would be members joining generations behind: refused, budget kept.
        let more = try h.run(["resume", "pbt-e2e", "--db", h.db, "--add-trials", "2", "--workers", "0", "--no-progress"])
        #expect(more.status == 2 && more.output.contains("is Population Based Training, whose budget is its population (4 members"), "\(more.output)")
        #expect(try h.reader().read { try $0.requireStudy(named: "pbt-e2e") }.definition.budgetTrials == 4)
        // So would a queued trial (it trained alone as a fifth member, never exploited).
        let queued = try h.run(["enqueue", "pbt-e2e", "\(rate)=0.01", "--db", h.db])
        #expect(queued.status == 2 && queued.output.contains("is Population Based Training, whose 4 members train side by side"), "\(queued.output)")
        #expect(try h.reader().read { q in try q.enqueuedTrials(studyID: try q.requireStudy(named: "pbt-e2e").id, all: true) }.isEmpty)
    }

    @Test func ashaWithPromotionsPausesAtRungsAndPromotedTrialsContinueFromTheirCheckpoint() throws {
        let h = try SweepHarness("asha-promotion")
        defer { h.cleanUp() }
        let file = try h.write("asha.yaml", Self.sweepFile(study: "asha-e2e", epochs: 4, search: """
            pruner: {name: asha, mode: promotion, min_resource: 1, reduction_factor: 2}
            budget: {trials: 6}
            """))
        let run = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let (trials, attempts, promoted) = try h.reader().read { q in
            let s = try q.requireStudy(named: "asha-e2e")
            let trials = try q.trials(studyID: s.id)
            return (trials, try trials.map { try q.attempts(trialID: $0.id) }, try q.events(studyID: s.id, kinds: [.promoted]))
        }
        #expect(trials.count == 6 && !promoted.isEmpty)
        // Rungs end at epochs 1 and 2: the best trial went 1 -> 2 -> 4, each time from its checkpoint.
        let complete = trials.filter { $0.state == .complete }
        #expect(!complete.isEmpty && complete.allSatisfy { $0.epochs == 4 })
        for t in complete {
            #expect(attempts[t.number].map(\.resumedFromEpoch) == [nil, 1, 2], "\(attempts[t.number])")
        }
        // Every other trial stopped at a rung's end, paused, and was never re-run from scratch.
        for t in trials where t.state != .complete {
            #expect(t.state == .pruned && [1, 2].contains(t.epochs), "\(t)")
            #expect(attempts[t.number].allSatisfy { $0.outcome == .paused } && attempts[t.number].dropFirst().allSatisfy { $0.resumedFromEpoch != nil })
        }
        // `show` marks the epoch a trial paused at `pause` (it read `continue`).
        if let paused = trials.first(where: { $0.state != .complete }) {
            let shown = try h.run(["show", "asha-e2e", "\(paused.number)", "--db", h.db])
            let row = shown.output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(paused.epochs) ") }
            #expect(row?.hasSuffix("pause") == true, "\(shown.output)")
            // The study has finished: the way to promote it is said (it read "continues if promoted").
            #expect(shown.output.contains("continues if promoted (the study has finished: `sweep resume asha-e2e --db \(h.db) --add-trials N` runs N more trials and may promote it)"), "\(shown.output)")
        }
        let best = try #require(complete.first)
        let shownBest = try h.run(["show", "asha-e2e", "\(best.number)", "--db", h.db])
        let pauses = shownBest.output.split(separator: "\n").filter { $0.hasSuffix("  pause") }.map { $0.split(separator: " ")[0] }
        #expect(pauses == ["1", "2"], "paused at epochs 1 and 2: \(shownBest.output)")
    }
}
