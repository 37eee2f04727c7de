import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// Vector tiles of the running server, read by GDAL's MVT driver and compared with the database's own spatial test.
@Suite struct TilesTests {
    /// The features GDAL reads from one tile of the server (`-oo CLIP=NO`: whole geometries, so the
    /// properties can be compared), keyed by `key`.
    func gdalRead(_ s: TestServer, _ layer: String, _ t: TileID, key: String, role: Role = .viewer) async throws -> [String: JSONObject] {
        // An empty tile is 204, which GDAL cannot open: nothing there.
        if try await s.call("/tiles/\(layer)/\(t.z)/\(t.x)/\(t.y).mvt", role: role).status == 204 { return [:] }
        let out = s.dir.path("\(layer)-\(UUID().uuidString).geojson")
        let r = try await run("/usr/bin/ogr2ogr", [
            "--config", "GDAL_HTTP_HEADERS", "Authorization: Bearer \(s.tokens[role]!)", "-oo", "CLIP=NO",
            "-f", "GeoJSON", "-t_srs", "EPSG:4326", out, "/vsicurl/\(s.base)/tiles/\(layer)/\(t.z)/\(t.x)/\(t.y).mvt", layer])
        #expect(r.status == 0, "\(layer) \(t): \(r.err)")
        let doc = try GeoJSONReader().read(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        var byKey: [String: JSONObject] = [:]
        for f in doc.features {
            let k: String
            switch f[property: key] {
            case .string(let v)?: k = v
            case .integer(let v)?: k = String(v)
            default: Issue.record("\(layer): a feature without \(key)"); continue
            }
            byKey[k] = f.properties ?? JSONObject()
        }
        return byKey
    }

    @Test(arguments: StoreKind.allCases) func everyLayerHasTileJSONAndTilesGDALReads(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let sets = try await s.call("/tiles", role: .viewer).object["tilesets"]?.arrayValue ?? []
        #expect(sets.count == MapCatalog.ids.count)
        for layer in MapCatalog.ids {
            let doc = try await s.call("/tiles/\(layer).json", role: .viewer)
            #expect(doc.status == 200)
            let o = doc.object
            #expect(o["tilejson"] == "3.0.0")
            #expect(o["tiles"]?.arrayValue?.first?.stringValue == "\(s.base)/tiles/\(layer)/{z}/{x}/{y}.mvt")
            let v = try #require(o["vector_layers"]?.arrayValue?.first?.objectValue)
            #expect(v["id"]?.stringValue == layer)
            #expect(o["bounds"]?.arrayValue?.count == 4)
        }
        // The case layer's fields are those a case feature has.
        let caseFields = try await s.call("/tiles/cases.json", role: .viewer).object["vector_layers"]?.arrayValue?.first?
            .objectValue?["fields"]?.objectValue?.keys ?? []
        let someCase = try #require(try connect(s.db).cases.find(id: 1))
        #expect(caseFields == someCase.mapFeature.properties.keys)
        // tippecanoe's metadata.json, which GDAL reads beside the zoom folders: typed fields.
        let meta = try await s.call("/tiles/grids/metadata.json", role: .viewer).object
        let described = try JSONParser.parse(Array((meta["json"]?.stringValue ?? "").utf8)).objectValue
        let gridFields = described?["vector_layers"]?.arrayValue?.first?.objectValue?["fields"]?.objectValue
        #expect(gridFields?["households"]?.stringValue == "Integer" && gridFields?["grid_id"]?.stringValue == "String")
        #expect(meta["format"]?.stringValue == "pbf" && meta["bounds"]?.stringValue?.split(separator: ",").count == 4)
        // A tile at the centre of the first grid, at zoom 13.
        let grid = try #require(try connect(s.db).grids.grids().first)
        let centre = try #require(Geometry.polygon(grid.polygon).boundingBox)
        let t = WebMercator.tile(containing: Position((centre.minLon + centre.maxLon) / 2, (centre.minLat + centre.maxLat) / 2), zoom: 13)
        let grids = try await gdalRead(s, "grids", t, key: "grid_id")
        // Every grid that meets the tile is in it; none from beyond its buffer (64 of 4,096 units).
        let inner = try s.ids("grids", "grid_id", meeting: t.bounds)
        let outer = try s.ids("grids", "grid_id", meeting: t.bounds(buffer: 0.02))
        #expect(!inner.isEmpty && inner.isSubset(of: Set(grids.keys)) && Set(grids.keys).isSubset(of: outer), "\(grids.keys.sorted()) vs \(inner.sorted())")
        let g = try #require(grids[grid.code])
        // GDAL takes the schema from metadata.json: whole numbers are integer columns, and a property
        // null in every feature of this tile is still a column.
        let schema = try await run("/usr/bin/ogrinfo", ["-ro", "-so", "--config", "GDAL_HTTP_HEADERS", "Authorization: Bearer \(s.tokens[.viewer]!)",
                                                         "/vsicurl/\(s.base)/tiles/grids/\(t.z)/\(t.x)/\(t.y).mvt", "grids"]).out
        #expect(schema.contains("population: Integer") && schema.contains("households_override:") && schema.contains("Geometry: Polygon"), "\(schema)")
        #expect(g["households"]?.integerValue == Int64(grid.effectiveHouseholds) && g["name"]?.stringValue == grid.name)
        // Points: exactly those in the tile and its buffer.
        let area = t.bounds(buffer: 64.0 / 4096)
        let households = try await gdalRead(s, "households", t, key: "household_id")
        let hsWant = try s.ids("households", "id", meeting: area)
        #expect(!hsWant.isEmpty && Set(households.keys) == hsWant)
        let cameras = try await gdalRead(s, "cameras", t, key: "camera_id")
        #expect(Set(cameras.keys) == (try s.ids("cameras", "id", meeting: area)))
    }

    @Test(arguments: StoreKind.allCases) func tilesAreCachedOnDiskAndFollowCasesAndPublish(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try connect(s.db).grids
        let home = try #require(try store.households().first)
        let t = WebMercator.tile(containing: home.position, zoom: 14)
        let before = try await gdalRead(s, "cases", t, key: "case_id")
        let tiles = URL(fileURLWithPath: s.dir.path("tiles"))
        func stamps(_ layer: String) -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: tiles.appendingPathComponent(layer).path).sorted()) ?? []
        }
        let firstStamp = try #require(stamps("cases").first)
        #expect(FileManager.default.fileExists(atPath: tiles.appendingPathComponent("cases/\(firstStamp)/\(t.z)/\(t.x)/\(t.y).mvt").path))

        // A new dispute there is in the tile at once, and the older cache is removed.
        let made = try await s.call("POST", "/api/cases", role: .dispatcher,
                                    json: #"{"category":"neighbour","description":"noise","household_id":\#(home.id)}"#)
        #expect(made.status == 201)
        let id = try #require(made.object["id"]?.integerValue)
        let after = try await gdalRead(s, "cases", t, key: "case_id")
        #expect(Set(after.keys) == Set(before.keys).union(["\(id)"]))
        #expect(after["\(id)"]?["status"]?.stringValue == "assigned")
        try await Task.sleep(for: .milliseconds(100))
        #expect(!stamps("cases").contains(firstStamp) && stamps("cases").count == 1)

        // A publish changes the grids' tiles: the new household figure is there.
        let grid = try #require(try store.grids().first { $0.polygon.contains(home.position) })
        let gt = WebMercator.tile(containing: home.position, zoom: 12)
        #expect(try await gdalRead(s, "grids", gt, key: "grid_id")[grid.code]?["households"]?.integerValue == Int64(grid.effectiveHouseholds))
        #expect(stamps("grids") == ["g1"])
        let plan = try #require(try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"tiles"}"#).object["id"]?.integerValue)
        #expect(try await s.call("POST", "/api/plans/\(plan)/operations", role: .planner,
                                 json: #"{"op":"override","grid_id":"\#(grid.code)","households":432}"#).status == 200)
        let published = try await s.call("POST", "/api/plans/\(plan)/publish", role: .planner, json: "{}")
        #expect(published.status == 200, "\(published.text)")
        #expect(try await gdalRead(s, "grids", gt, key: "grid_id")[grid.code]?["households"]?.integerValue == 432)
        try await Task.sleep(for: .milliseconds(100))
        #expect(stamps("grids") == ["g2"])
    }

    @Test(arguments: StoreKind.allCases) func aWorkerSeesOnlyTheirGridsCasesInTiles(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try connect(s.db).grids
        let mine = Set(try store.grids(ofWorker: s.workerID))
        // One dispute in the worker's grid, so that their tile is not empty.
        let home = try #require(try store.households().first { mine.contains($0.gridCode ?? "") })
        #expect(try await s.call("POST", "/api/cases", role: .dispatcher,
                                 json: #"{"category":"family","description":"x","household_id":\#(home.id)}"#).status == 201)
        // Zoom 8 holds the whole tiny county in one or two tiles.
        let box = try #require(try store.grids().reduce(nil as BoundingBox?) { acc, g in
            let b = Geometry.polygon(g.polygon).boundingBox!
            guard var acc else { return b }
            acc.extend(b)
            return acc
        })
        let t = WebMercator.tile(containing: Position((box.minLon + box.maxLon) / 2, (box.minLat + box.maxLat) / 2), zoom: 8)
        let all = try await gdalRead(s, "cases", t, key: "case_id")
        let theirs = try await gdalRead(s, "cases", t, key: "case_id", role: .worker)
        #expect(!theirs.isEmpty && theirs.count < all.count)
        #expect(theirs.values.allSatisfy { mine.contains($0["grid_id"]?.stringValue ?? "") })
        #expect(Set(theirs.keys) == Set(all.filter { mine.contains($0.value["grid_id"]?.stringValue ?? "") }.keys))
    }

    @Test(arguments: StoreKind.allCases) func badTileRequestsAreProblems(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        for (path, status) in [("/tiles/grids/19/0/0.mvt", 404), ("/tiles/households/11/1600/800.mvt", 404),
                               ("/tiles/grids/3/8/0.mvt", 404), ("/tiles/grids/3/0/-1.mvt", 404), ("/tiles/grids/a/b/c.mvt", 400),
                               ("/tiles/roads/1/0/0.mvt", 404), ("/tiles/roads.json", 404)] {
            let r = try await s.call(path, role: .viewer)
            #expect(r.status == status, "\(path): \(r.status) \(r.text)")
            #expect(r.headers["content-type"] == "application/problem+json", "\(path)")
            #expect(r.object["detail"]?.stringValue?.isEmpty == false)
        }
        #expect(try await s.call("/tiles/grids/10/816/419.mvt").status == 401)
        // Open sea: an empty tile is 204.
        #expect(try await s.call("/tiles/grids/10/0/0.mvt", role: .viewer).status == 204)
        // Cached tiles answer If-None-Match.
        let grid = try #require(try connect(s.db).grids.grids().first)
        let t = WebMercator.tile(containing: grid.polygon.exterior[0], zoom: 11)
        let first = try await s.call("/tiles/grids/\(t.z)/\(t.x)/\(t.y).mvt", role: .viewer)
        #expect(first.status == 200 && first.headers["content-type"] == "application/vnd.mapbox-vector-tile")
        let etag = try #require(first.headers["etag"])
        #expect(try await s.call("/tiles/grids/\(t.z)/\(t.x)/\(t.y).mvt", role: .viewer, headers: ["If-None-Match": etag]).status == 304)
    }
}
