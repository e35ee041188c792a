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
            self = .promotions(PromotionQueue(config: asha, maxSteps: definition.prunerEpochs))
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
            return "paused at the end of rung \(rung) (epoch \(epoch))" + PauseReason.promotable
        }
    }

    /// Epochs between the checkpoints workers send (instead of `retry.checkpoint_every`);
    /// the pauses' own checkpoints are asked for apart (``pauseEpochs(below:)``).
    func checkpointEvery(_ asked: Int) -> Int {
        switch self {
        case .population(let pbt):
            // At the boundaries only: an exploit then always copies a boundary's weights.
            return pbt.config.perturbationInterval
        case .promotions:
            // The user's (for crash resumes); rung ends come on top. (Every epoch was asked
            // for: 60 MB uploaded after each, and the rate then skipped a rung end's.)
            return asked
        }
    }

    /// The epochs below `maxEpochs` where a trial pauses: their checkpoints are always sent.
    func pauseEpochs(below maxEpochs: Int) -> [Int] {
        switch self {
        case .population(let pbt):
            return Array(stride(from: pbt.config.perturbationInterval, to: maxEpochs, by: max(1, pbt.config.perturbationInterval)).prefix(10_000))
        case .promotions(let queue):
            return queue.pauseSteps.filter { $0 < maxEpochs }
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

/// Words of stored pause reasons that readers look for.
public enum PauseReason {
    /// Ends the reason of a trial paused at the end of an ASHA rung: promotion continues it,
    /// also after its study finished (`sweep resume --add-trials`; its checkpoint is kept).
    public static let promotable = "; continues if promoted"
}
