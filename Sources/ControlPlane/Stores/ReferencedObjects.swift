import Foundation
import Shared

/// Ids a request body names (a grant's server, a policy's server, ...), checked against the
/// caller's account. Another account's object reads as missing, so the answer is the same 400
/// whether it exists elsewhere or nowhere, and its existence is never revealed.
struct ReferencedObjects {
    enum Kind: String {
        case server, identity, policy, grant

        /// Only live objects can be referenced: a deleted policy cannot be attached.
        fileprivate var query: String {
            switch self {
            case .server: "SELECT 1 FROM servers WHERE account_id = $1 AND id = $2"
            case .identity: "SELECT 1 FROM identities WHERE account_id = $1 AND id = $2"
            case .policy: "SELECT 1 FROM policies WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL"
            case .grant: "SELECT 1 FROM grants WHERE account_id = $1 AND id = $2"
            }
        }
    }

    struct Reference {
        let kind: Kind
        let id: UUID?
        /// Where the id sits in the request body, e.g. `/server_id`.
        let pointer: String
    }

    let tx: TenantTransaction

    /// Throws one 400 naming every reference (nil ids are skipped) that is not in the account.
    func require(_ references: [Reference]) async throws {
        var errors: [ProblemError.FieldError] = []
        for reference in references {
            guard let id = reference.id else { continue }
            let rows = try await tx.query(SQLQuery(unsafeSQL: reference.kind.query, binds: [tx.account.postgresBind, id.postgresBind]))
            if rows.isEmpty { errors.append(.init(pointer: reference.pointer, message: "no such \(reference.kind.rawValue) in this account")) }
        }
        if !errors.isEmpty { throw ProblemError.invalidFields(errors) }
    }
}

extension ReferencedObjects.Reference {
    static func server(_ id: UUID?, at pointer: String = "/server_id") -> Self { .init(kind: .server, id: id, pointer: pointer) }
    static func identity(_ id: UUID?, at pointer: String = "/identity_id") -> Self { .init(kind: .identity, id: id, pointer: pointer) }
    static func policy(_ id: UUID?, at pointer: String = "/policy_id") -> Self { .init(kind: .policy, id: id, pointer: pointer) }
    static func grant(_ id: UUID?, at pointer: String = "/grant_id") -> Self { .init(kind: .grant, id: id, pointer: pointer) }
}
