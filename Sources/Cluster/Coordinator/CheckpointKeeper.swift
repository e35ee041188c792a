import Foundation
import SweepSupport
import Training

/// The latest checkpoint of each running trial, beside the database:
/// `DB.artifacts/STUDY/checkpoints/trial-N.ckpt`, so that a re-queued trial continues on
/// any worker where its last attempt stopped (docs/model-format.md, "Stored checkpoints").
///
/// One file per trial, replaced by each newer checkpoint and removed when the trial ends;
/// all files together stay under a byte cap (a checkpoint that would exceed it is not
/// kept, and the trial resumes from its older one). Each is written when it is offered, to a
/// file of its own, and renamed into place after the batch that recorded its report commits
/// (``flush()``), so the database never holds fewer epochs than a checkpoint covers, and a
/// checkpoint that cannot be written (a full disk) is refused while its report is handled:
/// the trial then does not pause on it (written after the commit, the trial had paused, found
/// no checkpoint, started over and paused again, forever). They are not fsynced (one per epoch per trial would stall the
/// poll loop): a checksum catches a file damaged by a machine crash, and such a trial
/// starts over.
public final class CheckpointKeeper {
    /// What is known of a stored checkpoint without reading it.
    public struct Entry: Equatable, Sendable {
        public var epoch: Int
        /// Bytes of the stored file.
        public var bytes: Int
    }

    /// Header of a stored checkpoint file: magic, version, epoch, payload length.
    static let magic: [UInt8] = Array("SWEEPTCK".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 24

    private let directory: ArtifactDirectory?
    private let study: String
    /// Bytes all stored checkpoints may take together.
    public let capBytes: Int
    public private(set) var entries: [Int: Entry] = [:]
    /// Dropped in this batch, removed by ``flush()`` after the commit.
    private var removed: Set<Int> = []
    /// Large checkpoints arriving in parts (``CheckpointTransfer``), written as they come to
    /// `trial-N.upload` in the stored format.
    private var uploads: [Int: Upload] = [:]
    /// Checkpoints accepted in this batch (offered, or uploads complete), by trial: their
    /// files, renamed into place by ``flush()``.
    private var arrived: [Int: String] = [:]
    /// Large checkpoints given to another trial in this batch (PBT): member -> the file it
    /// is linked to by ``flush()`` (the source's path when the copy was made).
    private var copies: [Int: String] = [:]
    /// Arrived uploads replaced in this batch that a copy still links from: removed by
    /// ``flush()`` after the links.
    private var orphans: [String] = []

    private struct Upload {
        var attempt: Int, epoch: Int, total: Int, received: Int
        /// CRC-32 of the file so far (header and the parts received).
        var crc: UInt32
        var fd: Int32
        var path: String
        /// When its last part came (an upload that stops coming gives its room back).
        var lastPartAt: Double
    }

    /// Checkpoints of `study` under `directory` (nil: none are kept), `capBytes` together.
    public init(directory: ArtifactDirectory?, study: String, capBytes: Int) {
        self.directory = directory
        self.study = study
        self.capBytes = capBytes
    }

    /// Whether checkpoints can be kept at all (an in-memory database keeps none).
    public var enabled: Bool { directory != nil && capBytes > 0 }

    /// Bytes of all checkpoints kept (written or about to be), and of the uploads under way
    /// (each took its room when it began: two trials uploading at once both fit otherwise).
    public var totalBytes: Int {
        entries.values.reduce(0) { $0 + $1.bytes } + uploads.values.reduce(0) { $0 + Self.headerBytes + $1.total + 4 }
    }

    private func relative(_ trial: Int) -> String { "\(study)/checkpoints/trial-\(trial).ckpt" }
    /// Where an upload is written: a file of its own per attempt and epoch (the one before
    /// may still wait for its rename).
    private func uploadPath(_ trial: Int, attempt: Int, epoch: Int) -> String? {
        directory?.absolute("\(study)/checkpoints/trial-\(trial).\(attempt).\(epoch).upload")
    }

    // MARK: Batch

    /// Why an offered checkpoint is not kept (the trial keeps its older one).
    public enum Refusal: Equatable, Sendable {
        /// The coordinator keeps no checkpoints (an in-memory database).
        case disabled
        /// The checkpoints of running trials would take more than ``capBytes``.
        case overCap
        /// Its file could not be written (a full disk, a directory that cannot be written).
        case cannotWrite(String)
    }

    /// Keeps `bytes` as the latest checkpoint of `trial` (after `epoch`), written now to a
    /// file of its own and renamed into place by ``flush()``; nil, or why it is not kept.
    public func offer(trial: Int, epoch: Int, bytes: [UInt8]) -> Refusal? {
        guard enabled, let directory else { return .disabled }
        let size = bytes.count + Self.headerBytes + 4
        guard totalBytes - (entries[trial]?.bytes ?? 0) + size <= capBytes else { return .overCap }
        staged += 1
        let path = directory.absolute("\(study)/checkpoints/trial-\(trial).\(epoch).\(staged).staged")
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .cannotWrite("cannot write \(path): \(String(cString: strerror(errno)))") }
        let written = DescriptorWriting.writeAll(fd, Self.encode(epoch: epoch, payload: bytes)[...])
        let why = String(cString: strerror(errno))
        close(fd)
        guard written else {
            unlink(path)
            return .cannotWrite("cannot write \(path): \(why)")
        }
        discardArrived(trial)
        entries[trial] = Entry(epoch: epoch, bytes: size)
        arrived[trial] = path
        copies[trial] = nil
        removed.remove(trial)
        return nil
    }

    /// Names the files of offers in this run apart (two offers of one epoch in one batch).
    private var staged = 0

    /// Forgets the checkpoint of a trial that ended (or whose checkpoint is not trusted).
    public func drop(trial: Int) {
        abandonUpload(trial)
        let had = entries.removeValue(forKey: trial) != nil || arrived[trial] != nil
        discardArrived(trial)
        copies[trial] = nil
        if had { removed.insert(trial) }
    }

    // MARK: Large checkpoints (CheckpointTransfer)

    /// Whether `trial`'s checkpoint is too large to go inside an assignment
    /// (``CheckpointTransfer/inlineResumeBytes``): the assignment names its size and the
    /// worker fetches it in chunks.
    public func isLarge(trial: Int) -> Bool {
        (entries[trial]?.bytes ?? 0) - Self.headerBytes - 4 > CheckpointTransfer.inlineResumeBytes
    }

    /// Takes one part of an upload; the answer says how much of it is held, or why no more is
    /// taken. A part at offset 0 starts the upload afresh (a new epoch's, or a resend).
    public func receive(_ p: CheckpointTransfer.Part, now: Double = 0) -> CheckpointTransfer.Ack {
        func refuse(_ why: String) -> CheckpointTransfer.Ack {
            abandonUpload(p.trial)
            return .init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: 0, refused: why)
        }
        guard enabled, let path = uploadPath(p.trial, attempt: p.attempt, epoch: p.epoch) else { return refuse("this coordinator keeps no checkpoints") }
        if p.offset == 0 {
            abandonUpload(p.trial)
            let size = Self.headerBytes + p.total + 4
            guard totalBytes - (entries[p.trial]?.bytes ?? 0) + size <= capBytes else {
                return refuse("this \(Self.mebibytes(p.total)) MiB with the \(Self.mebibytes(totalBytes)) MiB held for running trials would pass --checkpoint-limit \(Self.mebibytes(capBytes)) MiB (raise it, or keep fewer trials paused)")
            }
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return refuse("cannot write \(path): \(String(cString: strerror(errno)))") }
            let header = Self.header(epoch: p.epoch, payloadBytes: p.total)
            uploads[p.trial] = Upload(attempt: p.attempt, epoch: p.epoch, total: p.total, received: 0, crc: CRC32.checksum(header[...]), fd: fd, path: path,
                                      lastPartAt: now)
            guard DescriptorWriting.writeAll(fd, header[...]) else { return refuse("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
        guard var u = uploads[p.trial], u.attempt == p.attempt, u.epoch == p.epoch, u.total == p.total else {
            return refuse("a part at byte \(p.offset) of an upload that did not start at byte 0")
        }
        guard p.offset == u.received else { return refuse("a part at byte \(p.offset) where byte \(u.received) was next") }
        guard DescriptorWriting.writeAll(u.fd, p.bytes[...]) else { return refuse("cannot write \(path): \(String(cString: strerror(errno)))") }
        u.crc = CRC32.checksum(p.bytes[...], continuing: u.crc)
        u.received += p.bytes.count
        u.lastPartAt = now
        uploads[p.trial] = u
        return .init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: u.received)
    }

    /// The report that an upload belongs to came: its checkpoint becomes the trial's latest
    /// (renamed into place by ``flush()``). Nil, or why it is not kept.
    public func completeUpload(trial: Int, attempt: Int, epoch: Int, total: Int) -> String? {
        guard let u = uploads[trial], u.attempt == attempt, u.epoch == epoch, u.total == total, u.received == total else {
            abandonUpload(trial)
            return "its parts did not all arrive"
        }
        var crc = u.crc.littleEndian
        let ok = withUnsafeBytes(of: &crc) { DescriptorWriting.writeAll(u.fd, Array($0)[...]) }
        close(u.fd)
        uploads[trial] = nil
        guard ok else {
            unlink(u.path)
            return "it could not be written"
        }
        discardArrived(trial)
        entries[trial] = Entry(epoch: epoch, bytes: Self.headerBytes + total + 4)
        copies[trial] = nil
        removed.remove(trial)
        arrived[trial] = u.path
        return nil
    }

    /// `member` continues from `source`'s large checkpoint (PBT's exploit): its epoch, or
    /// nil when the cap leaves no room for a copy.
    public func copyLarge(from source: Int, to member: Int) -> Int? {
        guard let directory, let entry = entries[source], totalBytes - (entries[member]?.bytes ?? 0) + entry.bytes <= capBytes else { return nil }
        abandonUpload(member)
        entries[member] = entry
        discardArrived(member)
        removed.remove(member)
        copies[member] = storedPath(source, in: directory)
        return entry.epoch
    }

    /// Up to `count` bytes of `trial`'s stored checkpoint file from `offset` (nil: none).
    public func chunk(trial: Int, offset: Int, count: Int) -> [UInt8]? {
        guard let entry = entries[trial], offset < entry.bytes, let directory else { return nil }
        let fd = open(storedPath(trial, in: directory), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: min(count, entry.bytes - offset))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        return n == bytes.count ? bytes : nil
    }

    /// Where `trial`'s checkpoint is now: an upload not yet renamed, the source of a copy
    /// not yet made, or its own file.
    private func storedPath(_ trial: Int, in directory: ArtifactDirectory) -> String {
        copies[trial] ?? arrived[trial] ?? directory.absolute(relative(trial))
    }

    /// Drops `trial`'s upload under way (of an epoch up to `epoch`): its lease ended, or its
    /// worker sent the report without it. Its file goes and its room under the cap is freed.
    public func abandonUpload(_ trial: Int, upTo epoch: Int = .max) {
        guard let u = uploads[trial], u.epoch <= epoch else { return }
        uploads[trial] = nil
        close(u.fd)
        unlink(u.path)
    }

    /// Drops the uploads whose parts stopped coming `seconds` ago, giving back the room each
    /// took under the cap when it began: a peer that announced a 2 GiB upload, sent one part
    /// and went quiet held the whole `--checkpoint-limit` for as long as its lease lasted (no
    /// other trial could pause). A worker sends parts without pause (a part at most every
    /// ``CheckpointTransfer/answerSeconds``); the report comes right after its last part.
    /// Returns the trials whose uploads were dropped.
    public func abandonStalledUploads(olderThan seconds: Double, now: Double) -> [Int] {
        let stalled = uploads.filter { now - $0.value.lastPartAt > seconds }.map(\.key)
        for t in stalled { abandonUpload(t) }
        return stalled.sorted()
    }

    /// An upload that arrived in this batch and is replaced before its rename.
    private func discardArrived(_ trial: Int) {
        guard let path = arrived.removeValue(forKey: trial) else { return }
        if copies.values.contains(path) { orphans.append(path) } else { unlink(path) }
    }

    private static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

    /// Writes the checkpoints accepted and removes those dropped since the last flush;
    /// returns what could not be written (the trial then has no checkpoint).
    public func flush() -> [(trial: Int, error: ArtifactError)] {
        guard let directory else { return [] }
        var failures: [(trial: Int, error: ArtifactError)] = []
        // Copies first: a source dropped in this batch is still there.
        for (member, from) in copies {
            let temporary = directory.absolute(relative(member)) + ".tmp-\(getpid())"
            unlink(temporary)
            // A hard link (a checkpoint is never written in place: a newer one is renamed over it).
            if link(from, temporary) != 0 && (try? FileManager.default.copyItem(atPath: from, toPath: temporary)) == nil
                || rename(temporary, directory.absolute(relative(member))) != 0 {
                let why = String(cString: strerror(errno))
                unlink(temporary)
                entries[member] = nil
                failures.append((member, .cannotWrite(relative(member), why)))
            }
        }
        copies.removeAll()
        for path in orphans { unlink(path) }
        orphans.removeAll()
        for (t, path) in arrived {
            if rename(path, directory.absolute(relative(t))) != 0 {
                let why = String(cString: strerror(errno))
                entries[t] = nil
                unlink(path)
                failures.append((t, .cannotWrite(relative(t), why)))
            }
        }
        arrived.removeAll()
        for t in removed { directory.delete(relative(t)) }
        // No folder left behind once no trial has a checkpoint (rmdir fails while one has).
        if !removed.isEmpty && entries.isEmpty && uploads.isEmpty { rmdir(directory.absolute("\(study)/checkpoints")) }
        removed.removeAll()
        return failures
    }

    // MARK: Reading

    /// The latest checkpoint of `trial`, or nil when there is none or its file is damaged
    /// (it is dropped then).
    public func latest(trial: Int) -> (epoch: Int, bytes: [UInt8])? {
        guard let directory, let entry = entries[trial], case let path = storedPath(trial, in: directory),
              let data = FileManager.default.contents(atPath: path),
              let c = Self.decode(Array(data)) else {
            if let epoch = entries[trial]?.epoch { damaged.append((trial, epoch)) }
            drop(trial: trial)
            return nil
        }
        _ = entry
        return c
    }

    /// Checkpoints found damaged (or gone) when read, since ``takeDamaged()`` last emptied
    /// the list: their trials start over from epoch 1, which is said in the events (it was
    /// silent).
    private var damaged: [(trial: Int, epoch: Int)] = []

    /// The checkpoints found damaged since the last call.
    public func takeDamaged() -> [(trial: Int, epoch: Int)] {
        defer { damaged.removeAll() }
        return damaged
    }

    /// Finds the checkpoints left by an earlier run; those of trials for which `keep` says
    /// no (they ended meanwhile) are removed.
    public func load(keep: (Int) -> Bool) {
        guard let directory else { return }
        let dir = directory.absolute("\(study)/checkpoints")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = "\(dir)/\(name)"
            guard name.hasPrefix("trial-"), name.hasSuffix(".ckpt"), let t = Int(name.dropFirst(6).dropLast(5)) else {
                if name.contains(".tmp-") || name.hasSuffix(".upload") || name.hasSuffix(".staged") { unlink(path) } // cut short by a crash
                continue
            }
            guard keep(t) else {
                unlink(path)
                continue
            }
            guard let header = Self.readHeader(path) else {
                // Its trial starts over: said, as for one found damaged when read (epoch 0:
                // the header that would say which is what is damaged).
                damaged.append((t, 0))
                unlink(path)
                continue
            }
            entries[t] = header
        }
    }

    // MARK: Format

    /// magic (8) | version UInt32 | epoch UInt32 | payload length UInt64 | payload | CRC-32 UInt32,
    /// little-endian; the CRC covers every byte before it.
    static func encode(epoch: Int, payload: [UInt8]) -> [UInt8] {
        var out = header(epoch: epoch, payloadBytes: payload.count)
        out.reserveCapacity(headerBytes + payload.count + 4)
        out += payload
        append(CRC32.checksum(out[...]), &out)
        return out
    }

    /// The header of a stored file whose payload has `payloadBytes` bytes.
    static func header(epoch: Int, payloadBytes: Int) -> [UInt8] {
        var out = magic
        append(version, &out)
        append(UInt32(clamping: epoch), &out)
        append(UInt64(payloadBytes), &out)
        return out
    }

    /// The epoch and payload of a stored file, or nil when it is not one or is damaged.
    static func decode(_ bytes: [UInt8]) -> (epoch: Int, bytes: [UInt8])? {
        payload(bytes).map { ($0.epoch, Array($0.bytes)) }
    }

    /// The epoch and payload of a stored file as a slice of it (no copy), or nil when it is
    /// not one or is damaged.
    static func payload(_ bytes: [UInt8]) -> (epoch: Int, bytes: ArraySlice<UInt8>)? {
        guard let entry = header(bytes[...]), bytes.count == entry.bytes,
              CRC32.checksum(bytes[..<(bytes.count - 4)]) == read(UInt32.self, bytes, at: bytes.count - 4) else { return nil }
        return (entry.epoch, bytes[headerBytes..<(bytes.count - 4)])
    }

    private static func readHeader(_ path: String) -> Entry? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: headerBytes), let entry = header(Array(data)[...]),
              let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == entry.bytes else { return nil }
        return entry
    }

    /// The epoch and whole-file size a header declares.
    private static func header(_ bytes: ArraySlice<UInt8>) -> Entry? {
        let b = Array(bytes.prefix(headerBytes))
        guard b.count == headerBytes, Array(b[0..<8]) == magic, read(UInt32.self, b, at: 8) == version else { return nil }
        let epoch = Int(read(UInt32.self, b, at: 12))
        let length = read(UInt64.self, b, at: 16)
        guard epoch >= 1, length < UInt64(Int.max / 2) else { return nil }
        return Entry(epoch: epoch, bytes: headerBytes + Int(length) + 4)
    }

    private static func append<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ b: [UInt8], at offset: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(b[offset + i]) << (8 * i) }
        return v
    }
}
