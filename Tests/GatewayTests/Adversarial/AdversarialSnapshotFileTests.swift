import Foundation
import Shared
import Testing

@testable import Gateway

/// Issue 10 item 22: a worker restarted from an old snapshot file would bring back every grant
/// revoked since it was saved; past the maximum age the file is refused.
struct AdversarialSnapshotFileTests {
    @Test func aSnapshotFileOlderThanTheMaximumAgeIsRefused() throws {
        let path = NSTemporaryDirectory() + "snapshot-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = SnapshotFile(path: path, maxAge: .seconds(3600))
        try file.save(FullSnapshot(version: 3, entities: SnapshotEntities()))
        #expect(try file.load()?.snapshot.version == 3)
        let twoHoursAgo = Date().addingTimeInterval(-7200)
        try FileManager.default.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: path)
        #expect(throws: SnapshotFile.TooOld.self) { _ = try file.load() }
        // Without a maximum the operator chose to accept any age.
        #expect(try SnapshotFile(path: path).load()?.snapshot.version == 3)
    }
}
