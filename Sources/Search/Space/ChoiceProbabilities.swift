/// The rule for a categorical parameter's `probabilities` (W&B's): one per choice, each a
/// finite number in [0, 1], summing to 1 as numpy's `isclose` judges it.
public enum ChoiceProbabilities {
    /// What is wrong with a list of probabilities.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case count(got: Int, choices: Int)
        /// The element at `index` is no probability (negative, above 1, or not finite).
        case notAProbability(index: Int, value: Double)
        case sum(Double)

        public var description: String {
            switch self {
            case .count(let got, let choices): return "\(got) probabilities for \(choices) choices: give one per choice"
            case .notAProbability(_, let v): return "a probability is a number from 0 to 1, got \(formatParamNumber(v))"
            case .sum(let s): return "probabilities sum to \(formatParamNumber(s)), not 1"
            }
        }
    }

    /// The problem with `probabilities` for `choices` choices, if any.
    public static func problem(_ probabilities: [Double], choices: Int) -> Problem? {
        if let i = probabilities.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) { return .notAProbability(index: i, value: probabilities[i]) }
        if probabilities.count != choices { return .count(got: probabilities.count, choices: choices) }
        let sum = probabilities.reduce(0, +)
        // numpy.isclose(sum, 1): |sum - 1| <= atol + rtol * 1, as W&B checks.
        guard abs(sum - 1) <= 1e-8 + 1e-5 else { return .sum(sum) }
        return nil
    }

    /// Running sums of `probabilities`, exactly 1 from the last choice that can be drawn on
    /// (so a draw below 1 always lands on a choice of positive probability).
    static func cumulative(_ probabilities: [Double]) -> [Double] {
        var acc = 0.0
        var out = probabilities.map { acc += $0; return acc }
        if let last = probabilities.lastIndex(where: { $0 > 0 }) {
            for j in last..<out.count { out[j] = 1 }
        }
        return out
    }

    /// The choice a uniform `u` in [0, 1) draws under `cumulative`: the first whose running
    /// sum exceeds `u` (W&B's `argmin(u >= cdf)`).
    static func index(of u: Double, cumulative: [Double]) -> Int {
        cumulative.firstIndex { u < $0 } ?? cumulative.count - 1
    }
}
