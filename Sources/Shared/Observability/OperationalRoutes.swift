import Hummingbird
import Metrics
import Prometheus

/// `/healthz`, `/readyz` and `/metrics`, the same on both binaries. `/metrics` includes
/// `portcullis_ready` (1 or 0), the readiness `/readyz` would answer at scrape time, so an alert
/// can see a process that is up but not ready (issue 13 item 6).
public struct OperationalRoutes: Sendable {
    /// Why the process is or is not ready; the reason is shown to the probe.
    public struct Readiness: Sendable {
        public let isReady: Bool
        public let reason: String
        public static let ready = Readiness(isReady: true, reason: "ready")
        public static func ready(_ reason: String) -> Readiness { Readiness(isReady: true, reason: reason) }
        public static func notReady(_ reason: String) -> Readiness { Readiness(isReady: false, reason: reason) }
    }

    let registry: PrometheusCollectorRegistry
    let readiness: @Sendable () async -> Readiness
    let readyGauge: Prometheus.Gauge

    public init(registry: PrometheusCollectorRegistry, readiness: @escaping @Sendable () async -> Readiness) {
        self.registry = registry
        self.readiness = readiness
        readyGauge = registry.makeGauge(name: "portcullis_ready", help: "1 when /readyz answers 200, else 0")
    }

    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let state = await readiness()
            return Response(
                status: state.isReady ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: state.reason + "\n"))
            )
        }
        router.get("/metrics") { _, _ in
            readyGauge.set(to: await readiness().isReady ? 1 : 0)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }
}

/// Installs the Prometheus backend for swift-metrics once per process and returns its registry.
public func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}
