import Crypto
import Foundation
import Hummingbird
import Shared
import Testing

@testable import ControlPlane

/// Issue 10 item 20: the chain is keyed, so someone who can write the database but does not hold
/// the operator's secret keys cannot forge a chain that verifies.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialAuditVerifyTests {
    @Test func aChainRecomputedWithPlainSHA256IsReportedBroken() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let events = (0..<4).map { AuditEvent.call("stop-pod", decision: "allow", of: admin, secondsAgo: Int64(100 - $0)) }
            // A database writer rewrote decisions and recomputed every link the way design.md §7 once said.
            try await Fixtures(database: database).ship(events, link: { previous, event in
                Array(SHA256.hash(data: previous + AuditChain.canonicalBytes(of: event)))
            })
            let report = try await api.send(.get, "/v1/audit/verify", key: admin.key)
            #expect(report["ok"] == false)
            #expect(report["checked"] == 0)
            #expect(report["first_broken"]?["seq"] == 1)
            #expect(report["first_broken"]?["reason"] == "hash_mismatch")
        }
    }

    @Test func aChainRecomputedUnderAnotherKeyIsReportedBroken() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let forger = AuditChainKeys(keyRing: try SecretKeyRing(parsing: "t1:" + Data(repeating: 0x33, count: 32).base64EncodedString()))
            try await Fixtures(database: database).ship([.call("stop-pod", decision: "allow", of: admin)], link: { previous, event in
                AuditChain.link(previous: previous, event: event, keys: forger).hash
            })
            let report = try await api.send(.get, "/v1/audit/verify", key: admin.key)
            #expect(report["ok"] == false)
            #expect(report["first_broken"]?["reason"] == "hash_mismatch")
        }
    }

    @Test func verifyWithoutTheSecretKeysRefusesInsteadOfPassing() async throws {
        try await withAPI(configure: { $0.auditChainKeys = nil }) { api, database in
            let admin = try await api.signup()
            try await Fixtures(database: database).ship([.call("stop-pod", decision: "allow", of: admin)])
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).status == .serviceUnavailable)
        }
    }

    @Test func toolFilterFindsANameHoldingNUL() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            try await Fixtures(database: database).ship([
                .call("stop\u{0}pod", decision: "deny", of: admin, secondsAgo: 20), .call("stop-pod", decision: "deny", of: admin, secondsAgo: 10),
            ])
            let found = try await api.send(.get, "/v1/audit?tool=stop%00pod", key: admin.key)
            #expect(found["items"]?.arrayValue?.map { $0["tool"] } == ["stop\u{0}pod"])
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 2])
        }
    }
}
