import Testing
@testable import Search

@Suite struct ThresholdPatienceTests {
    @Test func thresholdBoundsAndNaN() {
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [0.5, 2, .nan, -1], state: .running))
        let p = ThresholdPruner(lower: 0, upper: 1)
        #expect(!p.decide(trial: 0, step: 1, history: h).prune)
        let above = p.decide(trial: 0, step: 2, history: h)
        #expect(above.prune && above.cutoff == 1 && above.reason.contains("above"))
        #expect(p.decide(trial: 0, step: 3, history: h).prune)
        #expect(p.decide(trial: 0, step: 4, history: h).cutoff == 0)
        let warm = ThresholdPruner(upper: 1, nWarmupSteps: 2)
        #expect(!warm.decide(trial: 0, step: 2, history: h).prune)
    }

    @Test func patienceOnAKnownCurve() {
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [5, 4, 3, 3.5, 3.6, 3.7], state: .running))
        let p = PatientPruner(patience: 2)
        #expect(!p.decide(trial: 0, step: 3, history: h).prune)   // too few values
        #expect(!p.decide(trial: 0, step: 5, history: h).prune)   // 3 is in the window
        let d = p.decide(trial: 0, step: 6, history: h)
        #expect(d.prune && d.cutoff == 3, "\(d.reason)")
        #expect(!PatientPruner(patience: 2, minDelta: 1).decide(trial: 0, step: 6, history: h).prune)
        // NaN counts as the worst value.
        h.append(Fixtures.curve(1, [5, 4, .nan, .nan, .nan], state: .running))
        #expect(p.decide(trial: 1, step: 5, history: h).prune)
        // Maximize: the mirror image.
        let hm = StudyHistory(direction: .maximize)
        hm.append(Fixtures.curve(0, [-5, -4, -3, -3.5, -3.6, -3.7], state: .running))
        #expect(p.decide(trial: 0, step: 6, history: hm).prune)
    }

    @Test func patienceWrapsAnotherPruner() {
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [5, 4, 3, 3.5, 3.6, 3.7], state: .running))
        let lenient = PatientPruner(patience: 2, wrapping: ThresholdPruner(upper: 10))
        let d = lenient.decide(trial: 0, step: 6, history: h)
        #expect(!d.prune && d.reason.contains("within"))
    }
}
