import Cases
import Foundation
import Grid

/// Every schema step of a Wangge SpatiaLite file, in the order they apply (a module's steps may use
/// an earlier module's tables).
enum Schema {
    static let migrations: [Migration] = SpatiaLiteGridStore.migrations + SpatiaLiteCaseStore.migrations + SpatiaLiteFieldStore.migrations
        + SpatiaLiteTokenStore.migrations + feed

    /// What the change feed's follower reads besides the case events and layer versions: a counter
    /// per kind of change, bumped by triggers in the same transaction as the change, whoever
    /// writes it (this program, another process, a plain `sqlite3`).
    static let feed: [Migration] = [
        Migration(module: "feed", number: 1, sql: """
            CREATE TABLE change_marks(kind TEXT PRIMARY KEY, mark INTEGER NOT NULL);
            INSERT INTO change_marks VALUES ('plans', 0), ('tokens', 0);
            """ + [("plans", "plans"), ("plan_grids", "plans"), ("api_tokens", "tokens")].flatMap { table, kind in
                ["INSERT", "UPDATE", "DELETE"].map { op in
                    """
                    CREATE TRIGGER \(table)_\(op.lowercased())_mark AFTER \(op) ON \(table)
                    BEGIN UPDATE change_marks SET mark = mark + 1 WHERE kind = '\(kind)'; END;
                    """
                }
            }.joined(separator: "\n")),
        // Units changed (an import): every server reads them again (names, routing rules).
        Migration(module: "feed", number: 2, sql: "INSERT INTO change_marks VALUES ('units', 0);\n" + ["INSERT", "UPDATE", "DELETE"].map { op in
            """
            CREATE TRIGGER units_\(op.lowercased())_mark AFTER \(op) ON units
            BEGIN UPDATE change_marks SET mark = mark + 1 WHERE kind = 'units'; END;
            """
        }.joined(separator: "\n")),
        // Micro-grids changed (an import): every server reads its territory again, as for units.
        Migration(module: "feed", number: 3, sql: ["INSERT", "UPDATE", "DELETE"].map { op in
            """
            CREATE TRIGGER microgrids_\(op.lowercased())_mark AFTER \(op) ON microgrids
            BEGIN UPDATE change_marks SET mark = mark + 1 WHERE kind = 'units'; END;
            """
        }.joined(separator: "\n")),
    ]

    /// Where the feed stands in this file.
    static func position(_ db: Database) throws -> FeedPosition {
        let r = try db.prepare("""
            SELECT (SELECT coalesce(max(id), 0) FROM case_events), (SELECT coalesce(max(version), 0) FROM grid_versions),
                   (SELECT mark FROM change_marks WHERE kind = 'plans'), (SELECT mark FROM change_marks WHERE kind = 'tokens'),
                   (SELECT coalesce(max(mark), 0) FROM worker_positions), (SELECT mark FROM change_marks WHERE kind = 'units')
            """).rows()
        guard let row = r.first else { return FeedPosition() }
        return FeedPosition(caseEvent: row[0].int ?? 0, layerVersion: Int(row[1].int ?? 0), plans: row[2].int ?? 0, tokens: row[3].int ?? 0, positions: row[4].int ?? 0,
                            units: row[5].int ?? 0)
    }

    static let steps = migrations.map { "\($0.module) \($0.number)" }

    /// The steps applied to a file (none when it was never initialised).
    static func applied(_ db: Database) throws -> Set<String> {
        guard try db.isInitialised() else { return [] }
        return Set(try db.prepare("SELECT module || ' ' || number FROM schema_migrations").rows().compactMap { $0[0].text })
    }

    /// Refuses a file that a newer program has migrated: this one would not know what it holds.
    static func refuseNewer(_ applied: Set<String>, path: String) throws {
        let newer = applied.subtracting(steps).sorted()
        guard newer.isEmpty else {
            throw StoreError(.schema, "\(path) was written by a newer wangge (schema steps \(newer.joined(separator: ", ")) are unknown here): use that version")
        }
    }

    /// Refuses a file that is not at this program's schema, saying what to run.
    static func check(_ db: Database, path: String) throws {
        guard try db.isInitialised() else {
            throw StoreError(.schema, "\(path) is not a Wangge database: create one with `wangge init --db \(path)` (or `wangge demo --db \(path)`)")
        }
        let applied = try applied(db)
        try refuseNewer(applied, path: path)
        let missing = steps.filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw StoreError(.schema, "\(path) has an older schema (missing \(missing.joined(separator: ", "))): run `wangge migrate --db \(path)` first")
        }
    }
}
