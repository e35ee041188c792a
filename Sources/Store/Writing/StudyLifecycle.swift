import GRDB

extension StoreTransaction {
    /// Deletes a study and everything recorded for it (trials, epochs, attempts, workers,
    /// events, artifact and retrain rows, by `ON DELETE CASCADE`). Files are the caller's.
    public func deleteStudy(_ studyID: Int64) throws {
        try db.execute(sql: "DELETE FROM studies WHERE id = ?", arguments: [studyID])
    }

    /// Renames a study; `to` must be free. Stored model paths (`OLD/trial-N.swm`) follow
    /// the new name, so the caller renames the artifact folder in the same step.
    public func renameStudy(_ studyID: Int64, from old: String, to new: String) throws {
        if try Int64.fetchOne(db, sql: "SELECT id FROM studies WHERE name = ?", arguments: [new]) != nil {
            throw StoreError.studyExists(new)
        }
        try db.execute(sql: "UPDATE studies SET name = ? WHERE id = ?", arguments: [new, studyID])
        let prefix = old + "/"
        for (table, column) in [("artifacts", "path"), ("retrains", "model_path")] {
            try db.execute(sql: """
                UPDATE \(table) SET \(column) = ? || substr(\(column), ?)
                WHERE study_id = ? AND substr(\(column), 1, ?) = ?
                """, arguments: [new + "/", prefix.utf8.count + 1, studyID, prefix.utf8.count, prefix])
        }
    }
}
