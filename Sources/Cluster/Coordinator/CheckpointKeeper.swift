import CZlib
import Foundation

/// The latest checkpoint of each running trial, beside the database:
/// `DB.artifacts/STUDY/checkpoints/trial-N.ckpt`, so that a re-queued trial continues on
/// any worker where its last attempt stopped (docs/model-format.md, "Stored checkpoints").
///
/// One file per trial, replaced by each newer checkpoint and removed when the trial ends;
/// all files together stay under a byte cap (a checkpoint that would exceed it is not
/// kept, and the trial resumes from its older one). Files are written after the batch that
/// recorded their report commits (``flush()``), so the database never holds fewer epochs
/// than a checkpoint covers. They are not fsynced (one per epoch per trial would stall the
/// poll loop): a checksum catches a file damaged by a machine crash, and such a trial
/// starts over.
final class CheckpointKeeper {
    /// What is known of a stored checkpoint without reading it.
    struct Entry: Equatable {
        var epoch: Int
        var bytes: Int
    }

    /// Header of a stored checkpoint file: magic, version, epoch, payload length.
    static let magic: [UInt8] = Array("SWEEPTCK".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 24

    private let directory: ArtifactDirectory?
    private let study: String
    /// Bytes all stored checkpoints may take together.
    let capBytes: Int
    private(set) var entries: [Int: Entry] = [:]
    /// Accepted in this batch, written by ``flush()`` after the commit.
    private var unwritten: [Int: (epoch: Int, bytes: [UInt8])] = [:]
    /// Dropped in this batch, removed by ``flush()`` after the commit.
    private var removed: Set<Int> = []

    init(directory: ArtifactDirectory?, study: String, capBytes: Int) {
        self.directory = directory
        self.study = study
        self.capBytes = capBytes
    }

    /// Whether checkpoints can be kept at all (an in-memory database keeps none).
    var enabled: Bool { directory != nil && capBytes > 0 }

    /// Bytes of all checkpoints kept (written or about to be).
    var totalBytes: Int { entries.values.reduce(0) { $0 + $1.bytes } }

    private func relative(_ trial: Int) -> String { "\(study)/checkpoints/trial-\(trial).ckpt" }

    // MARK: Batch

    /// Keeps `bytes` as the latest checkpoint of `trial` (after `epoch`); false when the
    /// cap does not leave room for it (the older checkpoint stays).
    func offer(trial: Int, epoch: Int, bytes: [UInt8]) -> Bool {
        guard enabled else { return false }
        let size = bytes.count + Self.headerBytes + 4
        guard totalBytes - (entries[trial]?.bytes ?? 0) + size <= capBytes else { return false }
        entries[trial] = Entry(epoch: epoch, bytes: size)
        unwritten[trial] = (epoch, bytes)
        removed.remove(trial)
        return true
    }

    /// Forgets the checkpoint of a trial that ended (or whose checkpoint is not trusted).
    func drop(trial: Int) {
        guard entries.removeValue(forKey: trial) != nil || unwritten[trial] != nil else { return }
        unwritten[trial] = nil
        removed.insert(trial)
    }

    /// Writes the checkpoints accepted and removes those dropped since the last flush;
    /// returns what could not be written (the trial then has no checkpoint).
    func flush() -> [(trial: Int, error: ArtifactError)] {
        guard let directory else { return [] }
        var failures: [(Int, ArtifactError)] = []
        for t in removed { directory.delete(relative(t)) }
        removed.removeAll()
        for (t, c) in unwritten {
            do {
                try directory.write(relative(t), bytes: Self.encode(epoch: c.epoch, payload: c.bytes), durable: false)
            } catch {
                entries[t] = nil
                directory.delete(relative(t))
                failures.append((t, error as? ArtifactError ?? .cannotWrite(relative(t), "\(error)")))
            }
        }
        unwritten.removeAll()
        return failures
    }

    // MARK: Reading

    /// The latest checkpoint of `trial`, or nil when there is none or its file is damaged
    /// (it is dropped then).
    func latest(trial: Int) -> (epoch: Int, bytes: [UInt8])? {
        if let c = unwritten[trial] { return c }
        guard let directory, entries[trial] != nil,
              let data = FileManager.default.contents(atPath: directory.absolute(relative(trial))),
              let c = Self.decode(Array(data)) else {
            drop(trial: trial)
            return nil
        }
        return c
    }

    /// Finds the checkpoints left by an earlier run; those of trials for which `keep` says
    /// no (they ended meanwhile) are removed.
    func load(keep: (Int) -> Bool) {
        guard let directory else { return }
        let dir = directory.absolute("\(study)/checkpoints")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = "\(dir)/\(name)"
            guard name.hasPrefix("trial-"), name.hasSuffix(".ckpt"), let t = Int(name.dropFirst(6).dropLast(5)) else {
                if name.contains(".tmp-") { unlink(path) } // a write cut short by a crash
                continue
            }
            guard keep(t), let header = Self.readHeader(path) else {
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
        var out = magic
        out.reserveCapacity(headerBytes + payload.count + 4)
        append(version, &out)
        append(UInt32(clamping: epoch), &out)
        append(UInt64(payload.count), &out)
        out += payload
        append(checksum(out[...]), &out)
        return out
    }

    /// The epoch and payload of a stored file, or nil when it is not one or is damaged.
    static func decode(_ bytes: [UInt8]) -> (epoch: Int, bytes: [UInt8])? {
        guard let entry = header(bytes[...]), bytes.count == entry.bytes,
              checksum(bytes[..<(bytes.count - 4)]) == read(UInt32.self, bytes, at: bytes.count - 4) else { return nil }
        return (entry.epoch, Array(bytes[headerBytes..<(bytes.count - 4)]))
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

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let n = min(buffer.count - offset, 1 << 30)
                crc = crc32(crc, buffer.baseAddress! + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
