import Testing
@testable import PolicyEngine
@testable import Shared

@Suite struct PolicyMessageTests {
    @Test func everyDenialCodeHasItsWireName() {
        #expect(DenialCode.allCases.map(\.rawValue) == [
            "no_policy", "default_deny", "require_failed", "deny_if", "rate_limited",
            "approval_pending", "approval_denied", "approval_expired", "pin_blocked", "risk_denied",
        ])
    }

    @Test func approvalMessagesNameTheApprovalAndTheWayForward() {
        #expect(PolicyMessages.approvalPending(approvalID: "apr_1", expiresInSeconds: 840) ==
            "Approval apr_1 is pending. Retry the same call after a human approves it (expires in 14m).")
        #expect(PolicyMessages.approvalDenied(approvalID: "apr_1", reason: "too big") == "Approval apr_1 was denied by a human: too big")
        #expect(PolicyMessages.approvalDenied(approvalID: "apr_1", reason: nil) == "Approval apr_1 was denied by a human.")
        #expect(PolicyMessages.approvalExpired(approvalID: "apr_1").hasPrefix("Approval apr_1 expired"))
    }

    @Test(arguments: [("25s", 25), ("15m", 900), ("1h30m", 5400), ("2d", 172_800), ("1h0m5s", 3605)])
    func durationsParse(_ text: String, _ seconds: Int) {
        #expect(PolicyDuration.seconds(text) == seconds)
    }

    @Test(arguments: ["", "15", "m", "0s", "1.5h", "15 m", "-1m", "1w", "99999999999d"])
    func malformedDurationsAreRefused(_ text: String) {
        #expect(PolicyDuration.seconds(text) == nil)
    }

    @Test func durationsReadBackShortly() {
        #expect(PolicyDuration.text(seconds: 40) == "40s")
        #expect(PolicyDuration.text(seconds: 850) == "14m10s")
        #expect(PolicyDuration.text(seconds: 3900) == "1h5m")
    }

    @Test func deniedToolResultHasTheShapeOfSpec53() {
        let denial = PolicyDenial(code: .approvalPending, rule: "/tools/create-pod/approval", message: "Wait.")
        let result = denial.toolResult()
        #expect(result["isError"] == true)
        #expect(result["content"]?.arrayValue?.first?["text"] == "[POLICY DENIED] Wait.")
        #expect(result["_meta"]?["portcullis/decision"] == ["code": "approval_pending", "rule": "/tools/create-pod/approval"])
    }
}
