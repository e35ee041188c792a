import Foundation
import SweepSupport
import SweepFile
import Training

/// The data set a coordinator ships to workers that do not have it (DataTransfer.swift):
/// only the files of its own study's `data` section, identified by their fingerprint, and
/// only up to `maxBytes` in all.
final class DataShelf {
    /// The study's data fingerprint (nil: no file data set, or each trial reads other files).
    let fingerprint: DataFingerprint?
    /// The files, in `DataFiles.allPaths` order, as the coordinator reads them.
    let paths: [String]
    private let files: DataFiles?
    let maxBytes: Int

    init(definition: SweepDefinition, maxBytes: Int) {
        self.maxBytes = maxBytes
        files = Self.files(of: definition)
        fingerprint = files?.fingerprint
        paths = files?.allPaths ?? []
        // (As the CLI fingerprinted them a moment ago: not hashed again at start.)
        stamps = paths.map { FileStamp(path: $0) }
    }

    /// The files' stamps when they were last found to give the study's fingerprint.
    private var stamps: [FileStamp?]
    /// When ``dataChange(now:)`` last looked.
    private var lastLook = -Double.infinity

    /// How the data files changed since the study started, if they did: looked at by their
    /// stamps at most once a second, and hashed again only when a stamp changed (a touch that
    /// leaves the bytes is no change). Edited during a run, they failed most of the remaining
    /// trials within a second (every worker asking for the study's copy was refused), and
    /// the run exited 0.
    func dataChange(now: Double) -> String? {
        if let change { return change }
        guard let files, let fingerprint, now - lastLook >= 1 else { return nil }
        lastLook = now
        let current = paths.map { FileStamp(path: $0) }
        guard current != stamps else { return nil }
        do {
            let now = try DataFingerprint.of(files)
            guard now != fingerprint else {
                stamps = current
                return nil
            }
            change = Self.changed(paths, from: fingerprint, to: now)
        } catch {
            change = "the data file(s) \(paths.joined(separator: ", ")) can no longer be read (\(error))"
        }
        return change
    }

    static func changed(_ paths: [String], from then: DataFingerprint, to now: DataFingerprint) -> String {
        "the data file(s) \(paths.joined(separator: ", ")) changed since the study started (\(then) then, \(now) now)"
    }

    /// The change found (by ``dataChange(now:)`` or a worker's request for the files).
    private(set) var change: String?

    /// The files of a definition's file data set, with the fingerprint the CLI put in.
    static func files(of definition: SweepDefinition) -> DataFiles? { definition.sharedDataConfig?.files }

    /// The data fingerprint assignments of `definition` carry.
    static func fingerprint(of definition: SweepDefinition) -> DataFingerprint? { files(of: definition)?.fingerprint }

    /// The answer to `request`.
    func answer(_ request: DataRequest) -> DataReply {
        let asked = request.fingerprint
        guard let fingerprint, asked == fingerprint.description else {
            return .refused(fingerprint: asked, reason: "the study's data set is \(fingerprint?.description ?? "not a file data set"), not \(asked)")
        }
        guard fingerprint.bytes <= maxBytes else {
            return .refused(fingerprint: asked, reason: "the data set's \(fingerprint.bytes) bytes exceed the coordinator's shipping limit of \(maxBytes) bytes (--ship-data-max-mib); larger data sets must be at the same path on every worker")
        }
        guard let file = request.file else { return manifest() }
        guard file < paths.count else { return .refused(fingerprint: asked, reason: "the data set has \(paths.count) file(s), not \(file + 1)") }
        // Whole chunks from the start, within the file (an offset of 2^62 was answered with
        // Foundation's error text).
        guard request.offset % DataTransfer.chunkBytes == 0, request.offset <= fingerprint.bytes else {
            return .refused(fingerprint: asked, reason: "offset \(request.offset) is not a chunk of the data set (multiples of \(DataTransfer.chunkBytes) bytes within its \(fingerprint.bytes))")
        }
        do {
            let bytes = try Self.read(paths[file], offset: request.offset, count: DataTransfer.chunkBytes)
            return .chunk(DataChunk(fingerprint: asked, file: file, offset: request.offset, bytes: bytes))
        } catch {
            return .refused(fingerprint: asked, reason: "the coordinator cannot read \(paths[file]): \(error)")
        }
    }

    /// Each file's digest, after checking that the files are still the study's.
    private func manifest() -> DataReply {
        let asked = fingerprint!.description
        do {
            let now = try DataFingerprint.of(files!)
            guard now == fingerprint else {
                change = Self.changed(paths, from: fingerprint!, to: now)
                return .refused(fingerprint: asked, reason: "the coordinator's data files \(paths.joined(separator: ", ")) changed since the study started: they now give \(now)")
            }
            let files = try paths.map { path throws(DataError) in
                let f = try DataFingerprint.ofFile(path)
                return DataFileEntry(sha256: f.sha256, bytes: f.bytes)
            }
            return .manifest(fingerprint: asked, files: files)
        } catch {
            return .refused(fingerprint: asked, reason: "the coordinator cannot read its data files: \(error)")
        }
    }

    /// Up to `count` bytes of `path` from `offset`.
    static func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError.noSuchFile(field: "data", path: path) }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return Array(try handle.read(upToCount: count) ?? Data())
    }
}
