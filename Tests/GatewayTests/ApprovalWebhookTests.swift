import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shared
import Synchronization
import TestSupport
import Testing

@testable import Gateway
import JSON
import PolicyEngine

/// design.md §5.6 step 2: the signed approval webhook, against a real HTTP receiver on loopback.
@Suite(.timeLimit(.minutes(1)))
struct ApprovalWebhookTests {
    static let keyRing = try! SecretKeyRing(parsing: "v1:" + Data(repeating: 9, count: 32).base64EncodedString())
    static let loopback = UpstreamAddressGuard(policy: UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!]))
    static let quick = ApprovalWebhook.Timing(attemptTimeout: .seconds(2), retryDelay: .milliseconds(100), shutdownGrace: .seconds(1))

    static func notice(account: UUID = UUID()) -> ApprovalWebhookNotice {
        ApprovalWebhookNotice(
            approvalID: UUID(), accountID: account, grantID: UUID(), identityID: UUID(), identityLabel: "alice-laptop",
            serverID: UUID(), serverName: "runpod", tool: "create-pod", argumentsHash: Array(repeating: 0xAB, count: 32),
            rule: "create-pod", expiresAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
    }

    static func account(_ id: UUID, webhook: String?) -> SnapshotAccount {
        SnapshotAccount(id: id, slug: "acme", approvalWebhookURL: webhook)
    }

    /// Runs the webhook service while `body` runs, then cancels it.
    static func withWebhook(
        guard addressGuard: UpstreamAddressGuard = loopback, logger: Logger = Logger(label: "webhook-test"),
        _ body: (ApprovalWebhook) async throws -> Void
    ) async throws {
        let webhook = ApprovalWebhook(signing: ApprovalWebhookSigning(keyRing: keyRing), addressGuard: addressGuard, timing: quick, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await webhook.run() }
            defer { group.cancelAll() }
            try await body(webhook)
        }
    }

    /// The receiver's check, written from the documented scheme rather than with the gateway's code.
    static func verifies(_ request: WebhookReceiver.Request, secret: String) -> Bool {
        guard let timestamp = request.headers["portcullis-timestamp"],
              let signature = request.headers["portcullis-signature"], signature.hasPrefix("sha256=") else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Array(secret.utf8)))
        return signature == "sha256=" + Array(mac).lowercaseHex
    }

    @Test func receiverGetsTheSignedNoticeAndTheSignatureVerifiesOnlyWithTheAccountSecret() async throws {
        try await WebhookReceiver.run { receiver in
            let accountID = UUID()
            let notice = Self.notice(account: accountID)
            try await Self.withWebhook { webhook in
                webhook.requested(notice, account: Self.account(accountID, webhook: receiver.url("/hooks/portcullis")))
                let arrived = try await eventually(within: .seconds(5)) { receiver.requests.count == 1 }
                #expect(arrived)
            }
            let request = try #require(receiver.requests.first)
            #expect(request.method == .post && request.path == "/hooks/portcullis")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["portcullis-event"] == "approval.requested")
            let timestamp = try #require(request.headers["portcullis-timestamp"].flatMap { Int64($0) })
            #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 30)

            let body = try JSONValue.parse(request.body)
            #expect(body["type"] == "approval.requested")
            #expect(body["approval_id"]?.stringValue == notice.approvalID.uuidString.lowercased())
            #expect(body["account_id"]?.stringValue == accountID.uuidString.lowercased())
            #expect(body["grant_id"]?.stringValue == notice.grantID.uuidString.lowercased())
            #expect(body["identity_label"] == "alice-laptop")
            #expect(body["server_id"]?.stringValue == notice.serverID.uuidString.lowercased())
            #expect(body["tool"] == "create-pod")
            #expect(body["arguments_hash"]?.stringValue == String(repeating: "ab", count: 32))
            #expect(body["expires_at"] == "2027-01-15T08:00:00.000Z")
            #expect(body["arguments"] == nil)

            let signing = ApprovalWebhookSigning(keyRing: Self.keyRing)
            let secret = signing.secret(forAccount: accountID)
            #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit))
            #expect(Self.verifies(request, secret: secret))
            // Another account's secret, or the same account under other operator keys, does not.
            #expect(!Self.verifies(request, secret: signing.secret(forAccount: UUID())))
            let otherKeys = try SecretKeyRing(parsing: "v1:" + Data(repeating: 1, count: 32).base64EncodedString())
            #expect(!Self.verifies(request, secret: ApprovalWebhookSigning(keyRing: otherKeys).secret(forAccount: accountID)))
            // The timestamp is covered: the same body and signature under another timestamp fail.
            var replayed = request
            replayed.headers["portcullis-timestamp"] = String(timestamp + 1)
            #expect(!Self.verifies(replayed, secret: secret))
        }
    }

    @Test func theSecretIsTheSameWhereverItIsDerivedAndDiffersPerAccount() throws {
        let account = UUID()
        let sameKeys = try SecretKeyRing(parsing: "v1:" + Data(repeating: 9, count: 32).base64EncodedString())
        #expect(ApprovalWebhookSigning(keyRing: Self.keyRing).secret(forAccount: account) == ApprovalWebhookSigning(keyRing: sameKeys).secret(forAccount: account))
        #expect(ApprovalWebhookSigning(keyRing: Self.keyRing).secret(forAccount: account) != ApprovalWebhookSigning(keyRing: Self.keyRing).secret(forAccount: UUID()))
    }

    @Test func aFailedDeliveryIsRetriedOnce() async throws {
        let answers = Mutex([HTTPResponse.Status.internalServerError, .internalServerError, .internalServerError])
        try await WebhookReceiver.run(answer: { _ in answers.withLock { $0.isEmpty ? .noContent : $0.removeFirst() } }) { receiver in
            let accountID = UUID()
            try await Self.withWebhook { webhook in
                webhook.requested(Self.notice(account: accountID), account: Self.account(accountID, webhook: receiver.url("/hook")))
                #expect(try await eventually(within: .seconds(5)) { receiver.requests.count == 2 })
                try await Task.sleep(for: .milliseconds(500))
            }
            // One try and one retry, both signed; no third attempt.
            #expect(receiver.requests.count == 2)
            let secret = ApprovalWebhookSigning(keyRing: Self.keyRing).secret(forAccount: accountID)
            #expect(receiver.requests.allSatisfy { Self.verifies($0, secret: secret) })
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await WebhookReceiver.run(answer: { request in request.path == "/hook" ? .found : .noContent }) { receiver in
            try await Self.withWebhook { webhook in
                let accountID = UUID()
                webhook.requested(Self.notice(account: accountID), account: Self.account(accountID, webhook: receiver.url("/hook")))
                #expect(try await eventually(within: .seconds(5)) { receiver.requests.count == 2 })
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(receiver.requests.map(\.path) == ["/hook", "/hook"])
        }
    }

    @Test func anUnreachableOrRefusedWebhookNeverReachesTheCallerAndIsLoggedWithTheApprovalID() async throws {
        let logs = LogCapture()
        try await WebhookReceiver.run { receiver in
            // The guard without the loopback exception: the receiver is an internal address.
            let strict = UpstreamAddressGuard(policy: UpstreamAddressPolicy(allowsPlainHTTP: true))
            try await Self.withWebhook(guard: strict, logger: logs.logger) { webhook in
                let refused = Self.notice()
                webhook.requested(refused, account: Self.account(refused.accountID, webhook: receiver.url("/hook?token=s3cret")))
                let logged = try await eventually(within: .seconds(5)) { logs.warnings(approval: refused.approvalID).count == 1 }
                #expect(logged)
            }
            #expect(receiver.requests.isEmpty)

            try await Self.withWebhook(logger: logs.logger) { webhook in
                let unreachable = Self.notice()
                let closedPort = try freeLoopbackPort()
                let started = ContinuousClock.now
                webhook.requested(unreachable, account: Self.account(unreachable.accountID, webhook: "http://127.0.0.1:\(closedPort)/hook?token=s3cret"))
                #expect(ContinuousClock.now - started < .milliseconds(50))
                #expect(try await eventually(within: .seconds(5)) { logs.warnings(approval: unreachable.approvalID).count == 1 })

                // The service carries on: the next notice to a live receiver arrives.
                let delivered = Self.notice()
                webhook.requested(delivered, account: Self.account(delivered.accountID, webhook: receiver.url("/hook")))
                #expect(try await eventually(within: .seconds(5)) { receiver.requests.count == 1 })
            }
        }
        // Neither the URL (its token) nor any secret is in the logs.
        let logged = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logged.contains("s3cret"))
        #expect(!logged.contains("token="))
    }

    @Test func theEndpointHookNamesTheCallersIdentityAndServer() async throws {
        let accountID = UUID()
        let identity = SnapshotIdentity(id: UUID(), accountID: accountID, label: "ci-runner", metadata: "{}")
        let server = SnapshotServer(
            id: UUID(), accountID: accountID, name: "runpod", url: "https://mcp.example.com/mcp", authType: "none", sealedCredentials: nil,
            credentialsKeyVersion: nil, connectTimeoutMs: 5_000, firstByteTimeoutMs: 60_000, idleTimeoutMs: 300_000)
        let grant = SnapshotGrant(
            id: UUID(), accountID: accountID, identityID: identity.id, serverID: server.id, policyID: nil, tokenHash: "", expiresAt: nil, revoked: false)
        let caller = AuthenticatedGrant(
            grant: grant, identity: identity, server: server, policy: nil,
            counterOwner: CounterOwner(accountID: "a", grantID: "g", identityID: "i", serverID: "s"))
        let key = ApprovalCallKey(account: accountID, grant: grant.id, tool: "stop-pod", argumentsHashes: [Array(repeating: 1, count: 32)])
        let pending = PendingApproval(id: UUID(), account: accountID, expiresAt: Date(timeIntervalSinceNow: 900), isNew: true)
        try await WebhookReceiver.run { receiver in
            try await Self.withWebhook { webhook in
                webhook.requested(ApprovalRequestNotice(
                    account: Self.account(accountID, webhook: receiver.url("/hook")), pending: pending, key: key, caller: caller, rule: "/tools/stop-pod/approval"))
                // An account the snapshot does not know has no webhook to call.
                webhook.requested(ApprovalRequestNotice(account: nil, pending: pending, key: key, caller: caller, rule: "/tools/stop-pod/approval"))
                let arrived = try await eventually(within: .seconds(5)) { receiver.requests.count == 1 }
                #expect(arrived)
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(receiver.requests.count == 1)
            let body = try JSONValue.parse(try #require(receiver.requests.first).body)
            #expect(body["approval_id"]?.stringValue == pending.id.uuidString.lowercased())
            #expect(body["grant_id"]?.stringValue == grant.id.uuidString.lowercased())
            #expect(body["identity_id"]?.stringValue == identity.id.uuidString.lowercased())
            #expect(body["identity_label"] == "ci-runner")
            #expect(body["server_id"]?.stringValue == server.id.uuidString.lowercased())
            #expect(body["server_name"] == "runpod")
            #expect(body["tool"] == "stop-pod")
            #expect(body["arguments_hash"]?.stringValue == String(repeating: "01", count: 32))
        }
    }

    @Test func anAccountWithoutAWebhookIsNotCalled() async throws {
        let logs = LogCapture()
        try await Self.withWebhook(logger: logs.logger) { webhook in
            let notice = Self.notice()
            webhook.requested(notice, account: Self.account(notice.accountID, webhook: nil))
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(logs.entries.isEmpty)
    }
}

/// An HTTP server on a loopback port that records every request and answers with `answer`.
struct WebhookReceiver: Sendable {
    /// A request as the receiver saw it; header names lowercased.
    struct Request: Sendable {
        let method: HTTPRequest.Method
        let path: String
        var headers: [String: String]
        let body: [UInt8]
    }

    let port: Int
    private let log: Log

    var requests: [Request] { log.entries.withLock { $0 } }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private final class Log: Sendable {
        let entries = Mutex<[Request]>([])
    }

    static func run(
        answer: @escaping @Sendable (Request) -> HTTPResponse.Status = { _ in .noContent },
        _ body: (WebhookReceiver) async throws -> Void
    ) async throws {
        let log = Log()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Request(method: request.method, path: request.uri.path, headers: headers, body: Array(bytes.readableBytesView))
            log.entries.withLock { $0.append(received) }
            let status = answer(received)
            return Response(status: status, headers: status == .found ? [.location: "/elsewhere"] : [:])
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "test.webhook-receiver") { _ in SwiftLogNoOpLogHandler() }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            try await body(WebhookReceiver(port: port, log: log))
        }
    }
}

/// Collects log entries so tests can say what was (and was not) logged.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    private let stored = Mutex<[Entry]>([])

    var entries: [Entry] { stored.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    func warnings(approval: UUID) -> [Entry] {
        entries.filter { $0.level == .warning && $0.metadata["approval.id"] == "\(approval)" }
    }

    fileprivate func append(_ entry: Entry) { stored.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
