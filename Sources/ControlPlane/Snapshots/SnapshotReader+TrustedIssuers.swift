import Foundation
import Shared

extension SnapshotReader {
    /// Trusted issuers with the keys last fetched (issue 14 item 4): workers verify with these and
    /// never fetch a JWKS themselves.
    static func trustedIssuers(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotTrustedIssuer] {
        try await tx.query("""
            SELECT \(unsafeSQL: TrustedIssuer.columns) FROM trusted_issuers
            WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { try TrustedIssuer(row: $0).settings }
    }
}
