import Cluster
import Foundation
import Testing

/// The private directory of a local endpoint.
@Suite struct LocalEndpointTests {
    /// A fresh scratch directory (removed by the caller).
    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-local-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func isPrivateFitsASocketAddressAndIsRemoved() throws {
        let parent = try scratch()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let local = try #require(LocalEndpoint(parent: parent))
        #expect(local.endpoint.hasPrefix("ipc://\(parent)/sweep-"))
        #expect(local.endpoint.hasSuffix("/coordinator.sock"))
        let directory = String(local.endpoint.dropFirst("ipc://".count).dropLast("/coordinator.sock".count))
        let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        local.remove()
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func refusesAPathTooLongForAUnixSocket() throws {
        let parent = try scratch()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let deep = parent + "/" + String(repeating: "d", count: 100)
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        #expect(LocalEndpoint(parent: deep) == nil)
        // Nothing is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: deep).isEmpty)
    }
}
