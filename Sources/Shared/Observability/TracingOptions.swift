import ArgumentParser
import Foundation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry traces (issue 13 item 6), options both `serve` commands take. Off unless an
/// endpoint is given: then spans go to an OTLP/HTTP collector in batches. Each help text names its
/// environment variable; swift-otel also reads the standard `OTEL_*` variables and lets them win.
public struct TracingOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("otel-endpoint"), help: "Export OpenTelemetry traces to this OTLP/HTTP collector (protobuf), e.g. http://collector:4318; /v1/traces is appended unless the URL already ends with it. Unset: no tracing at all. Once set, the standard OTEL_* variables (OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_SCHEDULE_DELAY, OTEL_RESOURCE_ATTRIBUTES, ...) apply too and win over these flags; OTEL_SDK_DISABLED=true turns tracing off. Env: PORTCULLIS_OTEL_ENDPOINT.")
    var endpointFlag: String?

    @Option(name: .customLong("otel-service-name"), help: "service.name of the exported spans (default: portcullis-gateway or portcullis-controlplane). Env: PORTCULLIS_OTEL_SERVICE_NAME.")
    var serviceNameFlag: String?

    @Option(name: .customLong("otel-sampling-ratio"), help: "Share of new traces sampled, 0 to 1; a request that carries a traceparent follows its sampled flag. Env: PORTCULLIS_OTEL_SAMPLING_RATIO.")
    public var samplingRatio: Double = EnvironmentVariables.string("PORTCULLIS_OTEL_SAMPLING_RATIO").flatMap(Double.init) ?? 1

    public init() {}

    public var endpoint: String? { endpointFlag ?? EnvironmentVariables.string("PORTCULLIS_OTEL_ENDPOINT") }

    public func validate() throws {
        guard (0...1).contains(samplingRatio) else { throw ValidationError("--otel-sampling-ratio must be between 0 and 1") }
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ValidationError("--otel-endpoint \(endpoint) must be an http:// or https:// URL")
        }
        // swift-otel stops the process (fatalError) when asked for the gRPC exporter it was built
        // without; the traces variable wins over the shared one, as in swift-otel.
        let exporterProtocol = EnvironmentVariables.string("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            ?? EnvironmentVariables.string("OTEL_EXPORTER_OTLP_PROTOCOL")
        if endpoint != nil, exporterProtocol?.lowercased() == "grpc" {
            throw ValidationError("OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only OTLP/HTTP is built in; use http/protobuf and the collector's port 4318")
        }
    }

    /// The tracer and the service that batches and exports its spans (run it with the
    /// application's services, first so it stops last and flushes); nil when tracing is off.
    public func makeBackend(defaultServiceName: String, logger: Logger) throws -> TracingBackend? {
        // swift-otel refuses to build a tracer when the standard switch is off: honour it instead.
        guard let endpoint, EnvironmentVariables.string("OTEL_SDK_DISABLED")?.lowercased() != "true" else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceNameFlag ?? EnvironmentVariables.string("PORTCULLIS_OTEL_SERVICE_NAME") ?? defaultServiceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: samplingRatio) ?? .parentBasedAlwaysOn
        configuration.traces.otlpExporter.endpoint = Self.tracesURL(endpoint)
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        return TracingBackend(tracer: TraceHeaderCheckingTracer(base: tracer), service: service)
    }

    static func tracesURL(_ endpoint: String) -> String {
        if endpoint.hasSuffix("/v1/traces") { return endpoint }
        return endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
    }
}

/// A process's tracer and its exporting service.
public struct TracingBackend: Sendable {
    public let tracer: any Tracer
    public let service: any Service
}
