import Cases
import Foundation
import Geo

/// Workers' track fixes in the SpatiaLite file: one row per worker and time (seconds since 1970,
/// fractions kept), WGS84 lon/lat; a clustered key on (worker, time), no rowid.
final class SpatiaLiteFieldStore: FieldStore {
    let database: Database

    static let migrations: [Migration] = [
        Migration(module: "field", number: 1, sql: """
            CREATE TABLE track_fixes(
              worker_id INTEGER NOT NULL,
              at REAL NOT NULL,
              lon REAL NOT NULL CHECK(lon BETWEEN -180 AND 180),
              lat REAL NOT NULL CHECK(lat BETWEEN -90 AND 90),
              PRIMARY KEY(worker_id, at)) WITHOUT ROWID;
            CREATE INDEX track_fixes_at ON track_fixes(at);
            """),
    ]

    init(database: Database) { self.database = database }

    static func fix(_ r: [SQLValue]) -> TrackFix {
        TrackFix(at: Date(timeIntervalSince1970: r[0].double ?? 0), position: Position(r[1].double ?? 0, r[2].double ?? 0))
    }

    func lastFix(worker: Int64, before time: Date) throws -> TrackFix? {
        try database.prepare("SELECT at, lon, lat FROM track_fixes WHERE worker_id = ? AND at < ? ORDER BY at DESC LIMIT 1")
            .rows([.integer(worker), .real(time.timeIntervalSince1970)]).first.map(Self.fix)
    }

    func insert(worker: Int64, fixes: [TrackFix]) throws -> Int {
        try database.transaction {
            let s = try database.prepare("INSERT OR IGNORE INTO track_fixes(worker_id, at, lon, lat) VALUES (?, ?, ?, ?)")
            var added = 0
            for f in fixes {
                try s.run([.integer(worker), .real(f.at.timeIntervalSince1970), .real(f.position.lon), .real(f.position.lat)])
                added += database.changes
            }
            return added
        }
    }

    func fixes(worker: Int64, from: Date, to: Date) throws -> [TrackFix] {
        try database.prepare("SELECT at, lon, lat FROM track_fixes WHERE worker_id = ? AND at >= ? AND at < ? ORDER BY at")
            .rows([.integer(worker), .real(from.timeIntervalSince1970), .real(to.timeIntervalSince1970)]).map(Self.fix)
    }

    func prune(before time: Date) throws -> Int {
        try database.transaction {
            try database.prepare("DELETE FROM track_fixes WHERE at < ?").run([.real(time.timeIntervalSince1970)])
            return database.changes
        }
    }
}
