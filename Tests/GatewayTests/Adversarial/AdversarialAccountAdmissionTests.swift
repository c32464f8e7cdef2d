import Foundation
import Shared
import TestSupport
import Testing

@testable import Gateway
import JSON

/// Issue 10 item 26: one account's requests cannot take the whole worker. `AccountAdmission`
/// bounds per account the requests worked on, open, and held for approval; beyond its bound
/// a request is refused (429, audited) while other accounts are served, and every place is given
/// back however the request ends.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialAccountAdmissionTests {
    static let a = UUID(), b = UUID()

    /// A request that stays open until `release` is called.
    final class OpenRequest: Sendable {
        let started: AsyncStream<Void>
        private let startedSink: AsyncStream<Void>.Continuation
        let finish: AsyncStream<Void>
        private let finishSink: AsyncStream<Void>.Continuation

        init() {
            (started, startedSink) = AsyncStream.makeStream()
            (finish, finishSink) = AsyncStream.makeStream()
        }

        func body() async -> Bool {
            startedSink.yield()
            for await _ in finish { break }
            return true
        }

        func hasStarted() async { for await _ in started { return } }
        func release() { finishSink.finish() }
    }

    @Test func anAccountBeyondItsOpenBoundIsRefusedWhileAnotherAccountIsServed() async throws {
        let admission = AccountAdmission(limits: .init(working: 1, open: 2, held: 1))
        let first = OpenRequest(), second = OpenRequest()
        let running = Task { await admission.serving(Self.a) { await first.body() } }
        await first.hasStarted()
        // The second waits for the first's working place: open, not working.
        let waiting = Task { await admission.serving(Self.a) { await second.body() } }
        #expect(try await eventually(within: .seconds(10)) { admission.load(of: Self.a).open == 2 })
        #expect(admission.load(of: Self.a).working == 1)

        #expect(await admission.serving(Self.a) { true } == nil)
        #expect(await admission.serving(Self.b) { true } == true)

        first.release()
        await second.hasStarted()
        second.release()
        #expect(await running.value == true)
        #expect(await waiting.value == true)
        #expect(admission.load(of: Self.a) == (0, 0, 0))
        #expect(await admission.serving(Self.a) { true } == true)
    }

    @Test func aRequestWaitingForItsUpstreamLeavesItsWorkingPlaceToTheNext() async throws {
        let admission = AccountAdmission(limits: .init(working: 1, open: 4, held: 1))
        let upstream = OpenRequest()
        let calling = Task {
            await admission.serving(Self.a) { await AccountAdmission.whileIdle { await upstream.body() } }
        }
        await upstream.hasStarted()
        #expect(admission.load(of: Self.a) == (1, 0, 0))
        // Served while the first still waits for its upstream.
        #expect(await admission.serving(Self.a) { admission.load(of: Self.a).working } == 1)
        upstream.release()
        #expect(await calling.value == true)
        #expect(admission.load(of: Self.a) == (0, 0, 0))
    }

    struct UpstreamFailed: Error {}

    @Test func everyPlaceIsGivenBackWhenTheWorkFailsOrIsCancelled() async throws {
        let admission = AccountAdmission(limits: .init(working: 1, open: 2, held: 1))
        let failed: Bool? = await admission.serving(Self.a) {
            do {
                return try await AccountAdmission.whileIdle { () async throws(UpstreamFailed) -> Bool in throw UpstreamFailed() }
            } catch {
                return false
            }
        }
        #expect(failed == false)
        #expect(admission.load(of: Self.a) == (0, 0, 0))

        let sleeper = OpenRequest()
        let cancelled = Task {
            await admission.serving(Self.a) {
                await AccountAdmission.whileIdle {
                    await sleeper.body()
                    return (try? await Task.sleep(for: .seconds(600))) != nil
                }
            }
        }
        await sleeper.hasStarted()
        let queued = Task { await admission.serving(Self.a) { Task.isCancelled } }
        sleeper.release()
        cancelled.cancel()
        queued.cancel()
        #expect(await cancelled.value == false)
        #expect(await queued.value != nil)
        #expect(admission.load(of: Self.a) == (0, 0, 0))
    }

    @Test func heldCallsAreBoundedApartFromWorkAndLeaveTheirWorkingPlace() async throws {
        let admission = AccountAdmission(limits: .init(working: 1, open: 4, held: 1))
        let approval = OpenRequest()
        let held = Task { await admission.serving(Self.a) { await admission.holding(Self.a) { await approval.body() } } }
        await approval.hasStarted()
        #expect(admission.load(of: Self.a) == (1, 0, 1))
        // A second held call of the account is not held; other work of the account goes on.
        #expect(await admission.holding(Self.a) { true } == nil)
        #expect(await admission.serving(Self.a) { true } == true)
        #expect(await admission.holding(Self.b) { true } == true)
        approval.release()
        #expect(await held.value == .some(.some(true)))
        #expect(admission.load(of: Self.a) == (0, 0, 0))
    }

    /// End to end: a worker with at most one open request per account refuses A's second with 429
    /// and `Retry-After`, writes its `account_busy` row, serves B meanwhile, and takes A's requests
    /// again once its first has ended: answered, cut by the agent, or failed upstream.
    @Test func aWorkerRefusesAnAccountBeyondItsBoundAuditsItAndServesAnotherAccount() async throws {
        try await GatewayHarness.with { harness in
            let upstreamA = try await FakeMCPUpstream.start()
            let upstreamB = try await FakeMCPUpstream.start()
            defer { Task { await upstreamA.stop(); await upstreamB.stop() } }
            let allowAll: JSONValue = ["version": "1", "default": "allow", "pin": "off"]
            let grantA = try await harness.grant(on: upstreamA, policy: allowAll)
            let harnessB = GatewayHarness(
                conninfo: harness.conninfo, database: harness.database, controlPlane: harness.controlPlane,
                secretKeys: harness.secretKeys, apiKey: try await harness.controlPlane.signUp())
            let grantB = try await harnessB.grant(on: upstreamB, policy: allowAll)
            let worker = try await harness.startWorker(arguments: ["--account-open-requests", "1", "--account-working-requests", "1"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grantA)
            try await worker.waitForGrant(grantB)
            let ping: JSONValue = ["jsonrpc": "2.0", "id": 9, "method": "ping"]

            // An agent that hangs up before its slow call is answered.
            let impatient = Task { try? await worker.post(toolCall(1, "slow", ["ms": 2000]), grant: grantA, timeout: .seconds(1)) }
            #expect(try await eventually(within: .seconds(10)) { upstreamA.callCount(tool: "slow") == 1 })
            let refused = try await worker.post(ping, grant: grantA)
            #expect(refused.status == 429)
            #expect(refused.headers.first(name: "retry-after") == "1")
            #expect(refused.json?["error"]?["code"] == -32603)
            let served = try await worker.post(ping, grant: grantB)
            #expect(served.status == 200)
            _ = await impatient.value

            // Once the hung-up call's upstream answered, its place is free again; every 429 meanwhile is a row too.
            var refusals = 1
            #expect(try await eventually(within: .seconds(20)) {
                let status = (try? await worker.post(ping, grant: grantA))?.status
                if status == 429 { refusals += 1 }
                return status == 200
            })
            let failing = try await worker.post(toolCall(2, "fail_http"), grant: grantA)
            #expect(failing.status != 429)
            #expect(try await worker.post(ping, grant: grantA).status == 200)

            let rows = try await eventually(within: .seconds(20)) {
                let rows = (try? await harness.database.query(
                    "SELECT message FROM audit_events WHERE grant_id = \(grantA.id) AND code = 'account_busy' AND decision = 'deny'")) ?? []
                return rows.count == refusals
            }
            #expect(rows)
        }
    }
}
