import Foundation

// What a gateway worker needs to decide and forward without asking anyone (design.md §6.1): accounts,
// servers (credentials still sealed), identities, grants (token hashes only), policy documents
// at their current version, and the catalog's pins and risk classes. Written by the control plane
// as JSON (keys are the property names, see `SnapshotCoding`), read by workers.

public struct SnapshotAccount: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var slug: String
    public var approvalWebhookURL: String?
    /// Upstream ranges the operator allows this account on top of the installation's
    /// `--allow-upstream-cidr` (issue 10 item 9), as CIDR text.
    public var allowedUpstreamCIDRs: [String]

    public init(id: UUID, slug: String, approvalWebhookURL: String?, allowedUpstreamCIDRs: [String] = []) {
        self.id = id
        self.slug = slug
        self.approvalWebhookURL = approvalWebhookURL
        self.allowedUpstreamCIDRs = allowedUpstreamCIDRs
    }

    /// A snapshot file written before the allowance existed still loads, with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        slug = try container.decode(String.self, forKey: .slug)
        approvalWebhookURL = try container.decodeIfPresent(String.self, forKey: .approvalWebhookURL)
        allowedUpstreamCIDRs = try container.decodeIfPresent([String].self, forKey: .allowedUpstreamCIDRs) ?? []
    }
}

public struct SnapshotServer: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var name: String
    public var url: String
    public var authType: String
    /// AES-GCM sealed upstream credentials (base64) and their key version, opened by the worker
    /// only to call upstream.
    public var sealedCredentials: String?
    public var credentialsKeyVersion: String?
    public var connectTimeoutMs: Int
    public var firstByteTimeoutMs: Int
    public var idleTimeoutMs: Int
    /// The last discovery failed (status `unreachable` or `refused`): the catalog's definitions may
    /// not be the live ones, so a worker that has not read a list itself does not trust them under
    /// `pin: block` (issue 10 item 7).
    public var discoveryFailed: Bool
    /// Whose credential goes upstream (`UpstreamCredentialMode`, issue 14 item 5), as stored; read
    /// with `UpstreamCredentialMode(storedValue:)`.
    public var credentialMode: String

    public init(
        id: UUID, accountID: UUID, name: String, url: String, authType: String, sealedCredentials: String?,
        credentialsKeyVersion: String?, connectTimeoutMs: Int, firstByteTimeoutMs: Int, idleTimeoutMs: Int,
        discoveryFailed: Bool = false, credentialMode: String = UpstreamCredentialMode.shared.rawValue
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.url = url
        self.authType = authType
        self.sealedCredentials = sealedCredentials
        self.credentialsKeyVersion = credentialsKeyVersion
        self.connectTimeoutMs = connectTimeoutMs
        self.firstByteTimeoutMs = firstByteTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.discoveryFailed = discoveryFailed
        self.credentialMode = credentialMode
    }

    /// A snapshot file written before `discoveryFailed` existed still loads, with `false`; one
    /// written before `credentialMode` existed, with `shared`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        accountID = try container.decode(UUID.self, forKey: .accountID)
        name = try container.decode(String.self, forKey: .name)
        url = try container.decode(String.self, forKey: .url)
        authType = try container.decode(String.self, forKey: .authType)
        sealedCredentials = try container.decodeIfPresent(String.self, forKey: .sealedCredentials)
        credentialsKeyVersion = try container.decodeIfPresent(String.self, forKey: .credentialsKeyVersion)
        connectTimeoutMs = try container.decode(Int.self, forKey: .connectTimeoutMs)
        firstByteTimeoutMs = try container.decode(Int.self, forKey: .firstByteTimeoutMs)
        idleTimeoutMs = try container.decode(Int.self, forKey: .idleTimeoutMs)
        discoveryFailed = try container.decodeIfPresent(Bool.self, forKey: .discoveryFailed) ?? false
        credentialMode = try container.decodeIfPresent(String.self, forKey: .credentialMode) ?? UpstreamCredentialMode.shared.rawValue
    }
}

public struct SnapshotIdentity: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var label: String
    /// The identity's metadata object as JSON text (conditions may read `identity.metadata.x`).
    public var metadata: String

    public init(id: UUID, accountID: UUID, label: String, metadata: String) {
        self.id = id
        self.accountID = accountID
        self.label = label
        self.metadata = metadata
    }
}

public struct SnapshotGrant: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var identityID: UUID
    public var serverID: UUID
    public var policyID: UUID?
    /// SHA-256 of the bearer token, lowercase hex; the token itself never leaves the control plane.
    public var tokenHash: String
    public var expiresAt: Date?
    public var revoked: Bool

    public init(
        id: UUID, accountID: UUID, identityID: UUID, serverID: UUID, policyID: UUID?, tokenHash: String,
        expiresAt: Date?, revoked: Bool
    ) {
        self.id = id
        self.accountID = accountID
        self.identityID = identityID
        self.serverID = serverID
        self.policyID = policyID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.revoked = revoked
    }
}

public struct SnapshotPolicy: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var version: Int
    /// The policy document as JSON text, validated by the control plane; workers compile it.
    public var document: String

    public init(id: UUID, accountID: UUID, version: Int, document: String) {
        self.id = id
        self.accountID = accountID
        self.version = version
        self.document = document
    }
}

public struct SnapshotTool: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var serverID: UUID
    public var name: String
    public var definitionHash: String
    /// The definition hash an admin approved (pinning, design.md §5.7); nil while unapproved.
    public var approvedHash: String?
    public var riskClass: String
    public var riskSeverity: String
    /// The definition's `inputSchema` as JSON text, for policies with `validate_arguments`
    /// (issue 10 item 14); nil when the tool has none or it exceeds `maximumInputSchemaBytes`.
    public var inputSchema: String?

    public static let maximumInputSchemaBytes = 64 * 1024

    public init(
        id: UUID, accountID: UUID, serverID: UUID, name: String, definitionHash: String, approvedHash: String?,
        riskClass: String, riskSeverity: String, inputSchema: String? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.serverID = serverID
        self.name = name
        self.definitionHash = definitionHash
        self.approvedHash = approvedHash
        self.riskClass = riskClass
        self.riskSeverity = riskSeverity
        self.inputSchema = inputSchema
    }
}
