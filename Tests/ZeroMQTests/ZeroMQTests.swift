import Foundation
import Testing
import ZeroMQ

/// Receives with a deadline so a broken test fails instead of hanging.
private func receive(_ socket: Socket, timeoutMs: Int = 5000) throws -> Message? {
    var poller = Poller([socket])
    guard try poller.poll(timeoutMilliseconds: timeoutMs) > 0 else { return nil }
    return try socket.receive(dontWait: true)
}

@Suite struct ZeroMQTests {
    @Test func routerAndDealerExchangeByIdentity() throws {
        let ctx = try Context()
        let router = try Socket(ctx, .router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:0")
        let endpoint = router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))

        let dealer = try Socket(ctx, .dealer)
        try dealer.setRoutingID("worker-1")
        try dealer.connect(endpoint)
        try dealer.send([Array("hello".utf8)])

        let m = try #require(try receive(router))
        #expect(m.frames.count == 2)
        #expect(String(decoding: m.frames[0], as: UTF8.self) == "worker-1")
        #expect(String(decoding: m.frames[1], as: UTF8.self) == "hello")
        #expect(m.peerAddress == "127.0.0.1")

        try router.send([m.frames[0], Array("welcome".utf8)])
        let reply = try #require(try receive(dealer))
        #expect(reply.frames == [Array("welcome".utf8)])
    }

    @Test func anIPv6AddressBindsAndConnects() throws {
        let ctx = try Context()
        let router = try Socket(ctx, .router)
        try router.bind("tcp://[::1]:0")
        let endpoint = router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://[::1]:"), "\(endpoint)")
        let dealer = try Socket(ctx, .dealer)
        try dealer.connect(endpoint)
        try dealer.send([Array("hello".utf8)])
        let m = try #require(try receive(router))
        #expect(m.frames.last == Array("hello".utf8) && m.peerAddress == "::1")
    }

    @Test func routerMandatoryReportsUnknownPeers() throws {
        let ctx = try Context()
        let router = try Socket(ctx, .router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:0")
        #expect(throws: ZMQError.self) {
            try router.send([Array("nobody".utf8), Array("x".utf8)])
        }
        do {
            try router.send([Array("nobody".utf8), Array("x".utf8)])
        } catch {
            #expect(error.hostUnreachable)
        }
    }

    /// A sender whose queue is full sleeps in `poll` until its peer takes messages, instead
    /// of retrying on a timer (the worker's messages waiting for room).
    @Test func aFullSenderWakesWhenItsPeerTakesMessages() throws {
        let ctx = try Context()
        let router = try Socket(ctx, .router)
        try router.setReceiveHighWaterMark(2)
        try router.bind("inproc://full")
        let dealer = try Socket(ctx, .dealer)
        try dealer.setSendHighWaterMark(2)
        try dealer.connect("inproc://full")
        var sent = 0
        while try dealer.send([Array("m\(sent)".utf8)], dontWait: true) { sent += 1 }
        #expect(sent > 0 && sent <= 8)
        var full = Poller([dealer])
        full.watchWritable(0)
        #expect(try full.poll(timeoutMilliseconds: 50) == 0)
        #expect(!full.isReadable(0))
        for _ in 0..<sent { #expect(try receive(router) != nil) }
        var freed = Poller([dealer])
        freed.watchWritable(0)
        #expect(try freed.poll(timeoutMilliseconds: 5000) == 1)
        #expect(!freed.isReadable(0))
        #expect(try dealer.send([Array("again".utf8)], dontWait: true))
    }

    @Test func nonBlockingReceiveReturnsNilWhenEmpty() throws {
        let ctx = try Context()
        let a = try Socket(ctx, .pair)
        try a.bind("inproc://empty")
        #expect(try a.receive(dontWait: true) == nil)
        var poller = Poller([a])
        #expect(try poller.poll(timeoutMilliseconds: 10) == 0)
        #expect(!poller.isReadable(0))
    }

    @Test func oversizedMessagesDisconnectThePeerButNotTheRouter() throws {
        let ctx = try Context()
        let router = try Socket(ctx, .router)
        try router.setMaxMessageSize(1024)
        try router.bind("tcp://127.0.0.1:0")
        let big = try Socket(ctx, .dealer)
        try big.setRoutingID("big")
        try big.connect(router.lastEndpoint)
        try big.send([[UInt8](repeating: 7, count: 4096)])
        let small = try Socket(ctx, .dealer)
        try small.setRoutingID("small")
        try small.connect(router.lastEndpoint)
        try small.send([Array("ok".utf8)])
        let m = try #require(try receive(router))
        #expect(String(decoding: m.frames[0], as: UTF8.self) == "small")
        #expect(try receive(router, timeoutMs: 200) == nil)
    }

    @Test func curveKeysAreGeneratedAndValidated() throws {
        #expect(Context.has("curve"))
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        #expect(CurveKeyPair.isValidKey(pair.publicKey))
        #expect(!CurveKeyPair.isValidKey("too short"))
        #expect(try CurveKeyPair.publicKey(forSecret: pair.secretKey) == pair.publicKey)
        #expect(try CurveKeyPair.generate() != pair)
    }

    @Test func curveClientTalksToCurveServer() throws {
        let ctx = try Context()
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let router = try Socket(ctx, .router)
        try router.setCurveServer(secretKey: server.secretKey)
        try router.bind("tcp://127.0.0.1:0")
        let dealer = try Socket(ctx, .dealer)
        try dealer.setCurveClient(publicKey: client.publicKey, secretKey: client.secretKey, serverKey: server.publicKey)
        try dealer.connect(router.lastEndpoint)
        try dealer.send([Array("secret".utf8)])
        let m = try #require(try receive(router))
        #expect(m.frames.last == Array("secret".utf8))
    }

    /// What `sweep run` relies on for its local workers: one ROUTER bound to a TCP and an
    /// `ipc://` endpoint routes by identity across both, and the CURVE settings made before
    /// the binds hold on both (a plain client gets nothing through either).
    @Test func oneRouterOnTCPAndIPCRoutesBothAndKeepsCurveOnBoth() throws {
        let ctx = try Context()
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zmq-ipc-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let router = try Socket(ctx, .router)
        try router.setRouterMandatory(true)
        try router.setCurveServer(secretKey: server.secretKey)
        try router.bind("tcp://127.0.0.1:0")
        let tcp = router.lastEndpoint, ipc = "ipc://\(directory)/c.sock"
        try router.bind(ipc)

        func dealer(_ id: String, _ endpoint: String, curve: Bool) throws -> Socket {
            let s = try Socket(ctx, .dealer)
            try s.setRoutingID(id)
            if curve { try s.setCurveClient(publicKey: client.publicKey, secretKey: client.secretKey, serverKey: server.publicKey) }
            try s.connect(endpoint)
            try s.send([Array(id.utf8)])
            return s
        }
        let overTCP = try dealer("over-tcp", tcp, curve: true), overIPC = try dealer("over-ipc", ipc, curve: true)
        _ = try dealer("plain-ipc", ipc, curve: false)
        _ = try dealer("plain-tcp", tcp, curve: false)
        var seen: Set<String> = []
        while let m = try receive(router, timeoutMs: 1000) { seen.insert(String(decoding: m.frames[0], as: UTF8.self)) }
        #expect(seen == ["over-tcp", "over-ipc"])
        for (id, socket) in [("over-tcp", overTCP), ("over-ipc", overIPC)] {
            #expect(try router.send([Array(id.utf8), Array("back".utf8)]))
            #expect(try receive(socket)?.frames == [Array("back".utf8)])
        }
    }
}
