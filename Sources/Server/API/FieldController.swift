import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird
import NIOCore

/// Field work: a worker's phone uploads its GPX track; the worker and the dispatchers of their
/// area read a day of it. Positions are staff's personal data: viewers never see them.
struct FieldController {
    let state: ServerState
    static let maxGPX = 20 << 20

    func register(on router: Router<WanggeContext>) {
        router.post("/api/workers/{id}/tracks") { request, context in try await upload(request, context) }
        router.get("/api/workers/{id}/tracks") { request, context in try await day(request, context) }
        router.get("/api/patrol") { request, context in try await patrol(request, context) }
        router.post("/api/workers/{id}/position") { request, context in try await position(request, context) }
        router.get("/api/workers/positions") { request, context in try await positions(request, context) }
        router.get("/api/workers/{id}/households") { request, context in try await households(request, context) }
    }

    /// The key households of the worker's grids with their last visit (the worker, or a dispatcher
    /// of the worker's area): which to go to next.
    private func households(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.worker, .dispatcher)
        let id = try await worker(who, context)
        let gcj = try Self.answersInGCJ02(request)
        let now = Date(), day = ChinaTime.dayText(now), week = try PatrolWeek(day: day)
        let view = try await state.readers.read { r -> KeyHouseholdsView in
            let grids = Set(try r.grids.grids(ofWorker: id))
            let keys = try r.field.keyHouseholds().filter { $0.gridCode.map(grids.contains) ?? false }
            let wanted = Set(keys.map(\.householdID))
            let visits = try r.field.visits(first: ChinaTime.dayText(now - ServerState.trackDays * 86400), last: day)
                .filter { wanted.contains($0.householdID) }
            let places = try keys.compactMap { k in try r.grids.household(id: k.householdID).map { (k, address: $0.address, position: $0.position) } }
            return KeyHouseholdsView(worker: id, day: day, monthFirst: week.monthFirst, households: places, visits: visits, gcj02: gcj)
        }
        return try JSONResponse.make(view)
    }

    /// The worker of the path, if the caller may see or write their track: the worker themself,
    /// or a dispatcher (of the worker's area, for a token limited to one).
    private func worker(_ who: Identity, _ context: WanggeContext) async throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw Problem.notFound("no worker \(text) (worker ids are whole numbers)") }
        if who.role == .worker {
            guard who.workerID == id else { throw Problem(.forbidden, "forbidden", "a worker's token writes and reads its own track only (worker \(who.workerID ?? 0))") }
            return id
        }
        let grids = try await state.readers.read { r -> [String]? in
            guard try r.grids.worker(id: id) != nil else { return nil }
            return try r.grids.grids(ofWorker: id)
        }
        guard let grids else { throw Problem.notFound("no worker \(id)") }
        if let area = who.area, !grids.contains(where: { $0.hasPrefix(area.code) }) {
            throw Problem(.forbidden, "forbidden", "worker \(id) has no grid in your area \(area.code)")
        }
        return id
    }

    private func upload(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.worker, .dispatcher)
        let id = try await worker(who, context)
        var crs = CRS.crs84
        for (key, value) in request.queryPairs {
            guard key == "crs" else { throw Problem.badRequest("unknown parameter \(key); use crs", type: "bad-parameter") }
            switch value.lowercased() {
            case "gcj02", "gcj-02": crs = .gcj02
            case "wgs84", "epsg:4326", "crs84": crs = .crs84
            default: throw Problem.badRequest("crs must be gcj02 or wgs84 (EPSG:4326), not \(value)", type: "bad-parameter")
            }
        }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard ["application/gpx+xml", "application/xml", "text/xml"].contains(where: { type.hasPrefix($0) }) else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", "send the track as application/gpx+xml (got \(type.isEmpty ? "no Content-Type" : type))")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: Self.maxGPX) } catch {
            throw Problem(.contentTooLarge, "body-too-large", "a GPX upload takes at most 20 MiB")
        }
        let fixes: [TrackFix]
        do { fixes = try GPXReader(crs: crs).read(Data(buffer.readableBytesView)) } catch {
            throw Problem(error.malformed ? .badRequest : .unprocessableContent, error.malformed ? "malformed-gpx" : "bad-gpx", error.reason)
        }
        let result = try await state.desk.perform { try TrackImport.record(fixes, worker: id, in: $0.store, layer: $0.territory.layer) }
        return try JSONResponse.make(TrackImportView(result, worker: id), status: .created)
    }

    private func day(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.worker, .dispatcher)
        let id = try await worker(who, context)
        var start = ChinaTime.startOfDay(Date()), gcj = false
        for (key, value) in request.queryPairs {
            switch key {
            case "date": start = try Parameters.day(value).start
            case "crs": gcj = try Self.gcj(value)
            default: throw Problem.badRequest("unknown parameter \(key); use date, crs", type: "bad-parameter")
            }
        }
        let day = ChinaTime.dayText(start), from = start
        let fixes = try await state.readers.read { try $0.field.fixes(worker: id, from: from, to: from + 86400) }
        return Response(status: .ok, headers: [.contentType: "application/geo+json"],
                        body: .init(byteBuffer: ByteBuffer(string: WorkerDayTrack(worker: id, day: day, fixes: fixes).geoJSON(gcj02: gcj))))
    }

    /// The day's patrol figures in the caller's reach: a dispatcher's, viewer's or planner's area
    /// (viewers and planners get per-grid and per-town figures only), a worker's own grids and row.
    private func patrol(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .planner, .dispatcher, .worker)
        let detail = who.role == .dispatcher || who.role == .worker
        var day = ChinaTime.dayText(Date()), by = PatrolView.By.grid
        for (key, value) in request.queryPairs {
            switch key {
            case "date": day = try Parameters.day(value).text
            case "by":
                guard let b = PatrolView.By(rawValue: value) else {
                    throw Problem.badRequest("by must be one of \(PatrolView.By.allCases.map(\.rawValue).joined(separator: ", ")), not \(value)", type: "bad-parameter")
                }
                by = b
            default: throw Problem.badRequest("unknown parameter \(key); use date, by", type: "bad-parameter")
            }
        }
        if !detail, by == .worker {
            throw Problem(.forbidden, "forbidden", "figures by worker are for dispatchers and the worker themself; viewers and planners see them by grid or town")
        }
        let territory = state.territory, area = who.area?.code, me = who.role == .worker ? who.workerID : nil, date = day
        let figures = try await state.readers.read { r -> PatrolFigures in
            let (input, week) = try PatrolFigures.read(day: date, from: r, grids: territory.layer.grids)
            let mine = try me.map { Set(try r.grids.grids(ofWorker: $0)) }
            return PatrolFigures(day: date, week: week, input: input, scope: { code in
                (area.map { code.hasPrefix($0) } ?? true) && (mine?.contains(code) ?? true)
            }, onlyWorker: me)
        }
        return JSONResponse.make(try PatrolView(figures, by: by, detail: detail, names: territory.unitNames).json())
    }

    /// Whether a request whose only parameter is `crs` asks for its answer in GCJ-02.
    static func answersInGCJ02(_ request: Request) throws -> Bool {
        var gcj = false
        for (key, value) in request.queryPairs {
            guard key == "crs" else { throw Problem.badRequest("unknown parameter \(key); use crs", type: "bad-parameter") }
            gcj = try Self.gcj(value)
        }
        return gcj
    }

    /// Whether an answer's `crs` asks for GCJ-02 (the map over Amap or Tencent tiles); else CRS84.
    static func gcj(_ text: String) throws -> Bool {
        guard let c = CRS(text), c == .gcj02 || c == .crs84 else {
            throw Problem.badRequest("crs \(text) is not supported here; use \(CRS.crs84.uri) or \(CRS.gcj02.uri)", type: "bad-crs")
        }
        return c == .gcj02
    }

    /// A phone's last position: kept (the newest per worker), published to dispatch screens.
    private func position(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.worker, .dispatcher)
        let id = try await worker(who, context)
        let f = try Fields(try await request.jsonBody(context: context), .position)
        if let key = f.object.members.first(where: { $0.value == .null })?.key { throw Fields.invalid("\(key) must not be null (leave it out instead)") }
        let crs = try Parameters.inputCRS(try f.optionalString("crs"))
        guard let lon = try f.optionalDouble("lon"), let lat = try f.optionalDouble("lat") else { throw Fields.invalid("lon and lat are required") }
        var p = Position(lon, lat)
        guard ChinaOffset.isInsideChina(p) else { throw Fields.invalid("lon \(lon), lat \(lat) is outside China") }
        if crs == .gcj02 {
            do { p = try ChinaOffset.gcj02ToWGS84(p) } catch { throw Fields.invalid("lon \(lon), lat \(lat): \(error)") }
        }
        let now = Date()
        let at = try f.date("at") ?? now
        guard at <= now + 300, at >= now - 86400 else {
            throw Fields.invalid("at \(ChinaTime.text(at)) is not within the last day (and at most 5 minutes ahead of the server's clock)")
        }
        let accuracy = try f.optionalDouble("accuracy_m")
        if let accuracy, !(0...10_000).contains(accuracy) { throw Fields.invalid("accuracy_m must be from 0 to 10000 metres, not \(accuracy)") }
        let kept = WorkerPosition(workerID: id, at: at, position: p, accuracyM: accuracy)
        try await state.desk.report(kept)
        return try JSONResponse.make(PositionView(kept))
    }

    /// The last positions of the workers posted in the dispatcher's area.
    private func positions(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher)
        let gcj = try Self.answersInGCJ02(request)
        let area = who.area
        let view = try await state.readers.read { r -> WorkerPositionsView in
            var grids: [Int64: [String]] = [:]
            for p in try r.grids.posts() where area.map({ p.gridCode.hasPrefix($0.code) }) ?? true { grids[p.workerID, default: []].append(p.gridCode) }
            let workers = Dictionary(try r.grids.workers().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            return WorkerPositionsView(positions: try r.field.positions().filter { grids[$0.workerID] != nil },
                                       workers: workers, grids: grids.mapValues { Array(Set($0)).sorted() }, now: Date())
        }
        return Response(status: .ok, headers: [.contentType: "application/geo+json"], body: .init(byteBuffer: ByteBuffer(string: view.geoJSON(gcj02: gcj))))
    }
}
