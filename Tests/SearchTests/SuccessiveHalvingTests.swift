import Testing
@testable import Search

@Suite struct SuccessiveHalvingTests {
    /// Nine trials reached rung 0 (step 1) with values 1...9; reduction factor 3.
    static func nineAtRungZero(direction: Direction = .minimize) -> StudyHistory {
        let h = StudyHistory(direction: direction)
        for n in 0..<9 { h.append(Fixtures.curve(n, [Double(n + 1)], state: .running)) }
        return h
    }

    @Test func rungsEndAtPowersOfTheReductionFactor() {
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 30)
        #expect(asha.promotionSteps == [1, 3, 9, 27])
        let late = SuccessiveHalvingPruner(minResource: 2, reductionFactor: 3, minEarlyStoppingRate: 1, maxSteps: 100)
        #expect(late.promotionSteps == [6, 18, 54])
    }

    @Test func noRungEndsAtTheLastEpoch() {
        // 27 epochs: a rung at 27 would only relabel trials that trained them all.
        #expect(SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27).promotionSteps == [1, 3, 9])
        #expect(SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 28).promotionSteps == [1, 3, 9, 27])
        // max_resource caps the rungs (inclusive) when it is below the trial's epochs.
        #expect(SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 30, maxResource: 9).promotionSteps == [1, 3, 9])
        #expect(SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 9, maxResource: 30).promotionSteps == [1, 3])
        #expect(SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 1).promotionSteps.isEmpty)
        // A trial worse than everyone at its last epoch completes: no decision there.
        let h = StudyHistory(direction: .minimize)
        for n in 0..<9 { h.append(Fixtures.curve(n, Array(repeating: Double(n), count: 9), state: n < 8 ? .complete : .running)) }
        let d = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 9).decide(trial: 8, step: 9, history: h)
        #expect(!d.prune && d.reason.contains("past the last rung"), "\(d.reason)")
        let config = SuccessiveHalvingPruner.Config()
        #expect(config.promotionSteps(maxSteps: 100) == [1, 4, 16, 64])
        var capped = SuccessiveHalvingPruner.Config()
        capped.maxResource = 16
        #expect(capped.promotionSteps(maxSteps: 100) == [1, 4, 16])
        #expect(capped.promotionSteps(maxSteps: 16) == [1, 4])
    }

    @Test func promotesTheTopThirdAtRungZero() {
        let h = Self.nineAtRungZero()
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
        // 10 competitors: promotable if within the best 10 / 3 = 3.
        h.append(Fixtures.curve(9, [2.5], state: .running))
        let kept = asha.decide(trial: 9, step: 1, history: h)
        #expect(!kept.prune)
        #expect(kept.rung == 0 && kept.cutoff == 2.5)
        h.report(9, step: 1, value: 3.5)
        let pruned = asha.decide(trial: 9, step: 1, history: h)
        #expect(pruned.prune)
        #expect(pruned.rung == 0 && pruned.cutoff == 3)
        #expect(pruned.reason.contains("best 1/3 of the 10 trials at rung 0"), "\(pruned.reason)")
    }

    @Test func decidesOnlyAtTheEndOfARung() {
        let h = Self.nineAtRungZero()
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
        h.append(Fixtures.curve(9, [0.5, 100], state: .running))
        let d = asha.decide(trial: 9, step: 2, history: h)
        #expect(!d.prune && d.reason.contains("rung 1 ends at step 3"), "\(d.reason)")
        // At step 3 it is alone at rung 1: the best of one, promoted.
        h.report(9, step: 3, value: 100)
        #expect(!asha.decide(trial: 9, step: 3, history: h).prune)
    }

    @Test func rungValuesComeFromTheFirstStepAtOrAfterTheRung() {
        // Trial 0 skipped step 3 and reported step 4: that value is its rung-1 value.
        let h = StudyHistory(direction: .minimize)
        var t0 = TrialSnapshot(number: 0, state: .complete, params: [:], value: 1)
        t0.intermediate = [1: 5, 2: 4, 4: 1, 5: 0.5]
        h.append(t0)
        for n in 1...2 { h.append(Fixtures.curve(n, [5, 4, 2], state: .pruned)) }
        h.append(Fixtures.curve(3, [5, 4, 1.5], state: .running))
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
        // Rung 1 holds 1 (trial 0, step 4), 2, 2 and 1.5: 4 / 3 = 1 promotable, cut-off 1.
        let d = asha.decide(trial: 3, step: 3, history: h)
        #expect(d.prune && d.rung == 1 && d.cutoff == 1)
    }

    @Test func maximizeNanAndBootstrap() {
        let h = Self.nineAtRungZero(direction: .maximize)
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
        h.append(Fixtures.curve(9, [7.5], state: .running))
        let d = asha.decide(trial: 9, step: 1, history: h)
        #expect(!d.prune && d.cutoff == 7.5)
        h.report(9, step: 1, value: 6.5)
        #expect(asha.decide(trial: 9, step: 1, history: h).cutoff == 7)
        h.report(9, step: 1, value: .nan)
        #expect(asha.decide(trial: 9, step: 1, history: h).prune)
        // Fewer than bootstrap_count + 1 at the rung: pruned, as in Optuna.
        let strict = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, bootstrapCount: 20, maxSteps: 27)
        h.report(9, step: 1, value: 100)
        let b = strict.decide(trial: 9, step: 1, history: h)
        #expect(b.prune && b.reason.contains("bootstrap_count"))
    }

    @Test func sameDecisionsAfterARestart() {
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
        let live = StudyHistory(direction: .minimize)
        var decisions: [PruneDecision] = []
        var rng = SamplerStreams.trial(seed: 1, trial: 0, purpose: 0)
        for n in 0..<40 {
            live.append(TrialSnapshot(number: n, state: .running, params: [:]))
            let quality = rng.nextDouble()
            for step in 1...27 {
                live.report(n, step: step, value: quality + 1 / Double(step))
                let d = asha.decide(trial: n, step: step, history: live)
                decisions.append(d)
                // A fresh pruner on a rebuilt history decides the same.
                let replay = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3, maxSteps: 27)
                #expect(replay.decide(trial: n, step: step, history: Fixtures.rebuilt(live)) == d)
                if d.prune { live.finish(n, state: .pruned, value: quality); break }
                if step == 27 { live.finish(n, state: .complete, value: quality) }
            }
        }
        let pruned = live.trials.filter { $0.state == .pruned }.count
        #expect(pruned > 20 && pruned < 40)
    }
}
