import Testing
@testable import Shared
import JSON
import PolicyEngine

@Suite struct RecommendedPolicyTests {
    @Test func stopPodGetsExactlyTheSeedsRule() throws {
        let document = RecommendedPolicy.document(for: [("stop-pod", .execute)])
        let seed = try JSONValue.parse(Fixture.seedPolicy)
        #expect(document == seed)
        #expect(document.serialized() == seed.serialized(), "key order as in the seed")
    }

    @Test func everyClassGetsItsRecommendedRule() throws {
        let tools = RunPodTools.table.map { ($0.name, RiskClassifier.classify(RunPodTools.definition($0.name, annotated: false)).riskClass) }
        let document = RecommendedPolicy.document(for: tools + [("pay-invoice", .financial)])
        let policy = try CompiledPolicy(document: document)
        let now = Fixture.now
        #expect(policy.decide(Fixture.call("list-pods"), now: now) == .allow(counters: []))
        #expect(policy.decide(Fixture.call("delete-pod"), now: now) == .hidden)
        #expect(policy.decide(Fixture.call("purge-endpoint-queue"), now: now) == .hidden)
        let stop = policy.decide(Fixture.call("stop-pod"), now: now).counters?.first
        #expect(stop?.counter == "stop-pod_rate" && stop?.max == 10)
        let create = policy.decide(Fixture.call("create-pod"), now: now).counters?.first
        #expect(create?.counter == "create-pod_rate" && create?.max == 30 && create?.window == .minute && create?.scope == .grant)
        guard case .needsApproval = policy.decide(Fixture.call("pay-invoice"), now: now) else {
            Issue.record("financial tools need approval")
            return
        }
        #expect(policy.decide(Fixture.call("not-discovered"), now: now).denial?.code == .defaultDeny)
        #expect(document["hide"]?.arrayValue?.count == 6)
    }

    @Test func outputDoesNotDependOnDiscoveryOrder() {
        let tools: [(name: String, riskClass: RiskClass)] = [("b", .write), ("a", .read), ("c", .destructive), ("d", .destructive)]
        #expect(RecommendedPolicy.document(for: tools).serialized() == RecommendedPolicy.document(for: tools.reversed()).serialized())
    }
}
