import Store

extension CoordinatorCore {
    /// Makes `source`'s latest checkpoint `member`'s (PBT's exploit), so that `member`
    /// continues from it when next leased; returns that checkpoint's epoch, or nil when
    /// `source` has none (or the cap leaves no room for the copy).
    func copyCheckpoint(from source: Int, to member: Int, now: Double, tx: StoreTransaction) throws -> Int? {
        if checkpoints.isLarge(trial: source) { return checkpoints.copyLarge(from: source, to: member) }
        guard let latest = checkpoints.latest(trial: source), keepCheckpoint(latest.bytes, trial: member, epoch: latest.epoch) == nil else {
            return nil
        }
        return latest.epoch
    }
}
