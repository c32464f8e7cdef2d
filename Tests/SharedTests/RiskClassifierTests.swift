import Testing
@testable import Shared
import JSON
import PolicyEngine

@Suite struct RiskClassifierTests {
    static let expected: [String: RiskClass] = [
        "list-gpu-types": .read, "list-data-centers": .read, "list-pods": .read, "get-pod": .read,
        "create-pod": .write, "update-pod": .write, "start-pod": .execute, "stop-pod": .execute, "delete-pod": .destructive,
        "list-endpoints": .read, "get-endpoint": .read, "create-endpoint": .write, "update-endpoint": .write,
        "delete-endpoint": .destructive, "run-endpoint": .execute, "runsync-endpoint": .execute, "get-job-status": .read,
        "stream-job": .read, "cancel-job": .execute, "retry-job": .execute, "endpoint-health": .read,
        "purge-endpoint-queue": .destructive, "list-templates": .read, "get-template": .read, "create-template": .write,
        "update-template": .write, "delete-template": .destructive, "list-network-volumes": .read,
        "get-network-volume": .read, "create-network-volume": .write, "update-network-volume": .write,
        "delete-network-volume": .destructive, "list-container-registry-auths": .read,
        "get-container-registry-auth": .read, "create-container-registry-auth": .write,
        "delete-container-registry-auth": .destructive,
    ]

    @Test func runPodServerHasThirtySixTools() {
        #expect(RunPodTools.table.count == 36)
        #expect(Set(RunPodTools.table.map(\.name)) == Set(Self.expected.keys))
    }

    @Test(arguments: RunPodTools.table.map(\.name), [false, true])
    func everyRunPodToolGetsItsClassWithAndWithoutAnnotations(_ name: String, _ annotated: Bool) {
        let assessment = RiskClassifier.classify(RunPodTools.definition(name, annotated: annotated))
        #expect(assessment.riskClass == Self.expected[name], "\(name) annotated: \(annotated) → \(assessment.rationale)")
        #expect(assessment.severity == assessment.riskClass.defaultSeverity)
        if name.hasPrefix("delete-") { #expect(assessment.riskClass == .destructive) }
        if name.hasPrefix("list-") || name.hasPrefix("get-") { #expect(assessment.riskClass == .read) }
    }

    @Test func stopPodIsExecuteHighAsInTheSeed() {
        let assessment = RiskClassifier.classify(RunPodTools.definition("stop-pod", annotated: false))
        #expect(assessment == RiskAssessment(riskClass: .execute, rationale: #"The name's verb "stop" indicates execute."#, source: .name))
        #expect(assessment.severity == .high)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let tool: String
        let override: RiskClass?
        let riskClass: RiskClass
        let source: RiskAssessment.Source
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "override wins", tool: #"{"name": "list-pods", "annotations": {"readOnlyHint": true}}"#, override: .destructive, riskClass: .destructive, source: .override),
        Case(label: "readOnlyHint wins over the name", tool: #"{"name": "delete-cache-preview", "annotations": {"readOnlyHint": true}}"#, override: nil, riskClass: .read, source: .annotations),
        Case(label: "explicit destructiveHint", tool: #"{"name": "update-pod", "annotations": {"readOnlyHint": false, "destructiveHint": true}}"#, override: nil, riskClass: .destructive, source: .annotations),
        Case(label: "implicit destructiveHint is ignored", tool: #"{"name": "update-pod", "annotations": {"readOnlyHint": false}}"#, override: nil, riskClass: .write, source: .name),
        Case(label: "financial word in the name", tool: #"{"name": "create-refund"}"#, override: nil, riskClass: .financial, source: .name),
        Case(label: "amount and currency in the schema", tool: #"{"name": "create-thing", "inputSchema": {"properties": {"amount": {}, "currency": {}}}}"#, override: nil, riskClass: .financial, source: .schema),
        Case(label: "camelCase verb", tool: #"{"name": "terminateInstance"}"#, override: nil, riskClass: .destructive, source: .name),
        Case(label: "snake_case verb", tool: #"{"name": "send_email"}"#, override: nil, riskClass: .execute, source: .name),
        Case(label: "verb from the description, strongest wins", tool: #"{"name": "pods", "description": "Lists pods and deletes the stale ones."}"#, override: nil, riskClass: .destructive, source: .description),
        Case(label: "inflected verb in the description", tool: #"{"name": "pod-thing", "description": "Stopped pods are restarted."}"#, override: nil, riskClass: .execute, source: .description),
        Case(label: "no signal", tool: #"{"name": "frobnicate", "description": "Does the thing."}"#, override: nil, riskClass: .write, source: .fallback),
    ]

    @Test(arguments: cases)
    func signalsAreConsultedInSpecOrder(_ c: Case) throws {
        let assessment = RiskClassifier.classify(try JSONValue.parse(c.tool), override: c.override)
        #expect(assessment.riskClass == c.riskClass, "\(assessment.rationale)")
        #expect(assessment.source == c.source)
        #expect(!assessment.rationale.isEmpty)
    }

    @Test func noSignalSaysSo() {
        #expect(RiskClassifier.classify(["name": "frobnicate"]).rationale == "no signal")
    }

    @Test func severitiesFollowTheClasses() {
        #expect(RiskClass.allCases.map(\.defaultSeverity) == [.low, .medium, .high, .critical, .critical])
        #expect(RiskSeverity.low < RiskSeverity.critical)
    }
}
