import Foundation
import Testing
@testable import Training

@Suite("Output files")
struct OutputFileTests {
    /// A file written in pieces gets its name only when finished: until then (or when never
    /// finished) the old file stays whole and no other file is left in the folder.
    @Test func aStreamNamesTheFileOnlyWhenFinished() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("output-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.json"
        try OutputFile.write("old\n", to: path)
        do {
            let abandoned = try OutputFile.Stream(named: path)
            try abandoned.write(Array("half of a new fi".utf8))
        }
        #expect(FileManager.default.contents(atPath: path) == Data("old\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
        let stream = try OutputFile.Stream(named: path)
        for i in 0..<1000 { try stream.write(Array("line \(i)\n".utf8)) }
        #expect(FileManager.default.contents(atPath: path) == Data("old\n".utf8), "named before it was finished")
        try stream.finish()
        #expect(String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) == (0..<1000).map { "line \($0)\n" }.joined())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
        #expect(throws: OutputFileError.self) { _ = try OutputFile.Stream(named: dir) }
        #expect(throws: OutputFileError.self) { _ = try OutputFile.Stream(named: dir + "/missing/x.json") }
    }

    /// The folder holds the file and nothing else afterwards (no temporary file on the way,
    /// where Foundation's atomic write named one), whether the file is new or replaced, and
    /// the file gets the usual mode (0666 less the umask) and the bytes.
    @Test func aWriteLeavesOnlyTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("output-file-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.csv"
        try OutputFile.write("a,b\n1,2\n", to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
        #expect(FileManager.default.contents(atPath: path) == Data("a,b\n1,2\n".utf8))
        let mask = umask(0o022)
        umask(mask)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o666 & ~mask)
        // Replacing keeps one file, with the new bytes (a reader never sees half of either).
        try OutputFile.write(String(repeating: "x", count: 100_000), to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
        #expect(FileManager.default.contents(atPath: path)?.count == 100_000)
        // Through a symlink the file it names is written; the link stays a link.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.csv", withDestinationPath: path)
        try OutputFile.write("via link\n", to: dir + "/link.csv")
        #expect(FileManager.default.contents(atPath: path) == Data("via link\n".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.csv") == path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.csv", "out.csv"])
    }

    /// Until the bytes are all written the file has no name, so a process killed while
    /// writing leaves neither a partial file nor a temporary one (`sweep export` killed
    /// with SIGKILL left Foundation's `.out.csv.dat.nosync*` files).
    @Test func nothingIsNamedBeforeTheBytesAreWritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("output-unnamed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for round in 0..<2 { // a new file, then one replaced
            var seen: [String]?
            try OutputFile.write(Data(repeating: UInt8(round), count: 1 << 20), to: dir + "/out.csv") {
                seen = try FileManager.default.contentsOfDirectory(atPath: dir)
            }
            #expect(seen == (round == 0 ? [] : ["out.csv"]))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
            #expect(FileManager.default.contents(atPath: dir + "/out.csv") == Data(repeating: UInt8(round), count: 1 << 20))
        }
    }
}
