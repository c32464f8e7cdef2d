import JSON

/// The stored form: `servers.auth_type` in the clear, the credentials as JSON to be sealed into
/// `servers.credentials_ciphertext` (the database requires ciphertext exactly when the type is
/// not `none`).
extension UpstreamAuth {
    public var storedType: String {
        switch self {
        case .none: "none"
        case .headers: "headers"
        case .bearer: "bearer"
        }
    }

    /// The plaintext to seal; nil for `.none`.
    public var credentialsPlaintext: [UInt8]? {
        switch self {
        case .none:
            return nil
        case .headers(let pairs):
            let list = pairs.map { JSONValue.object(JSONObject([("name", .string($0.name)), ("value", .string($0.value))])) }
            return JSONValue.object(JSONObject([("headers", .array(list))])).serializedBytes()
        case .bearer(let token):
            return JSONValue.object(JSONObject([("token", .string(token))])).serializedBytes()
        }
    }

    /// Rebuilds the auth from its stored type and opened plaintext. Errors never quote the
    /// plaintext.
    public init(storedType: String, credentialsPlaintext: [UInt8]?) throws(UpstreamAuthStorageError) {
        switch (storedType, credentialsPlaintext) {
        case ("none", nil):
            self = .none
        case ("bearer", let bytes?):
            guard let token = (try? JSONValue.parse(bytes))?["token"]?.stringValue else { throw UpstreamAuthStorageError() }
            self = .bearer(token: token)
        case ("headers", let bytes?):
            guard let list = (try? JSONValue.parse(bytes))?["headers"]?.arrayValue else { throw UpstreamAuthStorageError() }
            var pairs: [(name: String, value: String)] = []
            for entry in list {
                guard let name = entry["name"]?.stringValue, let value = entry["value"]?.stringValue else {
                    throw UpstreamAuthStorageError()
                }
                pairs.append((name, value))
            }
            self = .headers(pairs)
        default:
            throw UpstreamAuthStorageError()
        }
    }
}

public struct UpstreamAuthStorageError: Error, CustomStringConvertible {
    public var description: String { "stored upstream credentials do not match their auth type" }
}
