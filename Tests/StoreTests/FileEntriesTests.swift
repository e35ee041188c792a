import Foundation
import Testing
@testable import SweepSupport

/// A file system out of inodes refuses new files with "No space left on device" while `df`
/// shows space free: the message then names the inodes (a user looked for a full disk).
struct FileEntriesTests {
    @Test func noFreeInodesAreNamed() throws {
        let parts = try #require(FileEntries.parts(directory: "/data/runs", inodes: 1_000, free: 0))
        let note = "\(parts.cause); \(parts.fix)"
        #expect(note.contains("no free inodes") && note.contains("df -i /data/runs"), "\(note)")
        #expect(FileEntries.parts(directory: "/data/runs", inodes: 1_000, free: 1) == nil)
        // btrfs and others report no inode count: nothing to say.
        #expect(FileEntries.parts(directory: "/data/runs", inodes: 0, free: 0) == nil)
    }

    /// Only "No space left on device" gets the note; the path's directory with inodes left
    /// gives the system's words alone.
    @Test func otherErrorsAndFileSystemsWithInodesLeftAreUnchanged() {
        let full = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        #expect(SystemErrorText.of(full, at: NSTemporaryDirectory()) == String(cString: strerror(ENOSPC)))
        let denied = NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))
        #expect(SystemErrorText.of(denied, at: "/nonexistent/x") == String(cString: strerror(EACCES)))
        #expect(SystemErrorText.of(errno: ENOSPC, at: "/nonexistent/deeper/x") == String(cString: strerror(ENOSPC)))
    }
}

/// The temporary folder: TMPDIR when usable, else /tmp (an empty TMPDIR meant `/`, and one
/// that did not exist failed every command trial on its checkpoint folder).
struct TemporaryFolderTests {
    @Test func anEmptyOrUnusableTMPDIRFallsBackToTmp() {
        let usable: (String) -> Bool = { ["/tmp", "/var/tmp", "/scratch/me"].contains($0) }
        #expect(TemporaryFolder.choose(given: "/scratch/me", usable: usable) == "/scratch/me")
        #expect(TemporaryFolder.choose(given: "/scratch/me//", usable: usable) == "/scratch/me")
        #expect(TemporaryFolder.choose(given: "", usable: usable) == "/tmp")
        #expect(TemporaryFolder.choose(given: nil, usable: usable) == "/tmp")
        #expect(TemporaryFolder.choose(given: "/nonexistent/tmp", usable: usable) == "/tmp")
        #expect(TemporaryFolder.choose(given: "/nonexistent/tmp", usable: { $0 == "/var/tmp" }) == "/var/tmp")
        let relative = FileManager.default.currentDirectoryPath + "/reltmp"
        #expect(TemporaryFolder.choose(given: "reltmp", usable: { $0 == relative }) == relative)
        // A read-only root with one writable working folder: the working folder, as Python's
        // tempfile falls back to it.
        #expect(TemporaryFolder.choose(given: nil, current: "/work/rw", usable: { $0 == "/work/rw" }) == "/work/rw")
        #expect(TemporaryFolder.choose(given: nil, current: "/work/rw", usable: { $0 == "/usr/tmp" }) == "/usr/tmp")
    }
}

/// A database's folders sit beside the file a symbolic link names; those an older Sweep
/// made beside the link (and none beside the file) are still used.
struct DatabaseSidecarTests {
    @Test func foldersGoBesideTheLinkedFileUnlessAnOlderOneIsBesideTheLink() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-sidecar-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/real/s.db", contents: Data())
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.db", withDestinationPath: dir + "/real/s.db")
        #expect(DatabaseSidecar.path(of: dir + "/real/s.db", ".logs") == dir + "/real/s.db.logs")
        #expect(DatabaseSidecar.path(of: dir + "/link.db", ".logs") == dir + "/real/s.db.logs")
        // A `..` after a linked folder is the kernel's (taken after the link), not the text's.
        try FileManager.default.createDirectory(atPath: dir + "/nest/real", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/nest/real/t.db", contents: Data())
        try FileManager.default.createSymbolicLink(atPath: dir + "/linkdir", withDestinationPath: dir + "/nest/real")
        #expect(DatabaseSidecar.path(of: dir + "/linkdir/../real/t.db", ".logs") == dir + "/nest/real/t.db.logs")
        #expect(RealPath.of(dir + "/linkdir/../real/t.db") == dir + "/nest/real/t.db")
        #expect(RealPath.of(dir + "/linkdir/not-yet.db") == dir + "/nest/real/not-yet.db")
        try FileManager.default.createDirectory(atPath: dir + "/link.db.logs", withIntermediateDirectories: true)
        #expect(DatabaseSidecar.path(of: dir + "/link.db", ".logs") == dir + "/link.db.logs")
        try FileManager.default.createDirectory(atPath: dir + "/real/s.db.logs", withIntermediateDirectories: true)
        #expect(DatabaseSidecar.path(of: dir + "/link.db", ".logs") == dir + "/real/s.db.logs")
    }
}
