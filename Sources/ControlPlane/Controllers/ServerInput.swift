import Foundation
import JSON
import Shared

/// The nested members of `POST` and `PATCH /v1/servers`: `auth` and `timeouts`, with problems
/// reported at pointers under `/auth` and `/timeouts`.
enum ServerInput {
    enum AuthType: String, CaseIterable, JSONBodyValue {
        case none, headers, bearer
    }

    /// `{"type": "none"}`, `{"type": "bearer", "token": ".."}` or `{"type": "headers", "headers": {"X-Api-Key": ".."}}`.
    static func auth(_ object: JSONObject) throws -> UpstreamAuth {
        try JSONBodyReader.readNested(object, at: "/auth") { body, refuse -> UpstreamAuth? in
            let type = body.required("type", as: AuthType.self)
            let token = body.optional("token", as: String.self, rule: headerValue)
            let headers = body.optional("headers", as: JSONObject.self)
            switch type {
            case .none?:
                if token != nil { refuse("/token", "is only used with type bearer") }
                if headers != nil { refuse("/headers", "is only used with type headers") }
                return UpstreamAuth.none
            case .bearer?:
                if headers != nil { refuse("/headers", "is only used with type headers") }
                guard let token else {
                    refuse("/token", "is required with type bearer")
                    return nil
                }
                return .bearer(token: token)
            case .headers?:
                if token != nil { refuse("/token", "is only used with type bearer") }
                guard let headers, !headers.isEmpty else {
                    refuse("/headers", "must name at least one header with type headers")
                    return nil
                }
                return headerPairs(headers, refuse: &refuse).map(UpstreamAuth.headers)
            case nil:
                return nil
            }
        }
    }

    /// `{"connect_ms", "first_byte_ms", "idle_ms"}`, each optional, over `base`.
    static func timeouts(_ object: JSONObject, over base: ServerTimeouts) throws -> ServerTimeouts {
        try JSONBodyReader.readNested(object, at: "/timeouts") { body, _ -> ServerTimeouts? in
            var timeouts = base
            if let value = body.optional("connect_ms", as: Int.self, rule: milliseconds) { timeouts.connectMs = value }
            if let value = body.optional("first_byte_ms", as: Int.self, rule: milliseconds) { timeouts.firstByteMs = value }
            if let value = body.optional("idle_ms", as: Int.self, rule: milliseconds) { timeouts.idleMs = value }
            return timeouts
        }
    }

    static func milliseconds(_ value: Int) -> String? {
        (1...3_600_000).contains(value) ? nil : "must be 1 to 3600000 milliseconds"
    }

    private static func headerPairs(_ headers: JSONObject, refuse: inout JSONBodyReader.Refusals) -> [(name: String, value: String)]? {
        var pairs: [(name: String, value: String)] = []
        var valid = true
        for member in headers.members {
            let pointer = JSONPointer.appending("/headers", member.key)
            if let problem = headerName(member.key) {
                refuse(pointer, problem)
                valid = false
            } else if let value = member.value.stringValue, headerValue(value) == nil {
                pairs.append((member.key, value))
            } else {
                refuse(pointer, "must be a non-empty string without line breaks")
                valid = false
            }
        }
        return valid ? pairs : nil
    }

    private static func headerName(_ name: String) -> String? {
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard !name.isEmpty, name.count <= 256, name.allSatisfy(tokenCharacters.contains) else { return "is not a valid header name" }
        return UpstreamAuth.refusalReason(forHeaderName: name)
    }

    private static func headerValue(_ value: String) -> String? {
        value.isEmpty || value.count > 8192 || value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" })
            ? "must be a non-empty string without line breaks" : nil
    }
}
