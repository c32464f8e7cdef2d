import Foundation
import Synchronization

/// A token bucket per key: per client address and per email for the unauthenticated endpoints
/// (signup, login), against password guessing and signup floods; per account for the admin API and
/// for policy simulations (issue 10 items 12, 15, 17). In memory, per process: with N replicas
/// behind a load balancer a client gets at most N times the rate, which still bounds it.
final class ClientRateLimiter: Sendable {
    struct Rate: Sendable {
        /// Requests a client may make at once.
        let burst: Int
        /// Seconds to earn one request back.
        let refillInterval: Double

        /// 10 at once, then one every 6 s (10 a minute).
        static let signupAndLogin = Rate(burst: 10, refillInterval: 6)

        /// 120 at once, then two a second: authorize and token requests cost one lookup by the hash
        /// of a 256-bit secret (nothing to guess), and many agents behind one address authorize and
        /// refresh; at signup's rate the fifth agent behind a NAT got 429 (issue 14 item 2).
        static let oauthEndpoints = Rate(burst: 120, refillInterval: 0.5)

        /// `count` requests a minute, all of which may come at once.
        static func perMinute(_ count: Int) -> Rate {
            Rate(burst: count, refillInterval: 60 / Double(count))
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Beyond this many tracked addresses, full buckets are dropped (they equal a fresh bucket),
    /// so a scan from many addresses cannot grow memory without bound.
    private static let pruneThreshold = 10_000

    let rate: Rate
    /// Whose requests the bucket counts, for the 429's detail ("this address", "this account").
    let subject: String
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Rate, subject: String = "this address") {
        self.rate = rate
        self.subject = subject
    }

    /// Takes one request from `client`'s bucket, or throws 429 with the seconds until the next one.
    func admit(_ client: String?) throws {
        let key = client ?? "unknown"
        let now = ContinuousClock.now
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: Double(rate.burst), updated: now)
            bucket.tokens = min(Double(rate.burst), bucket.tokens + seconds(now - bucket.updated) / rate.refillInterval)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) * rate.refillInterval }
            bucket.tokens -= 1
            if buckets.count > Self.pruneThreshold { prune(&buckets, now: now) }
            return nil
        }
        if let wait { throw ProblemError.tooManyRequests(retryAfter: max(1, Int(wait.rounded(.up))), from: subject) }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + seconds(now - bucket.updated) / rate.refillInterval < Double(rate.burst)
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
