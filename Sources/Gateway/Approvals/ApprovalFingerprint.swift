import Crypto
import Foundation
import Shared

/// Identifies "the same call" for approvals (SPEC 5.6): an HMAC, under a key derived for this
/// purpose only, of the tool and the canonical JSON of its arguments. A MAC rather than a plain
/// hash, so the stored value reveals nothing about arguments an attacker could guess.
struct ApprovalFingerprint: Sendable {
    private let key: SymmetricKey

    init(keyRing: SecretKeyRing) {
        key = keyRing.derived(for: .approvalFingerprint).active.key
    }

    func hash(tool: String, arguments: JSONValue) -> [UInt8] {
        var message = Array(tool.utf8)
        message.append(0)  // tool names cannot hold NUL, so the boundary is unambiguous
        message += arguments.canonicalBytes()
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }
}
