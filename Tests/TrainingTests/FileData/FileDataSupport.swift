import Foundation
@testable import Training

/// A temporary directory of generated data files for one test.
final class DataDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = "\(path)/\(name)"
        guard FileManager.default.createFile(atPath: p, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        return p
    }

    /// Writes a `.npy` file (version 1.0) of raw little-endian `payload` bytes.
    @discardableResult
    func npy(_ name: String, descr: String, shape: [Int], payload: [UInt8]) throws -> String {
        try write(name, Self.npyBytes(descr: descr, shape: shape, payload: payload))
    }

    static func npyBytes(descr: String, shape: [Int], payload: [UInt8]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 255), UInt8(n >> 8)] + Array(header.utf8) + payload
    }

    /// An IDX file of `type` with `dims` and big-endian `payload`.
    @discardableResult
    func idx(_ name: String, type: UInt8, dims: [Int], payload: [UInt8]) throws -> String {
        var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return try write(name, bytes + payload)
    }
}

func littleEndian(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
func littleEndian(_ values: [Int64]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }

/// The data set a `data` section (JSON) describes.
func loadData(_ json: String) throws -> Dataset {
    try DatasetLoader.load(try decodeConfig(DataConfig.self, json))
}

/// The message of the `DataError` loading `json` throws (nil when it loads).
func dataFailure(_ json: String) throws -> String? {
    let config = try decodeConfig(DataConfig.self, json)
    do {
        _ = try DatasetLoader.load(config)
        return nil
    } catch let error as DataError {
        return error.description
    }
}

/// Rows of a split as arrays of features.
func rows(_ split: DataSplit) -> [[Float]] {
    (0..<split.count).map { Array(split.features[($0 * split.width)..<(($0 + 1) * split.width)]) }
}

/// The `/usr/bin/python3` of Debian (python3-numpy), run with `script`; fails the test when missing.
func runPython(_ script: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script]
    let pipe = Pipe()
    process.standardError = pipe
    try process.run()
    let err = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: String(decoding: err, as: UTF8.self)])
    }
}
