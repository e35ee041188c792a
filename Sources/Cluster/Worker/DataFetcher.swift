import SweepSupport
import Foundation
import Training

/// Where a ``DataFetcher`` sends its requests and gets the answers (a trial's session; a
/// fake in tests).
protocol DataChannel: AnyObject {
    func request(_ r: DataRequest)
    /// The next answer, or nil when none came in time or the trial should end.
    func nextDataReply(timeoutSeconds: Double) -> DataReply?
    var shouldEnd: Bool { get }
}

/// Why a shipped data set could not be used.
struct DataShippingError: Error, CustomStringConvertible {
    var description: String
}

/// Puts an assignment's data set on this worker: when files of a fingerprinted file data
/// set are missing here, the coordinator's copy is fetched (once per worker: files are kept
/// in the content-addressed ``DataContentCache``) and the trial reads the cached files.
/// Files that are all here are used as they are (the loader then compares fingerprints, so
/// other data is an error naming both, never silently replaced).
struct DataFetcher {
    let cache: DataContentCache
    let log: Log
    /// How long one answer may take before the missing chunks are asked for again.
    var timeoutSeconds = 20.0
    /// Times in a row the transfer is resumed after a silence before the trial fails.
    var retries = 3

    /// `config`, with its files in the cache when they are not all on this machine.
    func localize(_ config: DataConfig, over channel: some DataChannel) throws -> DataConfig {
        guard let files = config.files, let fingerprint = files.fingerprint else { return config }
        let missing = files.allPaths.filter { !FileManager.default.fileExists(atPath: $0) }
        let key = fingerprint.description
        var lacking = "data file(s) \(missing.joined(separator: ", ")) not on this worker"
        if missing.isEmpty {
            // This machine's copy differs from the coordinator's (a row deleted, another
            // version): the coordinator's is used, as for a missing file. It failed every
            // trial here, and five in a row stopped the study before a good worker joined.
            guard let actual = try? DataFingerprint.of(files), actual != fingerprint else { return config }
            lacking = "this machine's \(files.allPaths.joined(separator: ", ")) \(files.allPaths.count == 1 ? "differs" : "differ") from the coordinator's data (\(actual) against \(key))"
            log.limited(.warning, key: "differs-\(key)", "\(lacking): asking the coordinator for its copy")
        }
        channel.request(DataRequest(fingerprint: key))
        var entries: [DataFileEntry]?
        var silences = 0
        while entries == nil {
            guard let reply = channel.nextDataReply(timeoutSeconds: timeoutSeconds) else {
                try giveUpUnless(channel, &silences, key)
                channel.request(DataRequest(fingerprint: key))
                continue
            }
            switch reply {
            case .manifest(let f, let list) where f == key: entries = list
            case .refused(let f, let reason) where f == key:
                throw DataShippingError(description: "\(lacking), and the coordinator does not ship them: \(reason)")
            default: continue // an answer to an earlier trial's request
            }
        }
        guard let entries, entries.count == files.allPaths.count else {
            throw DataShippingError(description: "the coordinator's manifest of \(key) lists \(entries?.count ?? 0) file(s), the data section names \(files.allPaths.count)")
        }
        var paths: [String] = []
        for (index, entry) in entries.enumerated() {
            if cache.holds(sha256: entry.sha256, bytes: entry.bytes), !cache.removeUnlessIntact(sha256: entry.sha256) {
                log.warning("the cached \(cache.path(of: entry.sha256)) (\(files.allPaths[index])) no longer has its content: removed, fetched again")
            }
            if !cache.holds(sha256: entry.sha256, bytes: entry.bytes) {
                let started = Date()
                try download(file: index, entry, of: key, over: channel)
                log.info("received \(files.allPaths[index]) (\(entry.bytes) bytes) from the coordinator in \(String(format: "%.2f", Date().timeIntervalSince(started))) s; cached as \(cache.path(of: entry.sha256))")
            }
            paths.append(cache.path(of: entry.sha256))
        }
        var local = config
        local.files = files.relocated(to: paths)
        return local
    }

    /// Pulls file `index` chunk by chunk (a few requests in flight) into the cache.
    func download(file index: Int, _ entry: DataFileEntry, of key: String, over channel: some DataChannel) throws {
        let writer = try cache.writer(sha256: entry.sha256, bytes: entry.bytes)
        var next = 0, inFlight = 0, silences = 0
        var early: [Int: [UInt8]] = [:] // chunks that arrived before the ones in front of them
        func requestMore() {
            while inFlight < DataTransfer.window && next < entry.bytes {
                channel.request(DataRequest(fingerprint: key, file: index, offset: next))
                next += DataTransfer.chunkBytes
                inFlight += 1
            }
        }
        requestMore()
        while writer.written < entry.bytes {
            guard let reply = channel.nextDataReply(timeoutSeconds: timeoutSeconds) else {
                try giveUpUnless(channel, &silences, key)
                // Lost on the way (e.g. a reconnect): ask again from what arrived.
                (next, inFlight) = (writer.written, 0)
                early.removeAll()
                requestMore()
                continue
            }
            switch reply {
            case .chunk(let c) where c.fingerprint == key && c.file == index:
                inFlight = max(0, inFlight - 1)
                guard c.offset >= writer.written else { continue } // a duplicate after a retry
                guard !c.bytes.isEmpty else {
                    throw DataShippingError(description: "the coordinator's copy of \(key) file \(index + 1) ends at byte \(c.offset), the manifest says \(entry.bytes)")
                }
                early[c.offset] = c.bytes
                silences = 0 // (silences in a row end a transfer, not a few over a long one)
                while let bytes = early.removeValue(forKey: writer.written) { try writer.append(bytes) }
                requestMore()
            case .refused(let f, let reason) where f == key:
                throw DataShippingError(description: "the coordinator stopped shipping \(key): \(reason)")
            default:
                continue
            }
        }
        do {
            _ = try writer.commit()
        } catch {
            throw DataShippingError(description: "data set \(key), file \(index + 1): \(error)")
        }
    }

    private func giveUpUnless(_ channel: some DataChannel, _ silences: inout Int, _ key: String) throws {
        if channel.shouldEnd { throw DataShippingError(description: "the trial ended while data set \(key) was being fetched") }
        silences += 1
        guard silences <= retries else {
            throw DataShippingError(description: "no answer from the coordinator for \(Int(timeoutSeconds)) s, \(silences) times in a row, while fetching data set \(key)")
        }
    }
}
