import Foundation
import Shared

extension UpstreamAddressGuard {
    /// Checks a URL an account's admin entered (an upstream, the approval webhook) with the
    /// account's operator-granted allowance on top of the installation's (issue 10 item 9): a
    /// refusal is a 400 problem at `pointer` that says why. With `acceptingUnresolvable`, a name
    /// that does not resolve yet passes (a webhook receiver may be set up later); the worker checks
    /// again before each use.
    func check(
        _ url: String, enteredBy account: UUID, tenants: TenantDatabase, at pointer: String, as what: String,
        acceptingUnresolvable: Bool = false
    ) async throws {
        let cidrs = try await tenants.transaction(account: account) { try await AccountStore(tx: $0).current().allowedUpstreamCIDRs }
        do {
            _ = try await allowing(cidrs: cidrs).check(url)
        } catch {
            if acceptingUnresolvable, error.kind == .unresolvable { return }
            throw ProblemError(
                status: .badRequest, detail: "The \(what) is refused: \(error.reason).",
                errors: [.init(pointer: pointer, message: error.reason)])
        }
    }
}
