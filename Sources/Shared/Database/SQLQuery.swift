/// A statement with its parameters. Written as an interpolated string, every interpolated value
/// becomes a `$n` bind parameter: values are never spliced into SQL text. A query interpolated into
/// another is embedded with its binds renumbered, so a condition written once (a filter, a keyset)
/// serves several statements:
///
///     let rows = try await db.query("SELECT id FROM accounts WHERE slug = \(slug)")
///     let visible: SQLQuery = "deleted_at IS NULL AND owner = \(owner)"
///     let count = try await db.query("SELECT count(*) FROM servers WHERE \(visible)")
public struct SQLQuery: Sendable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [PostgresBind]
    /// Where each `$n` this query wrote starts and ends in `sql` (UTF-8 offsets), so embedding can
    /// renumber exactly those, never a `$1` that happens to sit in SQL text.
    private var placeholders: [Range<Int>]

    /// Trusted SQL whose `$n` (if any) are not renumbered when embedded: use interpolation instead.
    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.init(sql: sql, binds: binds, placeholders: [])
    }

    private init(sql: String, binds: [PostgresBind], placeholders: [Range<Int>]) {
        self.sql = sql
        self.binds = binds
        self.placeholders = placeholders
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, binds: stringInterpolation.binds, placeholders: stringInterpolation.placeholders)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PostgresBind] = []
        var placeholders: [Range<Int>] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            appendBind(value.postgresBind)
        }

        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            appendBind(value?.postgresBind ?? .null)
        }

        /// Embeds `fragment` with its binds appended after ours and its `$n` renumbered to match.
        public mutating func appendInterpolation(_ fragment: SQLQuery) {
            // A fragment made with `unsafeSQL:binds:` has `$n` this cannot find: refuse it
            // rather than drop its binds.
            precondition(fragment.placeholders.count == fragment.binds.count, "embed only interpolated queries")
            var copied = fragment.sql.utf8.startIndex
            let text = fragment.sql.utf8
            for (range, bind) in zip(fragment.placeholders, fragment.binds) {
                let start = text.index(text.startIndex, offsetBy: range.lowerBound)
                sql += String(decoding: text[copied..<start], as: UTF8.self)
                appendBind(bind)
                copied = text.index(text.startIndex, offsetBy: range.upperBound)
            }
            sql += String(decoding: text[copied...], as: UTF8.self)
        }

        private mutating func appendBind(_ bind: PostgresBind) {
            binds.append(bind)
            let start = sql.utf8.count
            sql += "$\(binds.count)"
            placeholders.append(start..<sql.utf8.count)
        }

        /// Splices a fragment of trusted SQL (a column list, an ORDER BY written in code) that
        /// holds no values. Never pass input from a request here.
        public mutating func appendInterpolation(unsafeSQL fragment: String) {
            sql += fragment
        }
    }
}
