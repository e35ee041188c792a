import Search
import Store
import SweepFile

/// Trained models beside the database: the top-K models of this study, and the stored
/// models other studies' transfer-learning trials start from (`study:NAME/TRIAL|best`).
final class ModelKeeper {
    private let directory: ArtifactDirectory?
    /// Keep at most this many models (the best ones); nil keeps every complete trial's.
    private let keep: Int?
    /// Whether finished trials send their model (training sweeps that keep artifacts).
    let keepsModels: Bool
    /// Model files no longer recorded, to remove after the batch commits.
    private var dropped: [String] = []
    /// Stored models named by references, read once per coordinator.
    private var baseModels: [String: [UInt8]] = [:]

    init(directory: ArtifactDirectory?, definition: SweepDefinition) {
        self.directory = directory
        keep = definition.artifacts.keep
        keepsModels = directory != nil && definition.task == .training && definition.artifacts.keepsModels
    }

    /// Stores a finished trial's model, then forgets the models that fell out of the top K.
    func keepModel(_ bytes: [UInt8], trial: Int, value: Double, study: StudyRecord, history: StudyHistory, now: Double,
                   tx: StoreTransaction) throws {
        guard keepsModels, let directory else { return }
        if let k = keep, !Self.isAmongBest(k, value: value, history: history) { return }
        let path = try directory.save(study: study.name, trial: trial, bytes: bytes)
        try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: trial, path: path, bytes: bytes.count, value: value, createdAt: now))
        guard let k = keep else { return }
        let ranked = try tx.queries.artifacts(studyID: study.id).sorted { a, b in
            guard let x = a.value, let y = b.value else { return a.value != nil }
            return history.direction.isBetter(x, than: y) || (x == y && a.trialNumber < b.trialNumber)
        }
        for gone in ranked.dropFirst(k) {
            try tx.deleteArtifact(studyID: study.id, trialNumber: gone.trialNumber)
            // Removed only once the transaction that forgets them has committed.
            dropped.append(gone.path)
        }
    }

    /// Whether `value` would be among the best `k` complete values so far.
    private static func isAmongBest(_ k: Int, value: Double, history: StudyHistory) -> Bool {
        let better = history.trials.lazy.filter { $0.state == .complete }.compactMap(\.value).filter { history.direction.isBetter($0, than: value) }.count
        return better < k
    }

    /// Removes model files the last committed batch stopped recording.
    func removeDropped() {
        guard let directory, !dropped.isEmpty else { return }
        for path in dropped { directory.delete(path) }
        dropped.removeAll()
    }

    /// The model file a `study:NAME/TRIAL|best` reference names, from this database's
    /// artifacts. `best` is the study's best complete trial (as `sweep best` and
    /// `sweep model export` mean it); its model must have been kept.
    func baseModel(_ reference: String, tx: StoreTransaction) throws -> [UInt8] {
        if let cached = baseModels[reference] { return cached }
        guard let directory else {
            throw BaseModelReference.Error.unresolved(reference, "this coordinator keeps no models (an in-memory database)")
        }
        let bytes = try BaseModelReference(reference).modelBytes(queries: tx.queries, directory: directory).bytes
        baseModels[reference] = bytes
        return bytes
    }
}
