import Shared

/// The order of a paginated list (design.md §6): a time column and an id column, oldest or newest
/// first. Written once here, embedded into each store's statement:
///
///     let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
///     SELECT ... WHERE account_id = \(tx.account) AND \(keyset.after(page.after))
///     ORDER BY \(keyset.ordering) LIMIT \(page.fetchLimit)
///
/// The column names are code, never input: they are spliced as SQL text.
struct Keyset {
    enum Direction { case oldestFirst, newestFirst }

    let time: String
    let id: String
    let direction: Direction

    init(time: String, id: String, _ direction: Direction) {
        self.time = time
        self.id = id
        self.direction = direction
    }

    /// The rows beyond `cursor` in this order; every row when there is no cursor.
    func after(_ cursor: PageCursor?) -> SQLQuery {
        let beyond = direction == .oldestFirst ? ">" : "<"
        return """
            (\(cursor?.time)::timestamptz IS NULL OR (\(unsafeSQL: time), \(unsafeSQL: id)) \(unsafeSQL: beyond) (\(cursor?.time), \(cursor?.id)))
            """
    }

    /// What follows `ORDER BY`.
    var ordering: SQLQuery {
        let suffix = direction == .oldestFirst ? "" : " DESC"
        return "\(unsafeSQL: time)\(unsafeSQL: suffix), \(unsafeSQL: id)\(unsafeSQL: suffix)"
    }
}
