/// Upper bounds on the sizes a train or sweep file may give a network, so that a typo
/// (`units: 9223372036854775807`) is a located error instead of an integer overflow while the
/// network is planned. Each is far above what fits in memory on one machine anyway.
public enum NetworkLimits {
    /// Units of a dense layer and filters of a conv layer: 2^20.
    public static let maxWidth = 1 << 20
    /// Height or width of a kernel, stride or pooling window: 4,096.
    public static let maxWindowSide = 4096
    /// Conv blocks of `model.conv` and convolutions per block: 64.
    public static let maxBlocks = 64
}

extension KeyedDecodingContainer {
    /// A layer width (units or filters) at `key`: 1 to `NetworkLimits.maxWidth`.
    func width(_ key: Key, default fallback: Int) throws -> Int {
        let value = try integer(key, default: fallback, atLeast: 1)
        guard value <= NetworkLimits.maxWidth else { throw invalid(key, "must be at most \(NetworkLimits.maxWidth), got \(value)") }
        return value
    }
}
