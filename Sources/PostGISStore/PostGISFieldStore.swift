import Cases
import Foundation
import Geo

/// Workers' track fixes in PostgreSQL: one row per worker and time, WGS84 lon/lat; a batch is one
/// statement over arrays (a day of a county's workers is millions of fixes).
final class PostGISFieldStore: FieldStore {
    let db: PGConnection
    init(db: PGConnection) { self.db = db }

    static func fix(_ r: PGRow) -> TrackFix {
        TrackFix(at: Date(timeIntervalSince1970: r.double(0) ?? 0), position: Position(r.double(1) ?? 0, r.double(2) ?? 0))
    }

    func lastFix(worker: Int64, before time: Date) throws -> TrackFix? {
        try db.query("""
            SELECT extract(epoch FROM at)::float8, lon, lat FROM track_fixes WHERE worker_id = $1 AND at < to_timestamp($2) ORDER BY at DESC LIMIT 1
            """, [PGValue(worker), PGValue(time.timeIntervalSince1970)]).first.map(Self.fix)
    }

    func insert(worker: Int64, fixes: [TrackFix]) throws -> Int {
        try db.transaction {
            var added = 0
            for start in stride(from: 0, to: fixes.count, by: 20_000) {
                let chunk = fixes[start..<min(start + 20_000, fixes.count)]
                added += Int(try db.scalar("""
                    WITH added AS (
                      INSERT INTO track_fixes(worker_id, at, lon, lat)
                      SELECT $1, to_timestamp(t), x, y FROM unnest($2::float8[], $3::float8[], $4::float8[]) AS u(t, x, y)
                      ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT count(*) FROM added
                    """, [PGValue(worker), PGArray.doubles(chunk.map { $0.at.timeIntervalSince1970 }),
                          PGArray.doubles(chunk.map(\.position.lon)), PGArray.doubles(chunk.map(\.position.lat))]) ?? "0") ?? 0
            }
            return added
        }
    }

    func fixes(worker: Int64, from: Date, to: Date) throws -> [TrackFix] {
        try db.query("""
            SELECT extract(epoch FROM at)::float8, lon, lat FROM track_fixes
            WHERE worker_id = $1 AND at >= to_timestamp($2) AND at < to_timestamp($3) ORDER BY at
            """, [PGValue(worker), PGValue(from.timeIntervalSince1970), PGValue(to.timeIntervalSince1970)]).map(Self.fix)
    }

    func prune(before time: Date) throws -> Int {
        Int(try db.scalar("WITH gone AS (DELETE FROM track_fixes WHERE at < to_timestamp($1) RETURNING 1) SELECT count(*) FROM gone",
                          [PGValue(time.timeIntervalSince1970)]) ?? "0") ?? 0
    }
}
