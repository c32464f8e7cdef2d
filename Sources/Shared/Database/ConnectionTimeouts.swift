import CLibPQ
import Foundation

/// Issue 10 item 21: libpq waits forever by default, for a connection to open and for an answer on
/// an open one, so a blackholed PostgreSQL would hang every call that needs it. These settings
/// bound both; each is added only where the operator said nothing (in the conninfo, or through
/// `PGCONNECT_TIMEOUT`), so the conninfo itself still reaches libpq untouched (design.md §1).
enum ConnectionTimeouts {
    struct Setting {
        let keyword: String
        let value: String
        /// The libpq environment variable that sets it, which also counts as the operator's word.
        var environment: String?
    }

    static let defaults = [
        // Seconds for the whole connection attempt (per host of a multi-host list); 2 is libpq's floor.
        Setting(keyword: "connect_timeout", value: "5", environment: "PGCONNECT_TIMEOUT"),
        // A peer that vanished without closing is noticed after about 5 + 3 x 2 s of silence...
        Setting(keyword: "keepalives", value: "1"),
        Setting(keyword: "keepalives_idle", value: "5"),
        Setting(keyword: "keepalives_interval", value: "2"),
        Setting(keyword: "keepalives_count", value: "3"),
        // ...and data it never acknowledges breaks the connection after 10 s (milliseconds; Linux).
        Setting(keyword: "tcp_user_timeout", value: "10000"),
    ]

    /// Opens a connection. `conninfo` (a URL or key=value string) is expanded by libpq after the
    /// defaults, and later settings win, so every setting it names overrides ours.
    static func connect(_ conninfo: String) -> OpaquePointer? {
        let settings = defaults.filter { setting in setting.environment.map { getenv($0) == nil } ?? true }
        let keywords = settings.map { strdup($0.keyword) } + [strdup("dbname"), nil]
        let values = settings.map { strdup($0.value) } + [strdup(conninfo), nil]
        defer { (keywords + values).forEach { free($0) } }
        return keywords.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { keywords in
            values.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { values in
                PQconnectdbParams(keywords.baseAddress, values.baseAddress, 1)
            }
        }
    }
}
