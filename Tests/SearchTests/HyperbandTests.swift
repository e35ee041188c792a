import Testing
@testable import Search

@Suite struct HyperbandTests {
    @Test func bracketsAndBudgets() {
        let hb = HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3)
        #expect(hb.bracketCount == 4)
        // ceil(4 * 3^s / (s + 1)) for s = 3, 2, 1, 0.
        #expect(hb.bracketBudgets == [27, 12, 6, 4])
        #expect(HyperbandPruner(minResource: 1, maxResource: 1000, reductionFactor: 10).bracketCount == 4)
        #expect(HyperbandPruner(minResource: 1, maxResource: 26, reductionFactor: 3).bracketCount == 3)
    }

    @Test func assignmentIsDeterministicAndProportional() {
        let hb = HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3)
        let again = HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3)
        var counts = [0, 0, 0, 0]
        for n in 0..<49_000 {
            let b = hb.bracket(of: n)
            #expect(b == again.bracket(of: n))
            counts[b] += 1
        }
        for (b, budget) in hb.bracketBudgets.enumerated() {
            let share = Double(counts[b]) / 49_000, expected = Double(budget) / 49
            #expect(abs(share - expected) < 0.01, "bracket \(b): \(share) vs \(expected)")
        }
    }

    @Test func trialsCompeteOnlyWithinTheirBracket() {
        let hb = HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3)
        let zero = (0..<500).filter { hb.bracket(of: $0) == 0 }
        let other = (0..<500).filter { hb.bracket(of: $0) != 0 }
        let h = StudyHistory(direction: .minimize)
        // Strong trials in other brackets, weak ones in bracket 0.
        for n in 0..<60 {
            let v = zero.contains(n) ? 10 + Double(n) : 0.0
            h.append(Fixtures.curve(n, [v], state: .running))
        }
        let newcomer = zero.first { $0 >= 60 }!
        let filler = (60..<newcomer).map { $0 }
        for n in filler { h.append(TrialSnapshot(number: n, state: .fail, params: [:])) }
        h.append(Fixtures.curve(newcomer, [5], state: .running))
        let d = hb.decide(trial: newcomer, step: 1, history: h)
        #expect(!d.prune, "\(d.reason)")
        #expect(d.reason.hasPrefix("bracket 0:"))
        #expect(other.count > 0)
    }

    @Test func laterBracketsStartLater() {
        let hb = HyperbandPruner(minResource: 1, maxResource: 27, maxSteps: 30, reductionFactor: 3)
        let inThree = (0..<1000).first { hb.bracket(of: $0) == 3 }!
        let h = StudyHistory(direction: .minimize)
        for n in 0..<inThree { h.append(Fixtures.curve(n, [0, 0, 0], state: .running)) }
        h.append(Fixtures.curve(inThree, [100, 100, 100], state: .running))
        // Bracket 3 has one rung, at step 27: nothing happens before.
        let d = hb.decide(trial: inThree, step: 3, history: h)
        #expect(!d.prune && d.reason.contains("rung 0 ends at step 27"), "\(d.reason)")
    }

    @Test func theLastBracketDoesNotPruneWhenItsRungIsTheLastEpoch() {
        // max_resource = epochs = 27: bracket 3's only rung would end at epoch 27, where
        // its trials have trained in full (Optuna's rung at step 27 is never reached).
        let hb = HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3)
        #expect(hb.bracketCount == 4)
        let inThree = (0..<1000).filter { hb.bracket(of: $0) == 3 }
        let h = StudyHistory(direction: .minimize)
        for n in 0...inThree[3] {
            let value: Double = n == inThree[3] ? 100 : 0
            h.append(Fixtures.curve(n, Array(repeating: value, count: 27), state: n == inThree[3] ? .running : .complete))
        }
        let d = hb.decide(trial: inThree[3], step: 27, history: h)
        #expect(!d.prune && d.reason.contains("no rung ends before the last epoch (27)"), "\(d.reason)")
        // Bracket 2 keeps its rung at 9 (before the last epoch) and drops the one at 27.
        let inTwo = (0..<1000).first { hb.bracket(of: $0) == 2 && $0 > inThree[3] }!
        for n in (inThree[3] + 1)..<inTwo { h.append(TrialSnapshot(number: n, state: .fail, params: [:])) }
        h.append(Fixtures.curve(inTwo, Array(repeating: 100, count: 27), state: .running))
        #expect(hb.decide(trial: inTwo, step: 9, history: h).prune)
        #expect(!hb.decide(trial: inTwo, step: 27, history: h).prune)
    }
}
