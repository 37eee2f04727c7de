import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird

/// OGC API – Features Part 4 (Create, Replace, Update, Delete) over draft plans: each plan is a
/// collection `plan-{id}` of its grids (`id` = `grid_id`). Planners write, planners and viewers
/// read; the live layer stays read-only (publishing a plan is the way into it). Every item has an
/// `ETag` and writes honour `If-Match` (412 when the item changed since); every write answers
/// with the plan's validation (a GeoJSON FeatureCollection of problems) and a `Link` to it.
struct PlanCollections {
    let state: ServerState

    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    ]
    static let itemMethods = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
    static let itemsMethods = "GET, HEAD, POST, OPTIONS"
    /// Properties a client sets; the others a feature carries are the server's (counts, names of
    /// the village and town), read and left alone on a write.
    static let writable = ["name", "kind", "households_override"]
    static let computed = ["grid_id", "households", "households_counted", "households_source", "population", "band",
                           "village_code", "village", "town_code", "town", "county"]

    /// The plan of a collection id `plan-{id}`, or nil for another collection.
    static func planID(_ collection: String) -> Int64? {
        guard collection.hasPrefix("plan-"), let id = Int64(collection.dropFirst(5)), id > 0 else { return nil }
        return id
    }

    static func info(_ plan: Plan) -> CollectionInfo {
        CollectionInfo(id: "plan-\(plan.id)", title: "Plan \(plan.id): \(plan.name)",
                       description: "The grids of draft plan \(plan.id) (from layer version \(plan.baseVersion)), editable with OGC API – Features Part 4 by planners",
                       queryables: ["grid_id", "name", "kind", "band", "village_code", "town_code"], temporal: false, coverage: true)
    }

    /// The plan, if the caller may read it (planners and viewers).
    func plan(_ id: Int64, _ context: WanggeContext) async throws -> Plan {
        _ = try context.require(.planner, .viewer)
        guard let p = try await state.readers.read({ try $0.grids.plans().first { $0.id == id } }) else {
            throw Problem.notFound("no plan \(id) (collection plan-\(id))")
        }
        return p
    }

    /// Draft plans, for a planner's list of collections.
    func drafts(_ context: WanggeContext) async throws -> [Plan] {
        guard context.identity?.role == .planner else { return [] }
        return try await state.readers.read { try $0.grids.plans().filter { $0.status == .draft } }
    }

    /// The plan's grids as a collection (made per request: a plan changes with every edit).
    func collection(_ plan: Plan) async throws -> MemoryCollection {
        let grids = try await state.readers.read { try $0.grids.planGrids(id: plan.id) }
        return MemoryCollection(info: Self.info(plan), features: MapCatalog.gridFeatures(grids, names: state.catalog.names))
    }

    /// A validator of the item's content (not its links, which name the host the client used).
    static func etag(_ f: MapFeature) -> String {
        var w = JSONWriter()
        GeoJSONWriter().write(Feature(id: .string(f.id), geometry: f.geometry, properties: f.properties), into: &w)
        return "\"" + Digest.sha256Hex(w.bytes).prefix(24) + "\""
    }

    func item(_ plan: Plan, _ fid: String, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner, .viewer)
        let grids = try await collection(plan)
        guard who.area?.contains(code: fid) ?? true, let f = grids.feature(id: fid, zoom: nil) else {
            throw Problem.notFound("no grid \(fid) in plan \(plan.id)")
        }
        let etag = Self.etag(f)
        if let seen = request.headers[.ifNoneMatch], seen.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let base = "\(request.baseURL)/collections/plan-\(plan.id)"
        let bytes = try FeatureEncoder(crs: .crs84).feature(f, links: [
            Link(href: "\(base)/items/\(fid)", rel: "self", type: FeaturesController.geojson),
            Link(href: base, rel: "collection", type: "application/json"),
        ])
        return Response(status: .ok, headers: [.contentType: FeaturesController.geojson, .eTag: etag, .allow: Self.itemMethods,
                                               HTTPField.Name("Content-Crs")!: "<\(CRS.crs84.uri)>"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: writes

    /// `POST …/items`: a new grid. Its `grid_id` from the feature's `id` or properties, else the
    /// next free code of the village its polygon lies in.
    func create(_ id: Int64, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let body = try await Self.feature(request, context)
        let stated = body.id?.description ?? body.properties?["grid_id"]?.stringValue
        let polygon = try Self.polygon(body.geometry)
        let area = who.area
        let result = try await write(id, who) { editor in
            let code: String
            if let stated {
                guard !editor.grids.contains(where: { $0.code == stated }) else { throw Problem(.conflict, "grid-exists", "plan \(id) has grid \(stated) already: PUT replaces it") }
                code = stated
            } else {
                guard case .point(let inside) = try GEOSContext().shape(.polygon(polygon)).pointOnSurface().geometry else {
                    throw PlanError("the polygon has no inside point")
                }
                guard let village = editor.boundaries.first(where: { $0.level == .village && PointLocator(polygons: $0.area).locate(inside.lon, inside.lat) != nil }) else {
                    throw PlanError("the polygon is in no village of the boundaries")
                }
                code = editor.newCode(inVillage: village.code)
            }
            try OutsideArea.check([code], in: area, "this grid")
            var g = Grid(code: code, name: "", households: 0, polygon: polygon)
            try Self.apply(body.properties, to: &g, code: code)
            if g.name.isEmpty { g.name = "网格 \(code.suffix(3))" }
            return (code, try editor.put(g))
        }
        var r = try result.response(status: .created, plan: id, request)
        r.headers[.location] = "\(request.baseURL)/collections/plan-\(id)/items/\(result.code)"
        return r
    }

    /// `PUT …/items/{grid_id}`: the grid replaced by the feature sent (properties not sent take
    /// their defaults: the name stays, no override).
    func replace(_ id: Int64, _ fid: String, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let body = try await Self.feature(request, context)
        let polygon = try Self.polygon(body.geometry)
        let expected = request.headers[.ifMatch]
        let names = state.catalog.names
        let result = try await write(id, who) { editor in
            let old = try Self.current(editor, fid, id, expected: expected, names: names)
            var g = Grid(code: fid, name: old.name, households: old.households, polygon: polygon, kind: old.kind)
            try Self.apply(body.properties, to: &g, code: fid)
            return (fid, try editor.put(g))
        }
        return try result.response(status: .ok, plan: id, request)
    }

    /// `PATCH …/items/{grid_id}`: a JSON merge patch (RFC 7396) of the feature.
    func update(_ id: Int64, _ fid: String, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let patch = try await Self.body(request, context, patch: true)
        let expected = request.headers[.ifMatch]
        let names = state.catalog.names
        let result = try await write(id, who) { editor in
            let old = try Self.current(editor, fid, id, expected: expected, names: names)
            let feature = MapCatalog.gridFeatures([old], names: names)[0]
            var w = JSONWriter()
            GeoJSONWriter().write(Feature(id: .string(fid), geometry: feature.geometry, properties: feature.properties), into: &w)
            let merged = Self.merge(try JSONParser.parse(w.bytes), .object(patch))
            let f: Feature
            do { f = try GeoJSONReader().feature(merged, "the patched feature") } catch { throw Problem(.badRequest, "malformed-geojson", "\(error)") }
            // The patched feature is the whole grid, as a PUT would send it.
            var g = old
            if patch["geometry"] != nil { g.polygon = try Self.polygon(f.geometry) }
            try Self.apply(f.properties, to: &g, code: fid)
            return (fid, try editor.put(g))
        }
        return try result.response(status: .ok, plan: id, request)
    }

    /// `DELETE …/items/{grid_id}`: the grid leaves the plan (a gap, until another covers it).
    func delete(_ id: Int64, _ fid: String, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let expected = request.headers[.ifMatch]
        let names = state.catalog.names
        let result = try await write(id, who) { editor in
            _ = try Self.current(editor, fid, id, expected: expected, names: names)
            try editor.remove(fid)
            return (fid, [fid])
        }
        return try result.response(status: .ok, plan: id, request)
    }

    /// What a write did: the grid's code, its feature now (nil once deleted), the plan's problems.
    struct Written {
        var code: String
        var feature: MapFeature?
        var problems: JSONValue

        func response(status: HTTPResponse.Status, plan: Int64, _ request: Request) throws -> Response {
            var r = JSONResponse.make(problems, status: status, contentType: FeaturesController.geojson)
            if let f = feature { r.headers[.eTag] = PlanCollections.etag(f) }
            r.headers[HTTPField.Name("Link")!] = "<\(request.baseURL)/api/plans/\(plan)/validation>; rel=\"describedby\"; type=\"application/geo+json\"; title=\"the plan's problems\""
            return r
        }
    }

    /// One edit on the writer, within the caller's area; then the plan's problems and the item as
    /// stored. Nothing is saved when `edit` throws.
    private func write(_ id: Int64, _ who: Identity, _ edit: @escaping @Sendable (inout PlanEditor) throws -> (String, [String])) async throws -> Written {
        let names = state.catalog.names, area = who.area
        return try await state.desk.perform { d in
            let planning = GridPlanning(store: d.grids)
            guard let plan = try d.grids.plans().first(where: { $0.id == id }) else { throw Problem.notFound("no plan \(id) (collection plan-\(id))") }
            guard plan.status == .draft else {
                throw Problem(.conflict, "plan-not-draft", "plan \(id) is \(plan.status.rawValue): only a draft changes (the live layer changes by publishing a plan)")
            }
            var code = ""
            let change = try planning.change(plan: id, within: area) { editor in
                let (c, touched) = try edit(&editor)
                code = c
                return touched
            }
            // The grid as saved: changed by this write, or (written back unchanged) as it was.
            let written = try change.after.first { $0.code == code } ?? d.grids.planGrids(id: id).first { $0.code == code }
            let feature = written.map { MapCatalog.gridFeatures([$0], names: names)[0] }
            return Written(code: code, feature: feature, problems: try PlanningController.problems(change.problems))
        }
    }

    /// The grid a write changes, checked against `If-Match` (412 when it changed since).
    private static func current(_ editor: PlanEditor, _ fid: String, _ plan: Int64, expected: String?, names: [String: String]) throws -> Grid {
        guard let g = editor.grids.first(where: { $0.code == fid }) else { throw Problem.notFound("no grid \(fid) in plan \(plan)") }
        if let expected {
            let now = etag(MapCatalog.gridFeatures([g], names: names)[0])
            let tags = expected.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard tags.contains("*") || tags.contains(now) else {
                throw Problem(.preconditionFailed, "precondition-failed", "grid \(fid) has changed since \(expected) (now \(now)): read it again, then write")
            }
        }
        return g
    }

    // MARK: reading the body

    private static func body(_ request: Request, _ context: WanggeContext, patch: Bool = false) async throws -> JSONObject {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if patch, type.hasPrefix("application/merge-patch+json") {
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            guard case .object(let o) = try JSONParser.parse(Array(buffer.readableBytesView)) else {
                throw Problem.badRequest("a merge patch of a feature is a JSON object", type: "malformed-json")
            }
            return o
        }
        if let crs = request.headers[HTTPField.Name("Content-Crs")!], crs.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) != CRS.crs84.uri {
            throw Problem.badRequest("send coordinates in CRS84 (Content-Crs <\(CRS.crs84.uri)>), the collection's storage CRS; not \(crs)", type: "bad-crs")
        }
        return try await request.jsonBody(context: context)
    }

    private static func feature(_ request: Request, _ context: WanggeContext) async throws -> Feature {
        let o = try await body(request, context)
        do { return try GeoJSONReader().feature(.object(o), "the body") } catch { throw Problem(.badRequest, "malformed-geojson", error.description) }
    }

    /// A grid is one polygon (a multipolygon of one part, as desktop GIS layers send, is one too).
    private static func polygon(_ g: Geometry?) throws -> Polygon {
        switch g {
        case .polygon(let p)?: return p
        case .multiPolygon(let ps)? where ps.count == 1: return ps[0]
        case nil: throw Problem(.unprocessableContent, "invalid-plan", "a grid needs a geometry (a Polygon)")
        case let other?: throw Problem(.unprocessableContent, "invalid-plan", "a grid is one Polygon, not a \(other.typeName)")
        }
    }

    /// Sets the writable properties; the computed ones are the server's and left alone (a client
    /// may send back what it read). A `grid_id` other than the item's is refused.
    private static func apply(_ properties: JSONObject?, to g: inout Grid, code: String) throws {
        guard let properties else { return }
        for (key, value) in properties.members {
            switch key {
            case "name":
                guard let n = value.stringValue?.trimmingCharacters(in: .whitespaces), (1...Limits.name).contains(n.count) else {
                    throw Fields.invalid("name is 1 to \(Limits.name) characters")
                }
                g.name = n
            case "kind":
                guard let k = value.stringValue.flatMap(Grid.Kind.init) else {
                    throw Fields.invalid("kind is one of \(Grid.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                g.kind = k
            case "households_override":
                switch value {
                case .null: g.householdsOverride = nil
                case .integer(let n) where (0...100_000).contains(n): g.householdsOverride = Int(n)
                default: throw Fields.invalid("households_override is a whole number from 0 to 100000, or null")
                }
            case "grid_id":
                guard value.stringValue == code else { throw Fields.invalid("grid_id \(value.stringValue ?? "\(value)") is not this item's (\(code))") }
            case _ where computed.contains(key): continue
            default:
                throw Fields.invalid("unknown property \(key); a grid's writable properties are \(writable.joined(separator: ", "))")
            }
        }
        if properties["households_override"] == nil { g.householdsOverride = nil }
    }

    /// RFC 7396: members of the patch replace the target's, null removes, objects merge.
    static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var t = target.objectValue ?? JSONObject()
        for (key, value) in p.members {
            if case .null = value { t[key] = nil } else { t[key] = merge(t[key] ?? .null, value) }
        }
        return .object(t)
    }
}
