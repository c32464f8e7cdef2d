import Shared

/// Settings of the admin API that tests and operators vary.
struct APIConfiguration: Sendable {
    /// `--signup open|closed`.
    var signup: SignupMode = .open
    var passwordHasher = PasswordHasher()
    /// Shared by signup and login, per client address.
    var authenticationRate: ClientRateLimiter.Rate = .signupAndLogin
    /// `/oauth/authorize` and `/oauth/token`, per client address; registration keeps signup's rate.
    var oauthRate: ClientRateLimiter.Rate = .oauthEndpoints
    /// Keys made by `POST /v1/login` are for a console session and expire; keys made through
    /// `POST /v1/api-keys` live until revoked unless the caller sets `expires_at`.
    var loginKeyLifetime: Duration = .seconds(12 * 3600)
    /// `--worker-tokens`: the `pcs_wk_` tokens gateway workers may present to `/internal/v1`.
    var workerTokens: [String] = []
    /// `--public-gateway-url`: the base of the gateway and secret URLs handed out with grants.
    var publicGatewayURL = "http://127.0.0.1:8081"
    /// The SSRF guard for upstream URLs (`--allow-upstream-cidr`, `--allow-plain-http-upstreams`).
    var upstreamAddressGuard = UpstreamAddressGuard(policy: UpstreamAddressPolicy())
    /// Seals upstream credentials under `PORTCULLIS_SECRET_KEYS`; without keys, only servers with
    /// auth `none` can be registered.
    var credentialSealer: SecretSealer?
    /// Derives each account's approval-webhook secret, shown to admins in `GET /v1/account`;
    /// without `PORTCULLIS_SECRET_KEYS` there is none (workers cannot sign either).
    var approvalWebhookSigning: ApprovalWebhookSigning?
    /// `--trusted-proxies`: whose `X-Forwarded-For` names the client for signup and login limits.
    var trustedProxies = TrustedProxies()
    /// `--max-concurrent-password-hashes`.
    var maxConcurrentPasswordHashes = 4
    /// `--admin-requests-per-minute`, per account.
    var adminRequestRate: ClientRateLimiter.Rate = .perMinute(600)
    /// `--simulations-per-minute`, per account: a simulation runs the policy engine on demand.
    var simulationRate: ClientRateLimiter.Rate = .perMinute(60)
    /// `--body-read-timeout`.
    var bodyReadTimeout: Duration = .seconds(30)
    /// `--api-key-max-lifetime-days`; nil when keys may live until revoked.
    var apiKeyMaxLifetime: Duration?
    /// `--max-...-per-account`; the database holds all but `policyBytes` (migration 0005).
    var accountLimits = AccountLimits()
    /// The keys `GET /v1/audit/verify` checks the keyed chain with (issue 10 item 20); without
    /// `PORTCULLIS_SECRET_KEYS` the chain cannot be verified.
    var auditChainKeys: AuditChainKeys?
    /// The OAuth authorization server (issue 14 item 2): `--public-url`, `--oauth-access-token-lifetime`,
    /// and the sealer of its signing keys; without `PORTCULLIS_SECRET_KEYS` there is no OAuth.
    var oauth = OAuthSettings()
    /// Bounds each exchange with an upstream's authorization server (upstream OAuth connect).
    var upstreamOAuthTimeout: Duration = .seconds(10)
    /// Limits of the MCP client that lists upstream tools.
    var discoveryClient = MCPClientConfiguration()
}
