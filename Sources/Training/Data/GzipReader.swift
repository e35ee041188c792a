import CZlib
import Foundation

/// Reads a whole file through zlib, which inflates gzip files and passes plain ones through.
enum GzipReader {
    static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        guard let file = gzopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: "gzopen failed")
        }
        defer { gzclose(file) }
        var result: [UInt8] = []
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(chunk)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
                throw DataError.unreadable(path: path, reason: message)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<Int(n)])
        }
        return result
    }
}
