import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird

/// Mapbox Vector Tiles 2.1 of the map layers, `/tiles/{layer}/{z}/{x}/{y}.mvt`, each layer with its
/// TileJSON 3.0 document at `/tiles/{layer}.json` and, for GDAL's MVT driver (which looks for it
/// beside the zoom folders), tippecanoe's `metadata.json` at `/tiles/{layer}/metadata.json`. One layer per tile set, named like the
/// collection; features clipped to the tile (with a 64-unit buffer) and, for boundaries and grids,
/// simplified for the zoom with shared edges kept. Access is that of the collections.
struct TilesController {
    let state: ServerState
    static let mediaType = "application/vnd.mapbox-vector-tile"

    /// Zooms each layer is served at: households (46,000 points in the demo county) only close up.
    static let zooms: [String: ClosedRange<Int>] = [
        "boundaries": 0...18, "grids": 0...18, "microgrids": 13...18, "cameras": 0...18, "camera_views": 14...18, "cases": 0...18, "households": 12...18,
    ]

    func register(on router: Router<WanggeContext>) {
        router.get("/tiles") { request, _ in tileSets(request) }
        router.get("/tiles/{layer}.json") { request, context in try tileJSON(request, context) }
        router.get("/tiles/{layer}/metadata.json") { _, context in try metadata(context) }
        router.get("/tiles/{layer}/{z}/{x}/{y}.mvt") { request, context in try await tile(request, context) }
    }

    private static func layer(_ context: WanggeContext) throws -> (String, ClosedRange<Int>) {
        let id = try context.parameters.require("layer")
        guard let zooms = zooms[id] else {
            throw Problem.notFound("no tile layer \(id); the layers are \(MapCatalog.ids.joined(separator: ", "))")
        }
        return (id, zooms)
    }

    private func tileSets(_ request: Request) -> Response {
        let base = request.baseURL
        return JSONResponse.make(.object(JSONObject([
            ("tilesets", .array(MapCatalog.ids.map { id in
                .object(JSONObject([("id", .string(id)), ("tilejson", .string("\(base)/tiles/\(id).json")),
                                    ("tiles", .string("\(base)/tiles/\(id)/{z}/{x}/{y}.mvt"))]))
            })),
        ])))
    }

    private func tileJSON(_ request: Request, _ context: WanggeContext) throws -> Response {
        let (id, zooms) = try Self.layer(context)
        let catalog = state.catalog
        let info = catalog.info(id)!
        let extent = catalog.memory[id]?.extent ?? catalog.memory["boundaries"]?.extent
        let fields = JSONObject(catalog.fields(id).map { ($0.name, .string($0.type.tileJSON)) })
        var doc = JSONObject([
            ("tilejson", "3.0.0"), ("name", .string(info.title)), ("description", .string(info.description)),
            ("scheme", "xyz"), ("tiles", .array([.string("\(request.baseURL)/tiles/\(id)/{z}/{x}/{y}.mvt")])),
            ("minzoom", .integer(Int64(zooms.lowerBound))), ("maxzoom", .integer(Int64(zooms.upperBound))),
            ("vector_layers", .array([.object(JSONObject([
                ("id", .string(id)), ("description", .string(info.description)), ("fields", .object(fields)),
                ("minzoom", .integer(Int64(zooms.lowerBound))), ("maxzoom", .integer(Int64(zooms.upperBound)))]))])),
        ])
        if let e = extent {
            doc["bounds"] = .array([.number(e.minLon), .number(e.minLat), .number(e.maxLon), .number(e.maxLat)])
            doc["center"] = .array([.number((e.minLon + e.maxLon) / 2), .number((e.minLat + e.maxLat) / 2),
                                    .integer(Int64(max(zooms.lowerBound, 10)))])
        }
        return JSONResponse.make(.object(doc))
    }

    /// tippecanoe's `metadata.json`: GDAL reads the layer's columns and types from it, so that a
    /// tile where a property is always null still has that column, and whole numbers are integers
    /// (`Integer` is GDAL's own type name; GDAL 3.6 reads no integer ranges from tippecanoe's stats).
    private func metadata(_ context: WanggeContext) throws -> Response {
        let (id, zooms) = try Self.layer(context)
        let catalog = state.catalog
        var w = JSONWriter()
        w.value(.object(JSONObject([("vector_layers", .array([.object(JSONObject([
            ("id", .string(id)), ("minzoom", .integer(Int64(zooms.lowerBound))), ("maxzoom", .integer(Int64(zooms.upperBound))),
            ("fields", .object(JSONObject(catalog.fields(id).map { ($0.name, .string($0.type.rawValue)) })))]))]))])))
        var doc = JSONObject([("name", .string(id)), ("description", .string(catalog.info(id)!.title)), ("version", "2"),
                              ("minzoom", .string(String(zooms.lowerBound))), ("maxzoom", .string(String(zooms.upperBound))),
                              ("type", "overlay"), ("format", "pbf"), ("json", .string(w.text))])
        if let e = catalog.memory[id]?.extent ?? catalog.memory["boundaries"]?.extent {
            doc["bounds"] = .string("\(e.minLon),\(e.minLat),\(e.maxLon),\(e.maxLat)")
        }
        return JSONResponse.make(.object(doc))
    }

    private func tile(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let (id, zooms) = try Self.layer(context)
        let p = context.parameters
        guard let z = Int(try p.require("z")), let x = Int(try p.require("x")), let y = Int(try p.require("y")) else {
            throw Problem.badRequest("a tile is addressed by whole numbers z/x/y", type: "bad-parameter")
        }
        guard zooms.contains(z) else {
            throw Problem.notFound("layer \(id) has tiles at zooms \(zooms.lowerBound) to \(zooms.upperBound), not \(z)")
        }
        guard let tile = TileID(z: z, x: x, y: y) else {
            throw Problem.notFound("tile \(z)/\(x)/\(y) is outside the world (x and y run from 0 to \((1 << z) - 1) at zoom \(z))")
        }
        let scope = try await state.access(id, context)
        let catalog = state.catalog
        let stamp = id == "cases" ? state.casesStamp : "g\(catalog.generation)"
        // An area's tiles hold only what is in it: cached under a key of their own (in memory). A
        // worker's case tiles hold only their grids: made for them, never cached.
        let key = scope.grids == nil ? TileCache.key(scope.area.map { "\(id)@\($0.code)" } ?? id, stamp, z, x, y) : nil
        if let key, let cached = state.tiles.get(key) { return Self.respond(cached, request) }

        var layer = VectorTileLayer(name: id, tile: tile)
        let area = tile.bounds(buffer: Double(layer.buffer) / Double(layer.extent))
        if let memory = catalog.memory[id] {
            // 4,096 units over a tile shown about 512 pixels wide: simplify as for the next zoom.
            let simplified = memory.simplified(zoom: min(z + 1, zooms.upperBound))
            for (k, f) in memory.features.enumerated() where f.bbox.intersects(area) && scope.allows(code: f.id) {
                layer.add(id: UInt64(f.id), geometry: simplified?[k] ?? f.geometry, properties: f.properties)
            }
        } else if StoredPoints.ids.contains(id) {
            for f in try await StoredPoints(readers: state.readers, catalog: catalog).features(id, meeting: area, within: scope.area) {
                layer.add(id: UInt64(f.id), geometry: f.geometry, properties: f.properties)
            }
        } else {
            var q = CaseQuery(limit: 1_000_000)
            q.bbox = area
            q.newestFirst = false
            let query = scope.narrow(q)
            for c in try await state.readers.read({ try $0.cases.page(query, count: false).cases }) {
                let f = c.mapFeature
                layer.add(id: UInt64(c.id), geometry: f.geometry, properties: f.properties)
            }
        }
        let body = CachedBody(VectorTileLayer.tile([layer]), contentType: Self.mediaType)
        if let key {
            if scope.area == nil { state.tiles.put(key, body, layer: id, stamp: stamp) } else { state.tiles.put(memoryOnly: key, body) }
        }
        return Self.respond(body, request)
    }

    /// An empty tile is 204 No Content (as tile servers answer), others the tile with ETag and gzip.
    private static func respond(_ body: CachedBody, _ request: Request) -> Response {
        if body.bytes.readableBytes == 0 {
            return Response(status: .noContent, headers: [.contentType: mediaType, .eTag: body.etag])
        }
        return body.response(to: request)
    }
}
