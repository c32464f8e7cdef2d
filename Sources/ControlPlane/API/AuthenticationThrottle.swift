import Hummingbird

/// The rate limits of signup and login (issue 10 item 17): one bucket per client (address, or
/// IPv6 /64, through `TrustedProxies`) and one per email, so neither many addresses guessing one
/// member's password nor one address trying many emails gets further than the rate.
struct AuthenticationThrottle: Sendable {
    let proxies: TrustedProxies
    let perClient: ClientRateLimiter
    let perEmail: ClientRateLimiter

    init(rate: ClientRateLimiter.Rate, proxies: TrustedProxies) {
        self.proxies = proxies
        perClient = ClientRateLimiter(rate: rate)
        perEmail = ClientRateLimiter(rate: rate, subject: "attempts for this email")
    }

    /// Before the body is read.
    func admit(_ request: Request, context: APIRequestContext) throws {
        try perClient.admit(proxies.clientKey(peer: context.clientAddress, headers: request.headers))
    }

    /// Once the email is known; case-insensitive, as emails are matched.
    func admit(email: String) throws {
        try perEmail.admit(email.lowercased())
    }
}
