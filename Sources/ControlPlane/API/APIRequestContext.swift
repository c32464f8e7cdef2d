import Foundation
import Hummingbird
import Logging
import NIOCore

/// The context of every control-plane request. `APIKeyAuthenticator` fills `member`;
/// `MemberRequestContext` is what authenticated handlers receive.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address, for per-client rate limits; nil in router tests.
    let clientAddress: String?
    /// Set by `APIKeyAuthenticator` once the bearer token checks out.
    var member: AuthenticatedMember?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
        member = nil
    }
}

/// Who is calling: resolved from the API key, trusted for the rest of the request.
struct AuthenticatedMember: Sendable {
    let accountID: UUID
    let memberID: UUID
    let apiKeyID: UUID
    let role: MemberRole
}

/// The context of an authenticated route. It cannot exist without a member, so a handler under
/// `/v1` that takes it cannot forget whose account it works in (STYLE: ChildRequestContext).
struct MemberRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let member: AuthenticatedMember

    init(context: APIRequestContext) throws {
        guard let member = context.member else { throw ProblemError.unauthorized() }
        coreContext = context.coreContext
        self.member = member
    }

    var accountID: UUID { member.accountID }

    /// Throws 403 unless the caller's role grants `permission`. Cross-account objects never get
    /// this far: stores filter by account and answer 404.
    func require(_ permission: Permission) throws {
        guard member.role.allows(permission) else {
            throw ProblemError.forbidden("Your role (\(member.role.rawValue)) cannot do this. This needs \(permission.neededRole).")
        }
    }

    /// The `{name}` path parameter as a UUID; a malformed id names nothing, hence 404.
    func id(_ name: String = "id", of what: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(uuidString: text) else {
            throw ProblemError.notFound(what)
        }
        return id
    }

    /// The author of an admin-audit entry.
    var actor: AdminActor {
        AdminActor(accountID: member.accountID, memberID: member.memberID, apiKeyID: member.apiKeyID, requestID: requestID)
    }
}

extension RequestContext {
    /// Hummingbird's id for this request, as it appears in logs; kept with admin-audit entries.
    var requestID: String? {
        logger[metadataKey: "hb.request.id"].map { "\($0)" }
    }
}
