import Foundation
import Shared
import Testing

/// Issue 14 item 5: identities' credentials and servers' credential modes on the snapshot wire, and
/// snapshots written before them (a worker newer than its control plane, a saved snapshot file).
struct SnapshotIdentityCredentialCodingTests {
    @Test func aSnapshotFromBeforePerIdentityCredentialsDecodesWithNoneAndSharedServers() throws {
        let account = UUID(), server = UUID()
        let json = """
            {"version": 7, "entities": {"accounts": [], "servers": [{"id": "\(server)", "accountID": "\(account)", "name": "runpod",
              "url": "https://mcp.example.com/mcp", "authType": "none", "connectTimeoutMs": 5000, "firstByteTimeoutMs": 60000,
              "idleTimeoutMs": 300000}], "identities": [], "grants": [], "policies": [], "tools": []}}
            """
        let snapshot = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: Data(json.utf8))
        #expect(snapshot.entities.identityCredentials.isEmpty)
        #expect(snapshot.entities.servers.first?.credentialMode == "shared")
    }

    @Test func identityCredentialsTravelInFullSnapshotsAndDeltas() throws {
        let credential = SnapshotIdentityCredential(
            id: UUID(), accountID: UUID(), identityID: UUID(), serverID: UUID(), authType: "bearer", sealedCredentials: "c2VhbGVk",
            credentialsKeyVersion: "v1", expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
        var entities = SnapshotEntities()
        entities.identityCredentials = [credential]
        let full = FullSnapshot(version: 1, entities: entities)
        let decoded = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: SnapshotCoding.encoder().encode(full))
        #expect(decoded == full)

        var replaced = credential
        replaced.sealedCredentials = "bmV3"
        var upserts = SnapshotEntities()
        upserts.identityCredentials = [replaced]
        let updated = try full.applying(SnapshotDelta(since: 1, version: 2, upserts: upserts, deletes: []))
        #expect(updated.entities.identityCredentials == [replaced])
        let deleted = try updated.applying(SnapshotDelta(
            since: 2, version: 3, upserts: SnapshotEntities(), deletes: [SnapshotEntityRef(kind: .identityCredential, id: credential.id)]))
        #expect(deleted.entities.identityCredentials.isEmpty)
        #expect(!upserts.isEmpty)
    }
}
