import Foundation
import Logging
import Shared

/// Lists one server's tools and records the outcome: the catalog update and status `active`, or
/// status `unreachable` / `refused` with the reason in `status_detail` (design.md §5.7). Used at
/// registration, by `POST /v1/servers/{id}/discover` and by `RediscoveryService`.
///
/// No transaction is held while the upstream is contacted: the settings are read in one, the
/// result written in another that locks the server's row.
struct ServerDiscovery: Sendable {
    enum Outcome: Sendable {
        case discovered(CatalogUpdate.Summary)
        case failed(Server.Status, String)
        /// The server was deleted, or its URL changed, while discovery ran.
        case superseded
    }

    let tenants: TenantDatabase
    let addressGuard: UpstreamAddressGuard
    let sealer: SecretSealer?
    let clientConfiguration: MCPClientConfiguration

    func discover(server id: UUID, account: UUID, logger: Logger) async throws -> Outcome {
        let read = try await tenants.transaction(account: account) { tx -> (ServerUpstream, [String])? in
            guard let upstream = try await ServerStore(tx: tx).upstream(id) else { return nil }
            return (upstream, try await AccountStore(tx: tx).current().allowedUpstreamCIDRs)
        }
        guard let (upstream, allowedCIDRs) = read else { return .superseded }
        let listed = await listTools(
            of: upstream, server: id, account: account, guardedBy: addressGuard.allowing(cidrs: allowedCIDRs), logger: logger
        ).map(CatalogEntry.scan)
        return try await tenants.transaction(account: account) { tx in
            let servers = ServerStore(tx: tx)
            guard let firstDiscovery = try await servers.lockForDiscovery(id, url: upstream.url) else { return .superseded }
            var listed = listed
            let maxTools = try await AccountLimits.toolsPerServer(tx)
            if case .success(let entries) = listed, entries.count > maxTools {
                // Refused whole rather than cut: a catalog missing some tools would hide them for
                // no reason the admin can see (issue 10 item 15).
                listed = .failure(Failure(status: .refused, reason: "The server lists \(entries.count) tools, more than this installation's limit of \(maxTools) per server."))
            }
            switch listed {
            case .success(let entries):
                let summary = try await CatalogUpdate(tools: ToolStore(tx: tx)).apply(entries, server: id, autoApproveClean: firstDiscovery)
                try await servers.setStatus(id, .active, detail: nil, discovered: true)
                return .discovered(summary)
            case .failure(let failure):
                logger.notice("tool discovery failed", metadata: [
                    "server.id": "\(id)", "account.id": "\(account)", "discovery.status": "\(failure.status.rawValue)",
                    "discovery.reason": "\(failure.reason)",
                ])
                try await servers.setStatus(id, failure.status, detail: failure.reason, discovered: false)
                return .failed(failure.status, failure.reason)
            }
        }
    }

    private struct Failure: Error {
        let status: Server.Status
        let reason: String
    }

    /// The SSRF check (with the account's own allowance) runs every time, not only at registration: the name may resolve elsewhere now.
    private func listTools(
        of upstream: ServerUpstream, server: UUID, account: UUID, guardedBy addressGuard: UpstreamAddressGuard, logger: Logger
    ) async -> Result<[DiscoveredTool], Failure> {
        let auth: UpstreamAuth
        do {
            auth = try UpstreamAuth(
                storedType: upstream.authType, sealedBytes: upstream.sealedCredentials, sealer: sealer, account: account, server: server)
        } catch {
            return .failure(Failure(status: .unreachable, reason: "The upstream credentials cannot be opened: \(error)."))
        }
        let pinned: PinnedUpstream
        do {
            pinned = try await addressGuard.check(upstream.url)
        } catch {
            return .failure(Failure(status: .refused, reason: "The upstream URL is refused: \(error.reason)."))
        }
        var configuration = clientConfiguration
        configuration.connectTimeout = .milliseconds(upstream.timeouts.connectMs)
        do {
            return .success(try await MCPToolDiscovery.discoverTools(at: pinned, auth: auth, configuration: configuration, logger: logger).tools)
        } catch {
            return .failure(Failure(status: .unreachable, reason: "Discovery failed: \(error)."))
        }
    }
}

extension APIConfiguration {
    func serverDiscovery(tenants: TenantDatabase) -> ServerDiscovery {
        ServerDiscovery(tenants: tenants, addressGuard: upstreamAddressGuard, sealer: credentialSealer, clientConfiguration: discoveryClient)
    }
}
