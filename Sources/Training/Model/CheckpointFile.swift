import Foundation
import Randomness

/// The checkpoint file format (docs/model-format.md), little-endian and checksummed like
/// model files:
///
/// ```
/// offset  size  content
/// 0       8     magic "SWEEPCKP"
/// 8       4     format version (UInt32)
/// 12      4     flags (UInt32, 0)
/// 16      8     header length H (UInt64)
/// 24      H     header: UTF-8 JSON (epoch, step, blocks, optimizer, schedule, streams,
///               early stopping, epochs, and the lengths of the arrays below)
/// 24+H    8     value count N (UInt64)
/// 32+H    4N    Float32: parameters, state, optimizer slots, best parameters, best state
/// ...     8     order length M (UInt64)
/// ...     4M    UInt32: the training order
/// end-4   4     CRC-32 (zlib) of every byte before it (UInt32)
/// ```
public enum CheckpointFile: LittleEndianFormat {
    /// The format version this build writes (and the newest it reads).
    public static let version = 1
    /// The first eight bytes of every checkpoint file.
    public static let magic: [UInt8] = Array("SWEEPCKP".utf8)

    /// The JSON header: everything but the arrays, plus their lengths.
    struct Header: Codable {
        var format = "sweep-checkpoint"
        var epoch: Int
        var step: Int
        var blocks: [TrainingCheckpoint.Block]
        var stateCount: Int
        var optimizer: OptimizerName
        var optimizerScalars: [Double]
        var slotCounts: [Int]
        var schedule: LearningRateSchedule.State
        /// xoshiro states as hex words (JSON numbers lose bits above 2^53).
        var generators: [[String]]
        var earlyStopping: EarlyStopping?
        var epochs: [EpochMetrics]
        /// Absent in files written before it was recorded.
        var dataDigest: UInt32?

        struct EarlyStopping: Codable {
            var best: Double?
            var bestEpoch: Int?
            var wait: Int
            var bestParameterCount: Int?
            var bestStateCount: Int?
        }

        enum CodingKeys: String, CodingKey {
            case format, epoch, step, blocks, stateCount = "state_count", optimizer
            case optimizerScalars = "optimizer_scalars", slotCounts = "slot_counts", schedule, generators
            case earlyStopping = "early_stopping", epochs, dataDigest = "data_digest"
        }
    }

    /// The bytes of a checkpoint file.
    public static func encode(_ checkpoint: TrainingCheckpoint) throws -> [UInt8] {
        let stopping = checkpoint.earlyStopping
        let header = Header(
            epoch: checkpoint.epoch, step: checkpoint.step, blocks: checkpoint.blocks, stateCount: checkpoint.state.count,
            optimizer: checkpoint.optimizer, optimizerScalars: checkpoint.optimizerScalars,
            slotCounts: checkpoint.optimizerSlots.map(\.count), schedule: checkpoint.schedule,
            generators: checkpoint.generators.map { $0.state.map { String($0, radix: 16) } },
            earlyStopping: stopping.map {
                .init(best: $0.best, bestEpoch: $0.bestEpoch, wait: $0.wait,
                      bestParameterCount: $0.bestParameters?.count, bestStateCount: $0.bestState?.count)
            },
            epochs: checkpoint.epochs, dataDigest: checkpoint.dataDigest)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        let arrays = [checkpoint.parameters, checkpoint.state] + checkpoint.optimizerSlots
            + [stopping?.bestParameters ?? [], stopping?.bestState ?? []]
        let valueCount = arrays.reduce(0) { $0 + $1.count }

        var bytes = magic
        bytes.reserveCapacity(48 + json.count + 4 * (valueCount + checkpoint.order.count))
        append(UInt32(version), to: &bytes)
        append(UInt32(0), to: &bytes)
        append(UInt64(json.count), to: &bytes)
        bytes += json
        append(UInt64(valueCount), to: &bytes)
        for array in arrays { array.withUnsafeBufferPointer { append($0, to: &bytes) } }
        append(UInt64(checkpoint.order.count), to: &bytes)
        for index in checkpoint.order { append(UInt32(bitPattern: index), to: &bytes) }
        append(checksum(bytes[...]), to: &bytes)
        return bytes
    }

    /// Writes a checkpoint file atomically (a crash leaves the previous one intact).
    public static func write(_ checkpoint: TrainingCheckpoint, to path: String) throws {
        try OutputFile.write(Data(encode(checkpoint)), to: path)
    }

    /// Reads a checkpoint file.
    public static func read(_ path: String) throws -> TrainingCheckpoint {
        let bytes: [UInt8]
        do { bytes = try WholeFile.read(path) } catch { throw CheckpointFileError.unreadable(path: path, reason: error.reason) }
        return try decode(bytes)
    }

    /// Decodes and checks (magic, version, lengths, checksum) the bytes of a checkpoint file.
    public static func decode(_ bytes: [UInt8]) throws -> TrainingCheckpoint {
        guard bytes.count >= 24, Array(bytes[0..<8]) == magic else {
            throw bytes.count < 24 && magic.starts(with: bytes.prefix(8)) ? CheckpointFileError.truncated("\(bytes.count) bytes") : CheckpointFileError.badMagic
        }
        let found = Int(readUInt32(bytes, 8))
        guard found >= 1, found <= version else { throw CheckpointFileError.unsupportedVersion(found: found, supported: version) }
        // The fixed parts: magic, version and header length; value count; order count; checksum.
        // (Checked first: a file of 24-43 bytes made the room for the header negative, and
        // converting that crashed the process, a worker resuming a peer's checkpoint too.)
        let fixedBytes = 24 + 8 + 8 + 4
        guard bytes.count >= fixedBytes else {
            throw CheckpointFileError.truncated("\(bytes.count) bytes, fewer than the \(fixedBytes) of the smallest checkpoint")
        }
        let headerLength = readUInt64(bytes, 16)
        guard headerLength <= UInt64(bytes.count - fixedBytes) else {
            throw CheckpointFileError.truncated("the header declares \(headerLength) bytes, and the file's \(bytes.count) bytes leave at most \(bytes.count - fixedBytes) for it")
        }
        let valuesStart = 24 + Int(headerLength)
        let valueCount = readUInt64(bytes, valuesStart)
        guard valueCount <= UInt64(bytes.count) / 4, valuesStart + 8 + 4 * Int(valueCount) + 8 + 4 <= bytes.count else {
            throw CheckpointFileError.truncated("\(valueCount) values declared, the file has \(bytes.count) bytes")
        }
        let orderStart = valuesStart + 8 + 4 * Int(valueCount)
        let orderCount = readUInt64(bytes, orderStart)
        guard orderCount <= UInt64(bytes.count) / 4, orderStart + 8 + 4 * Int(orderCount) + 4 == bytes.count else {
            throw CheckpointFileError.truncated("the training order declares \(orderCount) entries, the file has \(bytes.count) bytes")
        }
        let stored = readUInt32(bytes, bytes.count - 4)
        let computed = checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else { throw CheckpointFileError.checksumMismatch(stored: stored, computed: computed) }

        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[24..<valuesStart]))
        } catch {
            throw CheckpointFileError.invalidHeader(TrainingError.describe(error))
        }
        guard header.format == "sweep-checkpoint" else { throw CheckpointFileError.invalidHeader("format '\(header.format)'") }
        let generators = header.generators.compactMap { words in
            SeededGenerator(state: words.compactMap { UInt64($0, radix: 16) })
        }
        guard generators.count == header.generators.count else { throw CheckpointFileError.invalidHeader("a random stream is not four hex words") }

        // Summed without trapping: the checksum is no signature, and a crafted header's
        // counts near Int.max overflowed the sums.
        guard let parameterCount = ElementCount.sum(header.blocks.map(\.count)) else {
            throw CheckpointFileError.invalidHeader("a block's size is negative or too large")
        }
        let lengths = [parameterCount, header.stateCount] + header.slotCounts
            + [header.earlyStopping?.bestParameterCount ?? 0, header.earlyStopping?.bestStateCount ?? 0]
        guard let total = ElementCount.sum(lengths), UInt64(total) == valueCount else {
            throw CheckpointFileError.invalidHeader("\(valueCount) values stored, the header describes \(lengths.map(String.init).joined(separator: " + "))")
        }
        let floats = readFloats(bytes, valuesStart + 8, Int(valueCount))
        var arrays: [[Float]] = []
        var offset = 0
        for length in lengths {
            arrays.append(Array(floats[offset..<(offset + length)]))
            offset += length
        }
        let slots = Array(arrays[2..<(2 + header.slotCounts.count)])
        let order = readUInt32s(bytes, orderStart + 8, Int(orderCount)).map { Int32(bitPattern: $0) }
        let stopping = header.earlyStopping.map { saved in
            TrainingCheckpoint.EarlyStopping(
                best: saved.best, bestEpoch: saved.bestEpoch, wait: saved.wait,
                bestParameters: saved.bestParameterCount.map { _ in arrays[arrays.count - 2] },
                bestState: saved.bestStateCount.map { _ in arrays[arrays.count - 1] })
        }
        return TrainingCheckpoint(
            epoch: header.epoch, step: header.step, blocks: header.blocks, parameters: arrays[0], state: arrays[1],
            optimizer: header.optimizer, optimizerScalars: header.optimizerScalars, optimizerSlots: slots,
            schedule: header.schedule, generators: generators, order: order, earlyStopping: stopping, epochs: header.epochs,
            dataDigest: header.dataDigest)
    }
}

/// Why a checkpoint file could not be read.
public enum CheckpointFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badMagic
    case unsupportedVersion(found: Int, supported: Int)
    case truncated(String)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case invalidHeader(String)

    /// The message.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read checkpoint \(path): \(reason)"
        case .badMagic: "not a Sweep checkpoint (the magic header SWEEPCKP is missing)"
        case .unsupportedVersion(let found, let supported):
            "checkpoint format version \(found) is not one this build reads (1 to \(supported)); update sweep"
        case .truncated(let what): "checkpoint is truncated: \(what)"
        case .checksumMismatch(let stored, let computed):
            "checkpoint is corrupt: checksum \(String(stored, radix: 16)) stored, \(String(computed, radix: 16)) computed"
        case .invalidHeader(let what): "invalid checkpoint header: \(what)"
        }
    }
}
