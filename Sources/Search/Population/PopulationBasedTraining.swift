import Randomness

/// Population Based Training (Jaderberg et al. 2017), the asynchronous form Ray Tune's
/// `PopulationBasedTraining` implements: sans-I/O, the coordinator asks it what a member does
/// when the member reaches a perturbation boundary.
///
/// At every `perturbation_interval` epochs a member is ranked by its latest score among the
/// members that have one. If it is in the bottom `quantile` (and the population has at least
/// two scored members), it **exploits**: it continues from the checkpoint of a member drawn
/// at random from the top `quantile`, with that member's parameters, which it then
/// **explores**: each parameter listed in `mutations` is, with `resample_probability`,
/// drawn anew from its whole range; otherwise a numeric value is multiplied by one of
/// `perturbation_factors` (then snapped to its grid and clipped to its range) and a
/// categorical one moves to a neighbouring choice. Every other member keeps going. A NaN
/// score ranks last, so a diverged member is replaced first.
///
/// Differences from Ray Tune: perturbed values stay inside the parameter's declared range
/// (Ray multiplies without bounds), and the random draws come from the caller's seeded
/// stream, so a study replays exactly.
public struct PopulationBasedTraining: Sendable {
    public let config: PopulationBasedTrainingConfig
    public let direction: Direction

    /// A member's latest standing.
    public struct Member: Hashable, Sendable {
        /// The member's trial number.
        public var trial: Int
        /// The objective at its latest report.
        public var score: Double
        public var params: Params

        public init(trial: Int, score: Double, params: Params) {
            self.trial = trial
            self.score = score
            self.params = params
        }
    }

    /// How an explore step changed one parameter.
    public struct Change: Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            /// Multiplied by `factor` (then snapped and clipped).
            case perturbed(factor: Double)
            /// Moved by `offset` places in the list of choices.
            case shifted(offset: Int)
            /// Drawn anew from the whole range.
            case resampled
        }

        public var parameter: String
        public var from: ParamValue?
        public var to: ParamValue
        public var kind: Kind
    }

    /// What a member does at a perturbation boundary.
    public enum Decision: Hashable, Sendable {
        /// Go on with its own weights and parameters.
        case keep
        /// Continue from `source`'s checkpoint with `params` (the source's, explored).
        case exploit(source: Int, params: Params, changes: [Change])
    }

    public init(config: PopulationBasedTrainingConfig, direction: Direction) {
        self.config = config
        self.direction = direction
    }

    /// Whether `epoch` ends a perturbation interval.
    public func isBoundary(epoch: Int) -> Bool {
        epoch > 0 && epoch % config.perturbationInterval == 0
    }

    /// The trial numbers of the bottom and top groups, worst first and best last; both empty
    /// with fewer than two members. Group size: ceil(n * quantile), at most floor(n / 2).
    public func quantiles(_ members: [Member]) -> (bottom: [Int], top: [Int]) {
        guard members.count > 1 else { return ([], []) }
        let ranked = members.sorted { a, b in
            // Worst first: NaN below everything, then by the direction; ties by trial number.
            if a.score.isNaN != b.score.isNaN { return a.score.isNaN }
            if a.score != b.score, !a.score.isNaN { return direction.isBetter(b.score, than: a.score) }
            return a.trial < b.trial
        }
        var size = Int((Double(members.count) * config.quantile).rounded(.up))
        size = min(size, members.count / 2)
        return (ranked.prefix(size).map(\.trial), ranked.suffix(size).map(\.trial))
    }

    /// The step of `member` at a boundary, given the latest standing of every member
    /// (`member` included).
    public func decide(member: Int, among members: [Member], space: SearchSpace, rng: inout SeededGenerator) -> Decision {
        let (bottom, top) = quantiles(members)
        guard bottom.contains(member), !top.isEmpty else { return .keep }
        let source = top[rng.nextInt(below: top.count)]
        guard let sourceParams = members.first(where: { $0.trial == source })?.params else { return .keep }
        let (params, changes) = explore(sourceParams, space: space, rng: &rng)
        return .exploit(source: source, params: params, changes: changes)
    }

    /// `params` with every mutated (and active) parameter perturbed or resampled. When a
    /// mutated parent changes which parameters are active, the inactive ones are dropped and
    /// newly active ones drawn from their whole range.
    public func explore(_ params: Params, space: SearchSpace, rng: inout SeededGenerator) -> (Params, [Change]) {
        var result = params
        var changes: [Change] = []
        for parameter in space.parameters {
            guard space.isActive(parameter, given: result) else {
                result[parameter.name] = nil
                continue
            }
            let current = result[parameter.name]
            let mutated = config.mutations.contains(parameter.name)
            guard mutated || current == nil else { continue }
            let axis = Axis(parameter.distribution)
            let value: ParamValue, kind: Change.Kind
            if let single = Axis.singleValue(of: parameter.distribution) {
                value = single
                kind = .resampled
            } else if current == nil || rng.nextDouble() < config.resampleProbability {
                value = uniformValue(axis, u: rng.nextDouble())
                kind = .resampled
            } else {
                switch axis {
                case .categorical(let choices, _):
                    let index = choices.firstIndex(of: current!) ?? 0
                    let offset = rng.nextDouble() < 0.5 ? -1 : 1
                    let shifted = min(max(index + offset, 0), choices.count - 1)
                    value = choices[shifted]
                    kind = .shifted(offset: shifted - index)  // 0 at either end of the choices
                case .numeric(let numeric):
                    let factor = config.perturbationFactors[rng.nextInt(below: config.perturbationFactors.count)]
                    value = numeric.snapped(current!.number! * factor)
                    kind = .perturbed(factor: factor)
                }
            }
            result[parameter.name] = value
            changes.append(Change(parameter: parameter.name, from: current, to: value, kind: kind))
        }
        return (result, changes)
    }
}
