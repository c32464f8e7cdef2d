import Foundation
import Testing

@testable import Gateway

/// Audit event ids come from a buffered block of the kernel's random bytes (issue 11, `RandomBlock`):
/// still version 4 UUIDs, and never the same bytes twice, across refills of the block too.
struct RandomIDTests {
    @Test func idsAcrossSeveralBlockRefillsAreDistinctVersion4UUIDs() {
        let count = RandomBlock.size / 16 * 3 + 7
        let ids = (0..<count).map { _ in UUID.random() }
        #expect(Set(ids).count == count)
        for id in ids {
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
        }
    }

    @Test(.timeLimit(.minutes(1))) func idsDrawnFromManyThreadsAtOnceAreDistinct() async {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<500).map { _ in UUID.random() } } }
            return await group.reduce(into: [UUID]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 4000)
    }
}
