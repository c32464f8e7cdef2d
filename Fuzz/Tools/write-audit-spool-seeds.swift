// Writes Fuzz/Corpus/audit-spool: spool segments framed and encoded by the gateway's own code
// (AuditSpoolFormat, AuditSpoolRecord, AuditEvent+BinarySpoolPayload, and AuditEvent+SpoolPayload
// for the format before issue 11), compiled together with this file by `make fuzz-seeds`.
import Foundation

let account = UUID(uuidString: "5A6F0C1E-2B3D-4E5F-8899-AABBCCDDEEFF")!
var minimal = AuditEvent(id: UUID(uuidString: "00000000-0000-4000-8000-000000000001")!, timeMicroseconds: 1_767_225_600_000_001,
                         accountID: account, decision: "allow", seq: 0)
minimal.method = "tools/list"

var call = AuditEvent(id: UUID(uuidString: "00000000-0000-4000-8000-000000000002")!, timeMicroseconds: 1_767_225_601_250_000,
                      accountID: account, decision: "deny", seq: 0)
call.identityID = UUID(uuidString: "00000000-0000-4000-8000-0000000000a1")
call.identityLabel = "ci-runner"
call.grantID = UUID(uuidString: "00000000-0000-4000-8000-0000000000b2")
call.serverID = UUID(uuidString: "00000000-0000-4000-8000-0000000000c3")
call.sessionDigest = Array(0..<32)
call.protocolVersion = "2025-06-18"
call.method = "tools/call"
call.jsonrpcID = try JSONValue.parse("123456789012345678901234567890")
call.tool = "create-pod"
call.code = "deny_if"
call.rule = "/tools/create-pod/deny_if/0"
call.message = "Pin an image tag.\nline two \u{00e9}"
call.policyID = UUID(uuidString: "00000000-0000-4000-8000-0000000000d4")
call.policyVersion = 3
call.snapshotVersion = 42
call.toolDefinitionHash = String(repeating: "ab", count: 32)
call.argumentKeys = ["gpuCount", "imageName"]
call.argumentsHMAC = Array(repeating: 0x5A, count: 32)
call.arguments = try JSONValue.parse(#"{"gpuCount":2,"imageName":"nginx:latest","price":0.10,"e":1E+2}"#)
call.unenforcedLimits = ["/tools/create-pod/limits/0"]
call.upstreamStatus = 200
call.gatewayLatencyMs = 0.4375
call.upstreamLatencyMs = 12
call.bytesIn = 311
call.bytesOut = 1024
call.workerID = "worker-1"

var response = AuditEvent(id: UUID(uuidString: "00000000-0000-4000-8000-000000000003")!, timeMicroseconds: 1_767_225_602_000_000,
                          accountID: account, kind: "response", decision: "allow", seq: 0)
response.jsonrpcID = "req-7"
response.result = try JSONValue.parse(#"{"content":[{"type":"text","text":"ok"}],"isError":false}"#)
response.approvalID = UUID(uuidString: "00000000-0000-4000-8000-0000000000e5")

func segment(_ events: [AuditEvent], format: AuditSpoolFormat = .current) -> Data {
    var bytes = format.header
    for event in events {
        let payload = format == .json ? event.spoolPayload() : event.binarySpoolPayload()
        AuditSpoolRecord.append(payload: payload, format: format, to: &bytes)
    }
    return Data(bytes)
}

let folder = URL(fileURLWithPath: CommandLine.arguments[1])
try segment([minimal]).write(to: folder.appendingPathComponent("one-event.seg"))
try segment([call]).write(to: folder.appendingPathComponent("denied-call.seg"))
try segment([minimal, call, response]).write(to: folder.appendingPathComponent("three-events.seg"))
// A crash mid-write: the last record cut short.
try segment([call, response]).dropLast(5).write(to: folder.appendingPathComponent("torn-tail.seg"))
// A crash in a preallocated segment: the records, then the zero-filled rest.
try (segment([minimal, call]) + Data(count: 256)).write(to: folder.appendingPathComponent("preallocated-tail.seg"))
// A segment an older gateway wrote (issue 11 item 2: still read), and one of a version not known.
try segment([minimal, call, response], format: .json).write(to: folder.appendingPathComponent("json-format.seg"))
try (Data(AuditSpoolFormat.magic + [9]) + segment([minimal]).dropFirst(AuditSpoolFormat.headerSize))
    .write(to: folder.appendingPathComponent("unknown-version.seg"))
// Bare payloads, which the target also reads as one record's payload in each format.
try Data(call.binarySpoolPayload()).write(to: folder.appendingPathComponent("denied-call.payload"))
try Data(response.binarySpoolPayload()).write(to: folder.appendingPathComponent("response.payload"))
try Data(call.spoolPayload()).write(to: folder.appendingPathComponent("denied-call.json-payload"))
