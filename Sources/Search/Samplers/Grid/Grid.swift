/// Every distinct combination of grid values over a (possibly conditional) space.
///
/// Points are enumerated depth-first in space order, branching only on active parameters,
/// so a conditional parameter multiplies only the branches where it is active (e.g.
/// `optimizer: [sgd, momentum]` with `momentum: 3 values` gives 1 + 3 = 4 points, not 6).
/// A point is stored as one value index per parameter (-1 when inactive); the enumeration
/// order is lexicographic in those indices, which makes looking a trial up a binary search.
struct Grid {
    let space: SearchSpace
    let values: [[ParamValue]]
    /// Flat point storage: `count * width` value indices.
    private(set) var indices: [Int32] = []
    let width: Int
    private let lookup: [[ParamValue: Int32]]

    var count: Int { width == 0 ? 1 : indices.count / width }

    /// Thrown when the grid has more points than `limit`.
    struct TooLarge: Error { let limit: Int }

    init(space: SearchSpace, pointsPerAxis: Int, limit: Int) throws(TooLarge) {
        self.space = space
        values = space.parameters.map { gridValues(of: $0.distribution, pointsPerAxis: pointsPerAxis, limit: limit) }
        width = space.parameters.count
        lookup = values.map { vs in
            var d: [ParamValue: Int32] = [:]
            for (i, v) in vs.enumerated() where d[v] == nil { d[v] = Int32(i) }
            return d
        }
        guard width > 0 else { return }
        var current = [Int32](repeating: -1, count: width)
        var params: Params = [:]
        var out: [Int32] = []
        var overflow = false
        func visit(_ i: Int) {
            if overflow { return }
            if i == width {
                out.append(contentsOf: current)
                if out.count / width > limit { overflow = true }
                return
            }
            let p = space.parameters[i]
            guard space.isActive(p, given: params) else {
                current[i] = -1
                visit(i + 1)
                return
            }
            for (k, v) in values[i].enumerated() {
                current[i] = Int32(k)
                params[p.name] = v
                visit(i + 1)
                if overflow { break }
            }
            params[p.name] = nil
            current[i] = -1
        }
        visit(0)
        if overflow { throw TooLarge(limit: limit) }
        indices = out
    }

    /// The parameters of point `rank` (in enumeration order).
    func params(at rank: Int) -> Params {
        var params: Params = [:]
        for i in 0..<width {
            let k = indices[rank * width + i]
            if k >= 0 { params[space.parameters[i].name] = values[i][Int(k)] }
        }
        return params
    }

    /// The rank of the point equal to `params`, or `nil` if `params` is not a grid point.
    func rank(of params: Params) -> Int? {
        guard width > 0 else { return params.isEmpty ? 0 : nil }
        var key = [Int32](repeating: -1, count: width)
        var matched = 0
        for (i, p) in space.parameters.enumerated() {
            guard let v = params[p.name] else { continue }
            guard let k = lookup[i][v] ?? nearlyEqual(v, on: i) else { return nil }
            key[i] = k
            matched += 1
        }
        guard matched == params.count else { return nil }
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            switch compare(mid, key) {
            case .equal: return mid
            case .less: lo = mid + 1
            case .greater: hi = mid
            }
        }
        return nil
    }

    /// The index of a float within 1e-9 (relative) of `v` on axis `i`: a trial stored before
    /// grid values were rounded to the step's decimals holds 0.30000000000000004 for 0.3.
    private func nearlyEqual(_ v: ParamValue, on i: Int) -> Int32? {
        guard case .double(let x) = v else { return nil }
        for (k, candidate) in values[i].enumerated() {
            if case .double(let y) = candidate, abs(x - y) <= 1e-9 * max(1, abs(y)) { return Int32(k) }
        }
        return nil
    }

    private enum Order { case less, equal, greater }

    private func compare(_ rank: Int, _ key: [Int32]) -> Order {
        let base = rank * width
        for i in 0..<width {
            let a = indices[base + i], b = key[i]
            if a < b { return .less }
            if a > b { return .greater }
        }
        return .equal
    }
}
