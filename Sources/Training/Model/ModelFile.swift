import CZlib
import Foundation

/// The model file format (docs/model-format.md): a trained network with its architecture,
/// weights, non-trainable state and input scaling, little-endian, checksummed.
///
/// ```
/// offset  size  content
/// 0       8     magic "SWEEPMDL"
/// 8       4     format version (UInt32)
/// 12      4     flags (UInt32, 0)
/// 16      8     header length H (UInt64)
/// 24      H     header: UTF-8 JSON (architecture, shapes, classes, scaling, block list)
/// 24+H    8     value count N (UInt64)
/// 32+H    4N    Float32 values: parameters, state, scaling scales, scaling shifts
/// end-4   4     CRC-32 (zlib) of every byte before it (UInt32)
/// ```
public enum ModelFile {
    /// The format version this build writes (and the newest it reads; every older one is
    /// read too). 2 added regression models (`task`, `target_scale`).
    public static let version = 2
    /// The first eight bytes of every model file.
    public static let magic: [UInt8] = Array("SWEEPMDL".utf8)
    /// Conventional file extension.
    public static let fileExtension = "swm"

    /// The model file of a trainer's current weights: after `fit`, the final weights or the
    /// best epoch's when early stopping restored them.
    public static func encode(_ trainer: Trainer) throws -> [UInt8] {
        let network = trainer.network, store = network.store, dataset = trainer.dataset
        let scaling = dataset.scaling
        func shape(_ block: ParameterBlock) -> [Int] {
            if case .kernel(let rows, let cols) = block.role { return [rows, cols] }
            return [block.count]
        }
        var info: TrainingResultInfo?
        if let result = trainer.result {
            let stored = result.restoredBest ? result.bestEpoch : result.epochs.last?.epoch
            info = TrainingResultInfo(
                epochs: result.epochs.count, bestEpoch: result.bestEpoch, restoredBest: result.restoredBest,
                stopReason: result.stopReason, metrics: result.epochs.first { $0.epoch == stored }?.metrics ?? [:])
        }
        // The feature columns by name, whatever the train file chose them with (all but the
        // label, `ignore`, or `columns`): prediction reads a table's columns by these names.
        var config = trainer.config
        if let columns = dataset.featureColumns, config.data.files != nil {
            config.data.files?.columns = columns
            config.data.files?.ignore = nil
        }
        let header = ModelHeader(
            format: "sweep-model", config: config, sampleShape: dataset.sampleShape, inputShape: network.inputShape,
            classCount: dataset.classCount, classNames: dataset.classNames, predictionWidth: network.head.predictionWidth,
            scaling: scaling.mode, scalingFeatures: scaling.scale.count, parameterCount: store.count, stateCount: store.state.count,
            blocks: store.blocks.map { .init(name: $0.name, count: $0.count, shape: shape($0)) },
            stateBlocks: store.stateBlocks.map { .init(name: $0.name, count: $0.count, shape: [$0.count]) },
            summary: network.summary, training: info,
            task: dataset.task == .regression ? .regression : nil, targetScale: dataset.targetScale, missingFill: dataset.missingFill,
            classLabels: dataset.classLabels, transposedFrom: dataset.transposedFrom)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)

        var bytes = magic
        bytes.reserveCapacity(40 + json.count + 4 * (store.count + store.state.count + 2 * scaling.scale.count))
        append(UInt32(version), to: &bytes)
        append(UInt32(0), to: &bytes)
        append(UInt64(json.count), to: &bytes)
        bytes += json
        append(UInt64(store.count + store.state.count + 2 * scaling.scale.count), to: &bytes)
        append(store.values.buffer, to: &bytes)
        append(store.state.buffer, to: &bytes)
        scaling.scale.withUnsafeBufferPointer { append($0, to: &bytes) }
        scaling.shift.withUnsafeBufferPointer { append($0, to: &bytes) }
        append(checksum(bytes[...]), to: &bytes)
        return bytes
    }

    /// Writes the model file of `trainer` to `path` (atomically).
    public static func write(_ trainer: Trainer, to path: String) throws {
        let bytes = try encode(trainer)
        try OutputFile.write(Data(bytes), to: path)
    }

    // MARK: Reading

    /// The parts of a model file, checked (magic, version, checksum, lengths).
    struct Contents {
        var header: ModelHeader
        var parameters: [Float]
        var state: [Float]
        var scaling: InputScaling
    }

    static func decode(_ bytes: [UInt8]) throws -> Contents {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw bytes.count < 8 && magic.starts(with: bytes) ? ModelFileError.truncated("\(bytes.count) bytes, shorter than the magic") : ModelFileError.badMagic
        }
        guard bytes.count >= 24 else { throw ModelFileError.truncated("\(bytes.count) bytes, shorter than the fixed header") }
        let found = Int(readUInt32(bytes, 8))
        guard found >= 1, found <= version else {
            throw found > version ? ModelFileError.unsupportedVersion(found: found, supported: version) : ModelFileError.invalidHeader("version \(found)")
        }
        let headerLength = readUInt64(bytes, 16)
        guard headerLength <= UInt64(bytes.count), 24 + Int(headerLength) + 8 + 4 <= bytes.count else {
            throw ModelFileError.truncated("the header declares \(headerLength) bytes, the file has \(bytes.count)")
        }
        let valuesStart = 24 + Int(headerLength)
        let valueCount = readUInt64(bytes, valuesStart)
        // (The count bounded first: 2^62 values overflowed the end's arithmetic and crashed.)
        let expectedEnd = valueCount <= UInt64(bytes.count) ? UInt64(valuesStart + 8) + valueCount * 4 + 4 : UInt64.max
        guard expectedEnd <= UInt64(bytes.count) else {
            throw ModelFileError.truncated("\(valueCount) values declared, the file has \(bytes.count) bytes")
        }
        guard expectedEnd == UInt64(bytes.count) else {
            throw ModelFileError.invalidHeader("\(UInt64(bytes.count) - expectedEnd) unexpected bytes after the values")
        }
        let stored = readUInt32(bytes, bytes.count - 4)
        let computed = checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else { throw ModelFileError.checksumMismatch(stored: stored, computed: computed) }

        let header: ModelHeader
        do {
            header = try JSONDecoder().decode(ModelHeader.self, from: Data(bytes[24..<valuesStart]))
        } catch {
            throw ModelFileError.invalidHeader(TrainingError.describe(error))
        }
        guard header.format == "sweep-model" else { throw ModelFileError.invalidHeader("format '\(header.format)'") }
        let p = header.parameterCount, s = header.stateCount, f = header.scalingFeatures
        guard p >= 0, s >= 0, f >= 0, UInt64(p) <= valueCount, UInt64(s) <= valueCount, UInt64(f) <= valueCount,
              UInt64(p) + UInt64(s) + 2 * UInt64(f) == valueCount else {
            throw ModelFileError.invalidHeader("\(valueCount) values stored, the header describes \(p) + \(s) + 2x\(f)")
        }
        let floats = readFloats(bytes, valuesStart + 8, Int(valueCount))
        return Contents(
            header: header, parameters: Array(floats[0..<p]), state: Array(floats[p..<(p + s)]),
            scaling: InputScaling(mode: header.scaling, scale: Array(floats[(p + s)..<(p + s + f)]), shift: Array(floats[(p + s + f)...])))
    }
}

extension ModelFile: LittleEndianFormat {}
