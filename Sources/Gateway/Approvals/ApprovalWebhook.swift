import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Shared

/// Calls an account's approval webhook when a new approval request is created (design.md §5.6 step 2):
/// a signed JSON POST (`ApprovalWebhookNotice`, `ApprovalWebhookSigning`) that tells a human a call
/// is waiting.
///
/// Off the request path: `requested(_:account:)` only queues the notice, so the held call never
/// waits on a receiver. The service delivers queued notices, a few at a time, each with one retry;
/// a failure is logged with the approval id and never reaches the caller, since the request is in
/// the API and console either way. The queue is bounded: when receivers are down for long enough
/// to fill it, further notices are dropped and logged rather than held in memory.
///
/// The URL is an admin's input, so it passes the same SSRF guard as upstream URLs before each
/// delivery, the connection goes to the address that was checked, and redirects are not followed.
/// Neither the URL (it may carry a token, like chat webhooks do) nor the secret is ever logged.
final class ApprovalWebhook: Service, Sendable {
    struct Timing: Sendable {
        /// Connect plus response head, per attempt.
        var attemptTimeout: Duration = .seconds(5)
        var retryDelay: Duration = .seconds(1)
        /// How long queued notices may still go out once the worker shuts down.
        var shutdownGrace: Duration = .seconds(10)

        static let standard = Timing()
    }

    static let queueCapacity = 1_024
    static let concurrentDeliveries = 16

    private struct Delivery: Sendable {
        let notice: ApprovalWebhookNotice
        let url: String
        /// The account's operator-granted ranges, as the control plane checked the URL with.
        let allowedCIDRs: [String]
        let requestedAt: Date
    }

    private let signing: ApprovalWebhookSigning
    private let addressGuard: UpstreamAddressGuard
    private let timing: Timing
    private let logger: Logger
    private let deliveries: AsyncStream<Delivery>
    private let queue: AsyncStream<Delivery>.Continuation

    init(signing: ApprovalWebhookSigning, addressGuard: UpstreamAddressGuard, timing: Timing = .standard, logger: Logger) {
        self.signing = signing
        self.addressGuard = addressGuard
        self.timing = timing
        self.logger = logger
        (deliveries, queue) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingOldest(Self.queueCapacity))
    }

    /// Queues the notice for `account`'s webhook and returns at once; does nothing when the account
    /// has no webhook. Call it only for a request that was just created (`PendingApproval.isNew`),
    /// so a reused pending request does not notify again.
    func requested(_ notice: ApprovalWebhookNotice, account: SnapshotAccount) {
        guard let url = account.approvalWebhookURL else { return }
        if case .dropped = queue.yield(Delivery(notice: notice, url: url, allowedCIDRs: account.allowedUpstreamCIDRs, requestedAt: Date())) {
            logger.warning("approval webhook not called: delivery queue full", metadata: Self.logMetadata(notice))
        }
    }

    /// Delivers queued notices until graceful shutdown. Then the queue closes and what it still
    /// holds is delivered for up to `timing.shutdownGrace`; whatever is left after that is dropped,
    /// so a receiver that is down cannot hold a worker's shutdown.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.deliverQueued() }
            group.addTask {
                try? await gracefulShutdown()
                self.queue.finish()
                try? await Task.sleep(for: self.timing.shutdownGrace)
            }
            // The first to end is the drain (done) or the grace period (over): either way, stop.
            await group.next()
            group.cancelAll()
        }
    }

    private func deliverQueued() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await delivery in deliveries {
                if running == Self.concurrentDeliveries {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.deliver(delivery) }
                running += 1
            }
        }
    }

    private func deliver(_ delivery: Delivery) async {
        let metadata = Self.logMetadata(delivery.notice)
        let pinned: PinnedUpstream
        do {
            pinned = try await addressGuard.allowing(cidrs: delivery.allowedCIDRs).check(delivery.url)
        } catch {
            var metadata = metadata
            metadata["webhook.refusal"] = "\(error.reason)"
            logger.warning("approval webhook not called: URL refused", metadata: metadata)
            return
        }
        // Without the pool's own connection retries, the retry below is the only one: the pool's
        // would stretch an attempt past its timeout.
        let configuration = HTTPClient.Configuration.untrustedHost(pinned, connectTimeout: TimeAmount(timing.attemptTimeout))
        let body = delivery.notice.body(requestedAt: delivery.requestedAt)
        let failure: String?
        do {
            failure = try await HTTPClient.withHTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration
            ) { client -> String? in
                var reason = await send(body, account: delivery.notice.accountID, to: delivery.url, with: client)
                if reason != nil {
                    try await Task.sleep(for: timing.retryDelay)
                    reason = await send(body, account: delivery.notice.accountID, to: delivery.url, with: client)
                }
                return reason
            }
        } catch {
            // Cancelled during the retry delay, or the client's shutdown failed.
            failure = "\(error)"
        }
        if let failure {
            var metadata = metadata
            metadata["webhook.error"] = "\(failure)"
            logger.warning("approval webhook failed", metadata: metadata)
        } else {
            logger.debug("approval webhook delivered", metadata: metadata)
        }
    }

    /// One signed POST; nil when the receiver answered 2xx, else why not. The response body is
    /// never read: a receiver cannot hold the attempt open past the head or send it anything.
    private func send(_ body: [UInt8], account: UUID, to url: String, with client: HTTPClient) async -> String? {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Portcullis/\(ControlPlaneConnection.softwareVersion) approval-webhook")
        request.headers.add(name: "Portcullis-Event", value: ApprovalWebhookNotice.type)
        request.headers.add(name: "Portcullis-Timestamp", value: String(timestamp))
        // One signature per key of the ring (issue 10 item 22): a receiver holding the secret of
        // the previous key still verifies while the operator rotates.
        request.headers.add(name: "Portcullis-Signature", value: signing.signatures(forAccount: account, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timing.attemptTimeout))
            return (200..<300).contains(response.status.code) ? nil : "the receiver answered \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }

    private static func logMetadata(_ notice: ApprovalWebhookNotice) -> Logger.Metadata {
        ["approval.id": "\(notice.approvalID)", "account.id": "\(notice.accountID)"]
    }
}
