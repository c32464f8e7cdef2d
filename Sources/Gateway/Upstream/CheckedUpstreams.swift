import Foundation
import Logging
import NIOConcurrencyHelpers
import Shared

/// The SSRF guard on the worker (issue 10 item 9): every upstream connection goes to an address
/// that passed the same guard as registration, with the installation's ranges and the account's
/// own. A registered name may resolve inward later (DNS rebinding to 127.0.0.1, 10/8,
/// 169.254.169.254, ::1), so the control plane's check at registration proves nothing at call time.
///
/// An answer, pinned address or refusal, is kept for `lifetime`: long enough that a busy
/// upstream is not resolved per call, short enough to follow a legitimate DNS change. At most
/// `capacity` answers are kept; when full, expired ones go, and if none has, all do. A refusal is
/// logged (with the address, for the operator) when it is found, not on every call it answers.
final class CheckedUpstreams: Sendable {
    private struct Key: Hashable {
        let url: String
        let allowedCIDRs: [String]
    }

    private struct Answer {
        let result: Result<PinnedUpstream, UpstreamAddressRefusal>
        let expires: ContinuousClock.Instant
    }

    private let addressGuard: UpstreamAddressGuard
    private let lifetime: Duration
    private let capacity: Int
    private let logger: Logger
    private let answers = NIOLockedValueBox<[Key: Answer]>([:])

    init(addressGuard: UpstreamAddressGuard, lifetime: Duration = .seconds(10), capacity: Int = 4_096, logger: Logger) {
        self.addressGuard = addressGuard
        self.logger = logger
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The address to connect to for `url`, or why there is none.
    func check(_ url: String, serverID: UUID, allowing cidrs: [String]) async throws(UpstreamAddressRefusal) -> PinnedUpstream {
        let key = Key(url: url, allowedCIDRs: cidrs)
        let now = ContinuousClock.now
        if let answer = answers.withLockedValue({ $0[key] }), answer.expires > now {
            return try answer.result.get()
        }
        let result: Result<PinnedUpstream, UpstreamAddressRefusal>
        do {
            result = .success(try await addressGuard.allowing(cidrs: cidrs).check(url))
        } catch {
            logger.warning("upstream address refused", metadata: ["server.id": "\(serverID)", "upstream.refusal": "\(error.reason)"])
            result = .failure(error)
        }
        answers.withLockedValue { answers in
            if answers.count >= capacity {
                answers = answers.filter { $0.value.expires > now }
                if answers.count >= capacity { answers.removeAll() }
            }
            answers[key] = Answer(result: result, expires: now + lifetime)
        }
        return try result.get()
    }
}
