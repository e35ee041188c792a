import Store

extension CoordinatorCore {
    /// Makes `source`'s latest checkpoint `member`'s, so that `member` continues from it;
    /// returns that checkpoint's epoch, or nil when `source` has none.
    func copyCheckpoint(from source: Int, to member: Int, now: Double, tx: StoreTransaction) throws -> Int? {
        nil // wired to the checkpoint store in the next step
    }
}
