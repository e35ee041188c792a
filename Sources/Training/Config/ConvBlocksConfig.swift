import Foundation

/// The searchable convolutional front of a model: `blocks` blocks, each of
/// `convs_per_block` Conv2D layers (with optional batch norm) and a pooling layer, then
/// Flatten; the `hidden` Dense layers and the output layer follow.
///
/// ```yaml
/// conv: {blocks: 2, filters: 32, filter_growth: 2, kernel_size: 3, padding: same, pooling: max}
/// ```
/// Block i (from 0) has `round(filters * filter_growth^i)` filters.
public struct ConvBlocksConfig: Codable, Sendable, Hashable {
    /// Number of blocks (>= 1, default 2).
    public var blocks: Int
    /// Filters of the first block (default 32).
    public var filters: Int
    /// Factor on the filters from one block to the next (>= 1, default 2).
    public var filterGrowth: Double
    /// Conv2D layers per block (default 1).
    public var convsPerBlock: Int
    /// Kernel size of every Conv2D layer (default 3).
    public var kernelSize: WindowSize
    /// Stride of every Conv2D layer (default 1).
    public var stride: WindowSize
    /// Padding of every Conv2D layer (default `same`).
    public var padding: Padding
    /// Pooling at the end of each block (default `max`).
    public var pooling: PoolingKind
    /// Pool window (and stride) of the pooling layers (default 2, `valid` padding).
    public var poolSize: WindowSize
    /// Batch normalization after (or before the activation of) every Conv2D layer (default `none`).
    public var batchNorm: BatchNormPlacement
    /// Dropout rate after each block (default 0).
    public var dropout: Double

    /// A convolutional front.
    public init(
        blocks: Int = 2, filters: Int = 32, filterGrowth: Double = 2, convsPerBlock: Int = 1, kernelSize: WindowSize = WindowSize(3),
        stride: WindowSize = WindowSize(1), padding: Padding = .same, pooling: PoolingKind = .max, poolSize: WindowSize = WindowSize(2),
        batchNorm: BatchNormPlacement = .none, dropout: Double = 0
    ) {
        self.blocks = blocks
        self.filters = filters
        self.filterGrowth = filterGrowth
        self.convsPerBlock = convsPerBlock
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.poolSize = poolSize
        self.batchNorm = batchNorm
        self.dropout = dropout
    }

    /// Filters of block `index` (from 0).
    public func filters(ofBlock index: Int) -> Int {
        max(1, Int((Double(filters) * pow(filterGrowth, Double(index))).rounded()))
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case blocks, filters, filterGrowth = "filter_growth", convsPerBlock = "convs_per_block"
        case kernelSize = "kernel_size", stride, padding, pooling, poolSize = "pool_size"
        case batchNorm = "batch_norm", dropout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        blocks = try c.integer(.blocks, default: 2, atLeast: 1)
        if blocks > NetworkLimits.maxBlocks { throw c.invalid(.blocks, "must be at most \(NetworkLimits.maxBlocks), got \(blocks)") }
        filters = try c.width(.filters, default: 32)
        filterGrowth = try c.number(.filterGrowth, default: 2, .positive)
        if filterGrowth < 1 { throw c.invalid(.filterGrowth, "must be >= 1, got \(filterGrowth)") }
        let widest = Double(filters) * pow(filterGrowth, Double(blocks - 1))
        if !(widest <= Double(NetworkLimits.maxWidth)) {
            throw c.invalid(.filterGrowth, "the last block would have \(widest) filters; at most \(NetworkLimits.maxWidth)")
        }
        convsPerBlock = try c.integer(.convsPerBlock, default: 1, atLeast: 1)
        if convsPerBlock > NetworkLimits.maxBlocks {
            throw c.invalid(.convsPerBlock, "must be at most \(NetworkLimits.maxBlocks), got \(convsPerBlock)")
        }
        kernelSize = try c.value(.kernelSize, default: WindowSize(3))
        stride = try c.value(.stride, default: WindowSize(1))
        padding = try c.choice(Padding.self, .padding) ?? .same
        pooling = try c.choice(PoolingKind.self, .pooling) ?? .max
        poolSize = try c.value(.poolSize, default: WindowSize(2))
        batchNorm = try c.choice(BatchNormPlacement.self, .batchNorm) ?? .none
        dropout = try c.number(.dropout, default: 0, .fraction)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(filters, forKey: .filters)
        try c.encode(filterGrowth, forKey: .filterGrowth)
        try c.encode(convsPerBlock, forKey: .convsPerBlock)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(stride, forKey: .stride)
        try c.encode(padding, forKey: .padding)
        try c.encode(pooling, forKey: .pooling)
        try c.encode(poolSize, forKey: .poolSize)
        try c.encode(batchNorm, forKey: .batchNorm)
        try c.encode(dropout, forKey: .dropout)
    }
}
