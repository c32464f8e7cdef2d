import Crypto
import Foundation
import Testing

@testable import Shared

/// Issue 14 item 6: audit rows name how the caller authenticated, and the chain covers it, while
/// every event chained before keeps its hash (`AuditChain`, format 2).
struct AuditChainAuthMethodTests {
    private static let key = SymmetricKey(data: Data(repeating: 7, count: 32))

    private static func event() -> AuditEvent {
        var event = AuditEvent(
            id: UUID(uuidString: "00000000-0000-4000-8000-000000000001")!, timeMicroseconds: 1_767_225_600_123_456,
            accountID: UUID(uuidString: "6F1D2C1A-0000-4000-8000-000000000001")!, decision: "allow", seq: 1)
        event.method = "tools/call"
        return event
    }

    @Test func anEventWithoutAnAuthMethodKeepsTheFirstChainFormat() {
        let object = AuditChain.canonicalObject(of: Self.event()).objectValue
        #expect(object?.count == 34)
        #expect(object?["auth_method"] == nil)
        #expect(object?["auth_client_id"] == nil)
    }

    @Test func theAuthMethodAndClientAreChainedWhenEitherIsSet() {
        var oauth = Self.event()
        oauth.authMethod = "oauth"
        oauth.authClientID = "https://client.example/c.json"
        let text = String(decoding: AuditChain.canonicalBytes(of: oauth), as: UTF8.self)
        #expect(text.contains(#""auth_client_id":"https://client.example/c.json","auth_method":"oauth","#))

        var grantToken = Self.event()
        grantToken.authMethod = "grant_token"
        #expect(String(decoding: AuditChain.canonicalBytes(of: grantToken), as: UTF8.self).contains(#""auth_client_id":null,"auth_method":"grant_token""#))

        // A client id alone (a row edited in the database) still changes the hash.
        var clientOnly = Self.event()
        clientOnly.authClientID = "c"
        let hashes = [Self.event(), oauth, grantToken, clientOnly].map { AuditChain.hash(previous: AuditChain.genesisHash, event: $0, key: Self.key) }
        #expect(Set(hashes.map(\.lowercaseHex)).count == 4)
    }
}
