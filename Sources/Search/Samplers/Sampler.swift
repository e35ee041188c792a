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
}
