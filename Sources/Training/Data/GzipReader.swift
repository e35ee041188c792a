import CZlib
import Foundation

/// Reads a whole file through zlib, which inflates gzip files and passes plain ones through.
enum GzipReader {
    /// `atMost`: bytes the file may hold inflated (an IDX header's promise); reading stops
    /// past them (a 3 MB gzip bomb whose header promised 400 bytes inflated to 6.3 GB first).
    static func read(_ path: String, atMost: Int? = nil) throws -> [UInt8] {
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
            if let atMost, result.count > atMost {
                throw DataError.corrupt(path: path, reason: "it inflates to more than the \(atMost) bytes its header promises")
            }
        }
        // A stream cut short ends without an error from gzread: the size then named was the
        // inflated part's, not the file's.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code == Z_BUF_ERROR {
            throw DataError.unreadable(path: path, reason: "the gzip data ends early (a truncated file? `gzip -t` checks it): \(result.count) bytes inflated before the end")
        }
        return result
    }

    /// The first `count` bytes of the file, inflated when it is gzip (fewer for a short or
    /// unreadable file): enough to tell what it holds without inflating it whole.
    static func head(_ path: String, count: Int) -> [UInt8] {
        guard let file = gzopen(path, "rb") else { return [] }
        defer { gzclose(file) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(count)) }
        return n > 0 ? Array(buffer.prefix(Int(n))) : []
    }

    /// `bytes` inflated when they are gzip (magic 1f 8b), nil otherwise.
    static func inflatedIfGzip(_ bytes: UnsafeRawBufferPointer, path: String) throws(DataError) -> OwnedBytes? {
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return nil }
        do { return OwnedBytes(try read(path)) } catch let e as DataError { throw e } catch { throw DataError.unreadable(path: path, reason: "\(error)") }
    }
}
