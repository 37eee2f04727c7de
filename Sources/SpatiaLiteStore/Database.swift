import CSQLite
import Foundation
import Grid

extension StoreError {
    /// A SQLite failure by its result code: busy, locked, I/O, full disk, a file that cannot be
    /// opened or is read-only → `.unavailable` (the client's request was fine); a unique key →
    /// `.conflict`; other constraints → `.invalid` (a trigger's RAISE text is Wangge's own, and says
    /// why); anything else is a bug → `.internal`. SQLite's text goes to `detail` only.
    static func sqlite(_ code: Int32, _ message: String, doing: String? = nil) -> StoreError {
        let detail = doing.map { "\(message) in \($0)" } ?? message
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError(.unavailable, "the database is busy (another writer holds it); try again shortly", detail: detail)
        case SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_PERM:
            return StoreError(.unavailable, "the database cannot be written or read right now", detail: detail)
        case SQLITE_CONSTRAINT:
            switch code {
            case SQLITE_CONSTRAINT | (8 << 8), SQLITE_CONSTRAINT | (6 << 8):
                return StoreError(.conflict, "that already exists", detail: detail)
            case SQLITE_CONSTRAINT | (7 << 8):
                return StoreError(.invalid, message, detail: detail)   // RAISE(…, 'our own words')
            default:
                return StoreError(.invalid, "a value is outside what the database accepts", detail: detail)
            }
        default:
            return StoreError(.internal, "the database failed", detail: detail)
        }
    }
}

/// One SQLite connection with SpatiaLite loaded, in WAL mode with a busy timeout.
///
/// Thread rule: a connection (and its statements) is used by one thread or task at a time; it is
/// opened with `SQLITE_OPEN_NOMUTEX`, so SQLite does no locking of its own. Open one per task.
public final class Database {
    let db: OpaquePointer
    public let path: String

    /// How long a statement waits for another writer's lock before the store reports `.unavailable`.
    static let busyTimeoutMilliseconds: Int32 = {
        ProcessInfo.processInfo.environment["WANGGE_BUSY_TIMEOUT_MS"].flatMap(Int32.init).map { max(0, $0) } ?? 5000
    }()

    /// SQLite's "transient" destructor: copy the bound value now. A macro Swift cannot import.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(path: String, readOnly: Bool = false, create: Bool = true) throws(StoreError) {
        var handle: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StoreError(.unavailable, "cannot open \(path)", detail: msg)
        }
        self.db = handle
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Database.busyTimeoutMilliseconds)
        // SQLite opens a file it may not write read-only without a word; Wangge writes beside it too
        // (the -wal and -shm files), so say so now rather than at the first statement.
        if !readOnly && sqlite3_db_readonly(db, "main") == 1 {
            sqlite3_close(db)
            throw StoreError(.unavailable, "\(path) is read-only (the file, its folder or the file system): Wangge must be able to write it and the -wal and -shm files beside it")
        }
        do {
            if !readOnly { try execute("PRAGMA journal_mode=WAL", spatial: false) }
            try execute("PRAGMA foreign_keys=ON", spatial: false)
            // FULL: a committed transaction is on disk when COMMIT returns (an acknowledged write
            // survives power loss, not only a process kill).
            try execute("PRAGMA synchronous=FULL", spatial: false)
            // Savepoints (one per request in a group commit) journal the pages they change: in
            // memory, not as writes to a temporary file. A 32 MB page cache holds a county's
            // indexes (the 2 MB default re-read pages on every intake).
            try execute("PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768", spatial: false)
        } catch {
            sqlite3_close(db)
            throw StoreError(error.kind, "cannot open \(path): \(error.reason)", detail: error.detail)
        }
    }

    /// Prepared statements by SQL text: parsing SQL was most of the cost of small, frequent writes.
    /// A statement is reset when handed out again, so callers must finish with one (step it to the
    /// end, or stop using it) before asking for the same SQL again.
    private var statements: [String: Statement] = [:]

    deinit {
        statements.removeAll()   // finalised before the connection closes
        sqlite3_close_v2(db)
    }

    /// Whether SpatiaLite is loaded into this connection yet.
    private(set) var spatialLoaded = false

    /// Loads SpatiaLite, the first time a statement needs it: loading it (with PROJ's database)
    /// is 30 ms, most of the start of a command that only reads grids (`wangge assign`).
    func loadSpatial() throws(StoreError) {
        guard !spatialLoaded else { return }
        sqlite3_enable_load_extension(db, 1)
        defer { sqlite3_enable_load_extension(db, 0) }
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_load_extension(db, "mod_spatialite", nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw StoreError(.unavailable, "cannot load SpatiaLite (install libsqlite3-mod-spatialite)", detail: msg)
        }
        spatialLoaded = true
    }

    /// Runs SQL, one or more statements. With `spatial` (the default) SpatiaLite is loaded
    /// first: a script cannot be retried halfway.
    public func execute(_ sql: String, spatial: Bool = true) throws(StoreError) {
        if spatial { try loadSpatial() }
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw StoreError.sqlite(sqlite3_extended_errcode(db), msg)
        }
    }

    public func prepare(_ sql: String) throws(StoreError) -> Statement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        let s = try Statement(self, sql)
        statements[sql] = s
        return s
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back on any error: all or nothing.
    /// Inside another transaction it becomes a savepoint, so a batch of operations (each a
    /// transaction of its own) can run as one.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let nested = sqlite3_get_autocommit(db) == 0
        if nested && !savepoints { return try body() }
        try control(nested ? "SAVEPOINT nested" : "BEGIN IMMEDIATE")
        do {
            let v = try body()
            try control(nested ? "RELEASE nested" : "COMMIT")
            return v
        } catch {
            if nested { try? control("ROLLBACK TO nested"); try? control("RELEASE nested") } else { try? control("ROLLBACK") }
            throw error
        }
    }

    private var savepoints = true

    /// Runs `body` with nested transactions flattened into the enclosing one (no savepoints): for
    /// a batch whose operations validate before they write, where a savepoint per operation was
    /// overhead. A failed statement still undoes itself; an operation that fails after some of its
    /// writes leaves them in the enclosing transaction, so the caller must roll that back.
    public func withoutSavepoints<T>(_ body: () throws -> T) rethrows -> T {
        let before = savepoints
        savepoints = false
        defer { savepoints = before }
        return try body()
    }

    /// Transaction control through cached statements (`sqlite3_exec` would parse them every time).
    private func control(_ sql: String) throws(StoreError) {
        try prepare(sql).run()
    }

    /// The first column of the first row, for small queries.
    public func scalar(_ sql: String, _ args: [SQLValue] = []) throws(StoreError) -> SQLValue {
        let st = try prepare(sql)
        try st.bind(args)
        defer { st.reset() }   // a half-read statement would pin a WAL snapshot
        return try st.step() ? st.value(0) : .null
    }

    public var lastError: String { String(cString: sqlite3_errmsg(db)) }
    var lastErrorCode: Int32 { sqlite3_extended_errcode(db) }
    /// Whether a transaction is open on this connection.
    var inTransaction: Bool { sqlite3_get_autocommit(db) == 0 }
    /// Whether the file could be opened for reading only (permissions, a read-only mount).
    var isReadOnly: Bool { sqlite3_db_readonly(db, "main") == 1 }
    public var changes: Int { Int(sqlite3_changes(db)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }
}

public enum SQLValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .integer(let i) = self { i } else { nil } }
    public var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }
    public var text: String? { if case .text(let s) = self { s } else { nil } }
    public var blob: [UInt8]? { if case .blob(let b) = self { b } else { nil } }
}

/// A prepared statement, owned by its connection's cache; finalised when the connection closes.
public final class Statement {
    private unowned let database: Database
    private let stmt: OpaquePointer

    init(_ database: Database, _ sql: String) throws(StoreError) {
        var s: OpaquePointer?
        var rc = sqlite3_prepare_v2(database.db, sql, -1, &s, nil)
        // A SpatiaLite function, module or trigger in it: load SpatiaLite and prepare again
        // (preparing changes nothing, so it can be retried).
        if rc != SQLITE_OK && !database.spatialLoaded,
           ["no such function", "no such module"].contains(where: database.lastError.hasPrefix) {
            try database.loadSpatial()
            rc = sqlite3_prepare_v2(database.db, sql, -1, &s, nil)
        }
        guard rc == SQLITE_OK, let s else {
            throw StoreError.sqlite(database.lastErrorCode, database.lastError, doing: sql)
        }
        self.database = database
        self.stmt = s
    }

    deinit { sqlite3_finalize(stmt) }

    func reset() { sqlite3_reset(stmt) }

    public func bind(_ values: [SQLValue]) throws(StoreError) {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (k, v) in values.enumerated() {
            let i = Int32(k + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(stmt, i)
            case .integer(let n): rc = sqlite3_bind_int64(stmt, i, n)
            case .real(let d): rc = sqlite3_bind_double(stmt, i, d)
            case .text(let s): rc = sqlite3_bind_text(stmt, i, s, -1, Database.transient)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob(stmt, i, $0.baseAddress, Int32($0.count), Database.transient) }
            }
            guard rc == SQLITE_OK else { throw StoreError.sqlite(database.lastErrorCode, "cannot bind parameter \(i): \(database.lastError)") }
        }
    }

    /// Advances to the next row; false when done.
    public func step() throws(StoreError) -> Bool {
        switch sqlite3_step(stmt) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StoreError.sqlite(database.lastErrorCode, database.lastError)
        }
    }

    /// Binds, runs to completion, and resets.
    public func run(_ values: [SQLValue] = []) throws(StoreError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(stmt)
    }

    public var columnCount: Int { Int(sqlite3_column_count(stmt)) }

    public func value(_ col: Int) -> SQLValue {
        let c = Int32(col)
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(stmt, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(stmt, c))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(stmt, c)))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, c))
            guard n > 0, let p = sqlite3_column_blob(stmt, c) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }

    /// All rows of a query.
    public func rows(_ values: [SQLValue] = []) throws(StoreError) -> [[SQLValue]] {
        try bind(values)
        var out: [[SQLValue]] = []
        while try step() { out.append((0..<columnCount).map(value)) }
        return out
    }
}
