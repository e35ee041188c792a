import Store
import SweepFile

/// The sweep file each trial of a study ran under: the current one, or one that
/// `coordinator FILE --resume --force` replaced since (a trial retrained, shown or exported
/// with the file that replaced it gave another network, epochs or command than it ran).
/// Each version is parsed once.
public struct TrialDefinitions: Sendable {
    /// The study's current definition (nil when its stored file no longer parses).
    public let current: SweepDefinition?
    /// The study's current sweep file.
    private let currentText: String
    /// The earlier files, and their definitions (nil: that file no longer parses), by version.
    private let files: [Int: EarlierSweepFile]
    private let earlier: [Int: SweepDefinition?]
    /// The version each trial's current attempt ran, by trial number.
    private let versions: [Int: Int]
    /// The study's current version (1 + the replacements).
    public let currentVersion: Int

    /// Reads what `study`'s trials ran under.
    public init(study: StudyRecord, reading q: StoreQueries) throws {
        current = try? SweepDefinition.stored(study)
        currentText = study.definition.sweepFile
        let files = try q.earlierSweepFiles(studyID: study.id)
        self.files = files
        earlier = files.mapValues { file in
            // Checked as the study's file is, against the settings that file itself gives
            // (the row holds the replacing file's: a changed seed or epoch cap made every
            // earlier version "disagree", and its trials lost their command and values).
            var record = study
            record.definition.sweepFile = file.text
            record.definition.sweepPath = file.path
            if let own = (try? SweepDefinition.parseStored(text: file.text, file: file.path))?.newStudy {
                record.definition.seed = own.seed
                record.definition.budgetTrials = own.budgetTrials
                record.definition.maxEpochs = own.maxEpochs
                record.definition.maxAttempts = own.maxAttempts
                record.definition.wallTime = own.wallTime
            }
            return try? SweepDefinition.stored(record)
        }
        versions = files.isEmpty ? [:] : try q.attemptFileVersions(studyID: study.id)
        currentVersion = (files.keys.max() ?? 0) + 1
    }

    /// The text of the sweep file trial `number` ran, and its version when it is an earlier
    /// one than the study's (for commands that parse it themselves: `retrain`,
    /// `export-schedule`; with the current file they trained another network under its number).
    public func fileText(ofTrial number: Int) -> (text: String, earlierVersion: Int?) {
        guard let version = earlierVersion(ofTrial: number), let file = files[version] else { return (currentText, nil) }
        return (file.text, version)
    }

    /// The version of the sweep file trial `number` ran, when it is an earlier one; nil for
    /// the current file (and for a trial not yet started).
    public func earlierVersion(ofTrial number: Int) -> Int? {
        versions[number].flatMap { earlier.keys.contains($0) ? $0 : nil }
    }

    /// The definition trial `number` ran under (the current one unless it ran an earlier
    /// version); nil when that file no longer parses.
    public func definition(ofTrial number: Int) -> SweepDefinition? {
        guard let version = earlierVersion(ofTrial: number) else { return current }
        return earlier[version] ?? nil
    }
}
