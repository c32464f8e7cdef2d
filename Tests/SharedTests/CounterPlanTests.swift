import Testing
@testable import Shared
import PolicyEngine

@Suite struct CounterPlanTests {
    @Test func seedPolicyRateLimitsStopPodPerGrantPerMinute() throws {
        let policy = try Fixture.policy(Fixture.seedPolicy)
        let counters = try #require(policy.decide(Fixture.call("stop-pod", #"{"podId": "p1"}"#), now: Fixture.now).counters)
        #expect(counters.count == 1)
        let reservation = counters[0]
        #expect(reservation.counter == "stop-pod_rate" && reservation.scope == .grant && reservation.scopeID == "grt_1")
        #expect(reservation.max == 10 && reservation.amount == 1 && reservation.fail == .closed)
        #expect(reservation.rule == "/tools/stop-pod/limits/0")
        #expect(reservation.windowStart == PolicyTime(secondsSince1970: 1_773_483_300))
        #expect(reservation.windowEnd == PolicyTime(secondsSince1970: 1_773_483_360))
        let denial = reservation.exhaustedDenial(now: Fixture.now)
        #expect(denial.message == #"Rate limit of 10 per minute reached for counter "stop-pod_rate". Try again in 17s."#)
        #expect(denial.toolResult().serialized() == #"{"content":[{"type":"text","text":"[POLICY DENIED] Rate limit of 10 per minute reached for counter \"stop-pod_rate\". Try again in 17s."}],"isError":true,"_meta":{"portcullis/decision":{"code":"rate_limited","rule":"/tools/stop-pod/limits/0","retry_after_s":17}}}"#)
        #expect(policy.decide(Fixture.call("start-pod"), now: Fixture.now).denial?.code == .defaultDeny)
    }

    struct WindowCase: Sendable, CustomTestStringConvertible {
        let window: CounterWindow
        let nowMs: Int64
        let startMs: Int64
        let retry: Int
        var testDescription: String { "\(window) at \(nowMs)" }
    }

    @Test(arguments: [
        WindowCase(window: .second, nowMs: 1_773_483_343_250, startMs: 1_773_483_343_000, retry: 1),
        WindowCase(window: .minute, nowMs: 1_773_483_343_000, startMs: 1_773_483_300_000, retry: 17),
        WindowCase(window: .minute, nowMs: 1_773_483_343_001, startMs: 1_773_483_300_000, retry: 17),
        WindowCase(window: .minute, nowMs: 1_773_483_300_000, startMs: 1_773_483_300_000, retry: 60),
        WindowCase(window: .hour, nowMs: 1_773_483_343_000, startMs: 1_773_482_400_000, retry: 2657),
        WindowCase(window: .day, nowMs: 1_773_483_343_000, startMs: 1_773_446_400_000, retry: 49_457),
        WindowCase(window: .minute, nowMs: -1, startMs: -60_000, retry: 1),
    ])
    func windowsAreCalendarAlignedInUTC(_ c: WindowCase) {
        let now = PolicyTime(millisecondsSince1970: c.nowMs)
        #expect(c.window.start(containing: now).millisecondsSince1970 == c.startMs)
        #expect(c.window.end(containing: now).millisecondsSince1970 == c.startMs + c.window.milliseconds)
        #expect(c.window.secondsUntilReset(from: now) == c.retry)
    }

    @Test func sameCounterInSameScopeSharesOneBucketAcrossTools() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {
          "start-pod": {"limits": [{"counter": "pod-ops", "window": "minute", "max": 5}]},
          "stop-pod": {"limits": [{"counter": "pod-ops", "window": "minute", "max": 5}]},
          "get-pod": {"limits": [{"counter": "pod-ops", "window": "minute", "max": 5, "scope": "identity"}]}}}
        """#)
        let key = { (tool: String) in policy.decide(Fixture.call(tool), now: Fixture.now).counters?.first?.storageKey }
        #expect(key("start-pod") != nil)
        #expect(key("start-pod") == key("stop-pod"))
        #expect(key("start-pod") != key("get-pod"))
    }

    @Test func scopesKeyByTheirOwner() throws {
        let scopes = CounterScope.allCases
        let limits = scopes.map { #"{"counter": "c-\#($0.rawValue)", "window": "hour", "max": 1, "scope": "\#($0.rawValue)"}"# }
        let policy = try Fixture.policy(#"{"version": "1", "default": "allow", "all_tools": {"limits": [\#(limits.joined(separator: ","))]}}"#)
        let withSession = policy.decide(Fixture.call("t", session: "ses_1"), now: Fixture.now).counters?.map(\.scopeID)
        #expect(withSession == ["grt_1", "idn_1", "srv_1", "acc_1", "session:ses_1"])
        let sessionless = policy.decide(Fixture.call("t"), now: Fixture.now).counters?.last?.scopeID
        #expect(sessionless == "grant:grt_1")
        #expect(policy.decide(Fixture.call("t"), now: Fixture.now).counters?.allSatisfy { $0.accountID == "acc_1" } == true)
    }

    @Test func incrementFromCountsTheArgumentsValue() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"create-network-volume": {"limits": [
          {"counter": "volume-gb", "window": "day", "max": 4000, "increment_from": "args.size", "fail": "open", "on_deny": "Daily storage quota reached."}]}}}
        """#)
        let reservation = try #require(policy.decide(Fixture.call("create-network-volume", #"{"size": 250.5}"#), now: Fixture.now).counters?.first)
        #expect(reservation.amount == 250.5 && reservation.max == 4000 && reservation.fail == .open)
        #expect(reservation.exhaustedDenial(now: Fixture.now).message == "Daily storage quota reached.")
        for bad in [#"{}"#, #"{"size": -1}"#, #"{"size": "10"}"#] {
            let denial = policy.decide(Fixture.call("create-network-volume", bad), now: Fixture.now).denial
            #expect(denial?.code == .requireFailed && denial?.rule == "/tools/create-network-volume/limits/0", "\(bad)")
        }
    }

    @Test func allToolsLimitsComeBeforeTheToolsOwn() throws {
        let policy = try Fixture.policy(Fixture.specExample)
        let counters = policy.decide(Fixture.call("stop-pod"), now: Fixture.now).counters
        #expect(counters?.map(\.rule) == ["/all_tools/limits/0", "/tools/stop-pod/limits/0"])
    }

    @Test func fractionalQuotasKeepTheirFractionInMessages() {
        #expect(PolicyMessages.rateLimited(max: 2.5, window: .hour, counter: "usd", retryAfterSeconds: 3) == #"Rate limit of 2.5 per hour reached for counter "usd". Try again in 3s."#)
    }

    @Test func failClosedDenialExplainsTheStoreIsDown() {
        let reservation = Fixture.seedReservation()
        let denial = reservation.storeUnavailableDenial()
        #expect(denial.code == .rateLimited && denial.rule == "/tools/stop-pod/limits/0" && denial.retryAfterSeconds == nil)
        #expect(denial.message.contains("counter store unavailable"))
    }
}

extension Fixture {
    static func seedReservation() -> CounterReservation {
        try! policy(seedPolicy).decide(call("stop-pod"), now: now).counters![0]
    }
}
