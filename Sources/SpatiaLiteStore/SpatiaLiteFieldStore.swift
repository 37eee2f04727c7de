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
        // What each worker's day of track showed (passes as "start-end" epoch seconds, covered
        // households as "id:households", comma-separated), visits, key households, patrol reports
        // and last positions (`mark`: the change feed's position in them).
        Migration(module: "field", number: 2, sql: """
            CREATE TABLE patrol_days(
              worker_id INTEGER NOT NULL,
              day TEXT NOT NULL,
              grid_code TEXT NOT NULL,
              passes TEXT NOT NULL,
              covered TEXT NOT NULL,
              PRIMARY KEY(worker_id, day, grid_code)) WITHOUT ROWID;
            CREATE INDEX patrol_days_day ON patrol_days(day);
            CREATE TABLE household_visits(
              worker_id INTEGER NOT NULL,
              household_id INTEGER NOT NULL,
              day TEXT NOT NULL,
              at REAL NOT NULL,
              PRIMARY KEY(worker_id, day, household_id)) WITHOUT ROWID;
            CREATE INDEX household_visits_day ON household_visits(day);
            CREATE TABLE key_households(
              household_id INTEGER PRIMARY KEY,
              kind TEXT NOT NULL CHECK(kind IN ('key_family','special_group')));
            CREATE TABLE patrol_reports(
              case_id INTEGER PRIMARY KEY,
              worker_id INTEGER NOT NULL,
              at REAL NOT NULL);
            CREATE INDEX patrol_reports_at ON patrol_reports(at);
            CREATE TABLE worker_positions(
              worker_id INTEGER PRIMARY KEY,
              at REAL NOT NULL,
              lon REAL NOT NULL CHECK(lon BETWEEN -180 AND 180),
              lat REAL NOT NULL CHECK(lat BETWEEN -90 AND 90),
              accuracy_m REAL,
              mark INTEGER NOT NULL);
            CREATE INDEX worker_positions_mark ON worker_positions(mark);
            """),
        // The time index cost more than the rest of a track upload (each worker's day is inserted
        // in time order, the index's pages all over): pruning goes worker by worker on the key.
        Migration(module: "field", number: 3, sql: """
            DROP INDEX IF EXISTS track_fixes_at;
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
            let t = SQLValue.real(time.timeIntervalSince1970), day = SQLValue.text(ChinaTime.dayText(time))
            let delete = try database.prepare("DELETE FROM track_fixes WHERE worker_id = ? AND at < ?")
            var gone = 0
            for w in try database.prepare("SELECT id FROM workers").rows() {
                try delete.run([w[0], t])
                gone += database.changes
            }
            try database.prepare("DELETE FROM worker_positions WHERE at < ?").run([t])
            try database.prepare("DELETE FROM patrol_days WHERE day < ?").run([day])
            try database.prepare("DELETE FROM household_visits WHERE day < ?").run([day])
            return gone
        }
    }

    func replacePatrol(_ p: WorkerPatrol) throws {
        try database.transaction {
            try database.prepare("DELETE FROM patrol_days WHERE worker_id = ? AND day = ?").run([.integer(p.worker), .text(p.day)])
            try database.prepare("DELETE FROM household_visits WHERE worker_id = ? AND day = ?").run([.integer(p.worker), .text(p.day)])
            let g = try database.prepare("INSERT INTO patrol_days(worker_id, day, grid_code, passes, covered) VALUES (?, ?, ?, ?, ?)")
            for grid in p.grids {
                try g.run([.integer(p.worker), .text(p.day), .text(grid.gridCode), .text(PatrolText.passes(grid.passes)), .text(PatrolText.covered(grid.covered))])
            }
            let v = try database.prepare("INSERT INTO household_visits(worker_id, household_id, day, at) VALUES (?, ?, ?, ?)")
            for visit in p.visits { try v.run([.integer(p.worker), .integer(visit.householdID), .text(p.day), .real(visit.at.timeIntervalSince1970)]) }
        }
    }

    func patrol(day: String) throws -> [(worker: Int64, grid: GridPatrol)] {
        try database.prepare("SELECT worker_id, grid_code, passes, covered FROM patrol_days WHERE day = ? ORDER BY worker_id, grid_code")
            .rows([.text(day)]).map { r in
                (r[0].int ?? 0, GridPatrol(gridCode: r[1].text ?? "", passes: PatrolText.passes(r[2].text ?? ""), covered: PatrolText.covered(r[3].text ?? "")))
            }
    }

    func visits(first: String, last: String) throws -> [HouseholdVisit] {
        try database.prepare("SELECT worker_id, household_id, day, at FROM household_visits WHERE day BETWEEN ? AND ? ORDER BY at")
            .rows([.text(first), .text(last)]).map { r in
                HouseholdVisit(workerID: r[0].int ?? 0, householdID: r[1].int ?? 0, day: r[2].text ?? "", at: Date(timeIntervalSince1970: r[3].double ?? 0))
            }
    }

    func keyHouseholds() throws -> [WatchedHousehold] {
        try database.prepare("""
            SELECT k.household_id, k.kind, h.grid_id FROM key_households k LEFT JOIN households h ON h.id = k.household_id
            ORDER BY k.household_id
            """).rows().compactMap { r in
            KeyHousehold(rawValue: r[1].text ?? "").map { WatchedHousehold(householdID: r[0].int ?? 0, kind: $0, gridCode: r[2].text) }
        }
    }

    func save(keyHouseholds: [Int64: KeyHousehold]) throws {
        try database.transaction {
            try database.prepare("DELETE FROM key_households").run()
            let s = try database.prepare("INSERT INTO key_households(household_id, kind) VALUES (?, ?)")
            for (id, kind) in keyHouseholds.sorted(by: { $0.key < $1.key }) { try s.run([.integer(id), .text(kind.rawValue)]) }
        }
    }

    func recordReport(caseID: Int64, worker: Int64, at: Date) throws {
        try database.prepare("INSERT OR REPLACE INTO patrol_reports(case_id, worker_id, at) VALUES (?, ?, ?)")
            .run([.integer(caseID), .integer(worker), .real(at.timeIntervalSince1970)])
    }

    func reports(from: Date, to: Date) throws -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for r in try database.prepare("SELECT worker_id, count(*) FROM patrol_reports WHERE at >= ? AND at < ? GROUP BY worker_id")
            .rows([.real(from.timeIntervalSince1970), .real(to.timeIntervalSince1970)]) { out[r[0].int ?? 0] = Int(r[1].int ?? 0) }
        return out
    }

    func save(positions: [WorkerPosition]) throws {
        try database.transaction {
            var mark = try database.scalar("SELECT coalesce(max(mark), 0) FROM worker_positions").int ?? 0
            let s = try database.prepare("""
                INSERT INTO worker_positions(worker_id, at, lon, lat, accuracy_m, mark) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(worker_id) DO UPDATE SET at = excluded.at, lon = excluded.lon, lat = excluded.lat,
                  accuracy_m = excluded.accuracy_m, mark = excluded.mark WHERE excluded.at > worker_positions.at
                """)
            for p in positions {
                mark += 1
                try s.run([.integer(p.workerID), .real(p.at.timeIntervalSince1970), .real(p.position.lon), .real(p.position.lat),
                           p.accuracyM.map(SQLValue.real) ?? .null, .integer(mark)])
            }
        }
    }

    static func position(_ r: [SQLValue]) -> WorkerPosition {
        WorkerPosition(workerID: r[0].int ?? 0, at: Date(timeIntervalSince1970: r[1].double ?? 0), position: Position(r[2].double ?? 0, r[3].double ?? 0), accuracyM: r[4].double)
    }

    func positions() throws -> [WorkerPosition] {
        try database.prepare("SELECT worker_id, at, lon, lat, accuracy_m FROM worker_positions ORDER BY worker_id").rows().map(Self.position)
    }

    func positions(after mark: Int64) throws -> [(mark: Int64, position: WorkerPosition)] {
        try database.prepare("SELECT worker_id, at, lon, lat, accuracy_m, mark FROM worker_positions WHERE mark > ? ORDER BY mark")
            .rows([.integer(mark)]).map { ($0[5].int ?? 0, Self.position($0)) }
    }
}
