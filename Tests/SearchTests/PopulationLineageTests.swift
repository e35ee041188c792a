import Testing
@testable import Search

@Suite("PBT lineage and ASHA promotions")
struct PopulationLineageTests {
    static func lr(_ v: Double) -> Params { ["lr": .double(v)] }

    static func step(_ seq: Int64, member: Int, epoch: Int, source: Int, sourceEpoch: Int, from: Double, to: Double) -> LineageStep {
        LineageStep(sequence: seq, member: member, epoch: epoch, source: source, sourceEpoch: sourceEpoch, oldParams: lr(from),
                    params: lr(to), changes: ["lr": "x1.2"])
    }

    @Test func effectiveScheduleFollowsTheLineageBackToEpochOne() {
        // Member 0 (lr 1) copies member 1 (lr 2) at epoch 2 with lr 2.4; at epoch 4 member 1
        // copies member 0 with lr 2.88; member 2 (lr 3) never exploits.
        let steps = [
            Self.step(1, member: 0, epoch: 2, source: 1, sourceEpoch: 2, from: 1, to: 2.4),
            Self.step(2, member: 1, epoch: 4, source: 0, sourceEpoch: 4, from: 2, to: 2.88),
        ]
        let lineage = PopulationLineage(steps: steps, currentParams: [0: Self.lr(2.4), 1: Self.lr(2.88), 2: Self.lr(3)])
        #expect(lineage.initialParams(of: 0) == Self.lr(1) && lineage.initialParams(of: 2) == Self.lr(3))
        // Member 1's weights: its own epochs 1-2 (lr 2), member 0's epochs 3-4 (lr 2.4), its own 5-6 (lr 2.88).
        let effective = lineage.effectiveSchedule(of: 1, through: 6)
        #expect(effective.map { [$0.firstEpoch, $0.lastEpoch, $0.member] } == [[1, 2, 1], [3, 4, 0], [5, 6, 1]])
        #expect(effective.map { $0.params["lr"]?.number } == [2, 2.4, 2.88])
        // What member 0 itself trained: epochs 1-2 with lr 1, then 3-6 with lr 2.4.
        let own = lineage.ownSchedule(of: 0, through: 6)
        #expect(own.map { [$0.firstEpoch, $0.lastEpoch] } == [[1, 2], [3, 6]])
        #expect(own.map { $0.params["lr"]?.number } == [1, 2.4])
        // A member that never exploited has one segment.
        #expect(lineage.effectiveSchedule(of: 2, through: 6).map { [$0.firstEpoch, $0.lastEpoch, $0.member] } == [[1, 6, 2]])
    }

    @Test func theParamsAnExploitCopiedAreTheSourcesAtThatTime() {
        // Member 0 (lr 1) copies member 1 (lr 2) at sequence 1; member 1 later copies member 2 (lr 3).
        let steps = [
            Self.step(1, member: 0, epoch: 2, source: 1, sourceEpoch: 2, from: 1, to: 2.4),
            Self.step(2, member: 1, epoch: 4, source: 2, sourceEpoch: 4, from: 2, to: 3.6),
            Self.step(3, member: 0, epoch: 6, source: 1, sourceEpoch: 6, from: 2.4, to: 4.32),
        ]
        let lineage = PopulationLineage(steps: steps, currentParams: [2: Self.lr(3)])
        #expect(lineage.params(of: 1, before: 1) == Self.lr(2))
        #expect(lineage.params(of: 1, before: 3) == Self.lr(3.6))
        #expect(lineage.params(of: 2, before: 2) == Self.lr(3))
    }

    @Test func aSourceCopiedFromBehindOrAheadGivesConsistentEpochs() {
        // Member 0 at epoch 4 copies member 1's checkpoint of epoch 6 (ahead): epochs 1-6 are
        // member 1's, 7-8 its own. A later step of member 1 does not rewrite the past.
        let steps = [
            Self.step(1, member: 0, epoch: 4, source: 1, sourceEpoch: 6, from: 1, to: 5),
            Self.step(2, member: 1, epoch: 8, source: 0, sourceEpoch: 8, from: 4, to: 6),
        ]
        let lineage = PopulationLineage(steps: steps, currentParams: [:])
        #expect(lineage.effectiveSchedule(of: 0, through: 8).map { [$0.firstEpoch, $0.lastEpoch, $0.member] } == [[1, 6, 1], [7, 8, 0]])
        #expect(lineage.effectiveSchedule(of: 0, through: 8).map { $0.params["lr"]?.number } == [4, 5])
    }

    @Test func promotionQueuePromotesTheBestPausedTrialOfTheHighestRungFirst() {
        let queue = PromotionQueue(pauseSteps: [1, 3, 9], reductionFactor: 3, maxSteps: 9)
        #expect(queue.pauseSteps == [1, 3] && queue.rung(endingAt: 3) == 1 && queue.rung(endingAt: 9) == nil)
        #expect(queue.target(promotedFrom: 0) == 3 && queue.target(promotedFrom: 1) == 9)
        let h = StudyHistory(direction: .maximize)
        func add(_ values: [Int: Double], _ state: TrialState) {
            h.append(TrialSnapshot(number: h.nextNumber, state: state, params: [:], intermediate: values))
        }
        // Rung 0: five trials; the top floor(5/3) = 1 is trial 4 (running past it): nothing.
        add([1: 0.1], .pruned)
        add([1: 0.5], .pruned)
        add([1: 0.3], .pruned)
        add([1: 0.2], .pruned)
        add([1: 0.9, 2: 0.9], .running)
        #expect(queue.next(in: h) == nil)
        // A sixth trial: top 2 are 4 and 1; 1 is paused at rung 0 and goes up.
        add([1: 0.4], .pruned)
        #expect(queue.next(in: h)! == (1, 0))
        // Three trials at rung 1 with the best paused there: it is promoted before rung 0's.
        add([1: 0.6, 3: 0.95], .pruned)
        add([1: 0.7, 3: 0.2], .pruned)
        add([1: 0.8, 3: 0.3], .pruned)
        #expect(queue.next(in: h)! == (6, 1))
        // NaN never ranks; minimizing flips the order.
        let down = StudyHistory(direction: .minimize)
        for v in [Double.nan, 0.5, 0.1] {
            down.append(TrialSnapshot(number: down.nextNumber, state: .pruned, params: [:], intermediate: [1: v]))
        }
        #expect(PromotionQueue(pauseSteps: [1], reductionFactor: 2, maxSteps: 4).next(in: down)! == (2, 0))
    }
}
