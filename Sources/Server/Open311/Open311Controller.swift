import Cases
import Foundation
import Geo
import HTTPTypes
import Hummingbird

/// Open311 GeoReport v2 at `/open311/v2/` (FixMyStreet, city apps, the province's platform):
/// the categories as services, requests filed with an `open311` token as `api_key`, requests
/// read by anyone (what the public tracking page shows, no personal data). `jurisdiction_id` is a
/// county code of the database. Errors are the spec's lists (`[{"code","description"}]`, or
/// `<errors>`), with its status codes: 400, 403 for the api_key, 404.
struct Open311Controller {
    let state: ServerState
    /// The spec's default window of `GET requests`, and the longest one it allows.
    static let window: TimeInterval = 90 * 86400
    static let maxPageSize = 1000

    func register(on router: Router<WanggeContext>) {
        router.get("/open311/{resource}") { request, context in
            try await answer(context, "resource", expect: "discovery") { format, _ in try discovery(request, format) }
        }
        router.get("/open311/v2/{resource}") { request, context in
            try await answer(context, "resource") { format, name in
                switch name {
                case "services": return try services(request, format)
                case "requests": return try await requests(request, format)
                default: throw Problem.notFound("no resource \(name); GeoReport v2 has services, requests, tokens")
                }
            }
        }
        router.post("/open311/v2/{resource}") { request, context in
            try await answer(context, "resource", expect: "requests") { format, _ in try await file(request, context, format) }
        }
        router.get("/open311/v2/services/{resource}") { request, context in
            try await answer(context, "resource") { format, code in try definition(request, code, format) }
        }
        router.get("/open311/v2/requests/{resource}") { request, context in
            try await answer(context, "resource") { format, id in try await one(request, id, format) }
        }
        router.get("/open311/v2/tokens/{resource}") { request, context in
            try await answer(context, "resource") { format, token in try await tokenRequest(request, token, format) }
        }
    }

    /// Runs a handler for `name.json|xml`, turning what it throws into the spec's error list.
    private func answer(_ context: WanggeContext, _ parameter: String, expect: String? = nil,
                        _ body: (Open311Format, String) async throws -> Response) async throws -> Response {
        let resource = context.parameters.get(parameter) ?? ""
        guard let (name, format) = Open311Format.split(resource) else {
            return Open311Format.json.errors(.notFound, "\(resource): add .json or .xml to the resource")
        }
        if let expect, name != expect { return format.errors(.notFound, "no resource \(name) here; this takes \(expect).\(format.rawValue)") }
        do {
            return try await body(format, name)
        } catch {
            guard let p = Problem.from(error) else { throw error }
            // The spec knows 400 for a request it cannot take (it has no 422).
            let status: HTTPResponse.Status = p.status == .unprocessableContent ? .badRequest : p.status
            return format.errors(status, p.detail, retryAfter: p.retryAfter)
        }
    }

    private func jurisdiction(_ request: Request) throws -> String? {
        guard let j = request.query("jurisdiction_id"), !j.isEmpty else { return nil }
        return try checkedJurisdiction(j)
    }

    private func checkedJurisdiction(_ j: String) throws -> String {
        let counties = state.territory.counties.codes
        guard counties.contains(j) else {
            throw Problem.notFound("unknown jurisdiction_id \(j); this server has \(counties.joined(separator: ", "))")
        }
        return j
    }

    private func discovery(_ request: Request, _ format: Open311Format) throws -> Response {
        let endpoint = Open311Discovery.Endpoint(url: request.baseURL + "/open311/v2", changeset: "2026-12-07T00:00:00+08:00")
        return try format.single(Open311Discovery(changeset: endpoint.changeset, contact: "the county's 综治中心",
                                                  key_service: "an api_key is a Wangge token of the open311 role (wangge token create --role open311)",
                                                  endpoints: [endpoint]), root: "discovery")
    }

    private func services(_ request: Request, _ format: Open311Format) throws -> Response {
        _ = try jurisdiction(request)
        return try format.list(Case.Category.allCases.map(Open311Service.init), root: "services", item: "service")
    }

    private func definition(_ request: Request, _ code: String, _ format: Open311Format) throws -> Response {
        _ = try jurisdiction(request)
        guard let c = Case.Category(rawValue: code) else { throw Problem.notFound("no service_code \(code); GET services lists them") }
        return try format.single(Open311ServiceDefinition(service_code: c.rawValue), root: "service_definition")
    }

    // MARK: reading requests

    private func requests(_ request: Request, _ format: Open311Format) async throws -> Response {
        var q = CaseQuery(limit: Self.maxPageSize)
        var ids: [Int64]?, start: Date?, end: Date?, page = 1
        for (key, value) in request.queryPairs {
            switch key {
            case "jurisdiction_id": q.county = try checkedJurisdiction(value)
            case "service_request_id":
                ids = try value.split(separator: ",").map { s throws(Problem) -> Int64 in
                    guard let id = Int64(s.trimmingCharacters(in: .whitespaces)), id > 0 else {
                        throw .badRequest("service_request_id is a comma-separated list of request ids, not \(value)")
                    }
                    return id
                }
            case "service_code":
                q.categories = try value.split(separator: ",").map { s throws(Problem) -> Case.Category in
                    guard let c = Case.Category(rawValue: s.trimmingCharacters(in: .whitespaces)) else {
                        throw .notFound("no service_code \(s); GET services lists them")
                    }
                    return c
                }
            case "start_date", "end_date":
                guard let d = Parameters.time(value) else {
                    throw Problem.badRequest("\(key) must be a W3C date-time such as 2026-11-01T00:00:00+08:00, not \(value)")
                }
                if key == "start_date" { start = d } else { end = d }
            case "status":
                var statuses: [Case.Status] = []
                for s in value.split(separator: ",") {
                    switch s.trimmingCharacters(in: .whitespaces) {
                    case "open": statuses += Case.Status.allCases.filter(\.isOpen)
                    case "closed": statuses += Case.Status.allCases.filter { !$0.isOpen }
                    default: throw Problem.badRequest("status is open, closed or both (comma-separated), not \(value)")
                    }
                }
                q.statuses = statuses
            case "page":
                guard let n = Int(value), n >= 1, n <= 1_000_000 else { throw Problem.badRequest("page is a whole number from 1, not \(value)") }
                page = n
            case "page_size":
                guard let n = Int(value), (1...Self.maxPageSize).contains(n) else {
                    throw Problem.badRequest("page_size is 1 to \(Self.maxPageSize), not \(value)")
                }
                q.limit = n
            case "api_key": continue   // reading needs none; a client that always sends it is welcome
            default:
                throw Problem.badRequest("unknown parameter \(key); GET requests takes jurisdiction_id, service_request_id, service_code, start_date, end_date, status, page, page_size")
            }
        }
        let names = state.unitNames
        if let ids {
            // The spec: ids override every other parameter.
            guard ids.count <= Self.maxPageSize else { throw Problem.badRequest("at most \(Self.maxPageSize) service_request_ids at once") }
            let found = try await state.readers.read { try $0.cases.find(ids: ids) }
            return try format.list(found.map { Open311Request($0, names) }, root: "service_requests", item: "request")
        }
        let to = end ?? Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 1).rounded(.down))
        let from = start ?? to - Self.window
        guard from <= to else { throw Problem.badRequest("start_date must not be after end_date") }
        guard to.timeIntervalSince(from) <= Self.window else { throw Problem.badRequest("start_date to end_date may span 90 days at most") }
        q.reportedFrom = from
        q.reportedTo = to
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: q.limit)
        guard !overflow, offset <= ItemsQuery.maxOffset else { throw Problem.badRequest("page × page_size is past the last request") }
        q.offset = offset
        let query = q
        let found = try await state.readers.read { try $0.cases.page(query, count: false).cases }
        return try format.list(found.map { Open311Request($0, names) }, root: "service_requests", item: "request")
    }

    private func one(_ request: Request, _ id: String, _ format: Open311Format) async throws -> Response {
        _ = try jurisdiction(request)
        guard let n = Int64(id), n > 0 else { throw Problem.notFound("no service request \(id) (ids are whole numbers)") }
        let names = state.unitNames
        guard let c = try await state.readers.read({ try $0.cases.find(id: n) }) else { throw Problem.notFound("no service request \(id)") }
        return try format.list([Open311Request(c, names)], root: "service_requests", item: "request")
    }

    private func tokenRequest(_ request: Request, _ token: String, _ format: Open311Format) async throws -> Response {
        _ = try jurisdiction(request)
        let c = try await state.readers.read { try $0.cases.track(code: token).0 }
        return try format.list([Open311Token(service_request_id: String(c.id), token: c.code)], root: "service_requests", item: "request")
    }

    // MARK: filing a request

    /// The spec's members of a POST; `attribute[…]` (a service's extra questions) are taken and
    /// set aside, as these services ask none.
    static let postMembers: Set<String> = ["api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
                                           "email", "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url"]

    private func file(_ request: Request, _ context: WanggeContext, _ format: Open311Format) async throws -> Response {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw Problem.badRequest("send the request as application/x-www-form-urlencoded (got \(type.isEmpty ? "no Content-Type" : type))")
        }
        let buffer = try await request.body.collect(upTo: 256 << 10)
        var form: [String: String] = [:]
        for (k, v) in FormPairs.decode(Substring(String(decoding: buffer.readableBytesView, as: UTF8.self))) {
            guard Self.postMembers.contains(k) || (k.hasPrefix("attribute[") && k.hasSuffix("]")) else {
                throw Problem.badRequest("unknown member \(k); GeoReport v2 takes \(Self.postMembers.sorted().joined(separator: ", "))")
            }
            guard form[k] == nil else { throw Problem.badRequest("\(k) is given twice") }
            form[k] = v
        }
        // The key first: nothing about the request is answered to a caller without one.
        guard let key = form["api_key"], !key.isEmpty else { throw Problem.forbidden("api_key is required to file a request (a token of the open311 role)") }
        try state.failures.check(context.clientIP)
        guard let who = try await AuthMiddleware.identity(of: key, readers: state.readers, cache: state.tokenCache), !who.session else {
            state.failures.record(context.clientIP)
            throw Problem.forbidden("unknown or revoked api_key")
        }
        guard who.role == .open311 else { throw Problem.forbidden("api_key is a \(who.role.rawValue) token; filing needs one of the open311 role") }
        if let j = form["jurisdiction_id"], !j.isEmpty { _ = try checkedJurisdiction(j) }

        guard let code = form["service_code"], !code.isEmpty else { throw Problem.badRequest("service_code is required; GET services lists them") }
        guard let category = Case.Category(rawValue: code) else { throw Problem.notFound("no service_code \(code); GET services lists them") }
        let location: IntakeRequest.Location
        if let lat = form["lat"], let lon = form["long"] {
            guard let y = Double(lat), let x = Double(lon), y.isFinite, x.isFinite else {
                throw Problem.badRequest("lat and long are decimal degrees (WGS84), not \(lat), \(lon)")
            }
            location = .point(Position(x, y), .crs84)
        } else if let a = form["address_id"], !a.isEmpty {
            guard let id = Int64(a), id > 0 else { throw Problem.badRequest("address_id is a household's id, not \(a)") }
            location = .household(id)
        } else if form["lat"] != nil || form["long"] != nil {
            throw Problem.badRequest("lat and long go together")
        } else {
            throw Problem.badRequest("a location is required: lat and long (WGS84), or address_id (a household); address_string alone cannot be placed")
        }
        let name = [form["last_name"], form["first_name"]].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined()
        let phone = form["phone"].flatMap { $0.isEmpty ? nil : $0 }
        let parties = name.isEmpty && phone == nil ? [] : [Party(name: name.isEmpty ? "(未留名)" : name, phone: phone)]
        let text = form["description"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        var r = IntakeRequest(category: category, channel: .referral, description: text.isEmpty ? category.name : text,
                              location: location, parties: parties)
        r.area = who.area
        r.withinCounties = true
        let c = try await state.desk.intake(r, actor: Actor("open311:\(who.name)", source: "open311"))
        var response = try format.list([Open311Receipt(service_request_id: String(c.id), token: c.code,
                                                       service_notice: "已受理: \(state.unitNames.name(c.unit)) 办理; 解纷码 \(c.code)",
                                                       account_id: form["account_id"])],
                                       root: "service_requests", item: "request", status: .created)
        response.headers[.location] = "/open311/v2/requests/\(c.id).\(format.rawValue)"
        return response
    }
}
