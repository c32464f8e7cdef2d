extension Duration {
    /// Whole milliseconds (rounded down), the unit of libpq's `poll` waits and PostgreSQL's timeouts.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
