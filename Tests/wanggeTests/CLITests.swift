import Foundation
import Geo
import Testing
import TestSupport
import SpatiaLiteStore
import Cases

func wangge(_ args: String..., stdin: String = "") throws -> (status: Int32, out: String, err: String) {
    try sh(wanggePath, args, stdin: stdin)
}

/// `ogrinfo -so` of one layer: its summary lines.
func ogrSummary(_ db: String, _ layer: String) throws -> String {
    let r = try sh("/usr/bin/ogrinfo", ["-ro", "-so", db, layer])
    #expect(r.status == 0, "ogrinfo failed: \(r.err)")
    return r.out
}

func featureCount(_ summary: String) -> Int? {
    summary.split(separator: "\n").first { $0.hasPrefix("Feature Count: ") }.flatMap { Int($0.dropFirst(15)) }
}

func extent(_ summary: String) -> [Double] {
    let line = summary.split(separator: "\n").first { $0.hasPrefix("Extent: ") } ?? ""
    return line.split(whereSeparator: { "(), -:".contains($0) }).compactMap { Double($0) }
}

@Suite(.serialized) struct CLITests {
    let grids = """
        {"type":"FeatureCollection","features":[
         {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.9,30.8],[107.0,30.8],[107.0,30.9],[106.9,30.9],[106.9,30.8]]]},"properties":{"grid_id":"511725001001001","name":"一网格","households":420}},
         {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[107.0,30.8],[107.1,30.8],[107.1,30.9],[107.0,30.9],[107.0,30.8]]]},"properties":{"grid_id":"511725001001002","name":"二网格","households":380}}
        ]}
        """

    @Test func initImportAssignAndOgrinfo() throws {
        let dir = TempDir()
        let db = dir.path("w.sqlite")
        var r = try wangge("init", "--db", db)
        #expect(r.status == 0, "\(r.err)")
        r = try wangge("import", "boundary", "--db", db, "--crs", "gcj02", "data/boundaries/511725.geojson")
        #expect(r.status == 0 && r.out.contains("imported 1 boundaries"), "\(r.err)")
        r = try wangge("import", "grids", "--db", db, dir.write("g.geojson", grids))
        #expect(r.status == 0 && r.out.contains("imported 2 grids"), "\(r.err)")

        let g = try ogrSummary(db, "grids")
        #expect(g.contains("Geometry: Polygon") && featureCount(g) == 2)
        // R*Tree extents are float32: compare to 1e-4°.
        let e = extent(g)
        #expect(e.count == 4 && zip(e, [106.9, 30.8, 107.1, 30.9]).allSatisfy { abs($0 - $1) < 1e-4 }, "\(e)")
        let b = try ogrSummary(db, "boundaries")
        #expect(b.contains("Geometry: Multi Polygon") && featureCount(b) == 1)

        // Assignment: input order kept, a point in no grid gets an empty grid_id, a point on the
        // shared edge x = 107.0 goes to one grid, the same on every run.
        let input = "id,lon,lat\nw,106.95,30.85\ne,107.05,30.85\nedge,107.0,30.85\nout,106.5,30.5\n"
        r = try wangge("assign", "--db", db, stdin: input)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "id,grid_id")
        #expect(lines[1] == "w,511725001001001" && lines[2] == "e,511725001001002" && lines[4] == "out,")
        #expect(lines[3] == "edge,511725001001001" || lines[3] == "edge,511725001001002")
        #expect(try wangge("assign", "--db", db, stdin: input).out == r.out)

        // GCJ-02 input: the same place given in Amap coordinates lands in the same grid.
        r = try wangge("assign", "--db", db, "--crs", "gcj02", stdin: "id,lon,lat\nw,106.9535,30.8475\n")
        #expect(r.out == "id,grid_id\nw,511725001001001\n", "\(r.err)")

        // Bad rows: reported with line numbers, left out, exit status 1.
        r = try wangge("assign", "--db", db, stdin: "id,lon,lat\nok,106.95,30.85\nbad,xx,30\n")
        #expect(r.status == 1)
        #expect(r.out == "id,grid_id\nok,511725001001001\n")
        #expect(r.err.contains("line 3: lon is not a number"))

        // A spreadsheet's export: BOM, CRLF, other columns, quotes, full precision; kept as it came.
        let sheet = "\u{FEFF}name,Longitude,Latitude\r\n\"张, 三\",106.95000000000000284,3.085e1\r\n"
        r = try wangge("assign", "--db", db, "--keep-columns", stdin: sheet)
        #expect(r.status == 0 && r.out == "name,Longitude,Latitude,grid_id\n\"张, 三\",106.95000000000000284,3.085e1,511725001001001\n", "\(r.out) \(r.err)")
        // No usable header: the whole input is refused, saying what was expected.
        r = try wangge("assign", "--db", db, stdin: "106.95,30.85\n")
        #expect(r.status != 0 && r.out.isEmpty && r.err.contains("line 1: the header must name the columns id, lon and lat"), "\(r.err)")
    }

    /// Cameras with view areas: a camera on the shared edge x = 107.0 looking east is routed to the
    /// east grid; bad views are refused naming the feature, and nothing is written.
    @Test func importCamerasWithTheirViews() throws {
        let dir = TempDir()
        let db = dir.path("c.sqlite")
        func sqlite(_ db: String, _ sql: String) throws -> String {
            try sh("/usr/bin/sqlite3", [db, sql]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try wangge("init", "--db", db)
        _ = try wangge("import", "grids", "--db", db, dir.write("g.geojson", grids))
        func camera(_ id: String, _ lon: Double, _ extra: String = "") -> String {
            #"{"type":"Feature","geometry":{"type":"Point","coordinates":[\#(lon),30.85]},"properties":{"camera_id":"\#(id)","kind":"tianwang","name":"\#(id)"\#(extra)}}"#
        }
        let bad = #"{"type":"FeatureCollection","features":["# + [
            camera("ok", 106.999, #","azimuth":90,"fov":60,"range_m":150"#),
            camera("a", 106.95, #","azimuth":360,"fov":60,"range_m":150"#),
            camera("f", 106.95, #","azimuth":0,"fov":0,"range_m":150"#),
            camera("r", 106.95, #","azimuth":0,"fov":60,"range_m":2500"#),
            camera("part", 106.95, #","azimuth":0"#),
            #"{"type":"Feature","geometry":{"type":"Point","coordinates":[106.95,30.85]},"properties":{"camera_id":"k","kind":"ufo"}}"#,
        ].joined(separator: ",") + "]}"
        var r = try wangge("import", "cameras", "--db", db, dir.write("bad.geojson", bad))
        #expect(r.status != 0)
        for line in ["features[1] (camera_id a): azimuth 360.0 is not in [0, 360) degrees",
                     "features[2] (camera_id f): fov 0.0 is not in (0, 360] degrees",
                     "features[3] (camera_id r): range_m 2500.0 is not in (0, 2000] metres",
                     "features[4] (camera_id part): a view needs azimuth, fov and range_m together; missing: fov, range_m",
                     "features[5] (camera_id k): kind is required, one of tianwang"] {
            #expect(r.err.contains(line), "\(r.err)")
        }
        #expect(try sqlite(db, "SELECT count(*) FROM cameras") == "0")
        let good = #"{"type":"FeatureCollection","features":["# + [
            camera("east", 106.999, #","azimuth":90,"fov":60,"range_m":150"#), camera("pole", 106.999)].joined(separator: ",") + "]}"
        r = try wangge("import", "cameras", "--db", db, dir.write("good.geojson", good))
        #expect(r.status == 0 && r.out.contains("imported 2 cameras") && r.out.contains("1 with a view area, 1 of them looking into another grid"), "\(r.out) \(r.err)")
        #expect(try sqlite(db, "SELECT id, grid_id, view_grid_id, azimuth, fov, range_m FROM cameras ORDER BY id") ==
                "east|511725001001001|511725001001002|90.0|60.0|150.0\npole|511725001001001|511725001001001|||")
        // An alert of the camera goes to the grid it looks at; a bearing turns it back west.
        r = try wangge("alerts", "add", "--db", db, "--camera", "east", "--type", "fight")
        #expect(r.out.contains("\"grid_id\":\"511725001001002\"") && r.out.contains("\"pole_grid_id\":\"511725001001001\""), "\(r.out) \(r.err)")
        r = try wangge("alerts", "add", "--db", db, "--camera", "east", "--type", "intrusion", "--bearing", "270")
        #expect(r.out.contains("\"grid_id\":\"511725001001001\""), "\(r.out) \(r.err)")
        r = try wangge("alerts", "add", "--db", db, "--camera", "pole", "--type", "intrusion", "--bearing", "90")
        #expect(r.status != 0 && r.err.contains("camera pole has no view parameters"), "\(r.err)")
    }

    @Test func badImportsExplainAndChangeNothing() throws {
        let dir = TempDir()
        let db = dir.path("w.sqlite")
        try wangge("init", "--db", db)
        try wangge("import", "grids", "--db", db, dir.write("g.geojson", grids))
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let cases: [(String, String)] = [
            ("", "the file is empty"),
            ("{\"type\":\"FeatureCollection\",", "malformed JSON at line 1"),
            (grids.replacingOccurrences(of: "[106.9,30.9],[106.9,30.8]]", with: "[106.9,30.9]]"), "features[0].geometry.coordinates[0]: ring not closed"),
            (grids.replacingOccurrences(of: "[107.1,30.9]", with: "[106.95,30.95],[107.1,30.9]").replacingOccurrences(of: "[107.0,30.9],[107.0,30.8]]", with: "[106.9,30.7],[107.0,30.8]]"), "features[1] (grid_id 511725001001002): invalid polygon"),
            (grids.replacingOccurrences(of: "511725001001002", with: "511725001001001"), "duplicate grid_id"),
            (grids.replacingOccurrences(of: "[106.9,30.8]", with: "[200,30.8]"), "longitude 200 out of range"),
        ]
        for (text, expected) in cases {
            let r = try wangge("import", "grids", "--db", db, "--replace", dir.write("bad.geojson", text))
            #expect(r.status != 0, "accepted: \(expected)")
            #expect(r.err.contains(expected), "expected \(expected), got \(r.err)")
        }
        // Adding the same file again overlaps the live layer.
        let again = try wangge("import", "grids", "--db", db, dir.write("g.geojson", grids))
        #expect(again.status != 0 && again.err.contains("grid_id already exists in the live layer"))
        // Wrong CRS: GCJ-02 declared for coordinates outside China.
        let paris = grids.replacingOccurrences(of: "106.9", with: "2.3").replacingOccurrences(of: "107.0", with: "2.4").replacingOccurrences(of: "107.1", with: "2.5").replacingOccurrences(of: "30.", with: "48.")
        let r = try wangge("import", "grids", "--db", db, "--crs", "gcj02", "--replace", dir.write("p.geojson", paris))
        #expect(r.status != 0 && r.err.contains("outside China, where GCJ-02 is not defined"), "\(r.err)")
        // Nothing changed: still the two grids, byte for byte the same main file.
        #expect(featureCount(try ogrSummary(db, "grids")) == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test func usingAFileThatIsNotAWanggeDatabaseSaysSo() throws {
        let dir = TempDir()
        let r = try wangge("import", "grids", "--db", dir.path("missing.sqlite"), dir.write("g.geojson", grids))
        #expect(r.status != 0 && r.err.contains("missing.sqlite does not exist: create it with `wangge init --db"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("missing.sqlite")))
        let bad = try wangge("import", "grids", "--db", dir.path("x.sqlite"), "--crs", "mars", dir.write("g.geojson", grids))
        #expect(bad.status != 0 && bad.err.contains("mars"))
    }

    /// Migrations run by `wangge init`/`migrate` only; a command or server on an old schema stops
    /// and names the command, one on a newer schema stops and writes nothing; a database locked by
    /// another writer past the busy timeout is a clear error.
    @Test func schemaIsCheckedAndMigrationIsExplicit() throws {
        let dir = TempDir()
        let db = dir.path("s.sqlite")
        #expect(try wangge("init", "--db", db).status == 0)
        // As a database from before the change feed: its step undone by hand.
        let old = try Database(path: db)
        try old.execute("""
            DROP TABLE change_marks; DELETE FROM schema_migrations WHERE module = 'feed';
            \(["plans", "plan_grids", "api_tokens", "units", "microgrids"].flatMap { t in ["insert", "update", "delete"].map { "DROP TRIGGER \(t)_\($0)_mark;" } }.joined())
            """)
        for args in [["serve", "--db", db, "--port", "0"], ["cases", "list", "--db", db], ["token", "list", "--db", db]] {
            let r = try sh(wanggePath, args)
            #expect(r.status != 0 && r.err.contains("has an older schema (missing feed 1, feed 2, feed 3): run `wangge migrate --db \(db)` first"), "\(args): \(r.err)")
        }
        let migrated = try wangge("migrate", "--db", db)
        #expect(migrated.status == 0 && migrated.out.contains("applied feed 1, feed 2, feed 3"), "\(migrated.err)")
        #expect(try wangge("migrate", "--db", db).out.contains("is up to date"))
        #expect(try wangge("cases", "list", "--db", db).status == 0)
        // A newer program's step: refused by every command, migrate included, and left as it was.
        try old.execute("INSERT INTO schema_migrations VALUES ('future', 1, 'later')")
        for args in [["cases", "list", "--db", db], ["migrate", "--db", db], ["serve", "--db", db, "--port", "0"]] {
            let r = try sh(wanggePath, args)
            #expect(r.status != 0 && r.err.contains("was written by a newer wangge (schema steps future 1 are unknown here)"), "\(args): \(r.err)")
        }
        #expect(try old.scalar("SELECT count(*) FROM schema_migrations WHERE module = 'future'").int == 1)
        try old.execute("DELETE FROM schema_migrations WHERE module = 'future'")
        // Another writer holds the file: the command waits its busy timeout, then says so; nothing written.
        try old.execute("BEGIN IMMEDIATE")
        let busy = try sh("/usr/bin/env", ["WANGGE_BUSY_TIMEOUT_MS=300", wanggePath, "token", "create", "--db", db, "--role", "viewer", "--name", "x"])
        #expect(busy.status != 0 && busy.err.contains("the database is busy (another writer holds it); try again shortly"), "\(busy.err)")
        try old.execute("ROLLBACK")
        #expect(try old.scalar("SELECT count(*) FROM api_tokens").int == 0)
        // On a read-only file system (root writes through file modes, not through a read-only mount):
        // every command and the server say so, with the path, and write nothing.
        let ro = dir.path("ro")
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
        if try sh("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", ro]).status == 0 {
            defer { _ = try? sh("/bin/umount", [ro]) }
            #expect(try sh("/bin/cp", [db, ro + "/s.sqlite"]).status == 0)
            #expect(try sh("/bin/mount", ["-o", "remount,ro", ro]).status == 0)
            for args in [["token", "create", "--db", ro + "/s.sqlite", "--role", "viewer", "--name", "x"], ["serve", "--db", ro + "/s.sqlite", "--port", "0"]] {
                let r = try sh(wanggePath, args)
                #expect(r.status != 0 && r.err.contains("\(ro)/s.sqlite is read-only (the file, its folder or the file system)"), "\(args): \(r.err)")
            }
        }
        // A PostGIS URL is a database server, not taken for a file: one that is not there is named.
        let pg = try wangge("cases", "list", "--db", "postgresql://wangge@127.0.0.1:1/wangge")
        #expect(pg.status != 0 && pg.err.contains("cannot connect to postgresql://wangge@127.0.0.1:1/wangge"), "\(pg.err)")
    }

    /// The analysts' commands as a user runs them: history in, hot spots and the monthly report out.
    @Test func historyHotSpotsAndTheMonthlyReport() throws {
        let dir = TempDir()
        let db = dir.path("demo.sqlite")
        var r = try wangge("demo", "--db", db, "--scale", "0.2", "--seed", "5", "--no-tracks")
        #expect(r.status == 0, "\(r.err)")
        let file = dir.write("history.geojson", """
            {"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[106.97,30.84]},"properties":{"external_id":"SX-1","category":"land","channel":"petition","reported_at":"2024-05-01T09:00:00+08:00","status":"closed","closed_at":"2024-05-09T09:00:00+08:00"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[106.98,30.85]},"properties":{"external_id":"SX-2","category":"debt","channel":"window","reported_at":"2024-05-02T09:00:00+08:00"}}]}
            """)
        r = try wangge("cases", "import", "--db", db, file)
        #expect(r.status == 0 && r.out == "imported 2 cases from \(file)\n", "\(r.out) \(r.err)")
        r = try wangge("cases", "import", "--db", db, file)
        #expect(r.status == 0 && r.out.contains("imported 0 cases") && r.out.contains("2 imported before, skipped"), "\(r.out)")
        let bad = dir.write("bad.geojson", #"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.97,30.84]},"properties":{"category":"land","channel":"fax","reported_at":"2024-05-01T09:00:00+08:00"}}]}"#)
        r = try wangge("cases", "import", "--db", db, bad)
        #expect(r.status != 0 && r.err.contains(bad) && r.err.contains("features[0]") && r.err.contains("channel 'fax'"), "\(r.err)")

        let out = dir.path("hs.geojson")
        r = try wangge("hotspots", "--db", db, "--from", "2025-12-01", "--to", "2026-12-01", "--bin", "month", "--out", out)
        #expect(r.status == 0 && r.out.contains("grids × 12 bins"), "\(r.out) \(r.err)")
        let doc = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))).objectValue
        #expect(doc?["bins"]?.arrayValue?.count == 12 && (doc?["features"]?.arrayValue?.count ?? 0) > 0)
        // GDAL reads it as a polygon layer.
        let info = try sh("/usr/bin/ogrinfo", ["-ro", "-so", "-al", out])
        #expect(info.out.contains("Polygon") && info.out.contains("pattern"), "\(info.out)")
        r = try wangge("hotspots", "--db", db, "--from", "2020-01-01", "--to", "2026-12-01", "--bin", "day")
        #expect(r.status != 0 && r.err.contains("more than 400 bins"))

        let month = String(ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(secondsFromGMT: 8 * 3600)!, formatOptions: [.withFullDate]).prefix(7))
        let pdf = dir.path("report.pdf")
        r = try wangge("report", "--db", db, "--month", month, "--out", pdf)
        #expect(r.status == 0 && r.out.contains("渠县"), "\(r.out) \(r.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pdf)).starts(with: Array("%PDF-".utf8)))
        r = try wangge("report", "--db", db, "--month", "2026-13", "--out", pdf)
        #expect(r.status != 0 && r.err.contains("is not a month"))
        r = try wangge("report", "--db", db, "--month", "2099-01", "--out", dir.path("r.html"))
        #expect(r.status != 0 && r.err.contains("has not begun"))
    }

    @Test func demoAndThePlannersCommands() throws {
        let dir = TempDir()
        let db = dir.path("demo.sqlite")
        var r = try wangge("demo", "--db", db, "--scale", "0.2", "--seed", "3", "--no-tracks")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("渠县 (511725)") && r.out.contains("8767 cameras"), "\(r.out)")
        // Every layer visible to GDAL.
        let layers = try sh("/usr/bin/ogrinfo", ["-ro", "-q", db])
        for name in ["boundaries", "grids", "grid_history", "plan_grids", "households", "cameras"] {
            #expect(layers.out.contains(name), "ogrinfo lacks \(name): \(layers.out)")
        }
        let b = try ogrSummary(db, "boundaries")
        #expect((featureCount(b) ?? 0) > 8)   // the county, 7 towns at this scale, their villages
        // A second demo into the same file is refused, and the file keeps its county.
        r = try wangge("demo", "--db", db, "--scale", "0.2", "--no-tracks")
        #expect(r.status != 0 && r.err.contains("already holds a county"))
        // Counties out of range are refused before anything is written.
        for n in ["0", "100"] {
            let other = dir.path("counties-\(n).sqlite")
            r = try wangge("demo", "--db", other, "--counties", n, "--no-tracks")
            #expect(r.status != 0 && r.err.contains("--counties is 1 to 99"), "\(r.err)")
            #expect(!FileManager.default.fileExists(atPath: other))
        }

        r = try wangge("grids", "validate", "--db", db)
        #expect(r.status == 0 && r.out.contains("no problems"), "\(r.out)")
        // Export: RFC 7946 GeoJSON with grid_id = the grid code, readable by GDAL.
        r = try wangge("grids", "export", "--db", db)
        #expect(r.status == 0)
        let exported = dir.write("live.geojson", r.out)
        let info = try sh("/usr/bin/ogrinfo", ["-ro", "-so", "-al", exported])
        #expect(info.out.contains("grid_id: String") && info.out.contains("households: Integer"), "\(info.out)")
        guard case .featureCollection(let fc)? = try? GeoJSONReader().read(r.out) else { Issue.record("export is not GeoJSON"); return }
        let first = fc.features[0]
        let code = first[property: "grid_id"]?.stringValue ?? ""
        #expect(code.count == 15 && first.id == .string(code))

        // Plan, split, validation problems, refused publish, history.
        r = try wangge("grids", "plan", "--db", db, "--name", "test")
        #expect(r.status == 0 && r.out.hasPrefix("plan 1 "), "\(r.out)")
        guard case .polygon(let p)? = first.geometry else { Issue.record("no polygon"); return }
        let box = Geometry.polygon(p).boundingBox!
        let y = (box.minLat + box.maxLat) / 2
        let line = "{\"type\":\"LineString\",\"coordinates\":[[\(box.minLon - 0.01),\(y)],[\(box.maxLon + 0.01),\(y)]]}"
        r = try wangge("grids", "split", "--db", db, "--plan", "1", "--line", line, code)
        #expect(r.status == 0 && r.out.hasPrefix("split \(code) into"), "\(r.err)")
        r = try wangge("grids", "split", "--db", db, "--plan", "1", "--line", "{\"type\":\"LineString\",\"coordinates\":[[100,20],[100.1,20.1]]}", code)
        #expect(r.status == 1 && r.err.contains("does not cross grid \(code)"), "\(r.err)")
        r = try wangge("grids", "validate", "--db", db, "--plan", "1", "--geojson")
        #expect(r.status == 1)
        guard case .featureCollection(let problems)? = try? GeoJSONReader().read(r.out) else { Issue.record("problems are not GeoJSON"); return }
        #expect(problems.features.contains { $0[property: "problem"] == "outside_band" && $0.geometry != nil })
        r = try wangge("grids", "diff", "--db", db, "--plan", "1")
        #expect(r.status == 0 && r.out.contains("\"geometry_changed\":true"), "\(r.out)")
        r = try wangge("grids", "publish", "--db", db, "--plan", "1")
        #expect(r.status == 1 && r.err.contains("validation problems"), "\(r.err)")
        r = try wangge("grids", "history", "--db", db)
        #expect(r.out.split(separator: "\n").count == 1 && r.out.hasPrefix("version 1"))
        r = try wangge("grids", "duty", "--db", db, "--at", "2026-11-23T23:30:00+08:00", code)
        #expect(r.status == 0 && r.out.contains("\"role\":\"leader\""), "\(r.out) \(r.err)")
        r = try wangge("grids", "duty", "--db", db, "511725999999999")
        #expect(r.status != 0 && r.err.contains("no grid 511725999999999"))
    }

    @Test func acknowledgedCasesSurviveKill9AndTrackingShowsNoPersonalData() throws {
        let dir = TempDir()
        let db = dir.path("c.sqlite")
        var r = try wangge("demo", "--db", db, "--scale", "0.1", "--seed", "4")
        #expect(r.status == 0, "\(r.err)")
        // Intakes killed at random moments: every case a process acknowledged (printed after commit)
        // is in the database, and nothing is half-written.
        var acknowledged: [String] = []
        // Kill times spread from 0 to 750 ms: some processes die before or while writing, some after
        // acknowledging.
        for k in 0..<16 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: wanggePath)
            p.arguments = ["cases", "add", "--db", db, "--category", "neighbour", "--channel", "window", "--description", "kill \(k)",
                           "--lon", "106.95", "--lat", "30.95", "--party", "王五,13912345678,511725199001011234"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(k) * 50_000)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if let json = try? JSONParser.parse(text), let code = json.objectValue?["code"]?.stringValue { acknowledged.append(code) }
        }
        #expect(!acknowledged.isEmpty, "no intake finished before its kill: the test proves nothing")
        for code in acknowledged {
            r = try wangge("cases", "show", "--db", db, code)
            #expect(r.status == 0 && r.out.contains(code), "acknowledged \(code) lost: \(r.err)")
        }
        let check = try sh("/usr/bin/sqlite3", [db, "PRAGMA integrity_check; SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) < 2;"])
        #expect(check.out == "ok\n0\n", "\(check.out)")

        // The public view by code: status, timeline, unit; never the party's name, phone or ID.
        r = try wangge("cases", "add", "--db", db, "--category", "debt", "--channel", "qr", "--description", "unpaid wages",
                       "--lon", "106.95", "--lat", "30.95", "--party", "王五,13912345678,511725199001011234")
        let code = (try? JSONParser.parse(r.out))?.objectValue?["code"]?.stringValue ?? ""
        #expect(code.count == 14, "\(r.out) \(r.err)")
        r = try wangge("cases", "track", "--db", db, code.lowercased())
        #expect(r.status == 0 && r.out.contains("\"status\":\"assigned\"") && r.out.contains("\"timeline\""), "\(r.out)")
        for secret in ["王五", "13912345678", "511725199001011234", "unpaid wages"] { #expect(!r.out.contains(secret), "track leaks \(secret)") }
        // Those who handle the case see the parties.
        r = try wangge("cases", "show", "--db", db, code)
        #expect(r.out.contains("王五") && r.out.contains("13912345678"))
        r = try wangge("cases", "track", "--db", db, "AAAA-BBBB-CCCC")
        #expect(r.status != 0 && r.err.contains("no case with code"))
        r = try wangge("cases", "stats", "--db", db, "--by", "town")
        #expect(r.status == 0 && r.out.contains("success_rate"))
        r = try wangge("alerts", "add", "--db", db, "--camera", "no-such-camera", "--type", "fight")
        #expect(r.status != 0 && r.err.contains("unknown camera no-such-camera"))
    }

    /// The demo's day of field work, and `wangge patrol` as a town desk reads it.
    @Test func theDemoWalksItsGridsAndPatrolFiguresShowIt() throws {
        let dir = TempDir()
        let db = dir.path("field.sqlite")
        var r = try wangge("demo", "--db", db, "--scale", "0.1", "--seed", "4")
        #expect(r.status == 0 && r.out.contains("track fixes of yesterday and today"), "\(r.out) \(r.err)")
        let yesterday = ChinaTime.dayText(Date() - 86400)
        r = try wangge("patrol", "--db", db, "--date", yesterday, "--by", "town")
        let towns = try JSONParser.parse(r.out).objectValue?["towns"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(r.status == 0 && !towns.isEmpty, "\(r.err)")
        let grids = towns.reduce(0) { $0 + ($1["grids"]?.integerValue ?? 0) }, half = towns.reduce(0) { $0 + ($1["grids_half_daily"]?.integerValue ?? 0) }
        // Most grids walked twice, a few workers missing an afternoon; coverage partial.
        #expect(half > grids / 2 && half < grids, "\(half) of \(grids)")
        #expect(towns.allSatisfy { ($0["coverage"]?.doubleValue ?? -1) > 0 && ($0["coverage"]?.doubleValue ?? 2) < 1 })
        r = try wangge("patrol", "--db", db, "--date", yesterday, "--by", "worker")
        let workers = try JSONParser.parse(r.out).objectValue?["workers"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(workers.contains { ($0["visits"]?.integerValue ?? 0) >= 5 } && workers.contains { $0["flags"]?.arrayValue?.contains("visits_under_5") == true })
        r = try wangge("patrol", "--db", db, "--by", "village")
        #expect(r.status != 0 && r.err.contains("village"), "\(r.err)")
        r = try wangge("patrol", "--db", db, "--date", "2026-13-01")
        #expect(r.status != 0 && r.err.contains("2026-13-01"), "\(r.err)")
    }

    /// `wangge serve` as an operator runs it: it says where it listens, answers, and stops cleanly
    /// on SIGTERM.
    @Test func serveStartsAnswersAndStopsOnSIGTERM() throws {
        let dir = TempDir()
        let db = dir.path("s.sqlite")
        #expect(try wangge("demo", "--db", db, "--scale", "0.05", "--seed", "6", "--no-tracks").status == 0)
        var r = try wangge("serve", "--db", dir.path("missing.sqlite"))
        #expect(r.status != 0 && r.err.contains("does not exist"))
        r = try wangge("serve", "--db", db, "--public-collections", "grids,secrets")
        #expect(r.status != 0 && r.err.contains("unknown collection secrets"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wanggePath)
        p.arguments = ["serve", "--db", db, "--port", "0", "--log-level", "warning"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date() + 30
        while !text.contains("\n") && Date() < deadline { text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self) }
        let port = try #require(text.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(text)")
        let health = try sh("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/healthz"])
        #expect(health.out.contains("\"status\":\"ok\""))
        let start = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(Date().timeIntervalSince(start) < 30)   // no hang; generous for a loaded machine
    }
}
