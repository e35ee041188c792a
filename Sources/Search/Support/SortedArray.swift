/// An array kept in ascending order, with binary-search insertion and removal; the
/// building block of the incremental caches (rankings, per-step values, rung values).
struct SortedArray<Element: Comparable> {
    private(set) var elements: [Element] = []

    init() {}

    /// Sorts `elements` once (faster than inserting them one by one).
    init(unsorted elements: [Element]) {
        self.elements = elements.sorted()
    }

    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }
    subscript(i: Int) -> Element { elements[i] }

    /// The number of elements strictly less than `e` (the lower bound).
    func lowerBound(_ e: Element) -> Int {
        var lo = 0, hi = elements.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if elements[mid] < e { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    mutating func insert(_ e: Element) {
        elements.insert(e, at: lowerBound(e))
    }

    /// Removes one element equal to `e`; returns whether there was one.
    @discardableResult
    mutating func remove(_ e: Element) -> Bool {
        let i = lowerBound(e)
        guard i < elements.count, elements[i] == e else { return false }
        elements.remove(at: i)
        return true
    }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }

    /// Direct access to the elements, for updating fields that do not take part in the
    /// order (the caller must not change the order).
    mutating func withUnsafeMutableElements<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R {
        try elements.withUnsafeMutableBufferPointer { try body($0) }
    }
}
