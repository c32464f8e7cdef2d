import JSON
import PolicyEngine
import Shared

// Policy engine benchmark (docs/performance.md): JSON parsing of tools/call bodies and decision
// time as the number of rules grows. Run: swift run -c release PolicyBenchmarks [name filter]

/// Only cases whose name contains this text run (all when absent), e.g. for profiling one case.
let filter = CommandLine.arguments.dropFirst().first
func selected(_ name: String) -> Bool { filter.map(name.contains) ?? true }

let owner = CounterOwner(accountID: "acc_1", grantID: "grt_1", identityID: "idn_1", serverID: "srv_1")
let now = PolicyTime(secondsSince1970: 1_773_483_343)

func compile(_ json: String) -> CompiledPolicy {
    do {
        return try CompiledPolicy(json: Array(json.utf8))
    } catch {
        fatalError("benchmark policy is invalid: \(error)")
    }
}

func document(tools entries: [String], allTools: String = "{}") -> String {
    #"{"version": "1", "default": "deny", "all_tools": \#(allTools), "tools": {\#(entries.joined(separator: ","))}}"#
}

let arguments = try! JSONValue.parse(#"{"imageName": "runpod/pytorch:2.1.0", "gpuCount": 2, "cloudType": "SECURE", "name": "train-01"}"#)

func call(_ tool: String) -> PolicyCall {
    PolicyCall(tool: tool, arguments: arguments, identityLabel: "alice-laptop", sessionID: "ses_1", riskClass: .write, owner: owner)
}

/// The policy families, each built with `n` rules and called so the matching rule comes last.
let families: [(name: String, build: (Int) -> (CompiledPolicy, PolicyCall))] = [
    ("exact names", { n in
        (compile(document(tools: (0..<n).map { #""tool-\#($0)": {}"# })), call("tool-\(n - 1)"))
    }),
    ("globs", { n in
        (compile(document(tools: (0..<n).map { #""g\#($0)-*": {}"# })), call("g\(n - 1)-tool"))
    }),
    ("argument conditions", { n in
        let rule = #"{"require": [{"conditions": [{"path": "args.gpuCount", "op": "lte", "value": 2}, {"path": "args.cloudType", "op": "in", "value": ["SECURE", "COMMUNITY"]}]}], "deny_if": [{"conditions": [{"path": "args.name", "op": "eq", "value": "prod"}]}]}"#
        return (compile(document(tools: (0..<n).map { #""tool-\#($0)": \#(rule)"# })), call("tool-\(n - 1)"))
    }),
    ("argument conditions + regex", { n in
        let rule = #"{"deny_if": [{"conditions": [{"path": "args.imageName", "op": "regex", "value": ":latest$"}]}]}"#
        return (compile(document(tools: (0..<n).map { #""tool-\#($0)": \#(rule)"# })), call("tool-\(n - 1)"))
    }),
    ("worst case", { n in
        // n-1 prefix globs that never match, then the one suffix glob that does (lowest priority),
        // with all_tools and tool rules that pass and two counters to plan.
        let misses = (0..<(n - 1)).map { #""w\#($0)-*": {}"# }
        let hit = #""*-target": {"require": [{"conditions": [{"path": "args.gpuCount", "op": "lte", "value": 2}]}], "deny_if": [{"conditions": [{"path": "args.name", "op": "eq", "value": "prod"}]}], "limits": [{"counter": "target_rate", "window": "minute", "max": 10}]}"#
        let allTools = #"{"require": [{"conditions": [{"path": "identity.label", "op": "exists", "value": true}]}], "limits": [{"counter": "all-calls", "window": "minute", "max": 120}]}"#
        return (compile(document(tools: misses + [hit], allTools: allTools)), call("zz-target"))
    }),
]

Measurement.calibrate()
print("clock overhead subtracted: \(Int(Measurement.clockOverhead)) ns per sample\n")
print("| case | rules | p50 ns | p99 ns | allocations |")
print("|---|---:|---:|---:|---:|")

/// One table row: the timing, then the heap allocations of one more operation (counted apart from
/// the timed samples, so counting costs nothing in the figures).
func report(_ m: Measurement, rules: String, _ operation: () -> Void) {
    print("| \(m.name) | \(rules) | \(Int(m.p50)) | \(Int(m.p99)) | \(String(format: allocationsPerCall(operation))) |")
}

// JSON parsing: a typical tools/call and one with a 64 KiB arguments object.
let smallBody = Array(#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"create-pod","arguments":{"imageName":"runpod/pytorch:2.1.0-py3.10","gpuCount":2,"cloudType":"SECURE","name":"train-01","ports":["8888/http","22/tcp"]}}}"#.utf8)
var documents: [String] = []
var size = 0
while size < 65_536 - 200 {
    let item = #"{"id":\#(documents.count),"text":"The quick brown fox jumps over the lazy dog \u00e9\u00e8","score":0.\#(documents.count % 97),"tags":["a","b"]}"#
    documents.append(item)
    size += item.utf8.count + 1
}
let largeBody = Array(#"{"jsonrpc":"2.0","id":43,"method":"tools/call","params":{"name":"run-endpoint","arguments":{"endpointId":"ep_1","input":{"documents":[\#(documents.joined(separator: ","))]}}}}"#.utf8)
let parser = JSONParser()
if selected("JSON parse") {
    let parseSmall = { blackHole(try! parser.parse(smallBody)) }
    let parseLarge = { blackHole(try! parser.parse(largeBody)) }
    report(Measurement.run("JSON parse tools/call \(smallBody.count) B", samples: 200_000, parseSmall), rules: "-", parseSmall)
    report(Measurement.run("JSON parse tools/call \(largeBody.count / 1024) KiB", samples: 3_000, parseLarge), rules: "-", parseLarge)
}

let seed = compile(#"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}]}}}"#)
let stopPod = call("stop-pod")
if selected("seed policy") {
    let decideSeed = { blackHole(seed.decide(stopPod, now: now)) }
    report(Measurement.run("seed policy, stop-pod (1 counter)", samples: 200_000, decideSeed), rules: "1", decideSeed)
}

var ratios: [String] = []
for family in families where selected("decide: \(family.name)") {
    var results: [Int: Measurement] = [:]
    for n in [1, 100, 10_000] {
        let (policy, call) = family.build(n)
        let decide = { blackHole(policy.decide(call, now: now)) }
        let m = Measurement.run("decide: \(family.name)", samples: 200_000, decide)
        results[n] = m
        report(m, rules: String(n), decide)
    }
    let p50 = results[10_000]!.p50 / max(1, results[1]!.p50)
    let p99 = results[10_000]!.p99 / max(1, results[1]!.p99)
    ratios.append("| \(family.name) | \(String(format: p50)) | \(String(format: p99)) |")
}
if !ratios.isEmpty {
    print("\n| family | t(10k)/t(1) p50 | t(10k)/t(1) p99 |")
    print("|---|---:|---:|")
    for line in ratios { print(line) }
}

func String(format value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}
