import CLibPQ
import Foundation
import Grid

/// A value sent to or read from PostgreSQL in text form (libpq's text protocol: no binary layouts
/// to get wrong; geometry travels as hex WKB).
enum PGValue: Sendable {
    case null
    case text(String)

    init(_ i: Int64) { self = .text(String(i)) }
    init(_ i: Int) { self = .text(String(i)) }
    init(_ d: Double) { self = .text(d.description) }
    init(_ b: Bool) { self = .text(b ? "t" : "f") }
    /// Bytes as a `bytea` literal (`\x…`).
    init(bytes: [UInt8]) { self = .text("\\x" + PGConnection.hex(bytes)) }
    init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    init(_ i: Int64?) { self = i.map { PGValue($0) } ?? .null }
    init(_ d: Double?) { self = d.map { PGValue($0) } ?? .null }
}

/// One row of a result: its fields as text, nil for SQL NULL.
struct PGRow {
    let fields: [String?]
    subscript(_ k: Int) -> String? { fields[k] }
    func text(_ k: Int) -> String { fields[k] ?? "" }
    func int(_ k: Int) -> Int64? { fields[k].flatMap { Int64($0) } }
    func double(_ k: Int) -> Double? { fields[k].flatMap { Double($0) } }
    func bool(_ k: Int) -> Bool { fields[k] == "t" }
    /// A `bytea` column (hex output).
    func bytes(_ k: Int) -> [UInt8]? { fields[k].flatMap(PGConnection.unhex) }
    /// Seconds since 1970 (the queries select `extract(epoch …)`) as a date.
    func date(_ k: Int) -> Date? { double(k).map { Date(timeIntervalSince1970: $0) } }
}

/// One libpq connection. Not thread-safe: one thread at a time, as `StoreConnection` says. The
/// `PGconn` pointer stays inside; callers see rows of text and `StoreError`s by kind.
final class PGConnection {
    private let conn: OpaquePointer
    /// Where, for messages: the URL without its password.
    let location: String
    private var depth = 0
    private var savepoints = true
    /// Transaction-level advisory locks taken in the open transaction (asked for once, not per
    /// statement: PostgreSQL holds them to its end).
    private var heldLocks: Set<Int> = []
    /// Run after the open transaction commits; dropped when it rolls back.
    private var onCommit: [() -> Void] = []
    /// Whether a lost connection is made again before the next statement outside a transaction
    /// (so a server's writes resume by themselves when the database is back). The follower turns
    /// it off: it must LISTEN again on a connection of its own making.
    var reconnects = true
    /// Statements prepared on this session, by their text: parsed and planned once, not per call
    /// (an intake sends about ten).
    private var prepared: [String: String] = [:]

    /// Connects, giving up after 5 s (an unreachable host is an error naming it, never a hang).
    init(url: String) throws(StoreError) {
        location = PGConnection.redacted(url)
        let keys = ["dbname", "connect_timeout", "application_name", "options"]
        // Statements give up after 5 s, lock waits after 2 s: a request never hangs on a lost primary
        // or a held table (it is a 503 with Retry-After).
        let values = [url, "5", "wangge", "-c statement_timeout=5000 -c lock_timeout=2000 -c TimeZone=Asia/Shanghai"]
        var cKeys = keys.map { strdup($0) }, cValues = values.map { strdup($0) }
        cKeys.append(nil); cValues.append(nil)
        defer { (cKeys + cValues).forEach { free($0) } }
        let c: OpaquePointer? = cKeys.withUnsafeBufferPointer { k in
            cValues.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keys.count + 1) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count + 1) { vp in
                        PQconnectdbParams(kp, vp, 1)
                    }
                }
            }
        }
        guard let c else { throw StoreError(.unavailable, "cannot connect to \(location): out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw StoreError(.unavailable, "cannot connect to \(location)", detail: PGConnection.redactedMessage(message, url: url))
        }
        conn = c
        // Notices (CREATE … IF NOT EXISTS, …) are not for the user's terminal.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// The socket, for waiting on notifications.
    var socket: Int32 { PQsocket(conn) }
    var isBroken: Bool { PQstatus(conn) != CONNECTION_OK }

    /// A connection lost outside a transaction is made again (libpq's reset, same parameters, at
    /// most the connect timeout); inside one the transaction is lost and the statement fails.
    private func ready() throws(StoreError) {
        guard isBroken else { return }
        guard reconnects && depth == 0 else { throw StoreError(.unavailable, "the connection to \(location) was lost") }
        PQreset(conn)
        prepared = [:]   // a new session has none of the old one's statements
        guard !isBroken else {
            throw StoreError(.unavailable, "cannot reach \(location)", detail: String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// A dead connection shows only when a statement fails on it. A `BEGIN` or a `SELECT`
    /// outside a transaction changed nothing, so it is sent once more on a new connection (the
    /// first request after the database comes back is then answered, not a 503).
    private func retried(_ sql: String, _ send: () -> OpaquePointer?) throws(StoreError) -> OpaquePointer? {
        try ready()
        let r = send()
        let failed = r.map { PQresultStatus($0) == PGRES_FATAL_ERROR } ?? true
        guard failed, isBroken, reconnects, depth == 0, sql == "BEGIN" || sql.hasPrefix("SELECT") else { return r }
        PQclear(r)
        try ready()
        return send()
    }

    private enum Prepared {
        case prepared(String)
        /// The server's failed answer to the PREPARE (preparing takes the tables' locks too).
        case refused(OpaquePointer?)
        /// Past the cache's bound: sent whole.
        case uncached
    }

    /// `sql` prepared on this session, prepared now if it is new.
    private func statement(_ sql: String, count: Int) -> Prepared {
        if let name = prepared[sql] { return .prepared(name) }
        guard prepared.count < 512 else { return .uncached }   // the store's texts are few; a runaway is sent whole
        let name = "w\(prepared.count)"
        let r = PQprepare(conn, name, sql, Int32(count), nil)
        guard r.map({ PQresultStatus($0) == PGRES_COMMAND_OK }) ?? false else { return .refused(r) }
        PQclear(r)
        prepared[sql] = name
        return .prepared(name)
    }

    /// Runs one or more statements without parameters.
    func execute(_ sql: String) throws(StoreError) {
        let r = try retried(sql) { PQexec(conn, sql) }
        defer { PQclear(r) }
        try check(r, sql)
    }

    /// Runs one statement with `$1 …` parameters and returns its rows.
    @discardableResult
    func query(_ sql: String, _ params: [PGValue] = []) throws(StoreError) -> [PGRow] {
        var owned: [UnsafeMutablePointer<CChar>?] = params.map { if case .text(let s) = $0 { strdup(s) } else { nil } }
        defer { owned.forEach { free($0) } }
        let r = try retried(sql) {
            let name: String
            switch statement(sql, count: params.count) {
            case .prepared(let n): name = n
            case .refused(let r): return r   // its error is the statement's (a lock wait, a lost session …)
            case .uncached:
                return owned.withUnsafeMutableBufferPointer { p in
                    p.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(p.count, 1)) { values in
                        PQexecParams(conn, sql, Int32(params.count), nil, params.isEmpty ? nil : values, nil, nil, 0)
                    }
                }
            }
            return owned.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(p.count, 1)) { values in
                    PQexecPrepared(conn, name, Int32(params.count), params.isEmpty ? nil : values, nil, nil, 0)
                }
            }
        }
        defer { PQclear(r) }
        try check(r, sql)
        let n = Int(PQntuples(r)), m = Int(PQnfields(r))
        var rows: [PGRow] = []
        rows.reserveCapacity(n)
        for i in 0..<n {
            var fields: [String?] = []
            fields.reserveCapacity(m)
            for j in 0..<m {
                fields.append(PQgetisnull(r, Int32(i), Int32(j)) == 1 ? nil : String(cString: PQgetvalue(r, Int32(i), Int32(j))))
            }
            rows.append(PGRow(fields: fields))
        }
        return rows
    }

    /// The first column of the first row.
    func scalar(_ sql: String, _ params: [PGValue] = []) throws(StoreError) -> String? {
        try query(sql, params).first?[0]
    }

    /// Rows changed by an UPDATE/DELETE, via `RETURNING 1` rows.
    func changed(_ sql: String, _ params: [PGValue]) throws(StoreError) -> Int { try query(sql, params).count }

    /// `body` as one transaction, or a savepoint inside another. The commit runs while the
    /// transaction still counts as open, so a connection lost meanwhile is an error, never a
    /// reconnect that would report a lost transaction as committed.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        let level = depth
        let nested = level > 0
        if nested && !savepoints { return try body() }
        if !nested { heldLocks = []; onCommit = [] }
        try execute(nested ? "SAVEPOINT s\(level)" : "BEGIN")
        depth += 1
        defer { depth = level }
        do {
            let v = try body()
            try execute(nested ? "RELEASE SAVEPOINT s\(level)" : "COMMIT")
            if !nested {
                let done = onCommit
                heldLocks = []; onCommit = []
                done.forEach { $0() }
            }
            return v
        } catch {
            if !isBroken { try? execute(nested ? "ROLLBACK TO SAVEPOINT s\(level); RELEASE SAVEPOINT s\(level)" : "ROLLBACK") }
            // A savepoint's rollback may release what was taken after it: ask again next time.
            heldLocks = []
            if !nested { onCommit = [] }
            throw error
        }
    }

    /// `pg_advisory_xact_lock(key)`, once per transaction (outside one: every time).
    func advisoryTransactionLock(_ key: Int) throws(StoreError) {
        guard depth == 0 || !heldLocks.contains(key) else { return }
        try execute("SELECT pg_advisory_xact_lock(\(key))")
        if depth > 0 { heldLocks.insert(key) }
    }

    /// Runs `action` once what has been done so far is committed: now outside a transaction,
    /// after the COMMIT inside one, never if it rolls back.
    func whenCommitted(_ action: @escaping () -> Void) {
        if depth == 0 { action() } else { onCommit.append(action) }
    }

    /// Nested transactions inside `body` take no savepoints of their own.
    func withoutSavepoints<T>(_ body: () throws -> T) rethrows -> T {
        let was = savepoints
        savepoints = false
        defer { savepoints = was }
        return try body()
    }

    /// Notifications received so far (after `consume`): their payloads.
    func notifications() -> [String] {
        var out: [String] = []
        while let n = PQnotifies(conn) {
            out.append(String(cString: n.pointee.extra))
            PQfreemem(n)
        }
        return out
    }

    /// Reads what the server sent without blocking; false when the connection is lost.
    func consume() -> Bool { PQconsumeInput(conn) == 1 }

    private func check(_ r: OpaquePointer?, _ sql: String) throws(StoreError) {
        let status = r.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK else { return }
        let message = String(cString: r.map { PQresultErrorMessage($0) } ?? PQerrorMessage(conn))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let state = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let primary = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) } ?? message
        throw PGConnection.error(state: state, primary: primary, message: message, broken: isBroken)
    }

    /// PostgreSQL's error classes as Wangge's kinds (SQLSTATE, appendix A of its manual).
    static func error(state: String, primary: String, message: String, broken: Bool) -> StoreError {
        if broken || state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") || state == "40001" || state == "40P01"
            || state == "55P03" || state == "25006" || state.isEmpty {
            return StoreError(.unavailable, "the database cannot be written or read right now", detail: message)
        }
        switch state {
        case "23505": return StoreError(.conflict, "that already exists", detail: message)
        case "P0001": return StoreError(.invalid, primary, detail: message)   // RAISE: our own words
        case let s where s.hasPrefix("23") || s.hasPrefix("22"):
            return StoreError(.invalid, "a value is outside what the database accepts", detail: message)
        default: return StoreError(.internal, "the database failed", detail: message)
        }
    }

    /// `postgresql://user:secret@host/db` → `postgresql://user@host/db`.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }

    static func redactedMessage(_ message: String, url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return message }
        let secret = String(url[url.index(after: colon)..<at])
        return secret.isEmpty ? message : message.replacingOccurrences(of: secret, with: "…")
    }

    private static let digits = Array("0123456789abcdef".utf8)
    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: bytes.count * 2)
        for (i, b) in bytes.enumerated() { out[2 * i] = digits[Int(b >> 4)]; out[2 * i + 1] = digits[Int(b & 15)] }
        return String(decoding: out, as: UTF8.self)
    }

    /// `\x0102…` (bytea hex output) or bare hex to bytes.
    static func unhex(_ text: String) -> [UInt8]? {
        var u = Array(text.utf8)
        if u.starts(with: [0x5C, 0x78]) { u.removeFirst(2) }
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let a = v(u[i]), let b = v(u[i + 1]) else { return nil }
            out.append(a << 4 | b)
            i += 2
        }
        return out
    }
}
