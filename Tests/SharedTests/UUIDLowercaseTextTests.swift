import Foundation
import Shared
import Testing

struct UUIDLowercaseTextTests {
    @Test func lowercaseTextIsFoundationsUUIDStringLowercased() {
        let samples = [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                       UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
            + (0..<1_000).map { _ in UUID() }
        for uuid in samples {
            #expect(uuid.lowercaseText == uuid.uuidString.lowercased())
        }
    }
}
