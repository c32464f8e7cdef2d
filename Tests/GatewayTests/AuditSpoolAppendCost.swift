import Foundation
import Shared
import Testing
@testable import Gateway

/// A micro benchmark of the spool's append path (issue 11 item 2), not a test: it runs only when
/// `PORTCULLIS_SPOOL_BENCH` gives a number of events, and prints the cost per event. Commands and
/// figures: /work/wt/notes/spool.md; under `strace -f -c` the difference between a run of N events
/// and one of 0 gives the syscalls per event.
@Suite struct AuditSpoolAppendCost {
    static let events = ProcessInfo.processInfo.environment["PORTCULLIS_SPOOL_BENCH"].flatMap(Int.init)
    static let concurrency = ProcessInfo.processInfo.environment["PORTCULLIS_SPOOL_BENCH_CONCURRENCY"].flatMap(Int.init) ?? 1
    static let durability = ProcessInfo.processInfo.environment["PORTCULLIS_SPOOL_BENCH_DURABILITY"].flatMap(AuditDurability.init) ?? .process

    @Test(.enabled(if: events != nil), .timeLimit(.minutes(5)))
    func appendCostPerEvent() async throws {
        let total = Self.events ?? 0, concurrency = Self.concurrency
        let account = UUID()
        let sample = AuditEvent.sample(account: account, index: 1)
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 30, durability: Self.durability)
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<concurrency {
                        group.addTask {
                            for _ in 0..<(total / concurrency) { try await spool.append([sample]) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            await spool.close()
            let encoding = clock.measure {
                var records: [UInt8] = []
                for _ in 0..<total { AuditSpoolRecord.append(payload: sample.binarySpoolPayload(), to: &records) }
            }
            let encodingJSON = clock.measure {
                var records: [UInt8] = []
                for _ in 0..<total { AuditSpoolRecord.append(payload: sample.spoolPayload(), format: .json, to: &records) }
            }
            print("spool bench: framing one event: binary \(Self.microseconds(encoding, total)) µs, JSON \(Self.microseconds(encodingJSON, total)) µs")
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let done = total / concurrency * concurrency
            print("spool bench: record \(sample.binarySpoolPayload().count + AuditSpoolRecord.headerSize) bytes binary, \(sample.spoolPayload().count + AuditSpoolRecord.headerSize) JSON")
            print("spool bench: \(Self.durability), \(done) events, concurrency \(concurrency): \(done > 0 ? seconds / Double(done) * 1e6 : 0) µs per event (wall), \(done > 0 ? Double(done) / seconds : 0) events/s")
        }
    }

    private static func microseconds(_ duration: Duration, _ count: Int) -> Double {
        count == 0 ? 0 : (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) / Double(count) * 1e6
    }
}
