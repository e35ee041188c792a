/// When a Dense layer hands its kernel gradient to the optimizer a few rows at a time.
///
/// At small batches the kernel gradient `x^T dZ` of a wide layer is a thin product (k = the
/// batch's rows) that writes a large matrix, and the optimizer's pass right after it reads
/// that matrix back together with the kernel and its state (Adam: the two moments); for the
/// benchmark net's first layer (784 x 300) that is 3.8 MB, more than a core's L2. Summing the
/// gradient in chunks of rows and updating each chunk while it is still in L1/L2 saves the
/// round trip through L3. `bench/training/adam-floor` (the first layer's product and exact
/// Adam, chunks of 48 rows, a 2 MB-L2 Xeon with OpenBLAS's SkylakeX kernels) measured 273
/// instead of 340 us at batch 32, 238 instead of 303 at 16, 368 instead of 423 at 64; from
/// about 96 rows on, each chunk's call re-packs a larger `dZ` and the chunks cost more than
/// they save (827 against 719 us at 96), hence `largestBatchRows`.
///
/// The chunks are whole rows of the row-major kernel, so each is a contiguous range of the
/// parameter vector. With one BLAS thread (the trainer streams only then) every gradient
/// element is one sum over the batch's k <= 64 rows, never split; the chunks start at
/// multiples of 48 rows, which keeps each element in a micro-kernel block of the same kind
/// as in one call (the chunked dimension is OpenBLAS's N in its column-major view, blocked
/// by 2, 4, 6, 8, 12 or 16). A C harness over 704 shapes found the chunked gradient bit for
/// bit the one of a single call with OpenBLAS 0.3.21's Prescott, Core2, Penryn, Nehalem,
/// Atom, Sandybridge, Haswell, Zen, SkylakeX and Cooperlake kernels (SkylakeX sends the
/// small chunk calls to its small-matrix kernel, which agrees); chunks of 54 rows changed
/// last bits with the Haswell and Prescott kernels, and two BLAS threads do with several
/// kernel sets. Where it did differ, runs would still repeat exactly (the chunking is a
/// function of the configuration and the batch); only the last bits would move.
enum KernelGradientStreaming {
    /// Rows per chunk are a multiple of this (see above).
    static let rowGranularity = 48
    /// Parameters per chunk to aim at: ~64 KB of gradient, which with the kernel's rows and
    /// two moment chunks stays well inside L2.
    static let chunkParameters = 16_384
    /// The widest layer streamed: 48 rows of 1,024 units are 192 KB per array.
    static let widestLayer = 1_024
    /// Kernels smaller than this fit in L2 with their optimizer state anyway.
    static let smallestKernel = 65_536
    /// Above this many rows (batch samples x positions) chunking costs more than it saves.
    static let largestBatchRows = 64

    /// Rows per chunk for a `fanIn x units` kernel whose gradient sums `batchRows` rows, or
    /// nil when summing it in one call is as fast.
    static func rowsPerChunk(fanIn: Int, units: Int, batchRows: Int) -> Int? {
        guard batchRows <= largestBatchRows, units <= widestLayer, fanIn * units >= smallestKernel else { return nil }
        let rows = max(1, chunkParameters / units / rowGranularity) * rowGranularity
        return rows < fanIn ? rows : nil
    }
}
