// swift-tools-version:6.1
// libFuzzer targets for the parsers that read hostile bytes (issue 10 item 25; docs/fuzzing.md).
//
// A package of its own so the main build never compiles anything with sanitizers. Its `JSON` and
// `PolicyEngine` targets are the main package's (symlinked folders), and its `Shared` module holds
// the import-free files of the main `Shared` the fuzzers need (the SSE parser, the audit event),
// symlinked one by one, so no source is copied. It is named `Shared` so the symlinked gateway files
// can `import Shared` as they do in the main package. Built with its own scratch path (Fuzz/.build):
// `make fuzz`.
import PackageDescription

/// libFuzzer's coverage instrumentation and runtime, plus AddressSanitizer, on every Swift module here.
let sanitized: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
/// lld, the toolchain's linker: gold stops with an internal error on these AddressSanitizer objects.
let fuzzLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

/// The policy engine's RE2 shim (issue 10 item 10): the same sources through a symlink, compiled
/// with coverage (no libFuzzer main) so paths inside it count too.
let re2 = Target.target(
    name: "CRE2", path: "Sources/CRE2",
    cxxSettings: [.unsafeFlags(["-fsanitize=fuzzer-no-link,address"])],
    linkerSettings: [.linkedLibrary("re2")])

let package = Package(
    name: "portcullis-fuzz",
    targets: [
        re2,
        // The main package's import-free targets, through symlinked folders (issue 15 item 1).
        .target(name: "JSON", path: "Sources/JSON", swiftSettings: sanitized),
        .target(name: "PolicyEngine", dependencies: ["JSON", "CRE2"], path: "Sources/PolicyEngine", swiftSettings: sanitized),
        .target(name: "Shared", dependencies: ["JSON"], path: "Sources/Shared", swiftSettings: sanitized),
        // Each target's main.swift hands its property check to libFuzzer's driver (CLibFuzzer.h).
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzCheck", dependencies: ["CLibFuzzer"], swiftSettings: sanitized),
        .executableTarget(
            name: "FuzzJSON", dependencies: ["JSON", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        .executableTarget(
            name: "FuzzSSE", dependencies: ["Shared", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        .executableTarget(
            name: "FuzzPolicy", dependencies: ["JSON", "PolicyEngine", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        // The spool's framing and payload reader are internal to the gateway: the target compiles
        // those files (symlinked) into itself rather than making them public.
        .executableTarget(
            name: "FuzzAuditSpool", dependencies: ["Shared", "JSON", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
    ],
    swiftLanguageModes: [.v6]
)
