import Foundation
import SweepFile
import SweepSupport
import Testing
@testable import Cluster
@testable import Training

/// Shipping a data set from the coordinator's ``DataShelf`` to a worker's ``DataFetcher``:
/// every reply goes through the wire codec, as on the network.
@Suite struct DataTransferTests {
    let codec = WireCodec()

    /// A directory with a 2.5 MiB features file (three chunks) and a labels file, and the
    /// coordinator's sweep definition naming them with their fingerprint.
    final class Setup {
        let dir: String
        let files: DataFiles
        let fingerprint: DataFingerprint
        let x: [UInt8], y: [UInt8]

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-ship-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let n = 655_360 // 655,360 float32 values: 2.5 MiB of features, 64 samples of 10,240
            x = Self.npy(descr: "<f4", shape: "(64, 10240)", payload: (0..<n).map { Float($0 % 97) }.withUnsafeBytes(Array.init)) // little-endian hosts
            y = Self.npy(descr: "<i8", shape: "(64,)", payload: (0..<64).flatMap { withUnsafeBytes(of: Int64($0 % 2).littleEndian, Array.init) })
            FileManager.default.createFile(atPath: "\(dir)/x.npy", contents: Data(x))
            FileManager.default.createFile(atPath: "\(dir)/y.npy", contents: Data(y))
            var files = DataFiles(train: "\(dir)/x.npy", trainLabels: "\(dir)/y.npy")
            fingerprint = try DataFingerprint.of(files)
            files.fingerprint = fingerprint
            self.files = files
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func shelf(maxBytes: Int = DataTransfer.defaultMaxShippedBytes) throws -> DataShelf {
            let definition = try SweepDefinition.parse(text: """
                study: ship
                data: {dataset: npy, train_file: \(dir)/x.npy, train_labels: \(dir)/y.npy, fingerprint: "\(fingerprint)"}
                model: {hidden: [{int: [2, 4]}]}
                budget: {trials: 1}
                """)
            return DataShelf(definition: definition, maxBytes: maxBytes)
        }

        /// The worker's view: the same fingerprint, files at paths this machine does not have.
        func workerConfig() throws -> DataConfig {
            let node = try YAMLReader.parse("""
                data: {dataset: npy, train_file: elsewhere/x.npy, train_labels: elsewhere/y.npy, validation: 8, test: 8, fingerprint: "\(fingerprint)"}
                """)
            return try ConfigDecoder().decode(DataConfig.self, from: node["data"]!, at: ConfigPath([.key("data")]))
        }

        static func npy(descr: String, shape: String, payload: [UInt8]) -> [UInt8] {
            var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            let h = header.utf8.count
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h & 255), UInt8(h >> 8)] + Array(header.utf8) + payload
        }
    }

    /// Answers each request at once from a shelf, through the codec; `tamper` may change a chunk.
    final class ShelfChannel: DataChannel {
        let shelf: DataShelf
        let codec = WireCodec()
        var replies: [DataReply] = []
        var requests: [DataRequest] = []
        var tamper: ((inout DataChunk) -> Void)?
        var shouldEnd = false

        init(_ shelf: DataShelf) { self.shelf = shelf }

        func request(_ r: DataRequest) {
            // The request crosses the wire too.
            guard case .dataRequest(let decoded)? = try? codec.decodeWorkerMessage(frames: codec.frames(.dataRequest(r))[...]) else {
                Issue.record("request did not survive the codec")
                return
            }
            requests.append(decoded)
            var reply = shelf.answer(decoded)
            if case .chunk(var c) = reply, let tamper {
                tamper(&c)
                reply = .chunk(c)
            }
            guard case .data(let back)? = try? codec.decodeCoordinatorMessage(frames: codec.frames(.data(reply))[...]) else {
                Issue.record("reply did not survive the codec")
                return
            }
            replies.append(back)
        }

        func nextDataReply(timeoutSeconds: Double) -> DataReply? { replies.isEmpty ? nil : replies.removeFirst() }
    }

    func cacheFiles(_ cache: DataContentCache) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory)) ?? []).sorted()
    }

    @Test func dataMessagesRoundTripWithTheChunkAsASecondFrame() throws {
        let chunk = CoordinatorMessage.data(.chunk(DataChunk(fingerprint: "sha256:ab/3", file: 1, offset: 7, bytes: [1, 2, 3])))
        let frames = codec.frames(chunk)
        #expect(frames.count == 2 && frames[1] == [1, 2, 3])
        #expect(try codec.decodeCoordinatorMessage(frames: frames[...]) == chunk)
        let manifest = CoordinatorMessage.data(.manifest(fingerprint: "f", files: [DataFileEntry(sha256: String(repeating: "a", count: 64), bytes: 9)]))
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(manifest)[...]) == manifest)
        let refused = CoordinatorMessage.data(.refused(fingerprint: "f", reason: "too big"))
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(refused)[...]) == refused)
        for r in [DataRequest(fingerprint: "f"), DataRequest(fingerprint: "f", file: 2, offset: 1 << 20)] {
            #expect(try codec.decodeWorkerMessage(codec.encode(.dataRequest(r))) == .dataRequest(r))
        }
        // A chunk whose frame is not the size its JSON declares is refused.
        #expect(throws: ProtocolViolation.self) { try codec.decodeCoordinatorMessage(frames: [frames[0], [1, 2]][...]) }
        #expect(throws: ProtocolViolation.self) { try codec.decodeCoordinatorMessage(frames: [frames[0]][...]) }
    }

    @Test func fetcherPullsMissingFilesInChunksIntoTheCacheAndTrainsOnThem() throws {
        let setup = try Setup()
        let channel = ShelfChannel(try setup.shelf())
        let cache = DataContentCache(directory: "\(setup.dir)/cache")
        let fetcher = DataFetcher(cache: cache, log: Log(label: "test", minimum: .error))
        let local = try fetcher.localize(try setup.workerConfig(), over: channel)
        let xSHA = try DataFingerprint.ofFile("\(setup.dir)/x.npy").sha256, ySHA = try DataFingerprint.ofFile("\(setup.dir)/y.npy").sha256
        #expect(local.files?.train == cache.path(of: xSHA) && local.files?.trainLabels == cache.path(of: ySHA))
        #expect(FileManager.default.contents(atPath: cache.path(of: xSHA)) == Data(setup.x))
        #expect(FileManager.default.contents(atPath: cache.path(of: ySHA)) == Data(setup.y))
        #expect(cacheFiles(cache) == [xSHA, ySHA].sorted()) // no partial files left
        // Readable by this user only (another user's data was readable by everyone on the host).
        var info = stat()
        #expect(stat(cache.path(of: xSHA), &info) == 0 && info.st_mode & 0o077 == 0, "\(String(info.st_mode, radix: 8))")
        // A manifest, three chunks of x (2.5 MiB) and one of y.
        #expect(channel.requests.map(\.file) == [nil, 0, 0, 0, 1])
        let dataset = try DatasetLoader.load(local) // checks the fingerprint of the cached copy
        #expect(dataset.train.count + dataset.validation.count + dataset.test.count == 64)

        // Once per worker: the next trial only asks for the manifest.
        let again = ShelfChannel(try setup.shelf())
        _ = try fetcher.localize(try setup.workerConfig(), over: again)
        #expect(again.requests.map(\.file) == [nil])
    }

    /// A cached file damaged since it was fetched (same size, one byte changed) failed every
    /// trial on its worker for good: it is removed and fetched again.
    @Test func aDamagedCacheEntryIsFetchedAgain() throws {
        let setup = try Setup()
        let cache = DataContentCache(directory: "\(setup.dir)/cache")
        let fetcher = DataFetcher(cache: cache, log: Log(label: "test", minimum: .error))
        _ = try fetcher.localize(try setup.workerConfig(), over: ShelfChannel(try setup.shelf()))
        let xSHA = try DataFingerprint.ofFile("\(setup.dir)/x.npy").sha256
        var bytes = setup.x
        bytes[5000] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: cache.path(of: xSHA)))
        let again = ShelfChannel(try setup.shelf())
        let local = try fetcher.localize(try setup.workerConfig(), over: again)
        #expect(again.requests.map(\.file) == [nil, 0, 0, 0], "\(again.requests.map(\.file))")
        #expect(FileManager.default.contents(atPath: cache.path(of: xSHA)) == Data(setup.x))
        _ = try DatasetLoader.load(local)
    }

    @Test func aCorruptChunkFailsWithTheHashMismatchAndLeavesNothingToTrainOn() throws {
        let setup = try Setup()
        let channel = ShelfChannel(try setup.shelf())
        channel.tamper = { chunk in if chunk.file == 0 && chunk.offset == 1 << 20 { chunk.bytes[100] ^= 0xFF } }
        let cache = DataContentCache(directory: "\(setup.dir)/cache")
        let xSHA = try DataFingerprint.ofFile("\(setup.dir)/x.npy").sha256
        do {
            _ = try DataFetcher(cache: cache, log: Log(label: "test", minimum: .error)).localize(try setup.workerConfig(), over: channel)
            Issue.record("a corrupt transfer was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("should be sha256:\(xSHA)/\(setup.x.count) but the bytes received are sha256:"), "\(text)")
            #expect(text.contains("deleted, not used"), "\(text)")
        }
        #expect(!cache.holds(sha256: xSHA, bytes: setup.x.count))
        #expect(cacheFiles(cache).isEmpty, "\(cacheFiles(cache))")
    }

    @Test func aDataSetOverTheLimitIsRefusedNamingTheLimit() throws {
        let setup = try Setup()
        let channel = ShelfChannel(try setup.shelf(maxBytes: 1 << 20))
        let cache = DataContentCache(directory: "\(setup.dir)/cache")
        #expect {
            _ = try DataFetcher(cache: cache, log: Log(label: "test", minimum: .error)).localize(try setup.workerConfig(), over: channel)
        } throws: { error in
            let text = "\(error)"
            return text.contains("elsewhere/x.npy") && text.contains("exceed the coordinator's shipping limit of 1048576 bytes (--ship-data-max-mib)")
        }
        #expect(cacheFiles(cache).isEmpty)
    }

    @Test func theShelfShipsOnlyItsStudysDataAndNoticesChangedFiles() throws {
        let setup = try Setup()
        let shelf = try setup.shelf()
        let other = "sha256:\(String(repeating: "0", count: 64))/10"
        guard case .refused(_, let why) = shelf.answer(DataRequest(fingerprint: other, file: 0, offset: 0)) else {
            Issue.record("another data set was shipped")
            return
        }
        #expect(why.contains("not \(other)"))
        guard case .chunk(let c) = shelf.answer(DataRequest(fingerprint: setup.fingerprint.description, file: 1, offset: 0)) else {
            Issue.record("no chunk")
            return
        }
        #expect(c.bytes == setup.y)
        // Offsets are whole chunks within the data set (2^62 was answered with Foundation's text).
        for offset in [1 << 62, 3] {
            guard case .refused(_, let why) = shelf.answer(DataRequest(fingerprint: setup.fingerprint.description, file: 0, offset: offset)) else {
                Issue.record("offset \(offset) was answered")
                continue
            }
            #expect(why.contains("is not a chunk of the data set"), "\(why)")
        }
        // The coordinator's file changed after the study started: not shipped.
        FileManager.default.createFile(atPath: "\(setup.dir)/y.npy", contents: Data(setup.y.dropLast(8) + [9, 0, 0, 0, 0, 0, 0, 0]))
        guard case .refused(_, let changed) = shelf.answer(DataRequest(fingerprint: setup.fingerprint.description)) else {
            Issue.record("changed files were shipped")
            return
        }
        #expect(changed.contains("changed since the study started"), "\(changed)")
    }

    @Test func workerCoreHandsDataRepliesToTheRunningTrialOnly() {
        let options = WorkerOptions(connect: "tcp://127.0.0.1:1")
        var core = WorkerCore(options: options, identity: .init(id: "w", host: "h", pid: 1, cores: 1, capabilities: []), now: 0)
        _ = core.tick(now: 0)
        let reply = DataReply.refused(fingerprint: "f", reason: "r")
        #expect(!core.received(.data(reply), now: 0.1).contains(.toRunner(.data(reply))))
        let spec = TrialSpec.synthetic(SyntheticTask(function: .sphere, epochs: 2, inputs: []))
        _ = core.received(.assign(.init(study: "s", trial: 1, attempt: 1, seed: 1, params: [:], spec: spec, maxEpochs: 2, metric: "value")), now: 0.2)
        #expect(core.received(.data(reply), now: 0.3).contains(.toRunner(.data(reply))))
    }
}

/// Where a worker caches shipped data when its home folder is missing or not writable (a
/// service account's HOME=/nonexistent): every shipped trial failed with "cannot create the
/// data cache" before.
@Suite struct DataCacheLocationTests {
    @Test func aMissingOrReadOnlyHomeIsNotWhereTheCacheGoes() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-home-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(!DataContentCache.canMake(".cache/sweep/data", in: home), "a home that does not exist")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        #expect(DataContentCache.canMake(".cache/sweep/data", in: home))
        // `.cache` a file: no folder can go below it.
        FileManager.default.createFile(atPath: home + "/.cache", contents: Data())
        #expect(!DataContentCache.canMake(".cache/sweep/data", in: home))
        // An XDG_CACHE_HOME not made yet is made (as the XDG rules say): its parent is writable.
        #expect(DataContentCache.canMake(home + "-xdg/not-yet/sweep/data"))
    }
}
