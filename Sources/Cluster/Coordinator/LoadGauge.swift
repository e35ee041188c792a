import Foundation

/// How busy the poll loop would be if it gathered outcomes
/// (``CoordinatorOptions/gatherSeconds``): the messages it handles per second, over the last
/// ``window`` seconds or so, times what a message costs in a batch that shares its commit.
///
/// Gathering trades the loop's idle time for fewer commits. A loop without idle time to
/// trade must not wait on purpose: messages pile up while it handles a batch, so its batches
/// grow by themselves, and a wait would only leave the workers' results unread (measured
/// with one worker on zero-cost trials: ~10% fewer trials/s when the loop, the bottleneck,
/// waited).
///
/// The cost per message is taken from batches of at least ``sharedBatch`` messages, gathered
/// or grown by themselves: a loop that stopped gathering and handles messages one by one
/// pays a commit for each, and judging by that would keep it from ever gathering again. An
/// estimate older than ``costLifetime`` is dropped, so one slow batch cannot keep the loop
/// from gathering for good: the next gathered batch measures again.
///
/// ```swift
/// var gauge = LoadGauge()
/// gauge.record(messages: 10, busyFrom: 0.000, to: 0.001)   // 0.1 ms a message
/// gauge.record(messages: 10, busyFrom: 0.009, to: 0.010)   // 10 more after a wait
/// gauge.share                                               // ~0.2: 2,000/s x 0.1 ms
/// ```
struct LoadGauge {
    /// The seconds over which older batches fade to 1/e (an exponential decay).
    let window: Double
    /// The fewest messages of a batch whose cost per message counts.
    static let sharedBatch = 8
    /// How long a cost estimate holds without a batch to renew it.
    static let costLifetime = 1.0

    private var messages = 0.0
    private var span = 0.0
    private var lastEnd: Double?
    /// Seconds of handling per message in batches of ``sharedBatch`` or more, and when
    /// it was last measured.
    private var cost: (seconds: Double, at: Double)?

    init(window: Double = 0.05) {
        precondition(window > 0, "a load gauge needs a window of more than 0 seconds")
        self.window = window
    }

    /// Notes a batch of `count` messages handled from `start` to `end`; with `measuresCost`
    /// false (a batch that also did other work) only its messages count, not its time. (The
    /// first batch's span is its own busy time: the rate starts as its handling rate.)
    mutating func record(messages count: Int, busyFrom start: Double, to end: Double, measuresCost: Bool = true) {
        let elapsed = lastEnd.map { max(0, end - $0) } ?? max(0, end - start)
        let keep = lastEnd == nil ? 0 : Self.fade(elapsed / window)
        messages = messages * keep + Double(count)
        span = span * keep + elapsed
        lastEnd = end
        if let c = cost, end - c.at > Self.costLifetime { cost = nil }
        if measuresCost, count >= Self.sharedBatch {
            let seconds = max(0, end - start) / Double(count)
            // Each batch moves the estimate by its share of the last ~64 messages.
            let weight = min(1, Double(count) / 64)
            cost = (cost.map { $0.seconds + weight * (seconds - $0.seconds) } ?? seconds, end)
        }
    }

    /// The messages handled per second lately.
    var messagesPerSecond: Double { span > 0 ? messages / span : 0 }

    /// The share of its time the loop would spend handling messages if it gathered them
    /// (0 while no estimate of the cost holds; above 1 when it cannot keep up).
    var share: Double { messagesPerSecond * (cost?.seconds ?? 0) }

    /// e^-x, cut off where it no longer matters.
    private static func fade(_ x: Double) -> Double {
        x > 30 ? 0 : exp(-x)
    }
}
