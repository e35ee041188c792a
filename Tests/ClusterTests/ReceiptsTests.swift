import Testing
@testable import Cluster

/// Receipts for chunks (``Receipts``): a worker returns what it read with its next request,
/// and the coordinator answers only while few chunks are unconfirmed, so a peer that asks
/// and never reads cannot make libzmq hold hundreds of MiB for it.
@Suite struct ReceiptsTests {
    let codec = WireCodec(maxMessageBytes: 1 << 20)

    @Test func receiptsTravelWithChunksAndRequests() throws {
        let chunk = CoordinatorMessage.data(.chunk(DataChunk(fingerprint: "f", file: 0, offset: 0, bytes: [1, 2], receipt: 77)))
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(chunk)[...]) == chunk)
        let part = CoordinatorMessage.checkpoint(.chunk(.init(trial: 1, attempt: 1, offset: 0, total: 2, bytes: [1, 2], receipt: 1 << 52)))
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(part)[...]) == part)
        let data = WorkerMessage.dataRequest(DataRequest(fingerprint: "f", file: 0, offset: 1 << 20, receipts: [77, 78]))
        #expect(try codec.decodeWorkerMessage(frames: codec.frames(data)[...]) == data)
        let fetch = WorkerMessage.checkpoint(.fetch(.init(trial: 1, attempt: 1, offset: 0, receipts: [5])))
        #expect(try codec.decodeWorkerMessage(frames: codec.frames(fetch)[...]) == fetch)
        // Malformed or too many receipts are a protocol violation, not a crash.
        for bad in [#""receipts":"x""#, #""receipts":[1.5]"#, #""receipts":[\#((0...64).map(String.init).joined(separator: ","))]"#] {
            let json = #"{"v":1,"type":"data_request","fingerprint":"f","file":0,"offset":0,\#(bad)}"#
            #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: [Array(json.utf8)][...]) }
        }
        // Only requests for bytes carry receipts; only answers with bytes carry one.
        var manifest = WorkerMessage.dataRequest(DataRequest(fingerprint: "f"))
        #expect(manifest.bulkReceipts == nil && !manifest.attach(receipts: [1]))
        #expect(!CoordinatorMessage.data(.refused(fingerprint: "f", reason: "r")).carriesBulk)
        #expect(!CoordinatorMessage.checkpoint(.chunk(.init(trial: 1, attempt: 1, offset: 0, total: 0, bytes: [], refused: "none"))).carriesBulk)
    }

    @Test func theCoordinatorAnswersWhileFewAreUnconfirmed() {
        var ledger = UnconfirmedAnswers(limit: 3, unreadSeconds: 60)
        // Three requests in one batch are all let through; the fourth waits for receipts.
        #expect((0..<3).map { _ in ledger.screen("w", connection: 7, receipts: [], now: 0) } == [.answer, .answer, .answer])
        #expect(ledger.screen("w", connection: 7, receipts: [], now: 0) == .tooMany(unconfirmed: 3))
        ledger.batchAnswered()
        let sent = (0..<3).map { _ in ledger.stamp("w", now: 1) }
        #expect(Set(sent).count == 3 && ledger.unconfirmed("w") == 3)
        #expect(ledger.screen("w", connection: 7, receipts: [], now: 2) == .tooMany(unconfirmed: 3))
        // Returning one receipt makes room for one more; other workers are counted apart.
        #expect(ledger.screen("w", connection: 7, receipts: [sent[0]], now: 2) == .answer)
        #expect(ledger.screen("w", connection: 7, receipts: [], now: 2) == .tooMany(unconfirmed: 3))
        #expect(ledger.screen("v", connection: 8, receipts: [], now: 2) == .answer)
        ledger.batchAnswered()
        // An answer that was not sent after all does not count.
        let dropped = ledger.stamp("w", now: 3)
        ledger.withdraw("w", receipt: dropped)
        #expect(ledger.unconfirmed("w") == 2)
        // Asking for more with nothing confirmed for over a minute: cut off, and a clean slate.
        // (The last confirmation was at 2.)
        #expect(ledger.screen("w", connection: 7, receipts: [], now: 62.5) == .unread(seconds: 60.5, unconfirmed: 2))
        #expect(ledger.unconfirmed("w") == 0)
        // A new connection: what the old one queued is gone with it.
        _ = ledger.stamp("v", now: 63)
        #expect(ledger.screen("v", connection: 9, receipts: [], now: 64) == .answer)
        #expect(ledger.unconfirmed("v") == 0)
        ledger.keepOnly(["w"])
        #expect(ledger.count == 1) // "v" is gone; what is known of "w" stays
    }

    /// A slow link confirms late but steadily: never cut off however old its outstanding
    /// chunks are. A closed connection (a reconnect often comes back on the same descriptor)
    /// forgets what was lost with it.
    @Test func aSlowWorkerIsNotCutOffAndAReconnectStartsOver() {
        var ledger = UnconfirmedAnswers(limit: 8, unreadSeconds: 60)
        #expect((0..<4).map { _ in ledger.screen("w", connection: 7, receipts: [], now: 0) } == Array(repeating: .answer, count: 4))
        ledger.batchAnswered()
        var outstanding = (0..<4).map { _ in ledger.stamp("w", now: 0) }
        // One chunk confirmed every 50 s: the rest are 50, 100, 150 s old when it asks again.
        for step in 1...6 {
            let now = Double(step) * 50
            #expect(ledger.screen("w", connection: 7, receipts: [outstanding.removeFirst()], now: now) == .answer)
            ledger.batchAnswered()
            outstanding.append(ledger.stamp("w", now: now))
        }
        // The connection closes: the 4 chunks on it are gone, and so is their count.
        #expect(ledger.unconfirmed("w") == 4)
        ledger.connectionClosed(7)
        #expect(ledger.unconfirmed("w") == 0)
        #expect(ledger.screen("w", connection: 7, receipts: [], now: 1000) == .answer)
    }

    /// Over all workers at most `overallLimit` are unconfirmed: the requests beyond wait, and
    /// are let through as confirmations free room: first workers holding no chunk long
    /// unconfirmed, then the one served least recently, then the oldest request (150
    /// connections holding 8 chunks each held 1.5 GiB; neither peers that hoard nor
    /// downloaders that came first may keep a worker waiting until its fetch gives up). A
    /// waiting request whose connection closed, or whose worker left, goes with it.
    @Test func requestsBeyondTheOverallRoomWaitTheirTurn() {
        var ledger = UnconfirmedAnswers(limit: 3, overallLimit: 4, unreadSeconds: 60)
        #expect((0..<3).map { _ in ledger.screen("a", connection: 1, receipts: [], now: 0) } == [.answer, .answer, .answer])
        #expect(ledger.screen("b", connection: 2, receipts: [], now: 0) == .answer)
        #expect(ledger.outstandingOverall == 4)
        for (worker, fd) in [("b", Int32(2)), ("c", 3), ("c", 3), ("d", 4), ("e", 5)] {
            #expect(ledger.screen(worker, connection: ConnectionID(integerLiteral: fd), receipts: [], now: 0) == .wait)
            ledger.wait(.init(worker: worker, connection: ConnectionID(integerLiteral: fd), peer: nil, message: .dataRequest(DataRequest(fingerprint: worker, file: 0, offset: 0))))
        }
        #expect(ledger.waitingCount == 5 && ledger.release(now: 0).isEmpty)
        ledger.batchAnswered()
        let sentToA = (0..<3).map { _ in ledger.stamp("a", now: 1) }
        _ = ledger.stamp("b", now: 1)
        #expect(ledger.outstandingOverall == 4 && ledger.release(now: 1).isEmpty)
        // d's connection closes: its waiting request goes with it.
        ledger.connectionClosed(4)
        #expect(ledger.waitingCount == 4)
        // a confirms two (in a `receipts` message): c and e, never served, go before b.
        ledger.confirm("a", connection: 1, receipts: Array(sentToA.prefix(2)), now: 2)
        #expect(ledger.release(now: 2).map(\.worker) == ["c", "e"])
        #expect(ledger.outstandingOverall == 4 && ledger.waitingCount == 2)
        // Waiting counts against the worker's own limit too: a has 1 out, 2 waiting.
        for _ in 0..<2 {
            #expect(ledger.screen("a", connection: 1, receipts: [], now: 2) == .wait)
            ledger.wait(.init(worker: "a", connection: 1, peer: nil, message: .heartbeat))
        }
        #expect(ledger.screen("a", connection: 1, receipts: [], now: 2) == .tooMany(unconfirmed: 3))
        ledger.batchAnswered() // c's and e's were answered (without bytes)
        #expect(ledger.outstandingOverall == 2)
        // Room for two at 4: c (never sent a chunk) first; then a, whose chunk went out at 1
        // as b's did, but b has left its chunk unconfirmed for 3 s, and a confirmed at 2.
        #expect(ledger.release(now: 4).map(\.worker) == ["c", "a"])
        #expect(ledger.waitingCount == 2 && ledger.outstandingOverall == 4)
    }

    /// A worker id that comes back on another connection while chunks are queued on the old
    /// one has the old one cut: with ROUTER_HANDOVER the old queue lived on while the peer
    /// kept it open (150 reconnects under one id held 950 MiB). One with nothing queued there
    /// is left alone.
    @Test func aConnectionLeftWithChunksQueuedIsCut() {
        var ledger = UnconfirmedAnswers(limit: 8, overallLimit: 32, unreadSeconds: 60)
        #expect(ledger.screen("w", connection: 5, receipts: [], now: 0) == .answer)
        ledger.batchAnswered()
        _ = ledger.stamp("w", now: 0)
        #expect(ledger.screen("w", connection: 6, receipts: [], now: 1) == .answer)
        #expect(ledger.takeAbandoned() == [5] && ledger.takeAbandoned().isEmpty)
        #expect(ledger.unconfirmed("w") == 0 && ledger.outstandingOverall == 1) // the one let through on 6
        ledger.batchAnswered()
        ledger.confirm("w", connection: 7, receipts: [], now: 2)
        #expect(ledger.takeAbandoned().isEmpty)
    }

    /// A worker that confirms nothing for a minute while chunks are outstanding is found on a
    /// tick, whether or not it asks again (one that asked and then only heartbeated kept its
    /// chunks queued as long as it stayed); one that confirms what it read is not. While
    /// requests wait for room, one that confirms nothing for 10 s is found, whether or not it
    /// confirmed chunks before (one that confirmed once would hoard for a minute at a time).
    @Test func aWorkerThatConfirmsNothingIsFoundOnATick() {
        var ledger = UnconfirmedAnswers(limit: 8, overallLimit: 4, unreadSeconds: 60, contendedSeconds: 10)
        for worker in ["hoarder", "reader"] {
            _ = ledger.screen(worker, connection: worker == "hoarder" ? 5 : 6, receipts: [], now: 0)
        }
        ledger.batchAnswered()
        _ = ledger.stamp("hoarder", now: 0)
        let read = ledger.stamp("reader", now: 0)
        #expect(ledger.stalled(now: 59).isEmpty) // nobody waits: a minute for both
        ledger.confirm("reader", connection: 6, receipts: [read], now: 30)
        let second = ledger.stamp("reader", now: 50)
        #expect(ledger.stalled(now: 61) == [.init(worker: "hoarder", connection: 5, seconds: 61, unconfirmed: 1)])
        #expect(ledger.unconfirmed("hoarder") == 0 && ledger.outstandingOverall == 1)
        #expect(ledger.stalled(now: 100).isEmpty) // the reader's last chunk went out at 50
        ledger.confirm("reader", connection: 6, receipts: [second], now: 100)
        // The reader (it confirmed before) and a newcomer take the room, another waits.
        _ = ledger.screen("reader", connection: 6, receipts: [], now: 100)
        for _ in 0..<3 { _ = ledger.screen("newcomer", connection: 7, receipts: [], now: 100) }
        ledger.batchAnswered()
        let kept = ledger.stamp("reader", now: 100)
        for _ in 0..<3 { _ = ledger.stamp("newcomer", now: 100) }
        #expect(ledger.screen("late", connection: 8, receipts: [], now: 101) == .wait)
        ledger.wait(.init(worker: "late", connection: 8, peer: nil, message: .heartbeat))
        #expect(ledger.stalled(now: 105).isEmpty)
        // The reader confirms at 108 and is kept; the newcomer, silent, goes at 111.
        ledger.confirm("reader", connection: 6, receipts: [kept], now: 108)
        _ = ledger.stamp("reader", now: 108)
        #expect(ledger.stalled(now: 111).map(\.worker) == ["newcomer"])
        #expect(ledger.release(now: 111).map(\.worker) == ["late"])
        // Nobody waits now: the reader's clock runs from 108, for a minute.
        #expect(ledger.stalled(now: 167).isEmpty)
        #expect(ledger.stalled(now: 168.5).map(\.worker) == ["reader"])
    }

    /// Chunks read with no request after them (the last of a download) are confirmed in a
    /// `receipts` message on the next tick, not left to count against the worker.
    @Test func theWorkerConfirmsTheLastChunksOfADownloadOnItsOwn() throws {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.receive(.data(.chunk(DataChunk(fingerprint: "f", file: 0, offset: 0, bytes: [1], receipt: 21))))
        #expect(h.core.unsentReceipts == [21])
        #expect(h.tick(after: 0.1).contains(.send(.receipts([21]))))
        #expect(h.core.unsentReceipts.isEmpty)
        #expect(!h.tick(after: 0.1).contains { if case .send(.receipts) = $0 { return true } else { return false } })
        let message = WorkerMessage.receipts([21, 1 << 52])
        #expect(try codec.decodeWorkerMessage(frames: codec.frames(message)[...]) == message)
    }

    @Test func theWorkerReturnsTheReceiptsOfWhatItReadWithItsNextRequest() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.receive(.data(.chunk(DataChunk(fingerprint: "f", file: 0, offset: 0, bytes: [1], receipt: 11))))
        _ = h.receive(.checkpoint(.chunk(.init(trial: 3, attempt: 1, offset: 0, total: 1, bytes: [1], receipt: 12))))
        // Not with a report, nor a manifest request: with the next request for bytes.
        _ = h.runner(.forward(report(3, epoch: 1)))
        _ = h.runner(.forward(.dataRequest(DataRequest(fingerprint: "f"))))
        #expect(h.core.unsentReceipts == [11, 12])
        let request = h.runner(.forward(.dataRequest(DataRequest(fingerprint: "f", file: 0, offset: 1))))
        #expect(request.contains(.send(.dataRequest(DataRequest(fingerprint: "f", file: 0, offset: 1, receipts: [11, 12])))))
        #expect(h.core.unsentReceipts.isEmpty)
        // A chunk that comes when no trial wants it was still read.
        _ = h.runner(.forward(.result(.init(trial: 3, attempt: 1, state: .complete, value: 1, metrics: [:], epochs: 1, ready: true))))
        _ = h.receive(.data(.chunk(DataChunk(fingerprint: "f", file: 0, offset: 0, bytes: [1], receipt: 13))))
        #expect(h.core.unsentReceipts == [13])
    }
}
