import Grid

/// A numbered schema change. Each module keeps its own numbered list (`grid` 1, 2, …), recorded in
/// `schema_migrations` so a database is brought up to date exactly once per step.
public struct Migration: Sendable {
    public let module: String
    public let number: Int
    public let sql: String
    /// Makes the step's SQL from the database as it is (a step that must name its schema version).
    let build: (@Sendable (Database) throws(StoreError) -> String)?
    public init(module: String, number: Int, sql: String) {
        self.module = module
        self.number = number
        self.sql = sql
        build = nil
    }
    init(module: String, number: Int, build: @escaping @Sendable (Database) throws(StoreError) -> String) {
        self.module = module
        self.number = number
        sql = ""
        self.build = build
    }
}

extension Migration {
    /// Replaces SpatiaLite's "stamp the layer's update time after any UPDATE" trigger of `table` by
    /// one that stamps when the geometry changes, which is what the stamp means (updates of other
    /// columns, such as a grid id on publish or a case's status, were most of the cost).
    public static func stampOnGeometryUpdate(_ table: String) -> String {
        """
        DROP TRIGGER IF EXISTS "tmu_\(table)_geom";
        CREATE TRIGGER "tmu_\(table)_geom" AFTER UPDATE OF "geom" ON "\(table)"
        FOR EACH ROW BEGIN
        UPDATE geometry_columns_time SET last_update = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE f_table_name = '\(table)' AND f_geometry_column = 'geom';
        END;
        """
    }

    /// Loosens a CHECK of `table` in place (SQLite cannot alter a constraint): its text in the
    /// schema replaced, as SQLite's documentation allows for a constraint that refuses less, and
    /// the schema version bumped so every connection reads the new text.
    static func loosenCheck(_ table: String, from old: String, to new: String) -> @Sendable (Database) throws(StoreError) -> String {
        { db throws(StoreError) in
            let version = try db.scalar("PRAGMA schema_version").int ?? 0
            let quote = { (s: String) in "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
            return """
                PRAGMA writable_schema = ON;
                UPDATE sqlite_master SET sql = replace(sql, \(quote(old)), \(quote(new))) WHERE type = 'table' AND name = '\(table)';
                PRAGMA schema_version = \(version + 1);
                PRAGMA writable_schema = OFF;
                """
        }
    }

    /// A `county` column on `table` kept as PostGIS keeps it: the first six digits of the row's
    /// grid, else the county boundary that covers it (a prefecture's database holds several counties).
    public static func countyColumn(_ table: String) -> String {
        func county(_ row: String) -> String {
            """
            coalesce(substr(\(row)grid_id, 1, 6), (SELECT b.code FROM boundaries b
              WHERE b.level = 'county' AND ST_Covers(b.geom, \(row)geom) ORDER BY b.code LIMIT 1))
            """
        }
        return """
            ALTER TABLE \(table) ADD COLUMN county TEXT;
            UPDATE \(table) SET county = \(county("\(table)."));
            CREATE INDEX \(table)_county ON \(table)(county);
            CREATE TRIGGER \(table)_county_insert AFTER INSERT ON \(table) FOR EACH ROW
            BEGIN UPDATE \(table) SET county = \(county("NEW.")) WHERE id = NEW.id; END;
            CREATE TRIGGER \(table)_county_update AFTER UPDATE OF grid_id, geom ON \(table) FOR EACH ROW
            WHEN NEW.county IS NOT \(county("NEW."))
            BEGIN UPDATE \(table) SET county = \(county("NEW.")) WHERE id = NEW.id; END;
            """
    }

    /// SpatiaLite's geometry-constraint and time-stamp triggers of `table`, doing the same but
    /// finding the layer's metadata row by its key: SpatiaLite's own compare `Lower(…)` of every
    /// row, a scan per inserted row. (SpatiaLite keeps those names lower case, so `=` is the same test.)
    public static func keyedGeometryTriggers(_ table: String) -> String {
        let metadata = "f_table_name = '\(table)' AND f_geometry_column = 'geom'"
        let check = """
            FOR EACH ROW BEGIN
            SELECT RAISE(ROLLBACK, '\(table).geom violates Geometry constraint [geom-type or SRID not allowed]')
            WHERE (SELECT geometry_type FROM geometry_columns
            WHERE \(metadata) AND GeometryConstraints(NEW."geom", geometry_type, srid) = 1) IS NULL;
            END;
            """
        func stamp(_ when: String, _ column: String) -> String {
            """
            DROP TRIGGER IF EXISTS "tm\(when.prefix(1).lowercased())_\(table)_geom";
            CREATE TRIGGER "tm\(when.prefix(1).lowercased())_\(table)_geom" AFTER \(when) ON "\(table)"
            FOR EACH ROW BEGIN
            UPDATE geometry_columns_time SET \(column) = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE \(metadata);
            END;
            """
        }
        return """
            DROP TRIGGER IF EXISTS "ggi_\(table)_geom";
            CREATE TRIGGER "ggi_\(table)_geom" BEFORE INSERT ON "\(table)"
            \(check)
            DROP TRIGGER IF EXISTS "ggu_\(table)_geom";
            CREATE TRIGGER "ggu_\(table)_geom" BEFORE UPDATE OF "geom" ON "\(table)"
            \(check)
            \(stamp("INSERT", "last_insert"))
            \(stamp("DELETE", "last_delete"))
            """ + stampOnGeometryUpdate(table)
    }
}

extension Database {
    /// Prepares a file for Wangge: SpatiaLite metadata (WGS84 SRIDs only: the full table takes 12 s
    /// to fill), then each pending migration in its own transaction.
    public func migrate(_ migrations: [Migration]) throws(StoreError) {
        // Up to date already (every open of a working database): one query, nothing else.
        if try isInitialised() {
            var applied = 0
            let has = try prepare("SELECT count(*) FROM schema_migrations WHERE module = ? AND number = ?")
            for m in migrations {
                try has.bind([.text(m.module), .integer(Int64(m.number))])
                if try has.step(), has.value(0).int == 1 { applied += 1 }
                has.reset()
            }
            if applied == migrations.count { return }
        }
        if try scalar("SELECT CheckSpatialMetaData()").int == 0 {
            // Must run outside a transaction: with argument 1 it opens its own.
            guard try scalar("SELECT InitSpatialMetaData(1, 'WGS84')").int == 1 else {
                throw StoreError(.internal, "cannot initialise SpatiaLite metadata in \(path)")
            }
        }
        try execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations(
              module TEXT NOT NULL, number INTEGER NOT NULL, applied_at TEXT NOT NULL,
              PRIMARY KEY(module, number))
            """)
        let applied = try prepare("SELECT 1 FROM schema_migrations WHERE module = ? AND number = ?")
        // In the list's order: a later module's steps may use an earlier one's tables.
        for m in migrations {
            try applied.bind([.text(m.module), .integer(Int64(m.number))])
            let done = try applied.step()
            applied.reset()
            if done { continue }
            do {
                try transaction {
                    try execute(try m.build?(self) ?? m.sql)
                    try prepare("INSERT INTO schema_migrations VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
                        .run([.text(m.module), .integer(Int64(m.number))])
                }
            } catch let e as StoreError {
                throw StoreError(e.kind, "migration \(m.module) \(m.number) failed: \(e.reason)", detail: e.detail)
            } catch {
                throw StoreError(.internal, "migration \(m.module) \(m.number) failed", detail: "\(error)")
            }
        }
    }

    /// Whether `migrate` has been run on this file.
    public func isInitialised() throws(StoreError) -> Bool {
        try scalar("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'").int == 1
    }
}
