import Randomness

/// Tries every combination of grid values once (Optuna's `GridSampler`, with the grid
/// derived from the space; see `gridValues(of:pointsPerAxis:)`).
///
/// The points are shuffled once by the seed (as Optuna does). Trial `n` gets the first
/// point, in that shuffled order, that no trial of the history holds yet (whatever its
/// state: a failed or running point counts as taken). Because it depends only on the seed
/// and the history, a resumed study continues where it stopped.
///
/// **Exhaustion.** When every point is taken the grid is exhausted: `isExhausted(_:)` says
/// so, and the coordinator should cap its budget at `gridSize`. If asked anyway, the
/// sampler repeats points in shuffled order (`n mod gridSize`), like Optuna re-evaluating
/// a configuration.
public final class GridSampler: Sampler {
    public var learnsFromResults: Bool { false }

    /// The most points a grid may have.
    public static let maxGridSize = 1_000_000

    /// Why a grid cannot be built.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case tooLarge(limit: Int)
        /// A normal, log-normal or beta parameter has no finite set of values to try.
        case notGriddable(parameter: String)
        /// Choices with probabilities: a grid tries each choice once, so they mean nothing.
        case weightedChoices(parameter: String)

        /// The message shown to users.
        public var description: String {
            switch self {
            case .tooLarge(let limit):
                return "the grid has more than \(limit) points; give float ranges a step, use fewer points per axis, or use another sampler"
            case .notGriddable(let name):
                return "parameter '\(name)': the grid sampler cannot search a normal, log-normal or beta distribution; give it a range or use another sampler"
            case .weightedChoices(let name):
                return "parameter '\(name)': the grid tries every choice once, so 'probabilities' mean nothing there (W&B's grid refuses them too); remove them or use another sampler"
            }
        }
    }

    /// Seed of the shuffle of the grid.
    public let seed: UInt64
    /// Values per float axis without step and per log axis (`n_points`).
    public let pointsPerAxis: Int
    private let grid: Grid
    /// order[position] = rank of the point at that shuffled position.
    private let order: [Int]
    /// positionOfRank[rank] = shuffled position.
    private let positionOfRank: [Int]

    // Cache of taken positions for the last history seen.
    private weak var cachedHistory: StudyHistory?
    private var seenTrials = 0
    private var taken: [Bool] = []
    private var takenCount = 0
    private var firstFree = 0

    /// Builds the grid of `space`; throws if it has more than `maxGridSize` points.
    public init(space: SearchSpace, seed: UInt64 = 0, pointsPerAxis: Int = 5) throws(Error) {
        self.seed = seed
        self.pointsPerAxis = pointsPerAxis
        if let p = space.parameters.first(where: { $0.distribution.isProbabilistic }) {
            throw .notGriddable(parameter: p.name)
        }
        if let p = space.parameters.first(where: { if case .categorical(_, _?) = $0.distribution { true } else { false } }) {
            throw .weightedChoices(parameter: p.name)
        }
        do {
            grid = try Grid(space: space, pointsPerAxis: pointsPerAxis, limit: Self.maxGridSize)
        } catch {
            throw .tooLarge(limit: error.limit)
        }
        var order = Array(0..<grid.count)
        var rng = SeededGenerator(seed: seed, stream: 0x6121D)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        var inverse = [Int](repeating: 0, count: order.count)
        for (position, rank) in order.enumerated() { inverse[rank] = position }
        self.order = order
        self.positionOfRank = inverse
    }

    /// The number of distinct points; the most trials worth running.
    public var gridSize: Int { grid.count }

    /// The point at `position` of the shuffled order.
    public func point(at position: Int) -> Params { grid.params(at: order[position]) }

    /// How many points no trial of `history` holds yet.
    public func remaining(in history: StudyHistory) -> Int {
        refresh(history)
        return gridSize - takenCount
    }

    /// Whether every point is held by some trial of `history`.
    public func isExhausted(_ history: StudyHistory) -> Bool { remaining(in: history) == 0 }

    /// See `Sampler.suggest(for:in:history:)`.
    public func suggest(for number: Int, in space: SearchSpace, history: StudyHistory) -> Params {
        precondition(space == grid.space, "the grid sampler was built for another space")
        refresh(history)
        while firstFree < taken.count && taken[firstFree] { firstFree += 1 }
        if firstFree < gridSize { return point(at: firstFree) }
        return point(at: number % gridSize)
    }

    private func refresh(_ history: StudyHistory) {
        if cachedHistory !== history || history.trials.count < seenTrials {
            cachedHistory = history
            seenTrials = 0
            taken = [Bool](repeating: false, count: gridSize)
            takenCount = 0
            firstFree = 0
        }
        // Parameters never change once a trial exists, so only new trials need a look.
        while seenTrials < history.trials.count {
            if let rank = grid.rank(of: history.trials[seenTrials].params) {
                let position = positionOfRank[rank]
                if !taken[position] {
                    taken[position] = true
                    takenCount += 1
                }
            }
            seenTrials += 1
        }
    }
}
