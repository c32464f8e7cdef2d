import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Fetches one trusted issuer's keys and records the outcome (issue 14 item 4): at creation, on
/// `POST /v1/trusted-issuers/{id}/refresh`, and from `IssuerKeyRefreshService`. Like server
/// discovery, no transaction is held while the identity provider is contacted.
struct IssuerKeyRefresh: Sendable {
    let tenants: TenantDatabase
    let discovery: IssuerKeyDiscovery

    /// Nil when the issuer no longer exists.
    func refresh(_ id: UUID, account: UUID, logger: Logger) async throws -> TrustedIssuer? {
        let read = try await tenants.transaction(account: account) { tx -> (SnapshotTrustedIssuer, [String])? in
            guard let issuer = try await TrustedIssuerStore(tx: tx).existing(id) else { return nil }
            return (issuer.settings, try await AccountStore(tx: tx).current().allowedUpstreamCIDRs)
        }
        guard let (settings, allowedCIDRs) = read else { return nil }
        let outcome: Result<IssuerKeyDiscovery.Found, GuardedDocumentFetch.Failure>
        do {
            outcome = .success(try await discovery.keys(of: settings.issuer, algorithms: settings.algorithms, allowedCIDRs: allowedCIDRs))
        } catch {
            logger.notice("trusted issuer keys not refreshed", metadata: [
                "trusted_issuer.id": "\(id)", "account.id": "\(account)", "refresh.reason": "\(error.description)",
            ])
            outcome = .failure(error)
        }
        return try await tenants.transaction(account: account) { try await TrustedIssuerStore(tx: $0).recordKeys(id, outcome) }
    }
}

extension APIConfiguration {
    func issuerKeyRefresh(tenants: TenantDatabase) -> IssuerKeyRefresh {
        IssuerKeyRefresh(tenants: tenants, discovery: IssuerKeyDiscovery(fetch: GuardedDocumentFetch(addressGuard: upstreamAddressGuard)))
    }
}

/// Refreshes every trusted issuer's keys every `interval`, so a key the identity provider rotates
/// in reaches workers without anyone asking. Issuers checked within the interval (by another
/// replica, or through the API) are skipped.
struct IssuerKeyRefreshService: Service {
    let database: Database
    let refresh: IssuerKeyRefresh
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .afterInterval) { await refreshDueIssuers() }
    }

    func refreshDueIssuers() async {
        let due: [(account: UUID, issuer: UUID)]
        do {
            // Across accounts by design, like rediscovery; each refresh then runs under its account's RLS.
            due = try await database.query("""
                SELECT account_id, id FROM trusted_issuers
                WHERE keys_checked_at IS NULL
                   OR keys_checked_at < now() - \(Double(interval.components.seconds))::float8 * interval '1 second'
                ORDER BY keys_checked_at NULLS FIRST
                """).map { (try $0.decode("account_id"), try $0.decode("id")) }
        } catch {
            logger.error("cannot list trusted issuers to refresh", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        for target in due {
            do {
                _ = try await refresh.refresh(target.issuer, account: target.account, logger: logger)
            } catch {
                logger.error("trusted issuer refresh failed", metadata: ["trusted_issuer.id": "\(target.issuer)", "error": "\(String(reflecting: error))"])
            }
        }
    }
}
