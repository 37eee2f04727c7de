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
        router.get("/api/plans/{id}/grids") { _, context in try await planGrids(context) }
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

    private func planGrids(_ context: WanggeContext) async throws -> Response {
        _ = try context.require(.planner, .viewer)
        let id = try planID(context)
        let grids = try await state.readers.read { r -> [Grid] in
            guard try r.grids.plans().contains(where: { $0.id == id }) else { throw Problem.notFound("no plan \(id)") }
            return try r.grids.planGrids(id: id)
        }
        let features = grids.map { g in
            Feature(id: .string(g.code), geometry: .polygon(g.polygon), properties: JSONObject([
                ("grid_id", .string(g.code)), ("name", .string(g.name)), ("households", .integer(Int64(g.effectiveHouseholds)))]))
        }
        var w = JSONWriter()
        GeoJSONWriter().write(FeatureCollection(features), into: &w)
        return Response(status: .ok, headers: [.contentType: "application/geo+json"], body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    /// `{"op": "split", "grid_id", "line": LineString}`, `{"op": "merge", "grid_id", "into"}`,
    /// `{"op": "reshape", "grid_id", "polygon": Polygon}`, `{"op": "override", "grid_id", "households"}`,
    /// `{"op": "partition", "parent": code}`. Coordinates in WGS84, or GCJ-02 with `"crs": "GCJ-02"`.
    private func operate(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.planner)
        let id = try planID(context)
        let f = try Fields(try await request.jsonBody(context: context), .operation)
        let op = try f.string("op")
        let crs = try Parameters.inputCRS(try f.optionalString("crs"))
        func geometry(_ key: String) throws -> Geometry {
            guard let v = f.object[key] else { throw Fields.invalid("\(key) is required") }
            let g = try GeoJSONReader().geometry(v, key)
            return crs == .gcj02 ? try CoordinateConverter(from: .gcj02, to: .crs84).convert(g) : g
        }
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
        default: throw Fields.invalid("op \(op) is not one of split, merge, reshape, override, partition")
        }
        // The grids named must be in the caller's area, and so must all the edit changes.
        try OutsideArea.check(try ["grid_id", "into", "parent"].compactMap { try f.optionalString($0) }, in: who.area, "this edit")
        let area = who.area
        let changed = try await planning { g, _ in
            guard try g.store.plan(id: id).status == .draft else { throw PlanError("plan \(id) is not a draft") }
            return try g.edit(plan: id, within: area, edit)
        }
        let problems = try await planning { g, _ in try g.validate(plan: id) }
        return try JSONResponse.make(PlanOperationView(plan: id, changed: changed, problems: try Self.problems(problems)))
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
        var crs = CRS.crs84
        for (key, value) in request.queryPairs {
            guard key == "crs", let c = CRS(value), c.isWGS84LonLat || c == .gcj02 else {
                throw Problem.badRequest("validation takes only crs (CRS84, EPSG:4326 or GCJ-02), not \(key)=\(value)", type: "bad-parameter")
            }
            crs = c
        }
        let id: Int64? = live ? nil : try planID(context)
        let problems = try await state.readers.read { r in try GridPlanning(store: r.grids).validate(plan: id) }
        let converter = crs == .gcj02 ? try CoordinateConverter(from: .crs84, to: .gcj02) : nil
        var r = JSONResponse.make(try Self.problems(problems, converter: converter))
        r.headers[.contentType] = "application/geo+json"
        return r
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
