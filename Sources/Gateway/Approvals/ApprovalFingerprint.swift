import Foundation
import JSON
import Shared

/// Identifies "the same call" for approvals (design.md §5.6): an HMAC, under a key derived for this
/// purpose only, of the tool and the canonical JSON of its arguments. A MAC rather than a plain
/// hash, so the stored value reveals nothing about arguments an attacker could guess.
struct ApprovalFingerprint: Sendable {
    private let mac: KeyRingMAC

    init(keyRing: SecretKeyRing) {
        mac = KeyRingMAC(keyRing: keyRing, purpose: .approvalFingerprint)
    }

    /// Under the active key: what new approval requests and audit rows carry.
    func hash(tool: String, arguments: JSONValue) -> [UInt8] {
        mac.code(Self.message(tool: tool, arguments: arguments))
    }

    /// Under every key of the ring, active first: what a stored request may carry, since it was
    /// made under the key active then (issue 10 item 22: a rotation orphans no approval).
    func hashes(tool: String, arguments: JSONValue) -> [[UInt8]] {
        mac.codes(Self.message(tool: tool, arguments: arguments))
    }

    private static func message(tool: String, arguments: JSONValue) -> [UInt8] {
        var message = Array(tool.utf8)
        message.append(0)  // tool names cannot hold NUL, so the boundary is unambiguous
        message += arguments.canonicalBytes()
        return message
    }
}
