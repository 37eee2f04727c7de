import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird

/// The planners' API: plans and their operations, validation (with GeoJSON places), the preview of
/// a publish, publish, history, rollback; and who is on duty in a grid.
struct PlanningController {
    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        router.get("/api/plans") { _, context in try await plans(context) }
        router.post("/api/plans") { request, context in try await newPlan(request, context) }
        router.get("/api/plans/{id}") { _, context in try await plan(context) }
        router.get("/api/plans/{id}/grids") { request, context in try await planGrids(request, context) }
        router.post("/api/plans/{id}/operations") { request, context in try await operate(request, context) }
        router.get("/api/plans/{id}/validation") { request, context in try await validate(request, context) }
        router.get("/api/plans/{id}/diff") { _, context in try await diff(context) }
        router.post("/api/plans/{id}/publish") { request, context in try await publish(request, context) }
        router.get("/api/grids/validation") { request, context in try await validate(request, context, live: true) }
        router.get("/api/grids/history") { _, context in try await history(context) }
        router.post("/api/grids/rollback") { request, context in try await rollback(request, context) }
        router.get("/api/grids/{code}/duty") { request, context in try await duty(request, context) }
    }

    private func planID(_ context: WanggeContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text) else { throw Problem.notFound("no plan \(text)") }
        return id
    }

    /// Runs on the writer: planning reads what it is about to change.
    private func planning<T: Sendable>(_ body: @escaping @Sendable (GridPlanning, Dispatcher) throws -> T) async throws -> T {
        try await state.desk.perform { d in try body(GridPlanning(store: d.grids), d) }
    }

    private func plans(_ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let all = try await state.readers.read { try $0.grids.plans() }
        return try JSONResponse.make(all.map(PlanView.init))
    }

    private func plan(_ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let id = try planID(context)
        let p = try await state.readers.read { r in try r.grids.plans().first { $0.id == id } }
        guard let p else { throw Problem.notFound("no plan \(id)") }
        return try JSONResponse.make(PlanView(p))
    }

    private func newPlan(_ request: Request, _ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner)
        let f = try Fields(try await request.jsonBody(context: context), .newPlan)
        let name = try f.optionalString("name") ?? "plan", from = try f.optionalInt("from_version").map { Int($0) }
        let p = try await planning { g, _ in try g.newPlan(name: name, fromVersion: from) }
        var r = try JSONResponse.make(PlanView(p), status: .created)
        r.headers[.location] = "/api/plans/\(p.id)"
        return r
    }

    private func planGrids(_ request: Request, _ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let id = try planID(context)
        let crs = try Self.outputCRS(request)
        let grids = try await state.readers.read { r -> [Grid] in
            guard try r.grids.plans().contains(where: { $0.id == id }) else { throw Problem.notFound("no plan \(id)") }
            return try r.grids.planGrids(id: id)
        }
        return try geoJSON(try features(grids, crs: crs))
    }

    /// A plan's grids as GeoJSON features (the grid's figures and names as the live layer shows
    /// them), in WGS84 or, for a map over a Chinese basemap, GCJ-02.
    /// `exact`: every bit of each coordinate (what `restore` must put back), not 7 decimals.
    private func features(_ grids: [Grid], crs: CRS = .crs84, exact: Bool = false) throws -> JSONValue {
        let converter = crs == .gcj02 ? try CoordinateConverter(from: .crs84, to: .gcj02) : nil
        let names = state.catalog.names
        var w = JSONWriter()
        GeoJSONWriter(precision: exact ? nil : 7).write(FeatureCollection(try grids.map { g in
            Feature(id: .string(g.code), geometry: try converter?.convert(.polygon(g.polygon)) ?? .polygon(g.polygon),
                    properties: GridView(g, names: names).properties)
        }), into: &w)
        return try JSONParser.parse(w.bytes)
    }

    private func geoJSON(_ v: JSONValue) throws -> Response {
        var r = JSONResponse.make(v)
        r.headers[.contentType] = "application/geo+json"
        return r
    }

    /// `crs` as the only query parameter: CRS84 (EPSG:4326) or GCJ-02.
    static func outputCRS(_ request: Request) throws -> CRS {
        var crs = CRS.crs84
        for (key, value) in request.queryPairs {
            guard key == "crs", let c = CRS(value), c.isWGS84LonLat || c == .gcj02 else {
                throw Problem.badRequest("this takes only crs (CRS84, EPSG:4326 or GCJ-02), not \(key)=\(value)", type: "bad-parameter")
            }
            crs = c
        }
        return crs
    }

    /// Grids a client hands back to `restore` (an undo or redo it was given): features as
    /// `features` writes them; `grid_id`, `name`, `kind`, `households_counted`, `population` and
    /// `households_override` are read.
    private static func restored(_ v: JSONValue?, _ convert: (Geometry) throws -> Geometry) throws -> [Grid] {
        guard let list = v?.arrayValue else { throw Fields.invalid("grids must be an array of grid features") }
        guard list.count <= 10_000 else { throw Fields.invalid("grids holds \(list.count) features; at most 10,000") }
        return try list.enumerated().map { k, item in
            let f = try GeoJSONReader().feature(item, "grids[\(k)]")
            guard case .polygon(let p) = try convert(f.geometry ?? .point(Position(0, 0))) else { throw Fields.invalid("grids[\(k)]: the geometry must be a Polygon") }
            let props = f.properties ?? JSONObject()
            guard let code = props["grid_id"]?.stringValue else { throw Fields.invalid("grids[\(k)]: grid_id is required") }
            let kind = try props["kind"]?.stringValue.map { text in
                guard let kind = Grid.Kind(rawValue: text) else { throw Fields.invalid("grids[\(k)]: kind \(text) is not urban, rural or dedicated") }
                return kind
            } ?? .rural
            var override: Int?
            if let o = props["households_override"], o != .null {
                guard let n = o.integerValue, (0...100_000).contains(n) else { throw Fields.invalid("grids[\(k)]: households_override is 0 to 100,000") }
                override = Int(n)
            }
            func figure(_ key: String) throws -> Int {
                guard let v = props[key], v != .null else { return 0 }
                guard let n = v.integerValue, (0...10_000_000).contains(n) else { throw Fields.invalid("grids[\(k)]: \(key) is 0 to 10,000,000") }
                return Int(n)
            }
            return Grid(code: code, name: props["name"]?.stringValue ?? code, households: try figure("households_counted"), polygon: p, kind: kind,
                        population: try figure("population"), householdsOverride: override)
        }
    }

    /// `{"op": "split", "grid_id", "line": LineString}`, `{"op": "merge", "grid_id", "into"}`,
    /// `{"op": "reshape", "grid_id", "polygon": Polygon}`, `{"op": "override", "grid_id", "households"}`,
    /// `{"op": "partition", "parent": code}`; topological vertex edits (every grid holding the
    /// vertex follows): `{"op": "move_vertex", "from": Point, "to": Point}`,
    /// `{"op": "insert_vertex", "edge": LineString (2 positions), "at": Point}`,
    /// `{"op": "remove_vertex", "at": Point}`; and `{"op": "restore", "grids": [Feature], "remove": [code]}`,
    /// which the answer's `undo` and `redo` are. Coordinates in WGS84, or GCJ-02 with `"crs": "GCJ-02"`.
    private func operate(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let id = try planID(context)
        let f = try Fields(try await request.jsonBody(context: context), .operation)
        let op = try f.string("op")
        let crs = try Parameters.inputCRS(try f.optionalString("crs"))
        let inbound = crs == .gcj02 ? try CoordinateConverter(from: .gcj02, to: .crs84) : nil
        let convert: (Geometry) throws -> Geometry = { g in try inbound?.convert(g) ?? g }
        func geometry(_ key: String) throws -> Geometry {
            guard let v = f.object[key] else { throw Fields.invalid("\(key) is required") }
            return try convert(try GeoJSONReader().geometry(v, key))
        }
        func point(_ key: String) throws -> Position {
            guard case .point(let p) = try geometry(key) else { throw Fields.invalid("\(key) must be a Point") }
            return p
        }
        var named = try ["grid_id", "into", "parent"].compactMap { try f.optionalString($0) }
        let edit: @Sendable (inout PlanEditor) throws -> [String]
        switch op {
        case "split":
            guard case .lineString(let l) = try geometry("line") else { throw Fields.invalid("line must be a LineString") }
            let code = try f.string("grid_id")
            edit = { try $0.split(code, along: l) }
        case "merge":
            let a = try f.string("into"), b = try f.string("grid_id")
            edit = { try $0.merge(a, b); return [a] }
        case "reshape":
            guard case .polygon(let p) = try geometry("polygon") else { throw Fields.invalid("polygon must be a Polygon") }
            let code = try f.string("grid_id")
            edit = { try $0.reshape(code, to: p) }
        case "override":
            let code = try f.string("grid_id"), n = try f.optionalInt("households").map { Int($0) }
            edit = { try $0.setOverride(code, households: n); return [code] }
        case "partition":
            let parent = try f.string("parent")
            edit = { try $0.partition(parent) }
        case "move_vertex":
            let from = try point("from"), to = try point("to")
            edit = { try $0.moveVertex(from: from, to: to) }
        case "insert_vertex":
            guard case .lineString(let e) = try geometry("edge"), e.count == 2 else { throw Fields.invalid("edge must be a LineString of 2 positions") }
            let at = try point("at")
            edit = { try $0.insertVertex(at: at, edge: e[0], e[1]) }
        case "remove_vertex":
            let at = try point("at")
            edit = { try $0.removeVertex(at: at) }
        case "restore":
            let grids = try Self.restored(f.object["grids"], convert)
            let list = f.object["remove"].map { $0.arrayValue ?? [.null] } ?? []
            let remove = list.compactMap(\.stringValue)
            guard remove.count == list.count else { throw Fields.invalid("remove must be an array of grid codes") }
            named += grids.map(\.code) + remove
            edit = { try $0.restore(grids, removing: remove) }
        default: throw Fields.invalid("op \(op) is not one of split, merge, reshape, override, partition, move_vertex, insert_vertex, remove_vertex, restore")
        }
        // The grids named must be in the caller's area, and so must all the edit changes.
        try OutsideArea.check(named, in: who.area, "this edit")
        let area = who.area
        let change = try await planning { g, _ in try g.change(plan: id, within: area, edit) }
        let outbound = crs == .gcj02 ? try CoordinateConverter(from: .crs84, to: .gcj02) : nil
        func restore(_ grids: [Grid], removing: [String]) throws -> JSONValue {
            .object(JSONObject([("op", "restore"), ("grids", try features(grids, exact: true).objectValue?["features"] ?? .array([])),
                                ("remove", .array(removing.map { .string($0) }))]))
        }
        return try JSONResponse.make(PlanOperationView(
            plan: id, changed: change.touched, removed: change.removed,
            grids: try features(change.after, crs: crs),
            problems: try Self.problems(change.problems, converter: outbound),
            undo: try restore(change.before, removing: change.added), redo: try restore(change.after, removing: change.removed)))
    }

    /// Problems as a GeoJSON FeatureCollection: each one located, for the planner's map; in another
    /// CRS through `converter` (GCJ-02 for a map over a Chinese basemap).
    static func problems(_ list: [LayerProblem], converter: CoordinateConverter? = nil) throws -> JSONValue {
        .object(JSONObject([("type", "FeatureCollection"), ("features", .array(try list.map { p in
            var w = JSONWriter()
            let at = try p.location.map { try converter?.convert($0) ?? $0 }
            GeoJSONWriter().write(Feature(geometry: at, properties: JSONObject([
                ("problem", .string(p.kind.rawValue)), ("grid_ids", .array(p.gridCodes.map { .string($0) })), ("detail", .string(p.detail))])),
                into: &w)
            return (try? JSONParser.parse(w.bytes)) ?? .null
        }))]))
    }

    /// Problems as GeoJSON; `crs=GCJ-02` for a map drawn over a Chinese basemap.
    private func validate(_ request: Request, _ context: WanggeContext, live: Bool = false) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let crs = try Self.outputCRS(request)
        let id: Int64? = live ? nil : try planID(context)
        let problems = try await state.readers.read { r in try GridPlanning(store: r.grids).validate(plan: id) }
        let converter = crs == .gcj02 ? try CoordinateConverter(from: .crs84, to: .gcj02) : nil
        return try geoJSON(try Self.problems(problems, converter: converter))
    }

    private func diff(_ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let id = try planID(context)
        let d = try await state.readers.read { r in try GridPlanning(store: r.grids).preview(plan: id) }
        return JSONResponse.make(d.json)
    }

    private func publish(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let id = try planID(context)
        let f = try Fields(try await request.jsonBody(context: context), .publish)
        let at = try f.date("effective_at") ?? Date(), area = who.area
        let p = try await planning { g, _ in try g.publish(plan: id, effectiveAt: at, within: area) }
        await state.layerServed(p.version)
        return try JSONResponse.make(PublishedView(version: p.version, moves: p.moves, diff: p.diff.json))
    }

    private func history(_ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let versions = try await state.readers.read { try $0.grids.versions() }
        return try JSONResponse.make(versions.map(LayerVersionView.init))
    }

    private func rollback(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        // A rollback brings back a whole layer: every area's grids at once.
        if let area = who.area { throw OutsideArea("a rollback changes every grid of the layer, outside your area \(area)") }
        let f = try Fields(try await request.jsonBody(context: context), .rollback)
        guard let v = try f.optionalInt("version") else { throw Fields.invalid("version is required") }
        let p = try await planning { g, _ in try g.rollback(to: Int(v)) }
        await state.layerServed(p.version)
        return try JSONResponse.make(PublishedView(version: p.version, moves: p.moves))
    }

    private func duty(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner, .dispatcher, .viewer, .worker)
        let code = try context.parameters.require("code")
        var at = Date()
        if let t = request.query("at") {
            guard let d = Parameters.time(t) else { throw Problem.badRequest("at must be an RFC 3339 time", type: "bad-parameter") }
            at = d
        }
        let when = at
        // The live layer is in memory: no need to read every grid to know this one exists.
        guard state.catalog.memory["grids"]?.feature(id: code, zoom: nil) != nil, who.area?.contains(code: code) ?? true else {
            throw Problem.notFound("no grid \(code) in the live layer\(who.area.map { " within your area \($0)" } ?? "")")
        }
        let phones = who.role != .viewer
        let roster = try await state.readers.read { try $0.grids.roster(gridCode: code) }
        return try JSONResponse.make(DutyView(grid: code, at: when, roster: roster, phones: phones))
    }
}
