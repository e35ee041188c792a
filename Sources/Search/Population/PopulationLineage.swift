/// One exploit/explore step of Population Based Training, as recorded in the store.
public struct LineageStep: Hashable, Sendable {
    /// Order of the steps in time (the store's row id).
    public var sequence: Int64
    /// The member (trial number) that exploited.
    public var member: Int
    /// The epoch at which the member was judged (its perturbation boundary).
    public var epoch: Int
    /// The member whose checkpoint it continues from.
    public var source: Int
    /// The epoch of that checkpoint: the member continues with epoch `sourceEpoch + 1`.
    public var sourceEpoch: Int
    /// The member's parameters before the step, and after it (the source's, explored).
    public var oldParams: Params
    public var params: Params
    /// How each explored parameter changed: `x1.2`, `x0.8`, `resampled`, `+1` / `-1` (choices).
    public var changes: [String: String]

    public init(sequence: Int64, member: Int, epoch: Int, source: Int, sourceEpoch: Int, oldParams: Params, params: Params,
                changes: [String: String]) {
        self.sequence = sequence
        self.member = member
        self.epoch = epoch
        self.source = source
        self.sourceEpoch = sourceEpoch
        self.oldParams = oldParams
        self.params = params
        self.changes = changes
    }
}

extension PopulationBasedTraining.Change.Kind {
    /// The text stored in the lineage: `x1.2`, `resampled`, `+1`, `-1`, `kept` (a shift
    /// past either end of the choices).
    public var text: String {
        switch self {
        case .perturbed(let factor): return "x\(factor)"
        case .shifted(0): return "kept"
        case .shifted(let offset): return offset > 0 ? "+\(offset)" : "\(offset)"
        case .resampled: return "resampled"
        }
    }
}

/// One explored parameter of a lineage step (``PopulationLineage/changes(of:)``).
public struct ParameterChange: Hashable, Sendable {
    public var name: String
    /// The source member's value, which the change applied to (nil: it had none).
    public var copied: ParamValue?
    /// The value after the step.
    public var value: ParamValue?
    /// `x1.2`, `resampled`, `+1`, ... (``LineageStep/changes``).
    public var change: String
    /// The member's own value before the step.
    public var before: ParamValue?
}

/// A run of epochs trained with the same parameters.
public struct ScheduleSegment: Hashable, Sendable {
    /// Inclusive, 1-based.
    public var firstEpoch: Int
    public var lastEpoch: Int
    /// The member that trained these epochs.
    public var member: Int
    public var params: Params
}

/// The hyperparameter schedules Population Based Training produced, derived from the
/// lineage steps (nothing else is stored).
public struct PopulationLineage: Sendable {
    private let steps: [Int: [LineageStep]]
    private let current: [Int: Params]

    /// - Parameters:
    ///   - steps: every recorded step of the study.
    ///   - currentParams: each member's parameters now (its trial row), for members that
    ///     never exploited.
    public init(steps: [LineageStep], currentParams: [Int: Params]) {
        self.steps = Dictionary(grouping: steps.sorted { $0.sequence < $1.sequence }, by: \.member)
        self.current = currentParams
    }

    /// The steps of `member`, oldest first.
    public func steps(of member: Int) -> [LineageStep] { steps[member] ?? [] }

    /// The parameters `member` trained with just before step `sequence`: what an exploit of
    /// it at that time copied (and explored).
    public func params(of member: Int, before sequence: Int64) -> Params? {
        steps(of: member).last { $0.sequence < sequence }?.params ?? initialParams(of: member)
    }

    /// How step's explored parameters came about, by name: the source's value the change
    /// applied to (`x0.8` multiplies it), the value after, and the member's own before
    /// (what it trained with until the step).
    public func changes(of step: LineageStep) -> [ParameterChange] {
        let copied = params(of: step.source, before: step.sequence) ?? [:]
        return step.changes.keys.sorted().map { n in
            ParameterChange(name: n, copied: copied[n], value: step.params[n], change: step.changes[n]!, before: step.oldParams[n])
        }
    }

    /// The member's parameters when it started.
    public func initialParams(of member: Int) -> Params? {
        steps[member]?.first?.oldParams ?? current[member]
    }

    /// The epochs the member itself trained, with their parameters, up to `epoch`: its own
    /// segments as they ran (an exploit jumps to the source's checkpoint epoch).
    public func ownSchedule(of member: Int, through epoch: Int) -> [ScheduleSegment] {
        var out: [ScheduleSegment] = []
        var start = 1
        var params = initialParams(of: member) ?? [:]
        for step in steps(of: member) {
            let end = min(step.epoch, epoch)
            if start <= end { out.append(ScheduleSegment(firstEpoch: start, lastEpoch: end, member: member, params: params)) }
            start = step.sourceEpoch + 1
            params = step.params
        }
        if start <= epoch { out.append(ScheduleSegment(firstEpoch: start, lastEpoch: epoch, member: member, params: params)) }
        return out
    }

    /// The schedule that produced the member's weights after `epoch`: the member's epochs
    /// since its last exploit, preceded by its source's schedule up to the copied
    /// checkpoint, and so on back to epoch 1 (Ray Tune's "PBT replay"). Adjacent segments
    /// with equal parameters are merged.
    public func effectiveSchedule(of member: Int, through epoch: Int) -> [ScheduleSegment] {
        merged(trace(member, through: epoch, before: .max))
    }

    private func trace(_ member: Int, through epoch: Int, before sequence: Int64) -> [ScheduleSegment] {
        let earlier = steps(of: member).filter { $0.sequence < sequence }
        guard let last = earlier.last else {
            guard epoch >= 1 else { return [] }
            return [ScheduleSegment(firstEpoch: 1, lastEpoch: epoch, member: member, params: initialParams(of: member) ?? [:])]
        }
        let start = last.sourceEpoch + 1
        var out = trace(last.source, through: min(last.sourceEpoch, epoch), before: last.sequence)
        if start <= epoch { out.append(ScheduleSegment(firstEpoch: start, lastEpoch: epoch, member: member, params: last.params)) }
        return out
    }

    private func merged(_ segments: [ScheduleSegment]) -> [ScheduleSegment] {
        var out: [ScheduleSegment] = []
        for s in segments {
            if var last = out.last, last.params == s.params, last.lastEpoch + 1 == s.firstEpoch {
                last.lastEpoch = s.lastEpoch
                out[out.count - 1] = last
            } else {
                out.append(s)
            }
        }
        return out
    }
}
