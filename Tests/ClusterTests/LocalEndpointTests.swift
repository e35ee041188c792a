import Cluster
import Foundation
import Testing
import ZeroMQ

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
        let local = try LocalEndpoint(parent: parent)
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
        #expect(throws: LocalEndpoint.Unavailable.self) { try LocalEndpoint(parent: deep) }
        // The longest that fits (107 bytes with the socket's name) is taken. (Under /tmp: a
        // long TMPDIR leaves no room to make one.)
        let short = "/tmp/sweep-le-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: short) }
        let fits = short + "/" + String(repeating: "f", count: LocalEndpoint.maxSocketPathBytes - short.utf8.count - 1 - "/sweep-XXXXXX/coordinator.sock".utf8.count)
        try FileManager.default.createDirectory(atPath: fits, withIntermediateDirectories: true)
        let longest = try LocalEndpoint(parent: fits)
        #expect(longest.endpoint.utf8.count == "ipc://".utf8.count + LocalEndpoint.maxSocketPathBytes)
        do { // ZeroMQ binds it
            let context = try Context()
            let socket = try Socket(context, .router)
            try socket.bind(longest.endpoint)
        }
        longest.remove()
        // Nothing is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: deep).isEmpty)
    }

    /// A run killed with SIGKILL leaves its directory; the next run on the machine removes
    /// it, and only it: a live run's, one without an owner file and one of another machine
    /// stay.
    @Test func removesTheDirectoriesOfRunsThatAreGone() throws {
        let parent = try scratch()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let me = try #require(ProcessIdentity.current)
        func leftover(_ name: String, owner: ProcessIdentity?) throws -> String {
            let directory = parent + "/" + name
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            FileManager.default.createFile(atPath: directory + "/coordinator.sock", contents: Data())
            if let owner { FileManager.default.createFile(atPath: directory + "/owner", contents: Data(owner.token.utf8)) }
            return directory
        }
        // The same pid with another start time: that process is gone.
        let killed = try leftover("sweep-Killed", owner: ProcessIdentity(machine: me.machine, pid: me.pid, startTicks: me.startTicks + 1))
        let live = try leftover("sweep-Living", owner: me)
        let older = try leftover("sweep-NoOwnr", owner: nil)
        let elsewhere = try leftover("sweep-Remote", owner: ProcessIdentity(machine: "another-machine", pid: me.pid, startTicks: me.startTicks + 1))
        let local = try LocalEndpoint(parent: parent)
        defer { local.remove() }
        #expect(!FileManager.default.fileExists(atPath: killed))
        for kept in [live, older, elsewhere] {
            #expect(FileManager.default.fileExists(atPath: kept + "/coordinator.sock"), "\(kept)")
        }
        // The new one names its owner, so that a run after it can tell.
        let directory = String(local.endpoint.dropFirst("ipc://".count).dropLast("/coordinator.sock".count))
        let owner = FileManager.default.contents(atPath: directory + "/owner").map { String(decoding: $0, as: UTF8.self) }
        #expect(owner == me.token)
    }
}
