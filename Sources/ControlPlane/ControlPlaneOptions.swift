import ArgumentParser
import Foundation
import Shared

/// Settings of the control plane beyond `CommonOptions`; each help text names its environment variable.
struct ControlPlaneOptions: ParsableArguments {
    @Option(help: "Address to listen on. Env: PORTCULLIS_HOST.")
    var host: String = EnvironmentVariables.string("PORTCULLIS_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on. Env: PORTCULLIS_PORT.")
    var port: Int = EnvironmentVariables.int("PORTCULLIS_PORT") ?? 8080

    @Option(help: "Worker tokens (pcs_wk_...) accepted from gateway workers, comma-separated. Env: PORTCULLIS_WORKER_TOKENS.")
    var workerTokens: String = EnvironmentVariables.string("PORTCULLIS_WORKER_TOKENS") ?? ""

    @Option(help: "Public base URL of the gateway, used in the URLs handed out with grants. Env: PORTCULLIS_PUBLIC_GATEWAY_URL.")
    var publicGatewayURL: String = EnvironmentVariables.string("PORTCULLIS_PUBLIC_GATEWAY_URL") ?? "http://127.0.0.1:8081"

    @Option(help: "Public base URL of this control plane: the OAuth issuer, and the base of its authorization, consent and token endpoints. Env: PORTCULLIS_PUBLIC_URL.")
    var publicURL: String = EnvironmentVariables.string("PORTCULLIS_PUBLIC_URL") ?? "http://127.0.0.1:8080"

    @Option(help: "Seconds an OAuth access token is valid; a revoked authorization stops its tokens at the next snapshot anyway. Env: PORTCULLIS_OAUTH_ACCESS_TOKEN_LIFETIME.")
    var oauthAccessTokenLifetime: Int = EnvironmentVariables.int("PORTCULLIS_OAUTH_ACCESS_TOKEN_LIFETIME") ?? 600

    @Option(help: "Seconds between background discoveries of every server's tools (design.md §5.7). Env: PORTCULLIS_REDISCOVERY_INTERVAL.")
    var rediscoveryInterval: Int = EnvironmentVariables.int("PORTCULLIS_REDISCOVERY_INTERVAL") ?? 300

    @Option(help: "Seconds between background refreshes of every trusted issuer's JWKS (issue 14). Env: PORTCULLIS_TRUSTED_ISSUER_REFRESH_INTERVAL.")
    var trustedIssuerRefreshInterval: Int = EnvironmentVariables.int("PORTCULLIS_TRUSTED_ISSUER_REFRESH_INTERVAL") ?? 900

    @Option(name: .customLong("upstream-oauth-refresh-interval"), help: "Seconds between rounds of refreshing identities' upstream OAuth access tokens that are close to expiry (issue 14). Env: PORTCULLIS_UPSTREAM_OAUTH_REFRESH_INTERVAL.")
    var upstreamOAuthRefreshInterval: Int = EnvironmentVariables.int("PORTCULLIS_UPSTREAM_OAUTH_REFRESH_INTERVAL") ?? 30

    @Option(help: "PBKDF2-SHA256 iterations for new password hashes (existing hashes keep theirs). Env: PORTCULLIS_PASSWORD_HASH_ITERATIONS.")
    var passwordHashIterations: Int = EnvironmentVariables.int("PORTCULLIS_PASSWORD_HASH_ITERATIONS") ?? PasswordHasher.defaultIterations

    @Option(help: "Seconds a connection may stay idle (also bounds how long a client may take to send its headers). Env: PORTCULLIS_IDLE_TIMEOUT.")
    var idleTimeout: Int = EnvironmentVariables.int("PORTCULLIS_IDLE_TIMEOUT") ?? 75

    @Option(help: "Seconds a client has to send a request body; slower gets 408. Env: PORTCULLIS_BODY_READ_TIMEOUT.")
    var bodyReadTimeout: Int = EnvironmentVariables.int("PORTCULLIS_BODY_READ_TIMEOUT") ?? 30

    @Option(help: "CIDRs of load balancers whose X-Forwarded-For is believed for signup and login rate limits (rightmost untrusted hop), comma-separated. Env: PORTCULLIS_TRUSTED_PROXIES.")
    var trustedProxies: String = EnvironmentVariables.string("PORTCULLIS_TRUSTED_PROXIES") ?? ""

    @Option(help: "Password hashes computed at once (signup, login, member changes); beyond, 503 with Retry-After. Env: PORTCULLIS_MAX_CONCURRENT_PASSWORD_HASHES.")
    var maxConcurrentPasswordHashes: Int = EnvironmentVariables.int("PORTCULLIS_MAX_CONCURRENT_PASSWORD_HASHES") ?? 4

    @Option(help: "Admin API requests per minute per account, all of which may come at once; beyond, 429. Env: PORTCULLIS_ADMIN_REQUESTS_PER_MINUTE.")
    var adminRequestsPerMinute: Int = EnvironmentVariables.int("PORTCULLIS_ADMIN_REQUESTS_PER_MINUTE") ?? 600

    @Option(help: "Policy simulations per minute per account; beyond, 429. Env: PORTCULLIS_SIMULATIONS_PER_MINUTE.")
    var simulationsPerMinute: Int = EnvironmentVariables.int("PORTCULLIS_SIMULATIONS_PER_MINUTE") ?? 60

    @Option(help: "Longest lifetime of an API key in days (keys without expires_at get it; 0: keys may live until revoked). Env: PORTCULLIS_API_KEY_MAX_LIFETIME_DAYS.")
    var apiKeyMaxLifetimeDays: Int = EnvironmentVariables.int("PORTCULLIS_API_KEY_MAX_LIFETIME_DAYS") ?? 365

    @Option(help: "Servers per account. Env: PORTCULLIS_MAX_SERVERS_PER_ACCOUNT.")
    var maxServersPerAccount: Int = EnvironmentVariables.int("PORTCULLIS_MAX_SERVERS_PER_ACCOUNT") ?? AccountLimits().servers

    @Option(help: "Listed tools per server; a server listing more is refused at discovery. Env: PORTCULLIS_MAX_TOOLS_PER_SERVER.")
    var maxToolsPerServer: Int = EnvironmentVariables.int("PORTCULLIS_MAX_TOOLS_PER_SERVER") ?? AccountLimits().toolsPerServer

    @Option(help: "Live policies per account. Env: PORTCULLIS_MAX_POLICIES_PER_ACCOUNT.")
    var maxPoliciesPerAccount: Int = EnvironmentVariables.int("PORTCULLIS_MAX_POLICIES_PER_ACCOUNT") ?? AccountLimits().policies

    @Option(help: "Bytes of one policy document (compact JSON). Env: PORTCULLIS_MAX_POLICY_BYTES.")
    var maxPolicyBytes: Int = EnvironmentVariables.int("PORTCULLIS_MAX_POLICY_BYTES") ?? AccountLimits().policyBytes

    @Option(help: "Unrevoked grants per account. Env: PORTCULLIS_MAX_GRANTS_PER_ACCOUNT.")
    var maxGrantsPerAccount: Int = EnvironmentVariables.int("PORTCULLIS_MAX_GRANTS_PER_ACCOUNT") ?? AccountLimits().grants

    @Option(help: "Identities per account. Env: PORTCULLIS_MAX_IDENTITIES_PER_ACCOUNT.")
    var maxIdentitiesPerAccount: Int = EnvironmentVariables.int("PORTCULLIS_MAX_IDENTITIES_PER_ACCOUNT") ?? AccountLimits().identities

    @Option(help: "Pending approval requests per account; gateway workers answer a call beyond it as denied. Env: PORTCULLIS_MAX_PENDING_APPROVALS_PER_ACCOUNT.")
    var maxPendingApprovalsPerAccount: Int = EnvironmentVariables.int("PORTCULLIS_MAX_PENDING_APPROVALS_PER_ACCOUNT") ?? AccountLimits().pendingApprovals

    @Option(help: "Whole months of audit events kept before the current one: every hour the control plane drops older monthly partitions, recording their hash-chain anchors first (0: keep every month). A month whose chain later events continue from (a spool shipped late) stays until those months go too. Env: PORTCULLIS_AUDIT_RETENTION_MONTHS.")
    var auditRetentionMonths: Int = EnvironmentVariables.int("PORTCULLIS_AUDIT_RETENTION_MONTHS") ?? 0

    @Option(help: "Whether anyone may sign up (open) or only existing admins add members (closed). Env: PORTCULLIS_SIGNUP.")
    var signup: SignupMode = EnvironmentVariables.string("PORTCULLIS_SIGNUP").flatMap(SignupMode.init(rawValue:)) ?? .open
}

extension ControlPlaneOptions {
    func validate() throws {
        guard passwordHashIterations >= 1000 else { throw ValidationError("--password-hash-iterations must be at least 1000") }
        guard rediscoveryInterval > 0 else { throw ValidationError("--rediscovery-interval must be at least 1 second") }
        guard trustedIssuerRefreshInterval > 0 else { throw ValidationError("--trusted-issuer-refresh-interval must be at least 1 second") }
        guard upstreamOAuthRefreshInterval > 0 else { throw ValidationError("--upstream-oauth-refresh-interval must be at least 1 second") }
        guard idleTimeout > 0, bodyReadTimeout > 0 else { throw ValidationError("--idle-timeout and --body-read-timeout must be at least 1 second") }
        guard maxConcurrentPasswordHashes > 0 else { throw ValidationError("--max-concurrent-password-hashes must be at least 1") }
        guard adminRequestsPerMinute > 0, simulationsPerMinute > 0 else {
            throw ValidationError("--admin-requests-per-minute and --simulations-per-minute must be at least 1")
        }
        guard apiKeyMaxLifetimeDays >= 0 else { throw ValidationError("--api-key-max-lifetime-days must be 0 or more") }
        guard auditRetentionMonths >= 0 else { throw ValidationError("--audit-retention-months must be 0 (keep every month) or more") }
        guard accountLimits.all.allSatisfy({ $0 > 0 }) else { throw ValidationError("every --max-...-per-account limit must be at least 1") }
        _ = try trustedProxyNetworks()
        guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased()), url.host?.isEmpty == false,
              url.query == nil, url.fragment == nil
        else { throw ValidationError("--public-url must be an http or https URL without query or fragment (e.g. https://portcullis.example.com)") }
        guard (10...86_400).contains(oauthAccessTokenLifetime) else {
            throw ValidationError("--oauth-access-token-lifetime must be between 10 and 86400 seconds")
        }
        for token in workerTokenList where SecretToken.parse(token, as: .worker) == nil {
            throw ValidationError("--worker-tokens: \(token.prefix(7))... is not a worker token (make one with `controlplane new-token worker`)")
        }
    }

    /// `--trusted-proxies` as networks.
    func trustedProxyNetworks() throws -> [IPNetwork] {
        try trustedProxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { text in
            guard let network = IPNetwork(text) else { throw ValidationError("--trusted-proxies: \(text) is not a CIDR (e.g. 10.0.0.0/8)") }
            return network
        }
    }

    var accountLimits: AccountLimits {
        AccountLimits(
            servers: maxServersPerAccount, toolsPerServer: maxToolsPerServer, policies: maxPoliciesPerAccount, policyBytes: maxPolicyBytes,
            grants: maxGrantsPerAccount, identities: maxIdentitiesPerAccount, pendingApprovals: maxPendingApprovalsPerAccount)
    }

    /// `--worker-tokens` as a list.
    var workerTokenList: [String] {
        workerTokens.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

enum SignupMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case open, closed
}
