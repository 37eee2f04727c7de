import Cases
import Foundation
import Grid

/// Bearer tokens by their SHA-256 digest: the token itself is never stored.
final class PostGISTokenStore: TokenStore {
    let db: PGConnection
    init(db: PGConnection) { self.db = db }

    func insert(name: String, role: Role, workerID: Int64?, digest: String) throws -> Int64 {
        guard let id = try db.scalar("INSERT INTO api_tokens(name, role, worker_id, digest, created_at) VALUES ($1, $2, $3, $4, now()) RETURNING id",
                                     [.text(name), .text(role.rawValue), PGValue(workerID), .text(digest)]).flatMap({ Int64($0) }) else {
            throw StoreError(.internal, "no token id returned")
        }
        return id
    }

    func identity(digest: String) throws -> Identity? {
        guard let r = try db.query("SELECT id, name, role, worker_id FROM api_tokens WHERE digest = $1 AND revoked_at IS NULL", [.text(digest)]).first,
              let role = Role(rawValue: r.text(2)) else { return nil }
        return Identity(tokenID: r.int(0) ?? 0, name: r.text(1), role: role, workerID: r.int(3))
    }

    func revoke(id: Int64) throws -> Bool {
        try db.changed("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING 1", [PGValue(id)]) > 0
    }

    func list() throws -> [TokenRecord] {
        func utc(_ column: String) -> String { "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
        return try db.query("SELECT id, name, role, worker_id, \(utc("created_at")), \(utc("revoked_at")) FROM api_tokens ORDER BY id").map {
            TokenRecord(id: $0.int(0) ?? 0, name: $0.text(1), role: Role(rawValue: $0.text(2)) ?? .viewer, workerID: $0.int(3),
                        createdAt: $0.text(4), revokedAt: $0[5])
        }
    }
}
