// swift-tools-version:6.1
// libFuzzer targets for the parsers that read hostile bytes (issue 10 item 25; docs/fuzzing.md).
//
// A package of its own so the main build never compiles anything with sanitizers: its `Shared`
// module is the import-free part of the main `Shared` (the JSON type, the policy engine, the SSE
// parser, the audit event), reached through symlinked folders and files in Sources/Shared, so no
// source is copied. It is named `Shared` so the symlinked gateway files can `import Shared` as they
// do in the main package. Built with its own scratch path (Fuzz/.build): `make fuzz`.
import Foundation
import PackageDescription

/// libFuzzer's coverage instrumentation and runtime, plus AddressSanitizer, on every Swift module here.
let sanitized: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
/// lld, the toolchain's linker: gold stops with an internal error on these AddressSanitizer objects.
let fuzzLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

/// The policy engine's RE2 shim (issue 10 item 10), once the main package has it: the same sources
/// through a symlink, compiled with coverage (no libFuzzer main) so paths inside it count too.
let hasRE2Shim = FileManager.default.fileExists(atPath: Context.packageDirectory + "/../Sources/CRE2")
let re2Targets: [Target] = hasRE2Shim
    ? [.target(
        name: "CRE2", path: "Sources/CRE2",
        cxxSettings: [.unsafeFlags(["-fsanitize=fuzzer-no-link,address"])],
        linkerSettings: [.linkedLibrary("re2")])]
    : []

let package = Package(
    name: "portcullis-fuzz",
    targets: re2Targets + [
        .target(
            name: "Shared",
            dependencies: hasRE2Shim ? ["CRE2"] : [],
            path: "Sources/Shared",
            swiftSettings: sanitized
        ),
        // Each target's main.swift hands its property check to libFuzzer's driver (CLibFuzzer.h).
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzCheck", dependencies: ["CLibFuzzer"], swiftSettings: sanitized),
        .executableTarget(
            name: "FuzzJSON", dependencies: ["Shared", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        .executableTarget(
            name: "FuzzSSE", dependencies: ["Shared", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        .executableTarget(
            name: "FuzzPolicy", dependencies: ["Shared", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
        // The spool's framing and payload reader are internal to the gateway: the target compiles
        // those files (symlinked) into itself rather than making them public.
        .executableTarget(
            name: "FuzzAuditSpool", dependencies: ["Shared", "FuzzCheck"], swiftSettings: sanitized, linkerSettings: fuzzLink),
    ],
    swiftLanguageModes: [.v6]
)
