import Foundation
import SweepFile

/// Where a command sweep's `program` will be looked for, and a note when it is not there.
///
/// Without `working_directory`, a worker runs the program from its own directory: a local
/// worker of `sweep run` from the directory `sweep run` was started in. A relative `program`
/// that is not there fails every trial with "can't open file"; the note says so before the
/// run instead (remote workers may have it, so it is no error).
enum ProgramLocation {
    static func note(for definition: SweepDefinition, file: String) -> String? {
        guard case .string(let program)? = definition.template["program"]?.value, !program.hasPrefix("/"),
              definition.template["working_directory"] == nil else { return nil }
        let here = FileManager.default.currentDirectoryPath
        guard !FileManager.default.fileExists(atPath: here + "/" + program) else { return nil }
        let beside = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(program).path
        let hint = FileManager.default.fileExists(atPath: beside)
            ? "; it is beside \(file): add `working_directory: .` to run it there (a path in the file is relative to the file)"
            : ""
        return "note: program '\(program)' is not in \(here), where local workers run it (no working_directory)\(hint)"
    }
}
