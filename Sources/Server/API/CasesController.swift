import Cases
import Crypto
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird
import Media
import NIOCore

/// The dispatch API: intake, camera alerts, the lifecycle, lists, figures, public tracking, "who
/// takes a case here", and the live feed.
struct CasesController {
    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        router.post("/api/cases") { request, context in try await intake(request, context) }
        router.get("/api/cases") { request, context in try await list(request, context) }
        router.get("/api/cases/{id}") { request, context in try await show(request, context) }
        router.get("/api/cases/{id}/photos/{n}") { request, context in try await photo(request, context) }
        router.post("/api/cases/{id}/photos") { request, context in try await addPhoto(request, context) }
        router.get("/api/cases/{id}/nearest") { request, context in try await nearest(request, context) }
        router.post("/api/cases/{id}/transitions") { request, context in try await transition(request, context) }
        router.post("/api/cases/{id}/units") { request, context in try await hand(request, context) }
        router.get("/api/units") { request, context in try await units(request, context) }
        router.post("/api/alerts") { request, context in try await alert(request, context) }
        router.get("/api/track/{code}") { request, context in try await track(request, context) }
        router.get("/api/stats") { request, context in try await stats(request, context) }
        router.get("/api/assign") { request, context in try await assign(request, context) }
        router.get("/api/events") { request, context in try await events(request, context) }
    }

    private func actor(_ who: Identity, _ request: Request) -> Actor {
        Actor("\(who.role.rawValue):\(who.name)", source: "api", workerID: who.role == .worker ? who.workerID : nil)
    }

    private func caseID(_ context: WanggeContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw Problem.notFound("no case \(text) (case ids are whole numbers)") }
        return id
    }


    private func intake(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker)
        let body = try await request.jsonBody(context: context)
        let f = try Fields(body, .intake)
        let location: IntakeRequest.Location
        if let h = try f.optionalInt("household_id") { location = .household(h) }
        else if let c = try f.optionalString("camera_id") { location = .camera(c) }
        else {
            guard let l = f.object["location"] else { throw Fields.invalid("location is required (a GeoJSON Point), or household_id, or camera_id") }
            let g: Geometry
            do { g = try GeoJSONReader().geometry(l, "location") } catch { throw Problem(.badRequest, "malformed-geojson", error.description) }
            guard case .point(let p) = g else { throw Fields.invalid("location must be a GeoJSON Point, not a \(g.typeName)") }
            location = .point(p, try Parameters.inputCRS(try f.optionalString("crs")))
        }
        var parties: [Party] = []
        for (k, v) in try f.array("parties").enumerated() {
            guard case .object(let o) = v else { throw Fields.invalid("parties[\(k)] must be an object with name, phone, id_number") }
            let pf = try Fields(o, .party)
            parties.append(Party(name: try pf.string("name"), phone: try pf.optionalString("phone"), idNumber: try pf.optionalString("id_number")))
        }
        var r = IntakeRequest(category: try f.enumValue("category", Case.Category.self),
                              channel: try f.enumValue("channel", Case.Channel.self, default: .window),
                              priority: try f.enumValue("priority", Case.Priority.self, default: .normal),
                              description: try f.string("description"), location: location, parties: parties)
        r.area = who.area
        if let key = try Self.idempotencyKey(request, who) {
            r.idempotencyKey = key
            r.fingerprint = Self.fingerprint(.object(body))
        }
        let c = try await state.desk.intake(r, actor: actor(who, request))
        return try caseResponse(c, status: .created)
    }

    /// The request's `Idempotency-Key`, scoped by the caller's token (another token's same key is
    /// another request), if it has one.
    static func idempotencyKey(_ request: Request, _ who: Identity, purpose: String = "") throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem.badRequest("Idempotency-Key is 1 to 255 visible ASCII characters", type: "bad-header")
        }
        return "\(who.tokenID):\(purpose)\(key)"
    }

    static func fingerprint(_ body: JSONValue) -> String {
        var w = JSONWriter()
        w.value(body)
        return Digest.sha256Hex(w.bytes)
    }

    /// The case if the caller's scope holds it; nil (a 404: the case is not theirs to know of) for
    /// an area's desk; 403 `not-your-grid` for a worker, as the phone's page shows it.
    /// A unit's scope holds the cases it was called in to as well (read through `r`).
    private func visible(_ c: Case?, to scope: Scope, in r: any StoreConnection) throws -> Case? {
        guard let c else { return nil }
        guard scope.allows(c, assists: scope.unit == nil ? [] : try r.cases.assists(caseID: c.id)) else {
            if scope.grids != nil { throw notYours(c) }
            return nil
        }
        return c
    }

    /// A worker asking for a case of another grid: told so (403), as the phone's page shows it.
    private func notYours(_ c: Case) -> Problem {
        Problem(.forbidden, "not-your-grid", "case \(c.id) is in grid \(c.gridCode ?? "none"), not one of your grids")
    }

    private func caseResponse(_ c: Case, status: HTTPResponse.Status) throws -> Response {
        // A new case names the micro-grid leader, the first to the place.
        let first = status == .created ? state.territory.microgrids.leader(of: c.microgridCode) : nil
        var response = try JSONResponse.make(CaseView(c, state.unitNames, firstResponder: first), status: status)
        if status == .created { response.headers[.location] = "/api/cases/\(c.id)" }
        return response
    }

    private func show(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker, .viewer, .unit)
        let id = try caseID(context)
        let scope = try await state.scope(who)
        let personal = who.role != .viewer
        let names = state.unitNames
        let key = state.partyKey
        let view = try await state.readers.read { r -> CaseView? in
            guard let c = try visible(try r.cases.find(id: id), to: scope, in: r) else { return nil }
            let assists = try r.cases.assists(caseID: id)
            guard personal else { return CaseView(c, names, personal: false, events: try r.cases.events(caseID: id), assists: assists) }
            let (parties, links) = try key.parties(of: c, in: r.cases)
            return CaseView(c, names, parties: parties, links: links, events: try r.cases.events(caseID: id), assists: assists)
        }
        guard let view else { throw Problem.notFound("no case \(id)") }
        return try JSONResponse.make(view)
    }

    /// A photo sent with the case (as the server re-encoded it), 1 the first: those who handle the
    /// case (a photo may show people); viewers see none.
    private func photo(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker, .unit)
        let id = try caseID(context)
        let n = try context.parameters.require("n")
        guard let k = Int(n), (1...100).contains(k) else { throw Problem.notFound("no photo \(n) (photos are numbered from 1)") }
        let scope = try await state.scope(who)
        let photo = try await state.readers.read { r -> CasePhoto? in
            guard try visible(try r.cases.find(id: id), to: scope, in: r) != nil else { return nil }
            let photos = try r.cases.photos(caseID: id)
            return k <= photos.count ? photos[k - 1] : nil
        }
        guard let photo else { throw Problem.notFound("case \(id) has no photo \(k)") }
        return Response(status: .ok, headers: [.contentType: photo.contentType, .cacheControl: "private, max-age=86400"],
                        body: .init(byteBuffer: ByteBuffer(bytes: photo.bytes)))
    }

    /// A photo from the field (`Content-Type: image/jpeg`, PNG or HEIC; at most 10 MB), re-encoded
    /// without metadata like residents' (dispatcher, or the case's worker); `Idempotency-Key` as on steps.
    private func addPhoto(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker, .unit)
        let id = try caseID(context)
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard ["image/jpeg", "image/png", "image/heic", "image/heif"].contains(where: type.hasPrefix) else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", "send the photo itself as image/jpeg, image/png or image/heic (got \(type.isEmpty ? "no Content-Type" : type))")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Photo.maxBytes) } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, "photo-too-large", "a photo may be at most 10 MB")
        }
        let bytes = Array(body.readableBytesView)
        let scope = try await state.scope(who)
        guard try await state.readers.read({ r in try visible(try r.cases.find(id: id), to: scope, in: r) }) != nil else {
            throw Problem.notFound("no case \(id)")
        }
        let photo = try CasePhoto(upload: bytes)
        let key = try Self.idempotencyKey(request, who, purpose: "photo:")
        let fingerprint = Self.fingerprint(.array([.integer(id), .string(Digest.sha256Hex(bytes))]))
        let a = actor(who, request)
        let n = try await state.desk.perform { try $0.attach(photo, caseID: id, actor: a, key: key, fingerprint: fingerprint) }
        var r = try JSONResponse.make(PhotoView(case_id: id, photos: n, width: photo.width, height: photo.height), status: .created)
        r.headers[.location] = "/api/cases/\(id)/photos/\(n)"
        return r
    }

    /// The on-duty workers of the case's town by distance (their positions: dispatchers only).
    private func nearest(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher)
        let id = try caseID(context)
        let scope = try await state.scope(who)
        let territory = state.territory, now = Date()
        let view = try await state.readers.read { r -> NearestView? in
            guard let c = try r.cases.find(id: id), scope.allows(c) else { return nil }
            guard let g = c.gridCode else { return NearestView(caseID: id, nil) }
            let near = NearestOnDuty(gridCode: g, at: c.position, territory: territory, positions: try r.field.positions(), now: now)
            return NearestView(caseID: id, near)
        }
        guard let view else { throw Problem.notFound("no case \(id)") }
        return try JSONResponse.make(view)
    }

    private func transition(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker, .unit)
        let id = try caseID(context)
        let body = try await request.jsonBody(context: context)
        let f = try Fields(body, .transition)
        var t = TransitionRequest(to: try f.enumValue("to", Case.Status.self), note: try f.optionalString("note"),
                                  target: try f.optionalString("target"), rating: try f.optionalInt("rating").map { Int($0) })
        t.area = who.area
        t.unit = who.role == .unit ? who.unit : nil
        if let key = try Self.idempotencyKey(request, who, purpose: "step:") {
            t.idempotencyKey = key
            t.fingerprint = Self.fingerprint(.array([.integer(id), .object(body)]))
        }
        let scope = try await state.scope(who)
        if scope.grids != nil {
            let c = try await state.readers.read { try $0.cases.find(id: id) }
            guard let c else { throw Problem.notFound("no case \(id)") }
            guard scope.allows(c) else { throw notYours(c) }
        }
        if scope.unit != nil {
            // Another unit's case is not this desk's to know of; one it assists, it is told it cannot move.
            guard try await state.readers.read({ r in try visible(try r.cases.find(id: id), to: scope, in: r) }) != nil else {
                throw Problem.notFound("no case \(id)")
            }
        }
        let a = actor(who, request), step = t
        let c = try await state.desk.perform { try $0.transition(caseID: id, step, actor: a) }
        return try caseResponse(c, status: .ok)
    }

    private func list(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher, .worker, .viewer, .unit)
        var q = CaseQuery()
        for (key, value) in request.queryPairs {
            switch key {
            case "status": q.statuses = try Parameters.statuses(value)
            case "grid_id":
                guard value.utf8.count == 15, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                    throw Problem.badRequest("grid_id is a grid's 15-digit code, not \(value)", type: "bad-parameter")
                }
                q.gridCodes = [value]
            case "overdue":
                guard value == "true" || value == "false" else { throw Problem.badRequest("overdue is true or false, not \(value)", type: "bad-parameter") }
                q.overdue = value == "true"
            case "limit":
                guard let n = Int(value), (1...1000).contains(n) else { throw Problem.badRequest("limit must be 1 to 1000", type: "bad-parameter") }
                q.limit = n
            case "offset":
                guard let n = Int(value), n >= 0, n <= ItemsQuery.maxOffset else {
                    throw Problem.badRequest("offset must be a whole number from 0 to \(ItemsQuery.maxOffset)", type: "bad-parameter")
                }
                q.offset = n
            default: throw Problem.badRequest("unknown parameter \(key); use status, grid_id, overdue, limit, offset", type: "bad-parameter")
            }
        }
        let query = try await state.scope(who).narrow(q)
        let names = state.unitNames, personal = who.role != .viewer
        let view = try await state.readers.read { r -> CaseListView in
            let (cases, matched) = try r.cases.page(query)
            return CaseListView(matched: matched, cases: cases.map { CaseView($0, names, personal: personal) })
        }
        return try JSONResponse.make(view)
    }

    /// Hands the case to a committee or department, or calls one in to assist (dispatchers).
    private func hand(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher)
        let id = try caseID(context)
        let f = try Fields(try await request.jsonBody(context: context), .hand)
        var h = HandRequest(unit: try f.string("unit"), part: try f.enumValue("role", HandRequest.Part.self, default: .lead),
                            note: try f.optionalString("note"))
        h.area = who.area
        let a = actor(who, request), step = h
        let (c, assists) = try await state.desk.perform { try $0.hand(caseID: id, step, actor: a) }
        return try JSONResponse.make(CaseView(c, state.unitNames, assists: assists))
    }

    /// The committees and departments, with the categories they take and route (any token).
    private func units(_ request: Request, _ context: WanggeContext) async throws -> Response {
        _ = try context.require(.dispatcher, .viewer, .planner, .worker, .unit)
        for (key, _) in request.queryPairs { throw Problem.badRequest("unknown parameter \(key); /api/units takes none", type: "bad-parameter") }
        return try JSONResponse.make(UnitListView(state.territory.units.all))
    }

    private func alert(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.dispatcher)
        let f = try Fields(try await request.jsonBody(context: context), .alert)
        var a = AlertRequest(cameraID: try f.string("camera_id"), type: try f.string("type"), at: try f.date("at") ?? Date(),
                             snapshotURL: try f.optionalString("snapshot_url"), bearing: try f.optionalDouble("bearing"))
        a.area = who.area
        let by = actor(who, request), alert = a
        let (c, merged) = try await state.desk.perform { try $0.alert(alert, actor: by) }
        var response = try JSONResponse.make(AlertView(merged: merged, case: CaseView(c, state.unitNames)), status: merged ? .ok : .created)
        response.headers[.location] = "/api/cases/\(c.id)"
        return response
    }

    /// Public: status, timeline and handling unit by the tracking code; no personal data.
    private func track(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let code = try context.parameters.require("code")
        let names = state.unitNames
        let view = try await state.readers.read { r -> TrackView in
            let (c, events, assists) = try r.cases.track(code: code)
            return TrackView(c, events, names, assists: assists)
        }
        return try JSONResponse.make(view)
    }

    private func stats(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .dispatcher, .planner)
        // Times are kept to the second and `to` is exclusive: by default, up to the end of this second,
        // so that a case taken a moment ago is counted.
        var from: Date?, to = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 1).rounded(.down)), by = CaseGrouping.county
        for (key, value) in request.queryPairs {
            switch key {
            case "from", "to":
                let d = try Parameters.time(key, value)
                if key == "from" { from = d } else { to = d }
            case "by":
                guard let g = CaseGrouping(rawValue: value) else {
                    throw Problem.badRequest("by must be one of \(CaseGrouping.allCases.map(\.rawValue).joined(separator: ", "))", type: "bad-parameter")
                }
                by = g
            default: throw Problem.badRequest("unknown parameter \(key); use from, to, by", type: "bad-parameter")
            }
        }
        let start = from ?? to - 365 * 86400
        guard start < to else { throw Problem.badRequest("from must be before to", type: "bad-parameter") }
        let end = to, grouping = by, area = who.area
        let figures = try await state.readers.read { try $0.cases.figures(from: start, to: end, by: grouping, area: area) }
        return try JSONResponse.make(StatsView(from: start, to: end, by: grouping, figures: figures, residents: state.territory.residents,
                                               names: state.unitNames))
    }

    private func assign(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .dispatcher, .planner, .worker)
        var lon: Double?, lat: Double?, crs = CRS.crs84
        for (key, value) in request.queryPairs {
            switch key {
            case "lon": lon = Double(value)
            case "lat": lat = Double(value)
            case "crs": crs = try Parameters.inputCRS(value)
            default: throw Problem.badRequest("unknown parameter \(key); use lon, lat, crs", type: "bad-parameter")
            }
        }
        guard let lon, let lat else { throw Problem.badRequest("lon and lat are required numbers", type: "bad-parameter") }
        let p = Position(lon, lat), c = crs
        let territory = state.territory
        let place = territory.placement(of: try Dispatcher.wgs84(p, c))
        if let area = who.area, !area.contains(code: String(place.unit.split(separator: ":").last ?? "")) {
            throw Problem(.forbidden, "outside-area", "this place is handled by \(territory.unitNames.name(place.unit)), outside your area \(area)")
        }
        // Staff phones are not for viewers' screens.
        return try JSONResponse.make(PlacementView(place, territory.unitNames, phones: who.role != .viewer))
    }

    private func events(_ request: Request, _ context: WanggeContext) async throws -> Response {
        // The feed carries what the cases collection does (no personal data): whoever may read that.
        let who = try context.require(.dispatcher, .viewer, .worker, .planner)
        let last = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.query("last_event_id")
        var after: Int64?
        if let last {
            guard let n = Int64(last), n >= 0 else { throw Problem.badRequest("Last-Event-ID must be an event id from this stream", type: "bad-parameter") }
            after = n
        }
        // Workers' positions are staff's personal data: dispatchers get those of their area's workers.
        var positions: Set<Int64>?
        if who.role == .dispatcher {
            let area = who.area?.code
            positions = try await state.readers.read { r in Set(try r.grids.posts().filter { area.map($0.gridCode.hasPrefix) ?? true }.map(\.workerID)) }
        }
        let body = try await CaseFeed(readers: state.readers, feed: state.feed, layerServed: { [state] in await state.layerServed($0) })
            .stream(after: after, scope: try await state.scope(who), positionsOf: positions)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

/// A photo added: the case's photos now, and this one's size as kept.
struct PhotoView: DocumentedShape, Sendable {
    var case_id: Int64
    var photos: Int
    var width: Int
    var height: Int
    static var examples: [PhotoView] { [PhotoView(case_id: 9162, photos: 1, width: 1600, height: 1200)] }
}
