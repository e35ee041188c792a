/// Why a model file could not be read.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read (missing, permissions).
    case unreadable(path: String, reason: String)
    /// The bytes do not start with the model magic `SWEEPMDL`.
    case badMagic
    /// Written by a newer format version than this build reads.
    case unsupportedVersion(found: Int, supported: Int)
    /// Shorter than its header or its declared contents.
    case truncated(String)
    /// The CRC-32 of the contents does not match the stored one.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The JSON header is not valid or does not agree with the weights.
    case invalidHeader(String)

    /// The message.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read model file \(path): \(reason)"
        case .badMagic: "not a Sweep model file (the magic header SWEEPMDL is missing)"
        case .unsupportedVersion(let found, let supported):
            "model file format version \(found) is newer than this build reads (up to \(supported)); update sweep"
        case .truncated(let what): "model file is truncated: \(what)"
        case .checksumMismatch(let stored, let computed):
            "model file is corrupt: checksum \(String(stored, radix: 16)) stored, \(String(computed, radix: 16)) computed"
        case .invalidHeader(let what): "invalid model file header: \(what)"
        }
    }
}
