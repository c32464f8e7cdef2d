import Crypto
import Foundation

/// What a key derived from the operator's secret is for (design.md §3, last bullet).
///
/// Each purpose gets its own HKDF subkey so a value sealed or MACed for one purpose can never be
/// accepted as another (a sealed session id is not a valid credential ciphertext, a fingerprint MAC
/// is not a session). The `info` strings are part of the on-disk and on-wire formats: never change
/// one, add a new purpose instead.
public struct KeyPurpose: Sendable, Hashable {
    public let info: String

    public init(info: String) { self.info = info }

    /// Upstream credentials stored in `servers.credentials_ciphertext`.
    public static let upstreamCredentials = KeyPurpose(info: "portcullis/upstream-credentials/v1")
    /// The gateway's `Mcp-Session-Id` (design.md §5.2), sealed so any worker can open it.
    public static let sessionSealing = KeyPurpose(info: "portcullis/session-id/v1")
    /// The MAC over an approval-retry fingerprint (design.md §5.6).
    public static let approvalFingerprint = KeyPurpose(info: "portcullis/approval-fingerprint/v1")
    /// The root of every account's approval-webhook signing secret (design.md §5.6 step 2); see
    /// `ApprovalWebhookSigning`.
    public static let approvalWebhookSigning = KeyPurpose(info: "portcullis/approval-webhook-signing/v1")
    /// The HMAC key of the audit hash chain (design.md §7, issue 10 item 20); see `AuditChainKeys`.
    public static let auditChain = KeyPurpose(info: "portcullis/audit-chain/v1")
    /// The Ed25519 private keys OAuth access tokens are signed with, in `oauth_signing_keys`
    /// (issue 14 item 2).
    public static let oauthSigningKeys = KeyPurpose(info: "portcullis/oauth-signing-keys/v1")
}

extension SecretKeyRing {
    /// The same ring with every key replaced by its HKDF-SHA256 subkey for `purpose`; versions and
    /// order are kept, so the active subkey comes from the active operator key and rotation works
    /// the same way for every purpose.
    ///
    /// HKDF rather than a password KDF: the operator keys are already 256 random bits, and the hot
    /// path (opening a session id on every request) must not pay for a slow derivation.
    public func derived(for purpose: KeyPurpose) -> SecretKeyRing {
        SecretKeyRing(validatedKeys: keys.map { key in
            Key(version: key.version, key: HKDF<SHA256>.deriveKey(
                inputKeyMaterial: key.key,
                info: Data(purpose.info.utf8),
                outputByteCount: 32
            ))
        })
    }

    /// For keys that were validated when the ring was parsed (versions unique, ring not empty).
    init(validatedKeys: [Key]) {
        keys = validatedKeys
    }
}
