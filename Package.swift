// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "controlplane", targets: ["ControlPlane"]),
        .executable(name: "gateway", targets: ["Gateway"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OpenTelemetry traces (issue 13 item 6). Only the OTLP/HTTP exporter: the default traits
        // also build gRPC, which adds minutes to every clean build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // OAuth access tokens and external issuers' ID tokens (issue 14): JWS signing and verification.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // glibc's mallopt and malloc_trim, which the Glibc module leaves out (Gateway/Server/HeapTrimmer.swift).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // RE2 behind a C header (issue 10 item 10): policy regexes in linear time. A target of its
        // own so any target (the policy engine, fuzzers) can depend on it.
        .target(
            name: "CRE2",
            path: "Sources/CRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        // The JSON value, its strict parser and canonical form: depends on nothing, not even
        // Foundation (issue 15 item 1), so every target that reads hostile bytes can use it.
        .target(name: "JSON", path: "Sources/Shared/JSON"),
        // The policy engine: compiles and decides, does no I/O and reads no clock (design.md). Its
        // only arrows are the JSON value and the RE2 shim; the compiler keeps it that way.
        .target(name: "PolicyEngine", dependencies: ["JSON", "CRE2"], path: "Sources/Shared/PolicyEngine"),
        .target(
            name: "Shared",
            dependencies: [
                "CLibPQ",
                "JSON",
                "PolicyEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "JWTKit", package: "jwt-kit"),
                // RS256 signatures of trusted issuers' tokens (issue 14 item 4, IssuerVerificationKey).
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["JSON", "PolicyEngine"],
            resources: [.copy("Database/Migrations")]
        ),
        .executableTarget(
            name: "ControlPlane",
            dependencies: [
                "Shared", "JSON", "PolicyEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // docs/openapi.yaml is a link to this file: SwiftPM copies a resource symlink as a
            // link, which would dangle inside the built bundle. The console (issue 12) is copied as
            // a folder so its module paths stay as written.
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/console")]
        ),
        .executableTarget(
            name: "Gateway",
            dependencies: [
                "Shared", "CMalloc", "JSON", "PolicyEngine",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "PolicyBenchmarks",
            dependencies: ["Shared", "JSON", "PolicyEngine"],
            path: "Benchmarks/PolicyBenchmarks",
            // Exports the benchmark's malloc family so shared libraries bind to the counting
            // versions (AllocationCounter.swift).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"], .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "GatewayBenchmarks",
            dependencies: [
                "Shared", "TestSupport", "JSON", "PolicyEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The floor proxy (FloorProxy.swift) and the gateway's Server/ files it links.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/GatewayBenchmarks"
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Shared", "JSON", "PolicyEngine",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: [
                "Shared", "JSON", "PolicyEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DatabaseTests",
            dependencies: [
                "Shared", "TestSupport", "JSON", "PolicyEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: [
                "ControlPlane", "TestSupport", "Shared", "JSON", "PolicyEngine",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "TestSupport", "Shared", "JSON", "PolicyEngine",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
