import Testing
@testable import Cluster

/// The poll loop's load estimate, which decides whether it may gather outcomes.
@Suite struct LoadGaugeTests {
    /// `count` batches of `messages`, one every `period` seconds from `start`, each handled
    /// in `cost` seconds a message.
    func feed(_ gauge: inout LoadGauge, messages: Int, cost: Double, period: Double, count: Int,
              from start: Double = 0) {
        for i in 0..<count {
            let begin = start + Double(i) * period
            gauge.record(messages: messages, busyFrom: begin, to: begin + Double(messages) * cost)
        }
    }

    @Test func emptyGaugeReadsIdle() {
        #expect(LoadGauge().share == 0)
        #expect(LoadGauge().messagesPerSecond == 0)
    }

    @Test(arguments: [0.1, 0.3, 0.8, 1.0])
    func steadyLoadReadsItsShare(share: Double) {
        var gauge = LoadGauge(window: 0.05)
        // 10 messages every 2 ms: 5,000 a second.
        feed(&gauge, messages: 10, cost: share * 0.0002, period: 0.002, count: 500)
        #expect(abs(gauge.messagesPerSecond - 5000) < 50)
        #expect(abs(gauge.share - share) < 0.01)
    }

    /// A loop that stops gathering pays more per message (a commit each); that must not be
    /// what keeps it from gathering again once fewer messages come.
    @Test func smallBatchesLeaveTheSharedCostAlone() {
        var gauge = LoadGauge(window: 0.05)
        feed(&gauge, messages: 10, cost: 0.0001, period: 0.002, count: 100)            // share 0.5
        feed(&gauge, messages: 1, cost: 0.0009, period: 0.001, count: 400, from: 0.2)
        // 1,000 messages a second at the shared cost of 0.1 ms: 0.1, not 0.9.
        #expect(abs(gauge.messagesPerSecond - 1000) < 20)
        #expect(abs(gauge.share - 0.1) < 0.01)
    }

    /// One slow batch must not keep the loop from gathering for good: its estimate lapses.
    @Test func aCostEstimateLapsesWithoutBatchesToRenewIt() {
        var gauge = LoadGauge(window: 0.05)
        feed(&gauge, messages: 10, cost: 0.001, period: 0.002, count: 100)             // share 5
        feed(&gauge, messages: 1, cost: 0.0009, period: 0.001, count: 900, from: 0.2)
        #expect(gauge.share > 0.5)                                                     // 0.9 s later: still held
        feed(&gauge, messages: 1, cost: 0.0009, period: 0.001, count: 200, from: 1.1)
        #expect(gauge.share == 0)                                                      // past 1 s: dropped
    }

    @Test func recentTimeOutweighsOlder() {
        var gauge = LoadGauge(window: 0.05)
        feed(&gauge, messages: 10, cost: 0.0002, period: 0.002, count: 500)            // share 1
        #expect(gauge.share > 0.99)
        // 0.2 s (four windows) at a tenth of the messages.
        feed(&gauge, messages: 1, cost: 0.0002, period: 0.002, count: 100, from: 1.0)
        #expect(gauge.share < 0.13)
        #expect(gauge.share > 0.09)
    }

    @Test func longIdleForgetsBusyPast() {
        var gauge = LoadGauge(window: 0.05)
        feed(&gauge, messages: 10, cost: 0.0002, period: 0.002, count: 100)
        // Half a second later (the cost estimate still holds): the rate has decayed.
        gauge.record(messages: 1, busyFrom: 0.7, to: 0.7001)
        #expect(gauge.share < 0.001)
    }

    @Test func clockGoingBackwardsCountsNothingNegative() {
        var gauge = LoadGauge(window: 0.05)
        gauge.record(messages: 3, busyFrom: 1.0, to: 1.001)
        gauge.record(messages: 3, busyFrom: 0.5, to: 0.4)
        #expect(gauge.share >= 0)
        #expect(gauge.messagesPerSecond >= 0)
    }
}
