import ArgumentParser
import Foundation
import Logging
import Shared

/// `controlplane account-upstream-cidrs ACCOUNT [--set CIDR ...] [--clear]`: the operator's
/// per-account exception to the SSRF guard (issue 10 item 9). A range allowed here lets that one
/// account register upstreams and approval webhooks in it, and its calls reach them through every
/// worker; other accounts still get only the installation's `--allow-upstream-cidr`.
///
/// An operator command rather than an admin API route: the admin API only ever speaks for one
/// tenant, and a tenant must not be able to grant itself an internal range. It connects with
/// `--database-url` as the schema owner, which the trigger of migration 0004 requires.
struct AccountUpstreamCIDRsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account-upstream-cidrs",
        abstract: "Show or set the upstream address ranges one account may use despite the SSRF guard."
    )

    @Argument(help: "The account, by slug or id.")
    var account: String

    @Option(name: .customLong("set"), help: "Replace the account's ranges with these (repeatable, CIDR such as 10.20.0.0/16).")
    var ranges: [String] = []

    @Flag(help: "Remove every range of the account.")
    var clear = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if clear, !ranges.isEmpty { throw ValidationError("--clear and --set cannot be used together") }
        for text in ranges where IPNetwork(text) == nil {
            throw ValidationError("--set \(text) is not a CIDR block such as 10.20.0.0/16 (host bits must be zero)")
        }
    }

    func run() async throws {
        let written = try await common.withDatabase { database, logger in
            guard let written = try await write(database) else { throw ValidationError("no account has the slug or id \(account)") }
            if clear || !ranges.isEmpty {
                logger.notice("account upstream ranges set", metadata: ["account.id": "\(written.id)", "upstream.cidrs": "\(written.cidrs)"])
            }
            return written
        }
        print(written.cidrs.isEmpty ? "\(written.id): no ranges beyond the installation's" : "\(written.id): \(written.cidrs.replacingOccurrences(of: ",", with: " "))")
    }

    /// Sets (or with neither `--set` nor `--clear`, reads) the ranges; nil when no account matches.
    private func write(_ database: Database) async throws -> (id: UUID, cidrs: String)? {
        let change = clear || !ranges.isEmpty
        return try await database.transaction { tx -> (id: UUID, cidrs: String)? in
            let id = UUID(uuidString: account)
            let rows = change
                ? try await tx.query("""
                    UPDATE accounts SET allowed_upstream_cidrs = \(TextArray(ranges.compactMap { IPNetwork($0)?.description }))::text[],
                        updated_at = now()
                    WHERE id = \(id) OR slug = \(account)
                    RETURNING id, array_to_string(allowed_upstream_cidrs, ',') AS cidrs
                    """)
                : try await tx.query("""
                    SELECT id, array_to_string(allowed_upstream_cidrs, ',') AS cidrs FROM accounts WHERE id = \(id) OR slug = \(account)
                    """)
            guard let row = rows.first else { return nil }
            let found: (id: UUID, cidrs: String) = (try row.decode("id"), try row.decode("cidrs"))
            // Workers learn the allowance from the snapshot, like any other account change.
            if change { try await ConfigChangeLog.record(tx, account: found.id, kind: .account, id: found.id, .upsert) }
            return found
        }
    }
}
