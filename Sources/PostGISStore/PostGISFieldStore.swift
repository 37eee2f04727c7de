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
        try db.transaction {
            let t = [PGValue(time.timeIntervalSince1970)], day = [PGValue(ChinaTime.dayText(time))]
            // On the key, worker by worker (there is no index on the time alone).
            let gone = Int(try db.scalar("""
                WITH gone AS (DELETE FROM track_fixes f USING workers w WHERE f.worker_id = w.id AND f.at < to_timestamp($1) RETURNING 1)
                SELECT count(*) FROM gone
                """, t) ?? "0") ?? 0
            _ = try db.query("DELETE FROM worker_positions WHERE at < to_timestamp($1)", t)
            _ = try db.query("DELETE FROM patrol_days WHERE day < $1::date", day)
            _ = try db.query("DELETE FROM household_visits WHERE day < $1::date", day)
            return gone
        }
    }

    func replacePatrol(_ p: WorkerPatrol) throws {
        try db.transaction {
            let key = [PGValue(p.worker), PGValue(p.day)]
            _ = try db.query("DELETE FROM patrol_days WHERE worker_id = $1 AND day = $2::date", key)
            _ = try db.query("DELETE FROM household_visits WHERE worker_id = $1 AND day = $2::date", key)
            if !p.grids.isEmpty {
                _ = try db.query("""
                    INSERT INTO patrol_days(worker_id, day, grid_code, passes, covered)
                    SELECT $1, $2::date, g, ps, c FROM unnest($3::text[], $4::text[], $5::text[]) AS u(g, ps, c)
                    """, key + [PGArray.texts(p.grids.map(\.gridCode)), PGArray.texts(p.grids.map { PatrolText.passes($0.passes) }),
                                PGArray.texts(p.grids.map { PatrolText.covered($0.covered) })])
            }
            if !p.visits.isEmpty {
                _ = try db.query("""
                    INSERT INTO household_visits(worker_id, household_id, day, at)
                    SELECT $1, h, $2::date, to_timestamp(t) FROM unnest($3::bigint[], $4::float8[]) AS u(h, t)
                    """, key + [PGArray.ints(p.visits.map(\.householdID)), PGArray.doubles(p.visits.map { $0.at.timeIntervalSince1970 })])
            }
        }
    }

    func patrol(day: String) throws -> [(worker: Int64, grid: GridPatrol)] {
        try db.query("SELECT worker_id, grid_code, passes, covered FROM patrol_days WHERE day = $1::date ORDER BY worker_id, grid_code", [PGValue(day)]).map { r in
            (r.int(0) ?? 0, GridPatrol(gridCode: r.text(1), passes: PatrolText.passes(r.text(2)), covered: PatrolText.covered(r.text(3))))
        }
    }

    func visits(first: String, last: String) throws -> [HouseholdVisit] {
        try db.query("""
            SELECT worker_id, household_id, to_char(day, 'YYYY-MM-DD'), extract(epoch FROM at)::float8 FROM household_visits
            WHERE day BETWEEN $1::date AND $2::date ORDER BY at
            """, [PGValue(first), PGValue(last)]).map { r in
            HouseholdVisit(workerID: r.int(0) ?? 0, householdID: r.int(1) ?? 0, day: r.text(2), at: Date(timeIntervalSince1970: r.double(3) ?? 0))
        }
    }

    func keyHouseholds() throws -> [WatchedHousehold] {
        try db.query("""
            SELECT k.household_id, k.kind, h.grid_id FROM key_households k LEFT JOIN households h ON h.id = k.household_id
            ORDER BY k.household_id
            """).compactMap { r in
            KeyHousehold(rawValue: r.text(1)).map { WatchedHousehold(householdID: r.int(0) ?? 0, kind: $0, gridCode: r[2]) }
        }
    }

    func save(keyHouseholds: [Int64: KeyHousehold]) throws {
        try db.transaction {
            _ = try db.query("DELETE FROM key_households")
            let rows = keyHouseholds.sorted { $0.key < $1.key }
            guard !rows.isEmpty else { return }
            _ = try db.query("INSERT INTO key_households(household_id, kind) SELECT * FROM unnest($1::bigint[], $2::text[])",
                             [PGArray.ints(rows.map(\.key)), PGArray.texts(rows.map(\.value.rawValue))])
        }
    }

    func recordReport(caseID: Int64, worker: Int64, at: Date) throws {
        _ = try db.query("""
            INSERT INTO patrol_reports(case_id, worker_id, at) VALUES ($1, $2, to_timestamp($3))
            ON CONFLICT(case_id) DO UPDATE SET worker_id = excluded.worker_id, at = excluded.at
            """, [PGValue(caseID), PGValue(worker), PGValue(at.timeIntervalSince1970)])
    }

    func reports(from: Date, to: Date) throws -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for r in try db.query("SELECT worker_id, count(*) FROM patrol_reports WHERE at >= to_timestamp($1) AND at < to_timestamp($2) GROUP BY worker_id",
                              [PGValue(from.timeIntervalSince1970), PGValue(to.timeIntervalSince1970)]) { out[r.int(0) ?? 0] = Int(r.int(1) ?? 0) }
        return out
    }

    func save(positions: [WorkerPosition]) throws {
        guard !positions.isEmpty else { return }
        // Newest per worker first, so that one statement never touches a row twice.
        var newest: [Int64: WorkerPosition] = [:]
        for p in positions where (newest[p.workerID]?.at ?? .distantPast) < p.at { newest[p.workerID] = p }
        let ps = newest.values.sorted { $0.workerID < $1.workerID }
        _ = try db.query("""
            INSERT INTO worker_positions(worker_id, at, lon, lat, accuracy_m)
            SELECT w, to_timestamp(t), x, y, a FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::float8[], $5::float8[]) AS u(w, t, x, y, a)
            ON CONFLICT(worker_id) DO UPDATE SET at = excluded.at, lon = excluded.lon, lat = excluded.lat,
              accuracy_m = excluded.accuracy_m, mark = nextval('worker_position_marks') WHERE excluded.at > worker_positions.at
            """, [PGArray.ints(ps.map(\.workerID)), PGArray.doubles(ps.map { $0.at.timeIntervalSince1970 }),
                  PGArray.doubles(ps.map(\.position.lon)), PGArray.doubles(ps.map(\.position.lat)), PGArray.doubles(ps.map(\.accuracyM))])
    }

    static func position(_ r: PGRow) -> WorkerPosition {
        WorkerPosition(workerID: r.int(0) ?? 0, at: Date(timeIntervalSince1970: r.double(1) ?? 0), position: Position(r.double(2) ?? 0, r.double(3) ?? 0), accuracyM: r.double(4))
    }

    func positions() throws -> [WorkerPosition] {
        try db.query("SELECT worker_id, extract(epoch FROM at)::float8, lon, lat, accuracy_m FROM worker_positions ORDER BY worker_id").map(Self.position)
    }

    func positions(after mark: Int64) throws -> [(mark: Int64, position: WorkerPosition)] {
        try db.query("SELECT worker_id, extract(epoch FROM at)::float8, lon, lat, accuracy_m, mark FROM worker_positions WHERE mark > $1 ORDER BY mark",
                     [PGValue(mark)]).map { ($0.int(5) ?? 0, Self.position($0)) }
    }
}
