import Foundation
import Shared
import Testing

@testable import Gateway

struct SnapshotFileTests {
    @Test func theSavedSnapshotIsReadableByTheWorkersUserOnlyAndLoadsBack() throws {
        let path = NSTemporaryDirectory() + "snapshot-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = SnapshotFile(path: path)
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: UUID(), slug: "acme", approvalWebhookURL: nil)]
        let snapshot = FullSnapshot(version: 7, entities: entities)
        try file.save(snapshot)
        try file.save(snapshot)  // replacing an existing file works too
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try file.load()?.snapshot == snapshot)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }
}
