import Foundation

/// The kinds of configuration entity a snapshot carries, as named in `config_changes.entity_kind`.
public enum SnapshotEntityKind: String, Codable, Sendable, CaseIterable {
    case account, server, identity, grant, policy, tool
    // Agent identity (issue 14).
    case oauthSigningKey = "oauth_signing_key"
    case oauthAuthorization = "oauth_authorization"
    case trustedIssuer = "trusted_issuer"
    case identityCredential = "identity_credential"
}

/// A reference to an entity that no longer exists (a delta's deletions).
public struct SnapshotEntityRef: Codable, Sendable, Hashable {
    public var kind: SnapshotEntityKind
    public var id: UUID

    public init(kind: SnapshotEntityKind, id: UUID) {
        self.kind = kind
        self.id = id
    }
}

/// A set of entities: the whole configuration in a full snapshot, the changed ones in a delta.
public struct SnapshotEntities: Codable, Sendable, Equatable {
    public var accounts: [SnapshotAccount] = []
    public var servers: [SnapshotServer] = []
    public var identities: [SnapshotIdentity] = []
    public var grants: [SnapshotGrant] = []
    public var policies: [SnapshotPolicy] = []
    public var tools: [SnapshotTool] = []
    public var oauthSigningKeys: [SnapshotOAuthSigningKey] = []
    public var oauthAuthorizations: [SnapshotOAuthAuthorization] = []
    public var identityCredentials: [SnapshotIdentityCredential] = []
    public var trustedIssuers: [SnapshotTrustedIssuer] = []

    public init() {}

    public var isEmpty: Bool {
        accounts.isEmpty && servers.isEmpty && identities.isEmpty && grants.isEmpty && policies.isEmpty && tools.isEmpty
            && oauthSigningKeys.isEmpty && oauthAuthorizations.isEmpty && identityCredentials.isEmpty && trustedIssuers.isEmpty
    }

    private enum CodingKeys: String, CodingKey {
        case accounts, servers, identities, grants, policies, tools, oauthSigningKeys, oauthAuthorizations, identityCredentials
        case trustedIssuers
    }

    /// A list the sender does not know yet decodes as empty, so a worker newer than its control
    /// plane still reads the snapshot during a rolling upgrade.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func list<E: Decodable>(_ key: CodingKeys) throws -> [E] { try container.decodeIfPresent([E].self, forKey: key) ?? [] }
        accounts = try list(.accounts)
        servers = try list(.servers)
        identities = try list(.identities)
        grants = try list(.grants)
        policies = try list(.policies)
        tools = try list(.tools)
        oauthSigningKeys = try list(.oauthSigningKeys)
        oauthAuthorizations = try list(.oauthAuthorizations)
        identityCredentials = try list(.identityCredentials)
        trustedIssuers = try list(.trustedIssuers)
    }
}

/// `GET /internal/v1/snapshot`: everything, as of change number `version`.
public struct FullSnapshot: Codable, Sendable, Equatable {
    public var version: Int64
    public var entities: SnapshotEntities

    public init(version: Int64, entities: SnapshotEntities) {
        self.version = version
        self.entities = entities
    }
}

/// `GET /internal/v1/snapshot?since=V`: what changed after `since`, up to and including `version`.
public struct SnapshotDelta: Codable, Sendable, Equatable {
    public var since: Int64
    public var version: Int64
    public var upserts: SnapshotEntities
    public var deletes: [SnapshotEntityRef]

    public init(since: Int64, version: Int64, upserts: SnapshotEntities, deletes: [SnapshotEntityRef]) {
        self.since = since
        self.version = version
        self.upserts = upserts
        self.deletes = deletes
    }
}

extension FullSnapshot {
    /// Applies a delta that starts at this snapshot's version; a delta for another version is
    /// refused so that a worker never silently skips changes.
    public func applying(_ delta: SnapshotDelta) throws -> FullSnapshot {
        guard delta.since == version else { throw SnapshotError.deltaDoesNotFollow(have: version, deltaSince: delta.since) }
        guard delta.version >= version else { throw SnapshotError.versionWentBack(have: version, got: delta.version) }
        let deleted = Set(delta.deletes)
        var next = entities
        func merge<E: Identifiable & Sendable>(_ current: [E], _ changed: [E], _ kind: SnapshotEntityKind) -> [E] where E.ID == UUID {
            var byID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
            for entity in changed { byID[entity.id] = entity }
            for ref in deleted where ref.kind == kind { byID[ref.id] = nil }
            return byID.values.sorted { $0.id.uuidString < $1.id.uuidString }
        }
        next.accounts = merge(entities.accounts, delta.upserts.accounts, .account)
        next.servers = merge(entities.servers, delta.upserts.servers, .server)
        next.identities = merge(entities.identities, delta.upserts.identities, .identity)
        next.grants = merge(entities.grants, delta.upserts.grants, .grant)
        next.policies = merge(entities.policies, delta.upserts.policies, .policy)
        next.tools = merge(entities.tools, delta.upserts.tools, .tool)
        next.oauthSigningKeys = merge(entities.oauthSigningKeys, delta.upserts.oauthSigningKeys, .oauthSigningKey)
        next.oauthAuthorizations = merge(entities.oauthAuthorizations, delta.upserts.oauthAuthorizations, .oauthAuthorization)
        next.identityCredentials = merge(entities.identityCredentials, delta.upserts.identityCredentials, .identityCredential)
        next.trustedIssuers = merge(entities.trustedIssuers, delta.upserts.trustedIssuers, .trustedIssuer)
        return FullSnapshot(version: delta.version, entities: next)
    }

    /// The same snapshot with every list in id order, so two snapshots compare equal by content.
    public var normalized: FullSnapshot {
        var copy = self
        func sorted<E: Identifiable>(_ list: [E]) -> [E] where E.ID == UUID { list.sorted { $0.id.uuidString < $1.id.uuidString } }
        copy.entities.accounts = sorted(entities.accounts)
        copy.entities.servers = sorted(entities.servers)
        copy.entities.identities = sorted(entities.identities)
        copy.entities.grants = sorted(entities.grants)
        copy.entities.policies = sorted(entities.policies)
        copy.entities.tools = sorted(entities.tools)
        copy.entities.oauthSigningKeys = sorted(entities.oauthSigningKeys)
        copy.entities.oauthAuthorizations = sorted(entities.oauthAuthorizations)
        copy.entities.identityCredentials = sorted(entities.identityCredentials)
        copy.entities.trustedIssuers = sorted(entities.trustedIssuers)
        return copy
    }
}

public enum SnapshotError: Error, Equatable, CustomStringConvertible {
    case deltaDoesNotFollow(have: Int64, deltaSince: Int64)
    case versionWentBack(have: Int64, got: Int64)

    public var description: String {
        switch self {
        case .deltaDoesNotFollow(let have, let since): "delta starts at \(since) but the snapshot is at \(have)"
        case .versionWentBack(let have, let got): "delta goes back from \(have) to \(got)"
        }
    }
}

/// The JSON coding of snapshots on the internal wire: property names as keys (the snake_case
/// key strategies do not round-trip names like `accountID`), ISO 8601 dates.
public enum SnapshotCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
