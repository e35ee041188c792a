/// Proposes parameters for new trials.
///
/// A sampler is deterministic: the suggestion for trial `number` depends only on the
/// sampler's seed, `number`, the space and the history (finished trials and, for
/// constant-liar strategies, the parameters of running ones). It may keep caches, which
/// is why samplers are classes, but never state that a rebuilt history would not restore.
public protocol Sampler: AnyObject {
    /// Parameters for trial `number`. `history` holds every earlier trial, including the
    /// running ones; it does not yet hold trial `number`. Only active parameters are set.
    func suggest(for number: Int, in space: SearchSpace, history: StudyHistory) -> Params

    /// Whether suggestions depend on the results of finished trials (TPE does; random,
    /// quasi-random and grid samplers do not). The coordinator leases trials ahead only for
    /// samplers that do not: for one that does, a trial suggested early would see fewer
    /// results, and a seeded sweep on one worker would no longer be reproducible.
    var learnsFromResults: Bool { get }
}

extension Sampler {
    public var learnsFromResults: Bool { true }
}
