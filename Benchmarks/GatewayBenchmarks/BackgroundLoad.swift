import Foundation
import NIOConcurrencyHelpers

/// Callers that send the benchmark's call until stopped, back to back or paced to a total rate,
/// spread over the targets (caller i sends to target i mod count). The tallies can be read while
/// it runs, so a measurement window (perf, strace, RSS samples) counts the calls answered in it.
final class BackgroundLoad: Sendable {
    struct Tally: Sendable {
        var answered = 0
        var failed = 0
        var firstFailure: CallFailure?
        /// The JSON-RPC ids of the calls answered correctly, when the load uses unique ids.
        var answeredIDs: [String] = []
    }

    private let tally = NIOLockedValueBox(Tally())
    private let stopping = NIOLockedValueBox(false)
    private let callers = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - callsPerSecond: the total rate the callers keep to; nil: back to back.
    ///   - idPrefix: give every call its own id `<prefix>-<caller>-<n>` and keep the answered ones.
    init(_ generator: LoadGenerator, targets: [CallTarget], concurrency: Int, callsPerSecond: Double? = nil, idPrefix: String? = nil) {
        let interval = callsPerSecond.map { Duration.seconds(Double(concurrency) / $0) }
        let task = Task { [tally, stopping] in
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<concurrency {
                    let target = targets[caller % targets.count]
                    group.addTask {
                        var next = ContinuousClock.now
                        var sent = 0
                        while !stopping.withLockedValue({ $0 }) {
                            if let interval {
                                next += interval
                                try? await Task.sleep(until: next, clock: .continuous)
                            }
                            sent += 1
                            let id = idPrefix.map { "\($0)-\(caller)-\(sent)" }
                            let failure = await generator.call(target, body: id.map(LoadGenerator.body(id:)) ?? LoadGenerator.body)
                            tally.withLockedValue { tally in
                                if let failure {
                                    tally.failed += 1
                                    tally.firstFailure = tally.firstFailure ?? failure
                                } else {
                                    tally.answered += 1
                                    if let id { tally.answeredIDs.append(id) }
                                }
                            }
                        }
                    }
                }
            }
        }
        callers.withLockedValue { $0 = task }
    }

    var current: Tally { tally.withLockedValue { $0 } }
    var answered: Int { tally.withLockedValue { $0.answered } }

    /// Waits until `count` calls have been answered (or `timeout` passes).
    func waitForAnswered(_ count: Int, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while answered < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// Stops the callers after their calls in flight; returns the final tally.
    @discardableResult
    func stop() async -> Tally {
        stopping.withLockedValue { $0 = true }
        await callers.withLockedValue { $0 }?.value
        return current
    }
}
