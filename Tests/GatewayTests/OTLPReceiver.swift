import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A collector's OTLP/HTTP trace endpoint on a loopback port of the test process: keeps each
/// `POST /v1/traces` body as sent, and decodes its spans (`OTLPSpan`).
final class OTLPReceiver: Sendable {
    let port: Int
    private let bodies: NIOLockedValueBox<[[UInt8]]>
    private let serviceGroup: ServiceGroup
    private let running: Task<Void, any Error>

    /// The base URL to give `--otel-endpoint`.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every export request body received so far.
    var exported: [[UInt8]] { bodies.withLockedValue { $0 } }

    var spans: [OTLPSpan] { get throws { try exported.flatMap(OTLPSpan.decode(exportRequest:)) } }

    private init(port: Int, bodies: NIOLockedValueBox<[[UInt8]]>, serviceGroup: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.bodies = bodies
        self.serviceGroup = serviceGroup
        self.running = running
    }

    static func start() async throws -> OTLPReceiver {
        let bodies = NIOLockedValueBox<[[UInt8]]>([])
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            bodies.withLockedValue { $0.append(Array(body.readableBytesView)) }
            // An empty ExportTraceServiceResponse.
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
        }
        var logger = Logger(label: "otlp-receiver")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let running = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            running.cancel()
            throw FixtureError("the OTLP receiver did not start")
        }
        return OTLPReceiver(port: port, bodies: bodies, serviceGroup: serviceGroup, running: running)
    }

    func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = await running.result
    }
}

/// The parts of an OTLP span the tests check, read from the protobuf wire format by field number
/// (opentelemetry-proto's trace.proto): swift-otel's generated types are package-internal.
struct OTLPSpan: Sendable {
    var traceID: [UInt8] = []
    var spanID: [UInt8] = []
    var parentSpanID: [UInt8] = []
    var name = ""
    /// String and integer attribute values, integers as their decimal text.
    var attributes: [String: String] = [:]

    /// ExportTraceServiceRequest { 1: ResourceSpans { 2: ScopeSpans { 2: Span } } }
    static func decode(exportRequest bytes: [UInt8]) throws -> [OTLPSpan] {
        var spans: [OTLPSpan] = []
        for resourceSpans in try ProtobufFields(bytes).messages(1) {
            for scopeSpans in try ProtobufFields(resourceSpans).messages(2) {
                spans += try ProtobufFields(scopeSpans).messages(2).map(decode(span:))
            }
        }
        return spans
    }

    /// Span { 1: trace_id, 2: span_id, 4: parent_span_id, 5: name, 9: KeyValue { 1: key, 2: AnyValue { 1: string, 3: int } } }
    private static func decode(span bytes: [UInt8]) throws -> OTLPSpan {
        var span = OTLPSpan()
        for field in try ProtobufFields(bytes).fields {
            switch (field.number, field.value) {
            case (1, .bytes(let value)): span.traceID = value
            case (2, .bytes(let value)): span.spanID = value
            case (4, .bytes(let value)): span.parentSpanID = value
            case (5, .bytes(let value)): span.name = String(decoding: value, as: UTF8.self)
            case (9, .bytes(let keyValue)):
                let pair = try ProtobufFields(keyValue)
                guard let key = pair.bytes(1), let anyValue = pair.bytes(2) else { continue }
                let value = try ProtobufFields(anyValue)
                if let text = value.bytes(1) {
                    span.attributes[String(decoding: key, as: UTF8.self)] = String(decoding: text, as: UTF8.self)
                } else if let number = value.varint(3) {
                    span.attributes[String(decoding: key, as: UTF8.self)] = String(Int64(bitPattern: number))
                }
            default: continue
            }
        }
        return span
    }
}

/// The fields of one protobuf message, in order.
struct ProtobufFields {
    enum Value { case varint(UInt64), bytes([UInt8]), fixed }
    let fields: [(number: Int, value: Value)]

    init(_ bytes: [UInt8]) throws {
        var fields: [(number: Int, value: Value)] = []
        var index = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else { throw FixtureError("truncated protobuf varint") }
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while index < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1, 5:
                index += key & 7 == 1 ? 8 : 4
                fields.append((number, .fixed))
            case 2:
                let length = Int(try varint())
                guard length <= bytes.count - index else { throw FixtureError("truncated protobuf field \(number)") }
                fields.append((number, .bytes(Array(bytes[index..<index + length]))))
                index += length
            default: throw FixtureError("protobuf wire type \(key & 7) is not used by OTLP")
            }
        }
        guard index == bytes.count else { throw FixtureError("truncated protobuf fixed field") }
        self.fields = fields
    }

    func messages(_ number: Int) -> [[UInt8]] {
        fields.compactMap { field in
            guard field.number == number, case .bytes(let value) = field.value else { return nil }
            return value
        }
    }

    func bytes(_ number: Int) -> [UInt8]? { messages(number).first }

    func varint(_ number: Int) -> UInt64? {
        for field in fields where field.number == number {
            if case .varint(let value) = field.value { return value }
        }
        return nil
    }
}

extension [UInt8] {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
