import Foundation
import Testing
@testable import Cluster

/// Key files edited on Windows (CRLF line ends) read as the same lines: the whole file was
/// one line ("expected 'NAME = KEY' ..."), since Swift's "\r\n" is one character.
struct KeyFileLinesTests {
    @Test func crlfKeyFilesHaveTheirLines() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-keylines-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "# workers\r\nalpha = A\r\n\r\nbeta = B\rgamma = C\n".write(toFile: file, atomically: true, encoding: .utf8)
        let lines = try KeyDirectory.lines(file)
        #expect(lines.map(\.0) == [2, 4, 5] && lines.map(\.1) == ["alpha = A", "beta = B", "gamma = C"], "\(lines)")
    }
}
