import Foundation
import Testing
import ZeroMQ
@testable import Cluster

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

    @Test func directoriesOfKilledRunsGoAndALiveOneStays() throws {
        let parent = try scratch()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        func directory(_ name: String) throws -> String {
            let d = "\(parent)/\(name)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            return d
        }
        // A killed run's: its socket file stays, with no listener behind it.
        let stale = try directory("sweep-AAAAAA")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { for (i, b) in Array("\(stale)/coordinator.sock".utf8).enumerated() { $0[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        try #require(bound == 0)
        // A live coordinator's, and directories that are not ours to judge.
        let live = try directory("sweep-BBBBBB")
        let context = try Context()
        let router = try Socket(context, .router)
        defer { router.close() }
        try router.bind("ipc://\(live)/coordinator.sock")
        let other = try directory("sweep-CCCCCC")
        FileManager.default.createFile(atPath: "\(other)/notes.txt", contents: Data("mine".utf8))
        let named = try directory("sweep-before")

        LocalEndpoint.removeStale(in: parent)
        #expect(!FileManager.default.fileExists(atPath: stale))
        for kept in [live, other, named] { #expect(FileManager.default.fileExists(atPath: kept), "\(kept)") }
        #expect(FileManager.default.fileExists(atPath: "\(live)/coordinator.sock"))
    }
}
