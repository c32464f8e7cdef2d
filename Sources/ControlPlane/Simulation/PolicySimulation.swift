import Foundation
import JSON
import PolicyEngine
import Shared

/// The body of `POST /v1/policies/{id}/simulate`:
/// `{"grant_id"? | "identity_id"?, "server_id"?, "tool", "arguments"?, "session_id"?}`.
struct SimulatedCall: Sendable {
    var grantID: UUID?
    var identityID: UUID?
    var serverID: UUID?
    var tool: String
    var arguments: JSONValue
    var sessionID: String?

    init?(body: inout JSONBodyReader) {
        grantID = body.optional("grant_id", as: UUID.self)
        identityID = body.optional("identity_id", as: UUID.self)
        serverID = body.optional("server_id", as: UUID.self)
        let tool = body.required("tool", as: String.self)
        arguments = body.optional("arguments", as: JSONObject.self).map(JSONValue.object) ?? .object(JSONObject())
        sessionID = body.optional("session_id", as: String.self)
        guard let tool else { return nil }
        self.tool = tool
    }
}

/// Decides a simulated call with the policy engine exactly as a worker would: the identity and
/// server come from the grant (or the identity and the policy's server), the risk class and pin
/// state from the catalog, and every counter the call would reserve is compared with its current
/// value in PostgreSQL. It reads only: nothing is forwarded, reserved or audited.
///
/// Three steps, so no transaction (and no pooled connection) is held while the engine runs
/// (issue 10 item 12): `prepare` reads in one transaction, `SimulationInput.decide` runs the
/// engine outside any, `count` reads the counters in another.
struct PolicySimulation {
    let tx: TenantTransaction

    func prepare(_ call: SimulatedCall, policy id: UUID) async throws -> SimulationInput {
        let policy = try await PolicyStore(tx: tx).find(id)
        try await ReferencedObjects(tx: tx).require([.grant(call.grantID), .identity(call.identityID), .server(call.serverID)])
        let subject = try await subject(of: call, policy: policy)
        let catalog = try await catalogEntry(tool: call.tool, server: subject.serverID)
        return SimulationInput(call: call, policy: policy, subject: subject, catalog: catalog, account: tx.account)
    }

    /// Compares each reservation with its counter; the first exhausted one denies.
    func count(_ outcome: SimulationOutcome, at time: PolicyTime) async throws -> SimulationOutcome {
        var outcome = outcome
        for reservation in outcome.reservations {
            let current = try await currentCount(reservation)
            outcome.counters.append((reservation, current))
            if outcome.denial == nil, current + reservation.amount > reservation.max {
                outcome.denial = reservation.exhaustedDenial(now: time)
            }
        }
        return outcome
    }

    /// Who calls and through which server. Without a grant or identity the owner ids are
    /// placeholders, which only matter for counters (a fresh placeholder bucket is always empty).
    private func subject(of call: SimulatedCall, policy: Policy) async throws -> SimulationSubject {
        if let grantID = call.grantID {
            let row = try await tx.query("""
                SELECT g.identity_id, g.server_id, i.label, i.metadata
                FROM grants g JOIN identities i ON i.account_id = g.account_id AND i.id = g.identity_id
                WHERE g.account_id = \(tx.account) AND g.id = \(grantID)
                """)[0]
            let identityID: UUID = try row.decode("identity_id")
            let grantServer: UUID = try row.decode("server_id")
            return SimulationSubject(
                grantID: grantID.uuidString.lowercased(), identityID: identityID.uuidString.lowercased(),
                identityLabel: try row.decode("label"), identityMetadata: try row.decode("metadata", as: JSONValue.self),
                serverID: call.serverID ?? grantServer)
        }
        var subject = SimulationSubject(serverID: call.serverID ?? policy.serverID)
        if let identityID = call.identityID {
            let row = try await tx.query("SELECT label, metadata FROM identities WHERE account_id = \(tx.account) AND id = \(identityID)")[0]
            subject.identityID = identityID.uuidString.lowercased()
            subject.identityLabel = try row.decode("label")
            subject.identityMetadata = try row.decode("metadata", as: JSONValue.self)
        }
        return subject
    }

    /// The catalog's view of the tool on that server; a tool the catalog has never seen has no
    /// class and nothing to pin. The inputSchema is bounded as in the workers' snapshot.
    private func catalogEntry(tool: String, server: UUID?) async throws -> SimulationCatalogEntry {
        guard let server else { return SimulationCatalogEntry() }
        let rows = try await tx.query("""
            SELECT coalesce(risk_override_class, risk_class) AS risk_class,
                   approved_hash IS NOT NULL AND approved_hash = definition_hash AS approved,
                   CASE WHEN octet_length(input_schema::text) <= \(SnapshotTool.maximumInputSchemaBytes) THEN input_schema END AS input_schema
            FROM tools
            WHERE account_id = \(tx.account) AND server_id = \(server) AND name = \(tool) AND removed_at IS NULL
            """)
        guard let row = rows.first else { return SimulationCatalogEntry() }
        let riskClass: String = try row.decode("risk_class")
        let inputSchema: JSONValue? = try row.decode("input_schema")
        return SimulationCatalogEntry(known: true, riskClass: RiskClass(rawValue: riskClass), definitionApproved: try row.decode("approved"),
                                      inputSchema: inputSchema.map(ArgumentSchema.init))
    }

    private func currentCount(_ reservation: CounterReservation) async throws -> Double {
        let start = Date(timeIntervalSince1970: Double(reservation.windowStart.millisecondsSince1970) / 1000)
        let rows = try await tx.query("""
            SELECT count::float8 AS count FROM counters
            WHERE account_id = \(tx.account) AND scope_kind = \(reservation.scope.rawValue) AND scope_id = \(reservation.scopeID)
              AND counter = \(reservation.counter) AND window_kind = \(reservation.window.rawValue) AND window_start = \(start)
            """)
        return try rows.first?.decode("count") ?? 0
    }
}

struct SimulationSubject: Sendable {
    var grantID = "(simulated grant)"
    var identityID = "(simulated identity)"
    var identityLabel = ""
    var identityMetadata: JSONValue = .object(JSONObject())
    var serverID: UUID?
}

struct SimulationCatalogEntry: Sendable {
    var known = false
    var riskClass: RiskClass?
    var definitionApproved = true
    /// For `validate_arguments`, as the worker would check it.
    var inputSchema: ArgumentSchema?

    var json: JSONValue {
        ["known": .bool(known), "risk_class": .string(riskClass?.rawValue), "definition_approved": .bool(definitionApproved)]
    }
}

/// What the engine needs to decide a simulated call, read by `PolicySimulation.prepare`.
struct SimulationInput: Sendable {
    let call: SimulatedCall
    let policy: Policy
    let subject: SimulationSubject
    let catalog: SimulationCatalogEntry
    let account: UUID

    func decide(at time: PolicyTime) throws -> SimulationOutcome {
        let compiled: CompiledPolicy
        do {
            compiled = try CompiledPolicy(document: policy.document)
        } catch {
            // Stored versions passed validation; only a stricter engine could refuse one now.
            throw ProblemError.conflict("The policy's current version no longer validates: \(error.description)")
        }
        let engineCall = PolicyCall(
            tool: call.tool, arguments: call.arguments, identityLabel: subject.identityLabel,
            identityMetadata: subject.identityMetadata, sessionID: call.sessionID, riskClass: catalog.riskClass,
            definitionApproved: catalog.definitionApproved,
            owner: CounterOwner(
                accountID: account.uuidString.lowercased(), grantID: subject.grantID, identityID: subject.identityID,
                serverID: subject.serverID?.uuidString.lowercased() ?? ""),
            inputSchema: catalog.inputSchema)
        return SimulationOutcome(decision: CompiledPolicy.decide(policy: compiled, call: engineCall, now: time))
    }

    func json(_ outcome: SimulationOutcome) -> JSONValue {
        outcome.json(policy: policy, catalog: catalog, tool: call.tool)
    }
}
