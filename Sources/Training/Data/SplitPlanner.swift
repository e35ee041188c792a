import Randomness

/// Carves validation and test splits out of one file: seeded, and stratified by class
/// (every class gives the same share to each split, rounded by largest remainders).
enum SplitPlanner {
    /// Row indices (ascending, in file order) of the training, validation and test splits.
    static func split(
        labels: [Int32], classCount: Int, validation: Int, test: Int, seed: UInt64, stratify: Bool
    ) -> (train: [Int], validation: [Int], test: [Int]) {
        var rng = SeededGenerator(seed: seed, stream: 0x5B11_7000)
        let groups: [[Int]]
        if stratify {
            var byClass = [[Int]](repeating: [], count: classCount)
            for (i, c) in labels.enumerated() { byClass[Int(c)].append(i) }
            groups = byClass
        } else {
            groups = [Array(labels.indices)]
        }
        let shuffled = groups.map { group -> [Int] in
            var g = group
            if g.count > 1 {
                for i in stride(from: g.count - 1, to: 0, by: -1) { g.swapAt(i, rng.nextInt(below: i + 1)) }
            }
            return g
        }
        let sizes = shuffled.map(\.count)
        let testQuota = quotas(test, of: sizes)
        let validationQuota = quotas(validation, of: zip(sizes, testQuota).map { $0 - $1 })
        // Each row's split, then the rows collected in file order: linear, no sort of a million indices.
        var part = [UInt8](repeating: 0, count: labels.count)
        for (g, group) in shuffled.enumerated() {
            let t = testQuota[g], v = validationQuota[g]
            for i in group[0..<t] { part[i] = 2 }
            for i in group[t..<(t + v)] { part[i] = 1 }
        }
        var train: [Int] = [], valid: [Int] = [], tested: [Int] = []
        train.reserveCapacity(max(0, labels.count - validation - test))
        valid.reserveCapacity(validation)
        tested.reserveCapacity(test)
        for (i, p) in part.enumerated() {
            switch p {
            case 0: train.append(i)
            case 1: valid.append(i)
            default: tested.append(i)
            }
        }
        return (train, valid, tested)
    }

    /// `total` spread over groups in proportion to `sizes` (largest remainders; ties to the
    /// lower group), never more than a group has.
    static func quotas(_ total: Int, of sizes: [Int]) -> [Int] {
        let n = sizes.reduce(0, +)
        guard n > 0, total > 0 else { return sizes.map { _ in 0 } }
        let exact = sizes.map { Double(total) * Double($0) / Double(n) }
        var q = exact.map { Int($0.rounded(.down)) }
        var left = total - q.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(q[$0]), -$0) > (exact[$1] - Double(q[$1]), -$1) }
        var k = 0
        while left > 0, k < order.count * 2 {
            let g = order[k % order.count]
            if q[g] < sizes[g] { q[g] += 1; left -= 1 }
            k += 1
        }
        return q
    }
}
