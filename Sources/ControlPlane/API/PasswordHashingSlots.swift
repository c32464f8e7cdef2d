import Shared
import Synchronization

/// Bounds how many password hashes run at once (issue 10 item 17). Each costs hundreds of
/// milliseconds of a core; without a bound, a burst of logins from many addresses queues on the
/// thread pool and every other request waits behind it. A request that finds every slot taken is
/// answered 503 with `Retry-After` at once, instead of queueing.
final class PasswordHashingSlots: Sendable {
    let hasher: PasswordHasher
    let capacity: Int
    private let inUse = Mutex(0)

    init(hasher: PasswordHasher, capacity: Int) {
        precondition(capacity > 0)
        self.hasher = hasher
        self.capacity = capacity
    }

    func hash(_ password: String) async throws -> String {
        try await withSlot { try await hasher.hashOffloaded(password) }
    }

    func verify(_ password: String, against encoded: String?) async throws -> Bool {
        try await withSlot { try await hasher.verifyOffloaded(password, against: encoded) }
    }

    /// Runs `body` holding a slot, or throws 503 when none is free.
    func withSlot<T>(_ body: () async throws -> T) async throws -> T {
        let taken = inUse.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard taken else {
            throw ProblemError.busy("Too many sign-ins are being checked right now; retry in a second.")
        }
        defer { inUse.withLock { $0 -= 1 } }
        return try await body()
    }
}
