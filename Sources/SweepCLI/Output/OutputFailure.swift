import SweepSupport
import Training

/// Why an output file (`--out`) could not be written, as the error a command throws: a
/// path that cannot name a file (its directory missing, a directory, a study's database)
/// is bad input, exit 2, as `--db` in a missing directory is; anything else (a full disk,
/// no permission) is a failure, exit 1.
enum OutputFailure {
    static func of(_ error: any Error, writing path: String) -> any Error {
        if let bad = error as? OutputFileError { return UsageError("cannot write \(path): \(bad.description)") }
        return CommandFailure("cannot write \(path): \(SystemErrorText.of(error, at: path))")
    }
}
