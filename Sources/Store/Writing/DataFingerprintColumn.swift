import GRDB

extension StoreTransaction {
    /// Records the fingerprint (`sha256:HEX/BYTES`) of the data a study trains on.
    public func setDataFingerprint(studyID: Int64, _ fingerprint: String?) throws {
        try db.execute(sql: "UPDATE studies SET data_fingerprint = ? WHERE id = ?", arguments: [fingerprint, studyID])
    }
}

extension StoreQueries {
    /// The fingerprint of the data the study started with (nil: none recorded, e.g. a
    /// synthetic data set or a study from before fingerprints). Needs a writer's connection
    /// (a reader of an older database has no such column).
    public func dataFingerprint(studyID: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT data_fingerprint FROM studies WHERE id = ?", arguments: [studyID])
    }
}
