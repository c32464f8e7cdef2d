import Foundation
import Shared

/// What the gateway's `Mcp-Session-Id` carries (design.md §5.2): the grant it was issued to, the
/// upstream's own session id and the negotiated protocol version, sealed with AES-GCM so any
/// worker can open it and nothing about sessions is stored anywhere.
struct SessionState: Sendable, Equatable, Codable {
    let grant: UUID
    let upstreamSessionID: String?
    let protocolVersion: String
}

/// Seals and opens session ids. The grant id is the additional authenticated data, so an id
/// presented with another grant's token fails to open, exactly like a forged one: both get 404
/// and the client initializes again.
struct SessionSealer: Sendable {
    private let sealer: SecretSealer

    init(keyRing: SecretKeyRing) {
        sealer = SecretSealer(keyRing: keyRing, purpose: .sessionSealing)
    }

    /// A header-safe id (base64url, visible ASCII only, as MCP requires of session ids).
    func seal(_ state: SessionState) throws -> String {
        let plaintext = try JSONEncoder().encode(state)
        let sealed = try sealer.seal(Array(plaintext), boundTo: Self.binding(for: state.grant))
        return Data(sealed.storedBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The state, or nil when the id is malformed, forged, sealed under an unknown key, or
    /// sealed for another grant.
    func open(_ id: String, for grant: UUID) -> SessionState? {
        guard id.utf8.count <= 4096, let bytes = Self.base64URLDecoded(id),
              let sealed = try? SealedSecret(storedBytes: bytes),
              let plaintext = try? sealer.open(sealed, boundTo: Self.binding(for: grant)),
              let state = try? JSONDecoder().decode(SessionState.self, from: Data(plaintext)),
              state.grant == grant
        else { return nil }
        return state
    }

    private static func binding(for grant: UUID) -> SecretBinding {
        SecretBinding(additionalData: Array("session|\(grant.uuidString.lowercased())".utf8))
    }

    private static func base64URLDecoded(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}
