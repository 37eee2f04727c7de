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
    ]

    init(database: Database) { self.database = database }

    private static func now() -> String {
        ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])
    }

    func insert(name: String, role: Role, workerID: Int64?, digest: String) throws -> Int64 {
        try database.prepare("INSERT INTO api_tokens(name, role, worker_id, digest, created_at) VALUES (?, ?, ?, ?, ?)")
            .run([.text(name), .text(role.rawValue), workerID.map { .integer($0) } ?? .null, .text(digest), .text(Self.now())])
        return database.lastInsertRowID
    }

    func identity(digest: String) throws -> Identity? {
        guard let r = try database.prepare("SELECT id, name, role, worker_id FROM api_tokens WHERE digest = ? AND revoked_at IS NULL")
            .rows([.text(digest)]).first, let role = Role(rawValue: r[2].text ?? "") else { return nil }
        return Identity(tokenID: r[0].int ?? 0, name: r[1].text ?? "", role: role, workerID: r[3].int)
    }

    func revoke(id: Int64) throws -> Bool {
        try database.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run([.text(Self.now()), .integer(id)])
        return database.changes > 0
    }

    func list() throws -> [TokenRecord] {
        try database.prepare("SELECT id, name, role, worker_id, created_at, revoked_at FROM api_tokens ORDER BY id").rows().map {
            TokenRecord(id: $0[0].int ?? 0, name: $0[1].text ?? "", role: Role(rawValue: $0[2].text ?? "") ?? .viewer,
                        workerID: $0[3].int, createdAt: $0[4].text ?? "", revokedAt: $0[5].text)
        }
    }
}
