import CLibPQ

extension PostgresConnection {
    /// Runs `statement`, a `COPY ... FROM STDIN` in text format, with `rows` as its data; returns how
    /// many rows the server stored. A row the server refuses fails the whole COPY with the server's
    /// error (its SQLSTATE, e.g. 22003), like a multi-row INSERT; the connection stays usable.
    func copy(_ statement: String, rows: CopyRows, answerTimeout: Duration?) throws -> Int {
        guard let handle else { throw DatabaseError(.connectionLost, detail: "connection is closed") }
        let deadline = answerTimeout.map { ContinuousClock.now + $0 }
        guard PQsendQuery(handle, statement) == 1 else { throw connectionError("could not send the statement") }
        if let deadline { try awaitAnswer(on: handle, until: deadline) }
        guard let started = PQgetResult(handle) else { throw connectionError("no result from server") }
        if [PGRES_COPY_OUT, PGRES_COPY_BOTH].contains(PQresultStatus(started)) {
            // A copy the other way would leave the connection waiting for us to read: drop it.
            PQclear(started)
            close()
            throw DatabaseError(.malformedValue, detail: "the statement is not COPY FROM STDIN; the connection was closed")
        }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            // An error (no such table or column, no privilege), or a statement that is not COPY FROM STDIN.
            defer { PQclear(started) }
            try lastResult(on: handle, until: deadline).map(PQclear)
            _ = try read(started, on: handle)
            throw DatabaseError(.malformedValue, detail: "the statement did not start COPY FROM STDIN")
        }
        PQclear(started)
        // Chunks of at most 1 MiB: PQputCopyData takes an Int32 length, and libpq buffers each chunk.
        let sent = rows.data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let length = min(1 << 20, raw.count - offset)
                let chunk = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(handle, chunk, Int32(length)) == 1 else { return false }
                offset += length
            }
            return true
        }
        guard sent, PQputCopyEnd(handle, nil) == 1 else { throw connectionError("connection broke while sending COPY data") }
        guard let result = try lastResult(on: handle, until: deadline) else { throw connectionError("no result from server") }
        defer { PQclear(result) }
        return try read(result, on: handle).affectedRows
    }
}
