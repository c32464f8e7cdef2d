import Foundation
import HTTPTypes
import Hummingbird

/// The browser's session (issue 12): the console key from `POST /v1/login` with `"session": true`
/// lives in an HttpOnly, SameSite=Strict cookie scoped to `/v1`, so page scripts never read it.
///
/// A cookie is sent by the browser whatever page asks, so a cookie-authenticated request that
/// changes state must also carry `X-Portcullis-CSRF`: a cross-site form cannot set a header, and a
/// cross-site script could only with a CORS preflight, which the control plane never answers.
/// SameSite=Strict is the second wall, for browsers that honour it.
enum ConsoleSession {
    static let cookieName = "portcullis_session"
    static let csrfHeader = HTTPField.Name("X-Portcullis-CSRF")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    /// The cookie's token text, when the request carries one.
    static func token(in request: Request) -> Substring? {
        request.cookies[cookieName].map { Substring($0.value) }
    }

    /// Refuses a state-changing request that lacks the CSRF header. Reads (GET, HEAD) change nothing.
    static func checkCSRF(_ request: Request) throws {
        switch request.method {
        case .get, .head:
            return
        default:
            guard request.headers[csrfHeader] != nil else {
                throw ProblemError.forbidden("A session request that changes something needs the \(csrfHeader) header (cross-site request refused).")
            }
        }
    }

    /// `Set-Cookie` for a new session. Secure when the request came over TLS: the control plane
    /// itself speaks plain HTTP, so TLS is what the terminating proxy reports in X-Forwarded-Proto.
    /// A client that claims https only makes its own cookie stricter.
    static func cookie(token: String, lifetime: Duration, for request: Request) -> Cookie {
        Cookie(name: cookieName, value: token, maxAge: Int(lifetime.components.seconds), path: "/v1",
               secure: isTLS(request), httpOnly: true, sameSite: .strict)
    }

    /// `Set-Cookie` that makes the browser drop the session at logout.
    static func expiredCookie(for request: Request) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/v1", secure: isTLS(request), httpOnly: true, sameSite: .strict)
    }

    private static func isTLS(_ request: Request) -> Bool {
        request.headers[values: forwardedProto].contains {
            $0.lowercased().split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
        }
    }
}
