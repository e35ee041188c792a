import Randomness
import Search
import SweepFile

/// The search methods that pause trials and continue them later from their checkpoint
/// (sans-I/O; ``CoordinatorCore`` asks it at each report and when a worker wants work).
enum TrialPausing {
    /// Population Based Training: every member pauses at each perturbation boundary; when
    /// it is next resumed it may first exploit a better member's checkpoint and explore.
    case population(PopulationBasedTraining)
    /// ASHA with promotions: every trial pauses at the end of its rung and continues when
    /// promoted.
    case promotions(PromotionQueue)

    init?(_ definition: SweepDefinition) {
        if let pbt = definition.scheduler?.pbt {
            self = .population(PopulationBasedTraining(config: pbt, direction: definition.objective.direction))
        } else if case .asha(let asha) = definition.pruner, asha.mode == .promotion {
            self = .promotions(PromotionQueue(config: asha, maxSteps: definition.maxEpochs))
        } else {
            return nil
        }
    }

    /// Why the trial pauses after reporting `epoch`, or nil when it goes on.
    func pauseReason(epoch: Int, maxEpochs: Int) -> String? {
        guard epoch < maxEpochs else { return nil }
        switch self {
        case .population(let pbt):
            guard pbt.isBoundary(epoch: epoch) else { return nil }
            return "paused at the perturbation boundary of epoch \(epoch)"
        case .promotions(let queue):
            guard let rung = queue.rung(endingAt: epoch) else { return nil }
            return "paused at the end of rung \(rung) (epoch \(epoch)); continues if promoted"
        }
    }

    /// Epochs between the checkpoints workers send (instead of `retry.checkpoint_every`):
    /// every pause needs one of its epoch.
    func checkpointEvery(_ asked: Int) -> Int {
        switch self {
        case .population(let pbt):
            // At the boundaries only: an exploit then always copies a boundary's weights.
            return pbt.config.perturbationInterval
        case .promotions:
            return 1
        }
    }

    /// Whether a finished-looking trial is in fact paused (its checkpoint must be kept).
    func isPaused(_ trial: TrialSnapshot) -> Bool {
        if case .promotions(let queue) = self { return queue.pausedRung(trial) != nil }
        return false
    }

    /// The seeded stream of one member's decision at one boundary: a restarted coordinator
    /// draws the same.
    static func generator(seed: UInt64, member: Int, epoch: Int) -> SeededGenerator {
        SeededGenerator(seed: seed ^ 0x7B7_5EED, stream: UInt64(member) << 32 | UInt64(epoch))
    }

    /// The parameter changes as stored in the lineage and shown in events.
    static func describe(_ changes: [PopulationBasedTraining.Change]) -> String {
        changes.map { c in "\(c.parameter) \(c.from.map { "\($0)" } ?? "unset") -> \(c.to) (\(c.kind.text))" }.joined(separator: ", ")
    }
}
