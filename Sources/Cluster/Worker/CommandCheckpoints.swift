import Foundation
import SweepSupport
import Synchronization
import Training

/// A command trial's checkpoint directory (`SWEEP_CHECKPOINT_DIR`): the program saves its
/// state there; after a report, when the files changed, the worker sends them to the
/// coordinator as one archive, and a re-queued trial's next attempt, on any host, starts
/// with the files of the latest archive restored.
///
/// The directory is private to one attempt and removed when it ends.
final class CommandCheckpoints {
    /// Archives larger than this are not sent. Up to 12 MiB one travels with its report;
    /// larger ones in parts (``CheckpointTransfer``). The worker holds the archive in memory
    /// while it is sent.
    static let defaultMaxBytes = 1 << 30

    let path: String
    let maxBytes: Int
    /// The archive last sent (or restored): a report whose directory packs to the same
    /// bytes sends nothing. (Contents, not modification times: a program may rewrite a
    /// file with the same size within the clock's resolution.)
    private var sent: ArchiveIdentity?

    /// An archive as told apart from another: its size and CRC-32 (not its bytes: a large
    /// checkpoint would be held twice).
    private struct ArchiveIdentity: Equatable {
        var bytes: Int
        var crc: UInt32
        init(_ archive: ArraySlice<UInt8>) { (bytes, crc) = (archive.count, CRC32.checksum(archive)) }
    }
    private var warnedTooLarge = false
    private var warnedUnreadable = false
    private var warnedStale = false
    /// The files (name, size, modification time) when the last report came.
    private var atLastReport: [FileStamp] = []

    private struct FileStamp: Equatable {
        var name: String
        var size: Int
        var modified: Double
    }

    /// A checkpoint directory this host cannot make (an unwritable TMPDIR).
    struct CheckpointDirectoryError: Error, CustomStringConvertible {
        var description: String
    }

    /// Where this worker process makes its attempts' directories:
    /// `$TMPDIR/sweep-checkpoints-UID/wPID-START/`. Per user (mode 0700: checkpoints are the
    /// program's data, and another user's directory of the same name made every trial fail
    /// with "You don't have permission"), and per worker process, so that directories a
    /// killed worker left behind (hundreds of MB) are recognized and removed by the next.
    static let root: String = {
        // Ours and private, or a fresh one: another user may have made that name first.
        let base = PrivateDirectory.inTemporary("sweep-checkpoints")
        removeLeftovers(in: base)
        rootMade.store(true, ordering: .relaxed)
        return "\(base)/\(ownName)"
    }()

    private static let rootMade = Atomic<Bool>(false)

    /// Removes this worker process's directory as it leaves: an empty one was left by every
    /// worker, and those of workers in other pid namespaces (containers) were never removed.
    static func removeRoot() {
        guard rootMade.load(ordering: .relaxed) else { return }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// This worker process's directory name: `w` + its machine (boot id and pid namespace:
    /// a shared TMPDIR may hold other machines' and containers' directories) + pid and
    /// start time.
    static var ownName: String {
        let me = ProcessIdentity.current
        return "w\(machineTag)-\(me?.pid ?? Int(getpid()))-\(me?.startTicks ?? 0)"
    }

    private static var machineTag: String { (ProcessIdentity.localMachine ?? "unknown").replacingOccurrences(of: "/", with: "_") }

    /// Removes the directories of this machine's worker processes that are gone (another
    /// machine's are not judged: its pids mean nothing here).
    static func removeLeftovers(in base: String) {
        guard let machine = ProcessIdentity.localMachine, let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix("w\(machineTag)-") {
            let parts = name.dropFirst("w\(machineTag)-".count).split(separator: "-")
            guard parts.count == 2, let pid = Int(parts[0]), let start = UInt64(parts[1]), start > 0 else { continue }
            if ProcessIdentity(machine: machine, pid: pid, startTicks: start).hasExited {
                try? FileManager.default.removeItem(atPath: "\(base)/\(name)")
            }
        }
    }

    /// A fresh directory for `trial`'s attempt, with `archive`'s files when it resumes.
    init(root: String = CommandCheckpoints.root, study: String, trial: Int, attempt: Int, restoring archive: ArraySlice<UInt8>?, maxBytes: Int = defaultMaxBytes) throws {
        path = "\(root)/\(study)-trial-\(trial)-attempt-\(attempt)"
        self.maxBytes = maxBytes
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Every trial on this host fails so: say what to change (it read "NSCocoaErrorDomain Code=642").
            throw CheckpointDirectoryError(description: "cannot make the program's checkpoint directory \(path): \(SystemErrorText.of(error, at: path)); start the worker with TMPDIR naming a directory it can write")
        }
        if let archive {
            // Written from the archive's own bytes: no copy per file (a 1 GB checkpoint took
            // three times its size in memory to restore).
            for (name, bytes) in try Self.unpack(archive) {
                let file = "\(path)/\(name)"
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard Self.write(bytes, to: file) else { throw ArchiveError.cannotRestore(name, reason: String(cString: strerror(errno))) }
            }
            sent = ArchiveIdentity(archive)
        }
        atLastReport = stamps()
    }

    /// Whether the program saved anything since the report before this one (or, at the
    /// first, since the attempt began). A directory the program did not touch holds an
    /// earlier epoch's state: sent with this report it was taken for this epoch's (a PBT
    /// member continued from epoch 5's weights labelled epoch 6), so it is not sent.
    func savedSinceLastReport() -> Bool {
        let now = stamps()
        defer { atLastReport = now }
        return now != atLastReport
    }

    /// Says once that a due checkpoint was not sent because the directory is stale (not
    /// for an empty one: a program that keeps no state has nothing to send).
    func warnStale(epoch: Int, warn: (String) -> Void) {
        guard !warnedStale, !atLastReport.isEmpty else { return }
        warnedStale = true
        warn("the checkpoint directory did not change since the report before epoch \(epoch)'s: it holds an earlier epoch's state and is not sent as this one's (save the state before each report)")
    }

    private func stamps() -> [FileStamp] {
        files().map { FileStamp(name: $0.name, size: $0.size, modified: $0.modified) }
    }

    /// Removes the directory (the coordinator holds what was sent).
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Why the last ``changedArchive(warn:)`` sent nothing, for the coordinator (nil when it
    /// sent an archive, or when the directory is empty: a program that keeps no state).
    private(set) var skipped: String?

    /// The directory as an archive when its files changed since the last one sent (nil:
    /// unchanged, empty, or over the size cap, which `warn` is told about once).
    func changedArchive(warn: (String) -> Void) -> [UInt8]? {
        skipped = nil
        let listed = files()
        guard !listed.isEmpty else {
            skipped = "the program saved nothing in SWEEP_CHECKPOINT_DIR"
            return nil
        }
        let total = listed.reduce(0) { $0 + $1.size }
        guard total <= maxBytes else {
            if !warnedTooLarge {
                warn("the checkpoint directory holds \(total) bytes, more than a checkpoint may have (\(maxBytes)): it is not sent, and a re-run of this trial starts from the last one that was")
            }
            warnedTooLarge = true
            skipped = "the checkpoint directory holds \(total) bytes, over the \(maxBytes / (1 << 20)) MiB a checkpoint may have"
            return nil
        }
        // Packed as the files are read (not read whole, then packed: twice the size in memory).
        var archive = Self.magic
        archive.reserveCapacity(total + 12 + listed.reduce(0) { $0 + 12 + $1.name.utf8.count })
        Self.append(UInt32(listed.count), &archive)
        for f in listed {
            let file = "\(path)/\(f.name)"
            let name = Array(f.name.utf8)
            Self.append(UInt32(name.count), &archive)
            archive += name
            // Read straight into the archive (a file read whole, then copied, took twice its size).
            guard Self.appendFile(file, to: &archive) else {
                // Removed meanwhile: next time. Unreadable: said once (it dropped every checkpoint unseen).
                if access(file, R_OK) != 0 && errno == EACCES && !warnedUnreadable {
                    warn("the checkpoint file \(f.name) cannot be read (permission denied): checkpoints are not sent while it is there")
                    warnedUnreadable = true
                }
                skipped = "the checkpoint file \(f.name) could not be read"
                return nil
            }
        }
        let identity = ArchiveIdentity(archive[...])
        guard identity != sent else {
            skipped = "the checkpoint directory holds the same files as at the last checkpoint sent"
            return nil
        }
        sent = identity
        return archive
    }

    /// The archive last returned did not reach the coordinator: the same files are sent again.
    func notSent() {
        sent = nil
    }

    /// Regular files under the directory by relative path, sorted.
    private func files() -> [(name: String, size: Int, modified: Double)] {
        guard let walk = FileManager.default.enumerator(atPath: path) else { return [] }
        var out: [(name: String, size: Int, modified: Double)] = []
        while let name = walk.nextObject() as? String {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: "\(path)/\(name)"),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            out.append((name, (attributes[.size] as? Int) ?? 0, (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))
        }
        return out.sorted { $0.name < $1.name }
    }

    // MARK: Archive

    enum ArchiveError: Error, CustomStringConvertible {
        case malformed(String)
        case cannotRestore(String, reason: String)
        /// The stored file the archive came in fails its checksum.
        case damagedWhereStored(String)

        var description: String {
            switch self {
            case .malformed(let why): return "the checkpoint archive is malformed: \(why)"
            case .damagedWhereStored(let why): return why
            case .cannotRestore(let name, let reason): return "cannot restore '\(name)' into the checkpoint directory: \(reason)"
            }
        }
    }

    static let magic: [UInt8] = Array("SWEEPCKD".utf8)

    /// magic | file count UInt32 | per file: path length UInt32, UTF-8 path, size UInt64,
    /// bytes; little-endian.
    /// The files of an archive, as slices of it (no copies).
    static func unpack(_ archive: ArraySlice<UInt8>) throws -> [(String, ArraySlice<UInt8>)] {
        var offset = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, archive.count - offset >= n else { throw ArchiveError.malformed("truncated at byte \(offset)") }
            defer { offset += n }
            let start = archive.startIndex + offset
            return archive[start..<(start + n)]
        }
        func integer(_ bytes: Int) throws -> Int {
            let b = try take(bytes)
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            guard v < UInt64(Int32.max) else { throw ArchiveError.malformed("a length of \(v)") }
            return Int(v)
        }
        guard Array(try take(magic.count)) == magic else { throw ArchiveError.malformed("not a checkpoint archive") }
        var files: [(String, ArraySlice<UInt8>)] = []
        for _ in 0..<(try integer(4)) {
            let name = String(decoding: try take(try integer(4)), as: UTF8.self)
            // Paths stay inside the directory.
            guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw ArchiveError.malformed("the path '\(name)' leaves the directory")
            }
            files.append((name, try take(try integer(8))))
        }
        guard offset == archive.count else { throw ArchiveError.malformed("\(archive.count - offset) bytes after the last file") }
        return files
    }

    /// Appends the file's size (UInt64) and its bytes to `archive`; false when it cannot be
    /// read whole (`archive` is then of no use).
    private static func appendFile(_ path: String, to archive: inout [UInt8]) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        let size = Int(info.st_size)
        append(UInt64(size), &archive)
        // Read into uninitialized memory, then appended as one copy (zero-filling the archive
        // element by element first took seconds per 9 MB file in debug builds).
        var complete = true
        let contents = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { complete = false; break } // shrank meanwhile
                done += n
            }
            initialized = done
        }
        guard complete else { return false }
        archive.append(contentsOf: contents)
        return true
    }

    /// Writes `bytes` to a new file at `path`; false when it cannot.
    private static func write(_ bytes: ArraySlice<UInt8>, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return DescriptorWriting.writeAll(fd, bytes)
    }

    private static func append<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }
}
