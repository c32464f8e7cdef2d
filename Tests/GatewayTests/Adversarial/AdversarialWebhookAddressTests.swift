import Foundation
import Shared
import TestSupport
import Testing

@testable import Gateway

/// Issue 10 item 9: a worker delivers an approval webhook in a range the operator allowed for that
/// account, as the control plane accepted it, and still refuses the same range for other accounts.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialWebhookAddressTests {
    @Test func webhookInTheAccountsOwnRangeIsDeliveredOnlyForThatAccount() async throws {
        try await WebhookReceiver.run { receiver in
            let strict = UpstreamAddressGuard(policy: UpstreamAddressPolicy(allowsPlainHTTP: true))
            try await ApprovalWebhookTests.withWebhook(guard: strict) { webhook in
                let other = ApprovalWebhookTests.notice()
                webhook.requested(other, account: ApprovalWebhookTests.account(other.accountID, webhook: receiver.url("/other")))
                let allowed = ApprovalWebhookTests.notice()
                var account = ApprovalWebhookTests.account(allowed.accountID, webhook: receiver.url("/allowed"))
                account.allowedUpstreamCIDRs = ["127.0.0.0/8"]
                webhook.requested(allowed, account: account)
                let delivered = try await eventually(within: .seconds(5)) { receiver.requests.count == 1 }
                #expect(delivered)
            }
            #expect(receiver.requests.map(\.path) == ["/allowed"])
        }
    }
}
