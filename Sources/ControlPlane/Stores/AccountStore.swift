import Foundation
import JSON
import Shared

/// An account (tenant) as the API shows it.
struct Account: JSONRepresentable {
    let id: UUID
    let name: String
    let slug: String
    let approvalWebhookURL: String?
    /// Upstream ranges the operator allows this account beyond the installation's (issue 10
    /// item 9); read-only here, written by `controlplane account-upstream-cidrs`.
    let allowedUpstreamCIDRs: [String]
    let createdAt: Date
    let updatedAt: Date

    static let columns = """
        id, name, slug, approval_webhook_url, array_to_string(allowed_upstream_cidrs, ',') AS allowed_upstream_cidrs, created_at, updated_at
        """

    init(row: Row) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        slug = try row.decode("slug")
        approvalWebhookURL = try row.decode("approval_webhook_url")
        allowedUpstreamCIDRs = Self.cidrList(try row.decode("allowed_upstream_cidrs"))
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var json: JSONValue {
        [
            "id": .uuid(id), "name": .string(name), "slug": .string(slug),
            "approval_webhook_url": .string(approvalWebhookURL),
            "allowed_upstream_cidrs": .array(allowedUpstreamCIDRs.map { .string($0) }),
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

extension Account {
    /// `allowed_upstream_cidrs` read as `array_to_string(.., ',')`: CIDRs hold no comma.
    static func cidrList(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }
}

/// The `accounts` table, seen from inside one account.
struct AccountStore {
    let tx: TenantTransaction

    /// Creates the transaction's own account (RLS lets an account row in only under its own id).
    func create(name: String, slug: String) async throws -> Account {
        let row = try await tx.query("""
            INSERT INTO accounts (id, name, slug) VALUES (\(tx.account), \(name), \(slug))
            RETURNING \(unsafeSQL: Account.columns)
            """)
        try await tx.recordChange(.account, id: tx.account, .upsert)
        return try Account(row: row[0])
    }

    func current() async throws -> Account {
        guard let row = try await tx.query("SELECT \(unsafeSQL: Account.columns) FROM accounts WHERE id = \(tx.account)").first else {
            throw ProblemError.notFound("Account")
        }
        return try Account(row: row)
    }

    struct Changes {
        var name: String?
        var approvalWebhookURL: PatchValue<String> = .unchanged
    }

    func update(_ changes: Changes) async throws -> Account {
        let row = try await tx.query("""
            UPDATE accounts SET
                name = coalesce(\(changes.name), name),
                approval_webhook_url = CASE WHEN \(changes.approvalWebhookURL.isSet) THEN \(changes.approvalWebhookURL.newValue) ELSE approval_webhook_url END,
                updated_at = now()
            WHERE id = \(tx.account)
            RETURNING \(unsafeSQL: Account.columns)
            """)
        guard let first = row.first else { throw ProblemError.notFound("Account") }
        try await tx.recordChange(.account, id: tx.account, .upsert)
        return try Account(row: first)
    }
}

extension Account {
    /// A slug from a display name: lowercase ASCII letters and digits, other runs become `-`,
    /// at most 63 characters (the schema's check), `account` when nothing is left.
    static func slug(from name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        slug = String(slug.prefix(56))
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "account" : slug
    }
}
