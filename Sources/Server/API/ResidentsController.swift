import Cases
import Foundation
import Geo
import HTTPTypes
import Hummingbird
import Media
import NIOCore

/// What residents use without an account, and what the centres print for them: the report codes
/// of villages, communities and grids.
struct ResidentsController {
    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        router.get("/api/qr/{file}") { request, context in try qr(request, context) }
        router.post("/api/reports") { request, context in try await report(request, context) }
        router.get("/track/{code}") { request, context in try await trackPage(request, context) }
        router.post("/track/{code}/rating") { request, context in try await rate(request, context, form: true) }
        router.post("/api/track/{code}/rating") { request, context in try await rate(request, context, form: false) }
    }

    /// `/api/qr/511725001001.svg` (or `.png`): the unit's card, its link to this server's report page.
    private func qr(_ request: Request, _ context: WanggeContext) throws -> Response {
        _ = try context.require(.viewer, .dispatcher, .planner)
        let file = try context.parameters.require("file")
        let (code, kind) = (file.split(separator: ".").first.map(String.init) ?? "", file.split(separator: ".").dropFirst().joined(separator: "."))
        guard kind == "svg" || kind == "png" else { throw Problem.notFound("\(file): a code is CODE.svg or CODE.png") }
        guard let unit = ReportUnit(code: code, in: state.territory) else {
            throw Problem.notFound("no village, community or grid \(code) (a 12- or 15-digit code of this database)")
        }
        let card = try ReportCodeCard(url: unit.reportURL(base: request.baseURL), title: unit.title, subtitle: unit.subtitle)
        let bytes = kind == "svg" ? Array(card.svg.utf8) : try card.png()
        return Response(status: .ok, headers: [.contentType: kind == "svg" ? "image/svg+xml" : "image/png", .cacheControl: "private, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

// MARK: reporting without an account

/// The answer to a resident's report: the tracking code, the page to follow it, and the one-time
/// link to rate it once closed (shown once: only its digest is kept).
struct ReportReceiptView: DocumentedShape, Sendable {
    var code: String
    var track_url: String
    var rating_url: String
    var handling_unit: String
    var status: String
    static var examples: [ReportReceiptView] {
        [ReportReceiptView(code: "K7Q2-M9XD-3HVA", track_url: "/track/K7Q2-M9XD-3HVA", rating_url: "/track/K7Q2-M9XD-3HVA?key=00112233445566778899aabbccddeeff",
                           handling_unit: "渠江街道 网格 511725001001004", status: "assigned")]
    }
}

extension ResidentsController {
    /// What a report may hold: the form's fields (and `photo`, a file).
    static let reportFields: Set<String> = ["category", "description", "lon", "lat", "crs", "unit", "phone", "website", "photo"]
    /// A mainland mobile number: 11 digits from 13 to 19.
    static func isMobile(_ s: String) -> Bool {
        s.utf8.count == 11 && s.utf8.allSatisfy { (0x30...0x39).contains($0) } && s.hasPrefix("1") && !s.hasPrefix("10") && !s.hasPrefix("11") && !s.hasPrefix("12")
    }

    /// `POST /api/reports`: a resident's report, as the /report page sends it (multipart/form-data
    /// with an optional photo) or as JSON (no photo). No token; limits per address and per phone.
    func report(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let type = request.headers[.contentType] ?? ""
        var fields: [String: String] = [:]
        var upload: [UInt8]?
        if let boundary = Multipart.boundary(type) {
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Photo.maxBytes + (64 << 10)) } catch is NIOTooManyBytesError {
                throw Problem(.contentTooLarge, "photo-too-large", "the report is over 10 MB: a photo may be at most 10 MB")
            }
            let form = try Multipart(Array(body.readableBytesView), boundary: boundary)
            for part in form.parts {
                guard Self.reportFields.contains(part.name) else {
                    throw Fields.invalid("unknown field \(part.name); a report takes \(Self.reportFields.sorted().joined(separator: ", "))")
                }
                if part.name == "photo" { if !part.bytes.isEmpty { upload = part.bytes } } else { fields[part.name] = part.text }
            }
        } else if type.lowercased().hasPrefix("application/json") {
            let f = try Fields(try await request.jsonBody(context: context, maxBytes: 64 << 10), allowed: Self.reportFields.filter { $0 != "photo" }.sorted())
            for k in f.object.keys {
                switch f.object[k] {
                case .string(let s)?: fields[k] = s
                case .integer(let i)?: fields[k] = String(i)
                case .number(let d)?: fields[k] = String(d)
                case .null?, nil: break
                default: throw Fields.invalid("\(k) must be a string or a number")
                }
            }
        } else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", "send the report as multipart/form-data (the page's form) or application/json")
        }
        // A field people cannot see, which programs fill in.
        if let trap = fields["website"], !trap.isEmpty {
            throw Problem.badRequest("the report was refused: a hidden field was filled in, as programs do", type: "refused-report")
        }
        let phone = fields["phone"].map { $0.filter { !$0.isWhitespace && $0 != "-" } }.flatMap { $0.isEmpty ? nil : $0 }
        if let phone, !Self.isMobile(phone) { throw Fields.invalid("phone must be a mobile number of 11 digits, not \(phone)") }
        let senders = ["ip:" + (context.clientIP ?? "")] + (phone.map { ["phone:" + RatingKey.digest($0)] } ?? [])
        for s in senders {
            if let wait = state.reportLimiter.wait(s) {
                let who = s.hasPrefix("ip:") ? "this address" : "this phone number"
                var p = Problem(.tooManyRequests, "too-many-reports",
                                "\(who) has sent \(state.reportLimiter.perHour) reports this hour or \(state.reportLimiter.perDay) today; try again in \((wait + 59) / 60) minutes, or call the centre")
                p.retryAfter = wait
                throw p
            }
        }
        guard let categoryText = fields["category"], !categoryText.isEmpty else { throw Fields.invalid("category is required") }
        guard let category = Case.Category(rawValue: categoryText) else {
            throw Fields.invalid("unknown category \(categoryText); one of \(Case.Category.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let description = (fields["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty else { throw Fields.invalid("description is required: say what happened") }
        guard description.count <= Limits.note else { throw Fields.invalid("description is longer than \(Limits.note) characters") }
        let location: IntakeRequest.Location
        if let lon = fields["lon"], let lat = fields["lat"], !lon.isEmpty, !lat.isEmpty {
            guard let x = Double(lon), let y = Double(lat), x.isFinite, y.isFinite else { throw Fields.invalid("lon and lat are decimal degrees, not \(lon), \(lat)") }
            location = .point(Position(x, y), try Parameters.inputCRS(fields["crs"].flatMap { $0.isEmpty ? nil : $0 }))
        } else if let code = fields["unit"], !code.isEmpty {
            guard let unit = ReportUnit(code: code, in: state.territory) else {
                throw Problem.notFound("no village, community or grid \(code): the code on the poster is 12 or 15 digits")
            }
            location = .point(try unit.place(in: state.territory), .crs84)
        } else {
            throw Fields.invalid("where is required: the phone's location (lon, lat), a place on the map, or the unit code from the QR code")
        }
        // Decoded and encoded again before anything is stored: a photo that is not one stops here.
        let photo = try upload.map { bytes throws(Problem) in try CasePhoto(upload: bytes) }
        var r = IntakeRequest(category: category, channel: .qr, description: description, location: location,
                              parties: phone.map { [Party(name: "(扫码反映人)", phone: $0)] } ?? [])
        r.withinCounties = true
        r.photo = photo
        let (key, digest) = RatingKey.make()
        r.ratingKeyDigest = digest
        let c = try await state.desk.intake(r, actor: Actor("resident", source: "qr"))
        for s in senders { state.reportLimiter.record(s) }
        var response = try JSONResponse.make(ReportReceiptView(code: c.code, track_url: "/track/\(c.code)", rating_url: "/track/\(c.code)?key=\(key)",
                                                               handling_unit: state.unitNames.name(c.unit), status: c.status.rawValue), status: .created)
        response.headers[.location] = "/track/\(c.code)"
        return response
    }
}

// MARK: following and rating a case without an account

extension ResidentsController {
    /// `/track/{code}`: the case as the public sees it (status, timeline, handling unit; no
    /// personal data), made on the server (no script); with the one-time key of the report's
    /// link and a closed case, the form to rate it.
    func trackPage(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let code = try context.parameters.require("code")
        let names = state.unitNames
        let c: Case, events: [CaseEvent], assists: [CaseAssist]
        do { (c, events, assists) = try await state.readers.read { try $0.cases.track(code: code) } } catch let e as CaseError where e.kind == .notFound {
            // Only an unknown code is the resident's mistake; a failing database stays a 503.
            return ResidentPage.response(title: "没有这个解纷码", status: .notFound,
                                         body: "<p>没有找到解纷码 \(HTMLText.escape(code)) 的案件。请核对后再试。 No case has this code.</p>")
        }
        let key = request.query("key") ?? ""
        var body = """
            <p class="code">\(HTMLText.escape(c.code))</p>
            <dl><dt>状态 Status</dt><dd id="status">\(c.status.name)</dd>
            <dt>类别 Kind</dt><dd>\(c.category.name)</dd>
            <dt>受理时间 Reported</dt><dd>\(ChinaTime.text(c.reportedAt).prefix(16).replacingOccurrences(of: "T", with: " "))</dd>
            <dt>办理单位 Handled by</dt><dd id="unit">\(HTMLText.escape(names.name(c.unit)))</dd>
            """
        if !assists.isEmpty {
            body += "<dt>协办单位 With</dt><dd id=\"assisting\">\(assists.map { HTMLText.escape(names.name($0.unit)) }.joined(separator: "、"))</dd>"
        }
        body += """
            </dl>
            <h2>办理进程 Timeline</h2><ol id="timeline">
            """
        for e in events {
            let what = e.action == "assist" ? "协办" : e.to.map { $0.name } ?? e.action
            body += "<li><time>\(ChinaTime.text(e.at).prefix(16).replacingOccurrences(of: "T", with: " "))</time> \(HTMLText.escape(what))"
                + (e.unit.map { " · " + HTMLText.escape(names.name($0)) } ?? "") + "</li>"
        }
        body += "</ol>"
        if let rating = c.rating {
            body += "<p id=\"rated\">您的评价 Your rating: \(String(repeating: "★", count: rating))\(String(repeating: "☆", count: max(0, 5 - rating)))</p>"
        } else if c.status == .closed, !key.isEmpty {
            body += """
                <form id="rate" method="post" action="/track/\(HTMLText.escape(c.code))/rating">
                <h2>评价 Rate the handling</h2>
                <input type="hidden" name="key" value="\(HTMLText.escape(key))">
                <div class="stars">\((1...5).map { "<label><input type=\"radio\" name=\"rating\" value=\"\($0)\" required> \($0) ★</label>" }.joined())</div>
                <button type="submit">提交评价 Send</button></form>
                """
        } else if !key.isEmpty {
            body += "<p class=\"meta\">办结后可用此链接评价 Once the case is closed, this link lets you rate it.</p>"
        }
        return ResidentPage.response(title: "解纷码 \(c.code)", body: body)
    }

    /// The rating: `POST /api/track/{code}/rating` (JSON `{"key","rating"}`), or the tracking
    /// page's form (then back to the page).
    func rate(_ request: Request, _ context: WanggeContext, form: Bool) async throws -> Response {
        let code = try context.parameters.require("code")
        let key: String, rating: Int64
        if form {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            guard type.hasPrefix("application/x-www-form-urlencoded") else { throw Problem.badRequest("send the form as application/x-www-form-urlencoded") }
            let body = try await request.body.collect(upTo: 4 << 10)
            let pairs = Dictionary(FormPairs.decode(Substring(String(decoding: body.readableBytesView, as: UTF8.self))), uniquingKeysWith: { a, _ in a })
            key = pairs["key"] ?? ""
            guard let r = pairs["rating"].flatMap({ Int64($0) }) else { throw Fields.invalid("rating is a whole number from 1 to 5") }
            rating = r
        } else {
            let f = try Fields(try await request.jsonBody(context: context, maxBytes: 4 << 10), allowed: ["key", "rating"])
            key = try f.string("key")
            guard let r = try f.optionalInt("rating") else { throw Fields.invalid("rating is required (1 to 5)") }
            rating = r
        }
        guard (1...5).contains(rating) else { throw Fields.invalid("rating is 1 to 5, not \(rating)") }
        guard !key.isEmpty, key.utf8.count <= 64 else { throw Problem.forbidden("the rating needs the key of the link given with the report") }
        let score = Int(rating)
        let c: Case
        do { c = try await state.desk.perform { try $0.rate(code: code, key: key, rating: score) } } catch let e as CaseError where e.kind == .forbidden {
            throw Problem(.forbidden, "wrong-rating-key", e.reason)
        }
        if form {
            return Response(status: .seeOther, headers: [.location: "/track/\(c.code)"])
        }
        let names = state.unitNames
        let view = try await state.readers.read { r in TrackView(c, try r.cases.events(caseID: c.id), names) }
        return try JSONResponse.make(view)
    }
}

/// The residents' server-made pages: Chinese first, one column, no script.
enum ResidentPage {
    static func response(title: String, status: HTTPResponse.Status = .ok, body: String) -> Response {
        let html = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>\(HTMLText.escape(title))</title>
            <link rel="stylesheet" href="/report/report.css">
            </head><body><header><h1>\(HTMLText.escape(title))</h1><p>矛盾纠纷办理进度 · Case progress</p></header>
            <main class="track">\(body)</main></body></html>
            """
        var r = Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(string: html)))
        r.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // The key of the link is not for other sites' logs.
        r.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return r
    }
}
