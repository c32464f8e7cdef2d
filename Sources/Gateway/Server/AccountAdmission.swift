import Foundation
import NIOConcurrencyHelpers

/// How much of a worker one account may take at once (issue 10 item 26). The event loops, the
/// audit spool and the database pool are shared by every account, and they serve work in the
/// order it arrives: an account with forty requests in flight put forty steps in front of each
/// step of everyone else's. Three bounds, each per account and per worker:
///
/// - **working**: requests the worker is working on (reading, judging, recording, rewriting the
///   answer). Beyond it a request waits its turn, first come first served, at no CPU cost; another
///   account's requests never wait behind it. A request gives its place up while it waits for
///   its upstream's answer or for a human's approval (`whileIdle`), and waits for a place again to
///   carry the answer back, so a slow upstream does not use up an account's places.
/// - **open**: requests open at once in any state (working, waiting their turn, waiting for the
///   upstream or held). Beyond it a request is refused (HTTP 429, `account_busy`), so the memory
///   one account's requests hold is bounded too.
/// - **held**: calls held for approval (`holding`). Beyond it a call is answered pending at once.
///
/// One uncontended lock per step: taking a place on arrival, giving it up and taking it again
/// around the upstream call, and giving it back at the end; a request waits (a continuation) only
/// when its account has no place free.
final class AccountAdmission: Sendable {
    struct Limits: Sendable {
        var working = 4
        var open = 256
        var held = 64
    }

    /// The request the current task serves, when it was admitted (`serving`).
    struct Place: Sendable {
        let admission: AccountAdmission
        let account: UUID
    }

    @TaskLocal static var current: Place?

    private struct Load {
        var open = 0
        var working = 0
        var held = 0
        /// Requests waiting for a working place, oldest first.
        var waiting: [CheckedContinuation<Bool, Never>] = []

        var isIdle: Bool { open == 0 && working == 0 && held == 0 && waiting.isEmpty }
    }

    let limits: Limits
    private let loads = NIOLockedValueBox<[UUID: Load]>([:])

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Runs `body` as one request of `account`, once it has a working place; nil, without running
    /// it, when the account already has `limits.open` requests open. The place is given back however
    /// `body` ends.
    func serving<T>(_ account: UUID, _ body: () async -> T) async -> T? {
        guard await takeTurn(account, opening: true) else { return nil }
        defer { giveBack(account, closing: true) }
        return await Self.$current.withValue(Place(admission: self, account: account)) { await body() }
    }

    /// Runs `body` (the wait for an upstream or for a human) without the current request's working
    /// place, then waits for one again. Outside `serving` it only runs `body`.
    static func whileIdle<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        guard let place = current else { return try await body() }
        place.admission.giveBack(place.account, closing: false)
        do throws(E) {
            let value = try await body()
            _ = await place.admission.takeTurn(place.account, opening: false)
            return value
        } catch {
            _ = await place.admission.takeTurn(place.account, opening: false)
            throw error
        }
    }

    /// Runs `body` as a call of `account` held for approval, idle meanwhile (`whileIdle`); nil,
    /// without running it, when the account already has `limits.held` calls held.
    func holding<T, E: Error>(_ account: UUID, _ body: () async throws(E) -> T) async throws(E) -> T? {
        let admitted = loads.withLockedValue { loads in
            guard loads[account, default: Load()].held < limits.held else { return false }
            loads[account, default: Load()].held += 1
            return true
        }
        guard admitted else { return nil }
        defer { release(account) { $0.held -= 1 } }
        return try await Self.whileIdle(body)
    }

    /// Requests of `account` open, working and held right now (for tests and metrics).
    func load(of account: UUID) -> (open: Int, working: Int, held: Int) {
        loads.withLockedValue { loads in
            let load = loads[account] ?? Load()
            return (load.open, load.working, load.held)
        }
    }

    /// A working place for `account`, at once or in its turn; with `opening`, the request is also
    /// counted as open, or refused (false) when the account has `limits.open` already. A free place
    /// is taken under the lock alone; only a request that must wait makes a continuation.
    private func takeTurn(_ account: UUID, opening: Bool) async -> Bool {
        let now: Bool? = loads.withLockedValue { loads in
            var load = loads[account] ?? Load()
            defer { loads[account] = load.isIdle ? nil : load }
            if opening {
                guard load.open < limits.open else { return false }
                load.open += 1
            }
            guard load.working < limits.working else { return nil }
            load.working += 1
            return true
        }
        if let now { return now }
        return await withCheckedContinuation { (turn: CheckedContinuation<Bool, Never>) in
            // A place may have been given back since the first look.
            let free = loads.withLockedValue { loads in
                guard loads[account, default: Load()].working < limits.working else {
                    loads[account, default: Load()].waiting.append(turn)
                    return false
                }
                loads[account, default: Load()].working += 1
                return true
            }
            if free { turn.resume(returning: true) }
        }
    }

    /// Gives a working place up: to the request that has waited longest, if one does.
    private func giveBack(_ account: UUID, closing: Bool) {
        let next = release(account) { load -> CheckedContinuation<Bool, Never>? in
            if closing { load.open -= 1 }
            guard !load.waiting.isEmpty else {
                load.working -= 1
                return nil
            }
            return load.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }

    private func release<T>(_ account: UUID, _ change: (inout Load) -> T) -> T {
        loads.withLockedValue { loads in
            var load = loads[account] ?? Load()
            let result = change(&load)
            loads[account] = load.isIdle ? nil : load
            return result
        }
    }
}
