import Foundation
import SweepSupport
import Training

/// Model files of trials, beside the database: `DB.artifacts/STUDY/trial-N.swm`.
///
/// Files are written to a temporary name, flushed, then renamed, so a crash never leaves a
/// half-written model under a trial's name. The database records only files that exist.
public struct ArtifactDirectory: Sendable {
    /// The directory for all studies of one database.
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// The artifact directory that belongs to a database file (beside the file a
    /// symbolic link names).
    public init(database path: String) {
        self.root = DatabaseSidecar.path(of: path, ".artifacts")
    }

    public func absolute(_ relative: String) -> String { "\(root)/\(relative)" }

    /// Writes a trial's model atomically and returns its relative path.
    public func save(study: String, trial: Int, bytes: [UInt8]) throws -> String {
        try save(study: study, name: "trial-\(trial)", bytes: bytes)
    }

    /// Writes `STUDY/NAME.swm` atomically and returns its relative path.
    public func save(study: String, name: String, bytes: [UInt8]) throws -> String {
        let relative = "\(study)/\(name).\(ModelFile.fileExtension)"
        try write(relative, bytes: bytes, durable: true)
        return relative
    }

    /// Writes a file under the root atomically: to a temporary name, then renamed. With
    /// `durable`, data and rename are flushed to disk first (a machine crash keeps either
    /// the old or the new file); without, a machine crash may leave a damaged file, which
    /// a checksummed format detects (checkpoints, rewritten every epoch).
    func write(_ relative: String, bytes: [UInt8], durable: Bool) throws {
        let final = absolute(relative)
        let dir = String(final[..<(final.lastIndex(of: "/") ?? final.endIndex)])
        if let why = Directories.make(dir) { throw ArtifactError.cannotWrite(dir, why) }
        let temporary = final + ".tmp-\(getpid())"
        guard let fd = Optional(open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)), fd >= 0 else {
            throw ArtifactError.cannotWrite(temporary, String(cString: strerror(errno)))
        }
        let ok = DescriptorWriting.writeAll(fd, bytes[...]) && (!durable || fsync(fd) == 0)
        close(fd)
        guard ok, rename(temporary, final) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw ArtifactError.cannotWrite(final, why)
        }
        guard durable else { return }
        // The rename itself must survive a crash too.
        let dirFD = open(dir, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    /// The bytes of a stored model.
    public func read(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: absolute(relative)) else {
            throw ArtifactError.missing(absolute(relative))
        }
        return Array(data)
    }

    /// Removes a stored model (missing files are fine).
    public func delete(_ relative: String) {
        unlink(absolute(relative))
    }
}

public enum ArtifactError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(String, String)
    case missing(String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let why): return "cannot write the model file \(path): \(why)"
        case .missing(let path): return "the model file \(path) is missing"
        }
    }
}
