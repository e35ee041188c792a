import Foundation
import Testing
@testable import Training

/// Sizes from files and configurations that overflow 64-bit arithmetic are refused as the
/// corrupt input they are: each crashed the process (found by a hostile-input hunt).
@Suite("Headers and sizes that overflow")
struct LyingHeaderTests {
    @Test func aNPYShapeOverInt64IsCorrupt() throws {
        let dir = try DataDirectory()
        let features = try dir.npy("x.npy", descr: "<f8", shape: [20, 1 << 60], payload: [UInt8](repeating: 0, count: 64))
        let labels = try dir.npy("y.npy", descr: "<i8", shape: [20], payload: [UInt8](repeating: 0, count: 160))
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(features)", "train_labels": "\#(labels)"}"#) ?? ""
        #expect(failure.contains("holds more bytes than any file can"), "\(failure)")
    }

    @Test func idxDimensionsOverInt64AreCorrupt() throws {
        let dir = try DataDirectory()
        let images = try dir.idx("x.idx", type: 0x08, dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1, 2, 3])
        let labels = try dir.idx("y.idx", type: 0x08, dims: [3], payload: [0, 1, 0])
        let failure = try dataFailure(#"{"dataset": "idx", "train_file": "\#(images)", "train_labels": "\#(labels)"}"#) ?? ""
        #expect(failure.contains("corrupt data file") || failure.contains("truncated or oversized"), "\(failure)")
    }

    @Test func aShapeOrSplitOverInt64IsRefused() throws {
        let dir = try DataDirectory()
        let csv = try dir.write("d.csv", "a,b,y\n" + (0..<20).map { "\($0),\($0 % 3),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n"))
        let shape = try dataFailure(#"{"dataset": "csv", "train_file": "\#(csv)", "label": "y", "shape": [4294967296, 4294967296]}"#) ?? ""
        #expect(shape.contains("shape [4294967296, 4294967296] holds more than 2^63 values, the samples have 2"), "\(shape)")
        let split = try dataFailure(#"{"dataset": "csv", "train_file": "\#(csv)", "label": "y", "validation": 9223372036854775807}"#) ?? ""
        #expect(split.contains("leave nothing to train on"), "\(split)")
    }

    @Test func aModelFileDeclaringTooManyValuesOrAHugeNetworkIsRefused() throws {
        let trainer = try ModelFileTests.trained(ModelConfig(hidden: [4]), epochs: 1)
        let good = try ModelFile.encode(trainer)
        // The value count set to 2^62 (the length check comes before the CRC's).
        var bytes = good
        let headerLength = bytes[16..<24].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        for i in 0..<8 { bytes[24 + headerLength + i] = i == 7 ? 0x40 : 0 }
        #expect(throws: ModelFileError.self) { _ = try Model(bytes: bytes) }
        // A header describing a network of 2^40 parameters over the few values stored: refused
        // before the network is made (it allocated terabytes, then aborted).
        let header = String(decoding: good[24..<(24 + headerLength)], as: UTF8.self)
        let huge = header.replacingOccurrences(of: "\"hidden\":[4]", with: "\"hidden\":[1048576,1048576]")
        #expect(huge != header, "the header names the hidden layers otherwise: \(header.prefix(300))")
        var rewritten = Array(good[0..<16]) + withUnsafeBytes(of: UInt64(huge.utf8.count).littleEndian, Array.init) + Array(huge.utf8) + Array(good[(24 + headerLength)..<(good.count - 4)])
        rewritten += withUnsafeBytes(of: ModelFile.checksum(rewritten[...]).littleEndian, Array.init)
        #expect(throws: ModelFileError.self) { _ = try Model(bytes: rewritten) }
    }
}
