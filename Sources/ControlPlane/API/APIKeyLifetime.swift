import Foundation

/// The longest an API key may live (`--api-key-max-lifetime-days`, issue 10 item 22): a key that
/// leaks from a CI log or a laptop stops working by itself. A key asked for without `expires_at`
/// gets the maximum; one asked for beyond it is refused rather than silently shortened.
struct APIKeyLifetime: Sendable {
    /// Nil: keys may live until revoked.
    let maximum: Duration?

    private var maximumSeconds: Double? { maximum.map { Double($0.components.seconds) } }

    /// The `JSONBodyReader` rule for a requested `expires_at`.
    func rule(_ requested: Date) -> String? {
        if let message = FieldRules.future(requested) { return message }
        guard let maximumSeconds, requested.timeIntervalSinceNow > maximumSeconds else { return nil }
        return "must be at most \(Int(maximumSeconds / 86_400)) days away (the installation's maximum key lifetime)"
    }

    /// The expiry to store: the requested one (already checked by `rule`), else the maximum.
    func expiry(requested: Date?, now: Date = Date()) -> Date? {
        requested ?? maximumSeconds.map { now + $0 }
    }
}
