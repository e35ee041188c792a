import Foundation
import Search
import Store
import Testing

/// `sweep compare` on two real studies.
@Suite(.serialized) struct CompareTests {
    /// Trials finished (in finish order) when a complete trial first reached `target` (minimizing).
    static func trialsToTarget(_ trials: [TrialRecord], _ target: Double) -> Int? {
        let finished = trials.filter { $0.state.isFinished }.sorted { ($0.finishedAt!, $0.number) < ($1.finishedAt!, $1.number) }
        return finished.firstIndex { $0.state == .complete && $0.value! <= target }.map { $0 + 1 }
    }

    /// Equal up to JSON parsing (Foundation's parser may be off in the last digit).
    static func same(_ a: Double?, _ b: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= 1e-14 * max(1, abs(b))
    }

    static func study(_ s: Scratch, _ name: String, db: String) throws -> (StudyRecord, [TrialRecord]) {
        try SweepStore.openReadOnly(path: db).read { q in
            let st = try q.requireStudy(named: name)
            return (st, try q.trials(studyID: st.id))
        }
    }

    @Test func comparesTwoRealStudiesSideBySide() throws {
        let s = try Scratch("compare")
        defer { s.cleanUp() }
        let dbB = s.path("other.db")
        let a = try s.write("a.yaml", syntheticSweep(study: "random", trials: 16, epochs: 3, function: "sphere", pruner: "{name: none}"))
        let b = try s.write("b.yaml", syntheticSweep(study: "tpe", trials: 16, epochs: 3, function: "sphere", pruner: "{name: median, n_startup_trials: 3}",
                                                     sampler: "{name: tpe, n_startup_trials: 5}", seed: 9))
        for (file, db) in [(a, s.db), (b, dbB)] {
            let r = try s.sweep(["run", file, "--workers", "2", "--db", db, "--no-progress"])
            try #require(r.status == 0, "\(r.output)")
        }
        let (_, ta) = try Self.study(s, "random", db: s.db)
        let (_, tb) = try Self.study(s, "tpe", db: dbB)
        let bestA = ta.filter { $0.state == .complete }.compactMap(\.value).min()!
        let bestB = tb.filter { $0.state == .complete }.compactMap(\.value).min()!
        let target = max(bestA, bestB)

        let json = try s.sweep(["compare", "random", "tpe", "--db", s.db, "--db-b", dbB, "--format", "json"])
        try #require(json.status == 0, "\(json.output)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(Self.same(doc["target"] as? Double, target))
        #expect(doc["target_source"] as? String == "the worse of the two bests")
        let studies = try #require(doc["studies"] as? [[String: Any]])
        #expect(studies.map { $0["name"] as? String } == ["random", "tpe"])
        for (entry, trials, best) in [(studies[0], ta, bestA), (studies[1], tb, bestB)] {
            #expect(Self.same(entry["best_value"] as? Double, best))
            #expect(entry["reached_target"] as? Bool == true, "both reach the worse best")
            #expect(entry["trials_to_target"] as? Int == Self.trialsToTarget(trials, target))
            #expect(entry["trials"] as? Int == 16)
            #expect(entry["complete"] as? Int == trials.filter { $0.state == .complete }.count)
            #expect(entry["pruned"] as? Int == trials.filter { $0.state == .pruned }.count)
            let durations = trials.compactMap(\.duration).sorted()
            let median = durations.count % 2 == 1 ? durations[durations.count / 2] : (durations[durations.count / 2 - 1] + durations[durations.count / 2]) / 2
            #expect(abs((entry["median_trial_seconds"] as? Double ?? -1) - median) < 1e-9)
            #expect((entry["seconds_to_target"] as? Double).map { $0 >= 0 } == true)
        }

        // The CSV: one row per study with the JSON's values, not the table's text.
        let csv = try s.sweep(["compare", "random", "tpe", "--db", s.db, "--db-b", dbB, "--format", "csv"])
        try #require(csv.status == 0, "\(csv.output)")
        let lines = csv.output.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        try #require(lines.count == 3, "\(csv.output)")
        let header = lines[0]
        #expect(header.first == "study" && header.contains("best_value") && header.contains("wall_seconds"))
        for (row, (name, best)) in zip(lines.dropFirst(), [("random", bestA), ("tpe", bestB)]) {
            #expect(row.count == header.count)
            #expect(row[0] == name)
            #expect(Double(row[header.firstIndex(of: "best_value")!]) == best, "full precision: \(row)")
            #expect(Double(row[header.firstIndex(of: "target")!]) == target)
            #expect(row[header.firstIndex(of: "reached_target")!] == "true")
        }

        // The table: both studies, the target row, and a verdict.
        let table = try s.sweep(["compare", "random", "tpe", "--db", s.db, "--db-b", dbB])
        #expect(table.status == 0)
        for label in ["random", "tpe", "best value", "target", "trials to target", "time to target", "median trial time", "wall time", "To reach "] {
            #expect(table.output.contains(label), "missing '\(label)':\n\(table.output)")
        }

        // A target nobody reached, and a target only one reached.
        let never = try s.sweep(["compare", "random", "tpe", "--db", s.db, "--db-b", dbB, "--target=-1", "--format", "json"])
        let neverDoc = try JSONSerialization.jsonObject(with: Data(never.output.utf8)) as? [String: Any]
        let neverStudies = neverDoc?["studies"] as? [[String: Any]] ?? []
        #expect(neverStudies.count == 2 && neverStudies.allSatisfy { $0["reached_target"] as? Bool == false && $0["trials_to_target"] == nil })
        let one = try s.sweep(["compare", "random", "tpe", "--db", s.db, "--db-b", dbB, "--target", "\(min(bestA, bestB))"])
        #expect(one.output.contains("Only '\(bestA < bestB ? "random" : "tpe")' reached") || bestA == bestB, "\(one.output)")
    }

    @Test func badInputExitsWithTwo() throws {
        let s = try Scratch("compare-bad")
        defer { s.cleanUp() }
        try ReportFixture.write(path: s.db, name: "low", trials: 10, epochs: 2)
        try ReportFixture.write(path: s.db, name: "high", trials: 10, epochs: 2, direction: .maximize)
        let mismatch = try s.sweep(["compare", "low", "high", "--db", s.db])
        #expect(mismatch.status == 2)
        #expect(mismatch.output.contains("not comparable"), "\(mismatch.output)")
        let missing = try s.sweep(["compare", "low", "nosuch", "--db", s.db])
        #expect(missing.status == 2)
        #expect(missing.output.contains("no study named 'nosuch'") && missing.output.contains("low"), "\(missing.output)")
        let report = try s.sweep(["report", "nosuch", "--db", s.db])
        #expect(report.status == 2, "\(report.output)")
    }
}
