import Foundation
import Testing
import Geo
import TestSupport
@testable import Cases
@testable import Server

/// A resident's report without an account: sent by `requests` (multipart, as a browser's form)
/// with photos Pillow makes (a 4000 × 3000 JPEG carrying GPS EXIF and a rotation, a PNG with
/// transparency, a HEIC from libheif's encoder in pillow-heif), read back by Pillow; refusals that
/// store nothing; the limits per sender; the tracking page and the one-time rating.
@Suite struct ResidentsTests {
    /// Makes the test photos in `dir` (Pillow, pillow-heif).
    static func photos(in dir: TempDir) async throws {
        let r = try await run(ReportTests.python, ["-c", """
            import sys, os
            from PIL import Image
            import pillow_heif
            d = sys.argv[1]
            def noisy(w, h): return Image.effect_noise((w // 8, h // 8), 40).convert("RGB").resize((w, h))
            exif = Image.Exif()
            exif[0x0112] = 6
            exif[0x0110] = "WanggePhone 1"
            exif[0x8825] = {1: "N", 2: (30.0, 50.0, 24.0), 3: "E", 4: (106.0, 58.0, 12.0)}
            noisy(4000, 3000).save(os.path.join(d, "gps.jpg"), quality=90, exif=exif.tobytes())
            Image.new("RGBA", (800, 600), (200, 0, 0, 0)).save(os.path.join(d, "clear.png"))
            Image.new("CMYK", (640, 480), (0, 128, 255, 0)).save(os.path.join(d, "print.jpg"))
            pillow_heif.register_heif_opener()
            noisy(1200, 900).save(os.path.join(d, "phone.heic"), quality=70)
            open(os.path.join(d, "fake.jpg"), "wb").write(b"\\xff\\xd8\\xff\\xe0" + b"not a picture" * 100)
            open(os.path.join(d, "huge.jpg"), "wb").write(b"\\xff\\xd8\\xff\\xe0" + os.urandom(11 * 1024 * 1024))
            """, dir.path("")])
        #expect(r.status == 0, "\(r.err)")
    }

    /// What Pillow reads in a stored photo: its size, and whether any EXIF (GPS above all) survived.
    static func inspect(_ bytes: [UInt8], _ dir: TempDir) async throws -> JSONObject {
        let file = dir.path("stored-\(UUID().uuidString).jpg")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let r = try await run(ReportTests.python, ["-c", """
            import sys, json
            from PIL import Image
            im = Image.open(sys.argv[1]); im.load()
            e = im.getexif()
            print(json.dumps({"format": im.format, "mode": im.mode, "w": im.width, "h": im.height, "exif": len(e), "gps": len(e.get_ifd(0x8825)),
                              "xmp": "xmp" in im.info or b"http://ns.adobe.com/xap" in open(sys.argv[1], "rb").read()}))
            """, file])
        return try #require(try JSONParser.parse(r.out).objectValue, "\(r.err)")
    }

    /// A multipart POST to /api/reports by `requests`; the status and the answer.
    static func post(_ s: TestServer, _ fields: [String: String], photo: String? = nil) async throws -> (status: Int, body: JSONObject, retryAfter: String?) {
        var w = JSONWriter()
        w.value(.object(JSONObject(fields.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        let r = try await run(ReportTests.python, ["-c", """
            import sys, json, requests
            fields = json.loads(sys.argv[2])
            # No photo: an empty file part, as a browser's form sends (so the body is multipart still).
            files = {"photo": ("photo", open(sys.argv[3], "rb"))} if sys.argv[3] else {"photo": ("", b"")}
            r = requests.post(sys.argv[1] + "/api/reports", data=fields, files=files)
            print(json.dumps({"status": r.status_code, "body": r.json(), "retry": r.headers.get("Retry-After")}))
            """, s.base, w.text, photo ?? ""])
        let o = try #require(try JSONParser.parse(r.out.split(separator: "\n").last.map(String.init) ?? "").objectValue, "\(r.out) \(r.err)")
        return (Int(o["status"]?.integerValue ?? 0), o["body"]?.objectValue ?? JSONObject(), o["retry"]?.stringValue)
    }

    static func place(_ s: TestServer) throws -> (lon: String, lat: String, grid: String) {
        let h = try rows("SELECT ST_X(geom), ST_Y(geom), grid_id FROM households ORDER BY id LIMIT 1 OFFSET 11", on: try s.store())[0]
        return (h[0] ?? "", h[1] ?? "", h[2] ?? "")
    }

    @Test(arguments: StoreKind.allCases) func aResidentReportsWithAPhotoAndRatesTheClosedCase(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let dir = TempDir()
        try await Self.photos(in: dir)
        let (lon, lat, grid) = try Self.place(s)
        let store = try s.store()

        // A JPEG with GPS: stored upright, at most 1600 px, with no EXIF at all.
        let sent = try await Self.post(s, ["category": "neighbour", "description": "楼上漏水三个月,协商不成", "lon": lon, "lat": lat,
                                            "phone": "139 1234 5678"], photo: dir.path("gps.jpg"))
        #expect(sent.status == 201, "\(sent.body)")
        let code = try #require(sent.body["code"]?.stringValue)
        let c = try #require(try store.cases.find(code: code))
        #expect(c.channel == .qr && c.category == .neighbour && c.gridCode == grid)
        let photos = try store.cases.photos(caseID: c.id)
        #expect(photos.count == 1)
        let seen = try await Self.inspect(photos[0].bytes, dir)
        #expect(seen["format"]?.stringValue == "JPEG" && seen["exif"]?.integerValue == 0 && seen["gps"]?.integerValue == 0 && seen["xmp"] == .bool(false), "\(seen)")
        // EXIF orientation 6: the 4000 × 3000 picture stands up, 1200 × 1600.
        #expect(seen["w"]?.integerValue == 1200 && seen["h"]?.integerValue == 1600, "\(seen)")
        #expect(photos[0].width == 1200 && photos[0].height == 1600)
        // The party's number sealed like any other; the dispatcher sees it and the photo.
        let full = try await s.call("/api/cases/\(c.id)", role: .dispatcher).object
        #expect(full["parties"]?.arrayValue?.first?.objectValue?["phone"]?.stringValue == "13912345678")
        let image = try await s.call("/api/cases/\(c.id)/photos/1", role: .dispatcher)
        #expect(image.status == 200 && image.headers["content-type"] == "image/jpeg" && Array(image.body) == photos[0].bytes)
        #expect(try await s.call("/api/cases/\(c.id)/photos/1", role: .viewer).status == 403)
        #expect(try await s.call("/api/cases/\(c.id)/photos/2", role: .dispatcher).status == 404)

        // PNG with transparency, HEIC from a phone, a CMYK JPEG (a scan): each kept as a JPEG.
        for (file, w, h) in [("clear.png", 800, 600), ("phone.heic", 1200, 900), ("print.jpg", 640, 480)] {
            let r = try await Self.post(s, ["category": "property", "description": "电梯坏了", "unit": grid], photo: dir.path(file))
            #expect(r.status == 201, "\(file): \(r.body)")
            let other = try #require(try store.cases.find(code: r.body["code"]?.stringValue ?? ""))
            #expect(other.gridCode == grid, "the QR code's grid")
            let p = try #require(try store.cases.photos(caseID: other.id).first)
            let o = try await Self.inspect(p.bytes, dir)
            #expect(o["format"]?.stringValue == "JPEG" && o["mode"]?.stringValue == "RGB" && o["w"]?.integerValue == Int64(w) && o["h"]?.integerValue == Int64(h), "\(file): \(o)")
        }

        // The tracking page: the public view, no personal data; no rating before the case is closed.
        let key = try #require(sent.body["rating_url"]?.stringValue?.components(separatedBy: "key=").last)
        var page = try await s.call("/track/\(code)?key=\(key)")
        #expect(page.status == 200 && page.text.contains(code) && page.text.contains(c.status.name))
        for secret in ["楼上漏水", "13912345678"] { #expect(!page.text.contains(secret), "\(secret) on the public page") }
        #expect(!page.text.contains("<form"))
        for step in [#"{"to":"accepted"}"#, #"{"to":"resolved","note":"调解成功"}"#, #"{"to":"closed"}"#] {
            let r = try await s.call("POST", "/api/cases/\(c.id)/transitions", role: .dispatcher, json: step)
            #expect(r.status == 200, "\(step): \(r.text)")
        }
        page = try await s.call("/track/\(code)?key=\(key)")
        #expect(page.text.contains("<form id=\"rate\" method=\"post\" action=\"/track/\(code)/rating\">"))
        // Another key, a rating out of range: refused; the right key: once.
        func rate(_ body: String) async throws -> TestServer.Reply {
            try await s.call("POST", "/track/\(code)/rating", body: Data(body.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
        }
        #expect(try await rate("key=00000000000000000000000000000000&rating=5").status == 403)
        #expect(try await rate("key=\(key)&rating=9").status == 422)
        let rated = try await rate("key=\(key)&rating=4")
        #expect(rated.status == 200 && rated.text.contains("★★★★☆"), "\(rated.status)")   // URLSession follows the 303 to the page
        #expect(try store.cases.find(id: c.id)?.rating == 4 && store.cases.find(id: c.id)?.status == .rated)
        let again = try await s.call("POST", "/api/track/\(code)/rating", json: #"{"key":"\#(key)","rating":1}"#)
        #expect(again.status == 409 && again.text.contains("rated already"), "\(again.text)")
        #expect(try await s.call("/api/track/\(code)").object["rating"]?.integerValue == 4)
        #expect(try await s.call("/track/NOPE-NOPE-NOPE").status == 404)
    }

    @Test(arguments: StoreKind.allCases) func refusedReportsSayWhyAndStoreNothing(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind, reportsPerHour: 3)
        defer { s.stop() }
        let dir = TempDir()
        try await Self.photos(in: dir)
        let (lon, lat, grid) = try Self.place(s)
        let base = ["category": "family", "description": "夫妻争吵", "lon": lon, "lat": lat]
        let before = (try s.count("cases"), try s.count("case_photos"))
        let refused: [([String: String], String?, Int, String)] = [
            (base.merging(["lon": "", "lat": ""]) { $1 }, nil, 422, "where is required"),
            (base.merging(["lon": "116.4", "lat": "39.9"]) { $1 }, nil, 422, "outside the county"),
            (base.merging(["lon": "east"]) { $1 }, nil, 422, "decimal degrees"),
            (base.merging(["category": "noise"]) { $1 }, nil, 422, "unknown category noise"),
            (base.merging(["description": " "]) { $1 }, nil, 422, "description is required"),
            (base.merging(["description": String(repeating: "吵", count: Limits.note + 1)]) { $1 }, nil, 422, "longer than"),
            (["category": "family", "description": "x", "unit": "511725999999999"], nil, 404, "no village, community or grid"),
            (base.merging(["phone": "12345"]) { $1 }, nil, 422, "mobile number"),
            (base.merging(["website": "http://spam.example"]) { $1 }, nil, 400, "hidden field"),
            (base.merging(["colour": "red"]) { $1 }, nil, 422, "unknown field colour"),
            (base, dir.path("fake.jpg"), 422, "cannot be read"),
            (base, dir.path("huge.jpg"), 413, "at most 10 MB"),
        ]
        for (fields, photo, status, reason) in refused {
            let r = try await Self.post(s, fields, photo: photo)
            #expect(r.status == status && (r.body["detail"]?.stringValue ?? "").contains(reason), "\(fields.keys.sorted()) \(photo ?? ""): \(r.status) \(r.body)")
        }
        let json = try await s.call("POST", "/api/reports", json: #"{"category":"family","description":"吵架","unit":"\#(grid)","photo":"x"}"#)
        #expect(json.status == 422 && json.text.contains("unknown field photo"))
        let plain = try await s.call("POST", "/api/reports", body: Data("category=family".utf8), headers: ["Content-Type": "text/plain"])
        #expect(plain.status == 415)
        #expect((try s.count("cases"), try s.count("case_photos")) == before)

        // Three an hour from this address (the limit this server was given), then 429 with when.
        for k in 0..<3 {
            let r = try await s.call("POST", "/api/reports", json: #"{"category":"family","description":"第\#(k)次","unit":"\#(grid)"}"#)
            #expect(r.status == 201, "\(r.text)")
        }
        let r = try await Self.post(s, base)
        #expect(r.status == 429 && (r.body["detail"]?.stringValue ?? "").contains("this address") && Int(r.retryAfter ?? "") ?? 0 > 3000, "\(r)")
        #expect(try s.count("cases") == before.0 + 3)
    }
}

extension ResidentsTests {
    /// `POST /api/cases/{id}/photos` as the phone page sends a worker's photo: once per key, only
    /// to cases the caller handles, only images.
    @Test(arguments: StoreKind.allCases) func aPhotoFromTheFieldIsAddedOnce(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let dir = TempDir()
        try await Self.photos(in: dir)
        let png = try Data(contentsOf: URL(fileURLWithPath: dir.path("clear.png")))
        let mine = try #require(try s.store().grids.grids(ofWorker: s.workerID).first)
        let home = try #require(try rows("SELECT id FROM households WHERE grid_id = '\(mine)' ORDER BY id LIMIT 1", on: try s.store()).first?[0])
        let made = try await s.call("POST", "/api/cases", role: .dispatcher, json: #"{"category":"other","description":"井盖缺失","household_id":\#(home)}"#)
        let id = try #require(made.object["id"]?.integerValue, "\(made.text)")
        let other = try #require(try rows("SELECT id FROM cases WHERE grid_id IS NOT NULL AND grid_id <> '\(mine)' ORDER BY id LIMIT 1", on: try s.store()).first?[0].flatMap { Int64($0) })
        let before = try s.store().cases.photos(caseID: id).count
        func add(_ case: Int64, _ body: Data, role: Role = .worker, type: String = "image/png", key: String? = "k-\(UUID().uuidString)") async throws -> TestServer.Reply {
            var h = ["Content-Type": type]
            if let key { h["Idempotency-Key"] = key }
            return try await s.call("POST", "/api/cases/\(`case`)/photos", role: role, body: body, headers: h)
        }
        let key = "photo-\(UUID().uuidString)"
        let first = try await add(id, png, key: key), again = try await add(id, png, key: key)
        #expect(first.status == 201 && again.status == 201 && first.object["photos"] == again.object["photos"], "\(first.text) \(again.text)")
        #expect(try s.store().cases.photos(caseID: id).count == before + 1)
        #expect(try await add(id, Data("not a png".utf8), key: key).status == 422)   // another body under the key
        #expect(try await add(id, Data("not a png".utf8)).status == 422)
        #expect(try await add(id, png, type: "text/plain").status == 415)
        #expect(try await add(other, png).status == 403)
        #expect(try await add(id, png, role: .viewer).status == 403)
        #expect(try await add(99_999_999, png, role: .dispatcher).status == 404)
        let events = try await s.call("/api/cases/\(id)", role: .dispatcher).object["events"]?.arrayValue ?? []
        #expect(events.filter { $0.objectValue?["action"]?.stringValue == "photo" }.count == before + 1)
        #expect(try s.store().cases.photos(caseID: id).count == before + 1)
    }
}

/// The /report page in Chromium with a phone's screen, as a resident who scanned a code uses it.
@Suite(.serialized) struct ReportPageTests {
    @Test func aResidentReportsFromThePhonesBrowser() async throws {
        let s = try await TestServer()
        defer { s.stop() }
        let dir = TempDir()
        try await ResidentsTests.photos(in: dir)
        let (lon, lat, grid) = try ResidentsTests.place(s)
        let b = try await Browser(mobile: true)
        defer { Task { await b.close() } }
        // Scanned a grid's code, then gave the phone's position (which wins over the code's grid).
        try await b.go(s.base + "/report?unit=\(grid)")
        try await b.wait(for: "return document.body.dataset.ready === 'true'", "the report page")
        #expect(try await b.run("return document.getElementById('where').textContent").stringValue?.contains(grid) == true)
        try await b.devTools("Browser.grantPermissions", JSONObject([("permissions", ["geolocation"]), ("origin", .string(s.base))]))
        try await b.locate(Position(Double(lon)!, Double(lat)!))
        try await b.run("document.getElementById('category').value = 'neighbour'")
        try await b.type("#description", "楼上装修噪音,每天到深夜")
        try await b.type("#phone", "13800138000")
        try await b.type("#photo", dir.path("phone.heic"))
        try await b.click("#locate")
        try await b.wait(for: "return document.getElementById('where').textContent.includes('定位')", "the phone's position")
        try await b.click("#send")
        let code = try await b.wait(for: "return !document.getElementById('done').hidden && document.getElementById('code').textContent", "the tracking code")
        let c = try #require(try s.store().cases.find(code: code.stringValue ?? ""))
        #expect(c.channel == .qr && c.gridCode == grid && abs(c.position.lon - Double(lon)!) < 1e-6)
        #expect(try s.store().cases.photos(caseID: c.id).count == 1)
        try MapPageTests.keep(try await b.screenshot(), "report-page-done.png")
        // Its tracking page, as the link opens it.
        try await b.click("#track")
        try await b.wait(for: "return location.pathname.startsWith('/track/') && document.getElementById('status')", "the tracking page")
        let unit = try await s.call("/api/track/\(c.code)").object["handling_unit"]?.stringValue
        #expect(try await b.run("return document.getElementById('unit').textContent").stringValue == unit)
        try MapPageTests.keep(try await b.screenshot(), "track-page.png")
        // A camera's JPEG (12 MP class, EXIF rotation and GPS) goes made small by the page (HEIC,
        // which Chromium cannot decode, went as it was): upright, without metadata, all the same.
        try await b.go(s.base + "/report")
        try await b.wait(for: "return document.body.dataset.ready === 'true'", "the report page again")
        try await b.run("document.getElementById('category').value = 'property'")
        try await b.type("#description", "小区路灯坏了")
        try await b.type("#photo", dir.path("gps.jpg"))
        try await b.click("#locate")
        try await b.wait(for: "return document.getElementById('where').textContent.includes('定位')", "the phone's position again")
        try await b.click("#send")
        let second = try await b.wait(for: "return !document.getElementById('done').hidden && document.getElementById('code').textContent", "the second code")
        let c2 = try #require(try s.store().cases.find(code: second.stringValue ?? ""))
        let p2 = try #require(try s.store().cases.photos(caseID: c2.id).first)
        #expect(p2.width == 1200 && p2.height == 1600, "\(p2.width)×\(p2.height)")
        let o2 = try await ResidentsTests.inspect(p2.bytes, dir)
        #expect(o2["exif"]?.integerValue == 0 && o2["gps"]?.integerValue == 0, "\(o2)")
        let errors = try await b.console().filter { $0.level == "SEVERE" }
        #expect(errors.isEmpty, "\(errors)")
    }
}
