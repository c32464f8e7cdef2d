import Foundation
import ServiceLifecycle
import Testing

@testable import Gateway

/// Issue 11 "Measure", memory: the worker hands freed heap pages back to the system at an
/// interval, so its RSS levels off after a burst instead of keeping the burst's high-water mark.
@Suite(.timeLimit(.minutes(1)))
struct HeapTrimmerTests {
    /// `RssAnon` of this process in KiB: heap and anonymous mappings, not the mapped binaries.
    static func anonymousResidentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
    }

    /// 32 MiB in 1 KiB blocks, touched, then a block allocated after them that stays, so glibc's
    /// own trimming (only at the top of a heap) cannot give them back once they are freed.
    static func freeBurstBelowAKeptBlock() -> UnsafeMutableRawPointer {
        let blocks = (0..<32_768).map { _ in malloc(1024)! }
        for block in blocks { memset(block, 1, 1024) }
        let kept = malloc(1024)!
        for block in blocks { free(block) }
        return kept
    }

    @Test func freedHeapPagesGoBackToTheSystemAtTheTrimInterval() async throws {
        #if os(Linux)
        let kept = Self.freeBurstBelowAKeptBlock()
        defer { free(kept) }
        let afterBurst = Self.anonymousResidentKiB()
        let trimmer = HeapTrimmer(interval: .milliseconds(20))
        let returned = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask { try await trimmer.run(); return nil }
            group.addTask {
                // Polled rather than timed: done as soon as the pages are gone.
                while Self.anonymousResidentKiB() > afterBurst - 16 * 1024 { try await Task.sleep(for: .milliseconds(20)) }
                return afterBurst - Self.anonymousResidentKiB()
            }
            let returned = try await group.next()!
            group.cancelAll()
            return returned
        }
        #expect((returned ?? 0) >= 16 * 1024, "at least 16 of the 32 freed MiB left the resident set")
        #endif
    }
}
