import Cases
import Foundation
import Grid

/// Bearer tokens by their SHA-256 digest: the token itself is never stored.
final class SpatiaLiteTokenStore: TokenStore {
    let database: Database

    static let migrations: [Migration] = [
        Migration(module: "auth", number: 1, sql: """
            CREATE TABLE api_tokens(
              id INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              role TEXT NOT NULL CHECK(role IN ('planner','dispatcher','worker','viewer')),
              worker_id INTEGER,
              digest TEXT NOT NULL UNIQUE,
              created_at TEXT NOT NULL,
              revoked_at TEXT,
              CHECK((role = 'worker') = (worker_id IS NOT NULL)));
            """),
        // The area a token is limited to (辖区: a county, town or village code); and sign-in
        // sessions, rows of their own made from a token (`parent_id`), ending at `expires_at` or
        // at sign-out, and with the token they came from.
        Migration(module: "auth", number: 2, sql: """
            ALTER TABLE api_tokens ADD COLUMN area TEXT CHECK(area IS NULL OR length(area) IN (6, 9, 12));
            ALTER TABLE api_tokens ADD COLUMN parent_id INTEGER REFERENCES api_tokens(id);
            ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
            """),
        // Open311 clients' api_keys.
        Migration(module: "auth", number: 3, build: Migration.loosenCheck(
            "api_tokens", from: "'worker','viewer')", to: "'worker','viewer','open311')")),
        // Committees' and departments' desks: a token of the `unit` role names its unit.
        Migration(module: "auth", number: 4, build: Migration.loosenCheck(
            "api_tokens", from: "'viewer','open311')", to: "'viewer','open311','unit')")),
        Migration(module: "auth", number: 5, sql: "ALTER TABLE api_tokens ADD COLUMN unit TEXT;"),
    ]

    init(database: Database) { self.database = database }

    private static func now() -> String { stamp(Date()) }
    private static func stamp(_ d: Date) -> String {
        ISO8601DateFormatter.string(from: d, timeZone: .gmt, formatOptions: [.withInternetDateTime])
    }

    func insert(name: String, role: Role, workerID: Int64?, area: Area?, unit: String?, digest: String) throws -> Int64 {
        try database.prepare("INSERT INTO api_tokens(name, role, worker_id, area, unit, digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run([.text(name), .text(role.rawValue), workerID.map { .integer($0) } ?? .null, area.map { .text($0.code) } ?? .null,
                  unit.map { .text($0) } ?? .null, .text(digest), .text(Self.now())])
        return database.lastInsertRowID
    }

    func insertSession(of parent: Int64, digest: String, expires: Date) throws -> Int64 {
        try database.prepare("""
            INSERT INTO api_tokens(name, role, worker_id, area, unit, digest, created_at, parent_id, expires_at)
            SELECT name, role, worker_id, area, unit, ?, ?, id, ? FROM api_tokens WHERE id = ? AND revoked_at IS NULL
            """).run([.text(digest), .text(Self.now()), .text(Self.stamp(expires)), .integer(parent)])
        guard database.changes > 0 else { throw StoreError.notFound("no live token \(parent)") }
        return database.lastInsertRowID
    }

    func identity(digest: String) throws -> Identity? {
        // A session lives while its token does and until it expires.
        guard let r = try database.prepare("""
            SELECT coalesce(s.parent_id, s.id), s.name, s.role, s.worker_id, s.area, s.parent_id IS NOT NULL, s.unit FROM api_tokens s
            WHERE s.digest = ? AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)
              AND (s.parent_id IS NULL OR EXISTS (SELECT 1 FROM api_tokens p WHERE p.id = s.parent_id AND p.revoked_at IS NULL))
            """).rows([.text(digest), .text(Self.now())]).first, let role = Role(rawValue: r[2].text ?? "") else { return nil }
        return Identity(tokenID: r[0].int ?? 0, name: r[1].text ?? "", role: role, workerID: r[3].int, area: r[4].text.flatMap(Area.init(code:)), unit: r[6].text, session: r[5].int == 1)
    }

    func revokeSession(digest: String) throws -> Bool {
        try database.prepare("UPDATE api_tokens SET revoked_at = ? WHERE digest = ? AND parent_id IS NOT NULL AND revoked_at IS NULL")
            .run([.text(Self.now()), .text(digest)])
        return database.changes > 0
    }

    func revoke(id: Int64) throws -> Bool {
        try database.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND parent_id IS NULL AND revoked_at IS NULL").run([.text(Self.now()), .integer(id)])
        return database.changes > 0
    }

    func list() throws -> [TokenRecord] {
        try database.prepare("SELECT id, name, role, worker_id, created_at, revoked_at, area, unit FROM api_tokens WHERE parent_id IS NULL ORDER BY id").rows().map {
            TokenRecord(id: $0[0].int ?? 0, name: $0[1].text ?? "", role: Role(rawValue: $0[2].text ?? "") ?? .viewer,
                        workerID: $0[3].int, area: $0[6].text.flatMap(Area.init(code:)), unit: $0[7].text, createdAt: $0[4].text ?? "", revokedAt: $0[5].text)
        }
    }
}
