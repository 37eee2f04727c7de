import Foundation
import Testing
import Geo
import TestSupport
@testable import Cases
@testable import Server

/// Open311 GeoReport v2, read by the `georeport` client from PyPI (JSON and XML) and written by
/// `requests` as a city app would: the categories as services, a filed request placed like any
/// case, lists filtered and paged, and every refusal the spec's error list with nothing stored.
@Suite struct Open311Tests {
    /// Runs a Python script against the server's `/open311/v2`; its last line of output is JSON.
    static func client(_ s: TestServer, _ script: String) async throws -> JSONValue {
        let r = try await run(ReportTests.python, ["-c", """
            import json, sys, requests, xmltodict
            from georeport import GeoReport
            root = sys.argv[1] + "/open311/v2"

            """ + script, s.base])
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        guard r.status == 0, let v = try? JSONParser.parse(last) else { throw Browser.Failure(description: "python: \(r.out) \(r.err)") }
        return v
    }

    @Test(arguments: StoreKind.allCases) func aCityAppFilesAndFollowsRequests(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try s.store()
        let county = try #require(try scalar("SELECT code FROM boundaries WHERE level = 'county' ORDER BY code LIMIT 1", on: store))
        let h = try rows("SELECT ST_X(geom), ST_Y(geom), grid_id FROM households ORDER BY id LIMIT 1 OFFSET 7", on: store)[0]
        let (lon, lat, grid) = (try #require(h[0].flatMap(Double.init)), try #require(h[1].flatMap(Double.init)), try #require(h[2]))
        let key = try #require(s.tokens[.open311])

        // Services: the categories, in both formats.
        let services = try await Self.client(s, """
            j = GeoReport(root, jurisdiction="\(county)").get_service_list()
            x = GeoReport(root, jurisdiction="\(county)", output_format="xml").get_service_list()
            d = GeoReport(root, output_format="xml").get_service_definition("land")
            print(json.dumps({"json": j, "xml": x, "definition": d}))
            """).objectValue
        let listed = services?["json"]?.arrayValue?.compactMap { $0.objectValue?["service_code"]?.stringValue }
        #expect(listed == Case.Category.allCases.map(\.rawValue))
        let xml = services?["xml"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(xml.map { $0["service_name"]?.stringValue ?? "" } == Case.Category.allCases.map(\.name))
        #expect(xml.allSatisfy { $0["metadata"]?.stringValue == "false" })
        #expect(services?["definition"]?.objectValue?["service_code"]?.stringValue == "land")

        // Filing, form-encoded as the spec says; then read back by id and by token.
        let before = try s.count("cases")
        let filed = try await Self.client(s, """
            form = {"api_key": "\(key)", "jurisdiction_id": "\(county)", "service_code": "neighbour", "lat": "\(lat)", "long": "\(lon)",
                    "description": "楼上漏水三个月", "first_name": "三", "last_name": "张", "phone": "13912345678", "email": "z@example.cn",
                    "attribute[floor]": "3"}
            r = requests.post(root + "/requests.json", data=form)
            receipt = r.json()[0]
            rx = requests.post(root + "/requests.xml", data=dict(form, service_code="property"))
            rid = receipt["service_request_id"]
            one = GeoReport(root).get_service_request(rid)
            onex = GeoReport(root, output_format="xml").get_service_request(rid)
            token = requests.get(root + "/tokens/" + receipt["token"] + ".json").json()
            print(json.dumps({"status": r.status_code, "receipt": receipt, "xml_status": rx.status_code,
                              "xml_receipt": xmltodict.parse(rx.content)["service_requests"]["request"], "one": one, "onex": onex,
                              "token": token, "raw": requests.get(root + "/requests/" + rid + ".json").text}))
            """).objectValue ?? JSONObject()
        #expect(filed["status"]?.integerValue == 201 && filed["xml_status"]?.integerValue == 201)
        let id = try #require(filed["receipt"]?.objectValue?["service_request_id"]?.stringValue.flatMap { Int64($0) })
        #expect(try s.count("cases") == before + 2)
        let c = try #require(try store.cases.find(id: id))
        #expect(c.channel == .referral && c.category == .neighbour && c.gridCode == grid)
        #expect(abs(c.position.lon - lon) < 1e-9 && abs(c.position.lat - lat) < 1e-9)
        #expect(filed["receipt"]?.objectValue?["token"]?.stringValue == c.code)
        #expect(filed["token"]?.arrayValue?.first?.objectValue?["service_request_id"]?.stringValue == String(id))
        #expect(filed["xml_receipt"]?.objectValue?["service_request_id"]?.stringValue == String(id + 1))
        // The party is kept (sealed) for those who handle the case; the public answer has none of it.
        let parties = try rows("SELECT name FROM case_parties WHERE case_id = \(id)", on: store)
        #expect(parties.map { $0[0] } == ["张三"])
        let raw = filed["raw"]?.stringValue ?? ""
        for secret in ["张三", "13912345678", "楼上漏水", "z@example.cn", c.code] { #expect(!raw.contains(secret), "\(secret) in \(raw)") }
        for one in [filed["one"], filed["onex"]] {
            let o = one?.objectValue
            #expect(o?["service_code"]?.stringValue == "neighbour" && o?["status"]?.stringValue == "open")
            // Rounded to 0.001°: within 60 m of the place, not at it.
            let rlat = Double(o?["lat"]?.stringValue ?? "") ?? o?["lat"]?.doubleValue ?? 0
            let rlon = Double(o?["long"]?.stringValue ?? "") ?? o?["long"]?.doubleValue ?? 0
            #expect(abs(rlat - lat) <= 0.0005 + 1e-9 && abs(rlon - lon) <= 0.0005 + 1e-9, "\(rlat) \(rlon)")
        }

        // Lists: by service and status, as the database counts them; pages that add up to the list.
        let lists = try await Self.client(s, """
            g = GeoReport(root, jurisdiction="\(county)")
            some = g.get_service_requests(service_code="neighbour,property", status="open")
            every = g.get_service_requests()
            pages = [requests.get(root + "/requests.json", params={"page": p, "page_size": 7}).json() for p in range(1, 9)]
            print(json.dumps({"some": [r["service_request_id"] for r in some], "every": [r["service_request_id"] for r in every],
                              "pages": [[r["service_request_id"] for r in p] for p in pages]}))
            """).objectValue ?? JSONObject()
        let open = Case.Status.allCases.filter(\.isOpen).map { "'\($0.rawValue)'" }.joined(separator: ",")
        let expected = try rows("SELECT id FROM cases WHERE category IN ('neighbour','property') AND status IN (\(open)) ORDER BY id DESC", on: store)
            .map { $0[0] ?? "" }
        #expect(lists["some"]?.arrayValue?.compactMap(\.stringValue) == expected)
        let every = lists["every"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(every.count == before + 2)
        let paged = lists["pages"]?.arrayValue?.flatMap { $0.arrayValue?.compactMap(\.stringValue) ?? [] }
        #expect(paged == every)
    }

    @Test(arguments: StoreKind.allCases) func refusedRequestsSayWhyAndStoreNothing(_ kind: StoreKind) async throws {
        // A server of its own: "nothing stored" counts every case, and others add theirs to a shared one.
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try s.store()
        let county = try #require(try scalar("SELECT code FROM boundaries WHERE level = 'county' ORDER BY code LIMIT 1", on: store))
        let h = try rows("SELECT ST_X(geom), ST_Y(geom) FROM households ORDER BY id LIMIT 1", on: store)[0]
        let here = "lat=\(h[1] ?? "")&long=\(h[0] ?? "")"
        let key = try #require(s.tokens[.open311]), viewer = try #require(s.tokens[.viewer])
        let before = try s.count("cases")
        func post(_ body: String, _ format: String = "json", type: String = "application/x-www-form-urlencoded") async throws -> TestServer.Reply {
            try await s.call("POST", "/open311/v2/requests.\(format)", body: Data(body.utf8), headers: ["Content-Type": type])
        }
        let refused: [(String, Int, String)] = [
            ("service_code=land&\(here)", 403, "api_key is required"),
            ("api_key=wg_nothing&service_code=land&\(here)", 403, "unknown or revoked api_key"),
            ("api_key=\(viewer)&service_code=land&\(here)", 403, "open311 role"),
            ("api_key=\(key)&service_code=potholes&\(here)", 404, "no service_code potholes"),
            ("api_key=\(key)&\(here)", 400, "service_code is required"),
            ("api_key=\(key)&service_code=land", 400, "a location is required"),
            ("api_key=\(key)&service_code=land&address_string=渠县政府", 400, "address_string alone"),
            ("api_key=\(key)&service_code=land&lat=39.9&long=116.4", 400, "outside the county"),
            ("api_key=\(key)&service_code=land&lat=north&long=116.4", 400, "decimal degrees"),
            ("api_key=\(key)&service_code=land&lat=1e400&long=116.4", 400, "decimal degrees"),
            ("api_key=\(key)&service_code=land&lat=30.8", 400, "go together"),
            ("api_key=\(key)&service_code=land&address_id=999999999", 404, "unknown household"),
            ("api_key=\(key)&service_code=land&\(here)&jurisdiction_id=110101", 404, "unknown jurisdiction_id"),
            ("api_key=\(key)&service_code=land&\(here)&colour=red", 400, "unknown member colour"),
            ("api_key=\(key)&service_code=land&\(here)&service_code=family", 400, "given twice"),
            ("api_key=\(key)&service_code=land&\(here)&description=" + String(repeating: "长", count: Limits.description + 1), 400, "longer than"),
        ]
        for (body, status, reason) in refused {
            for format in ["json", "xml"] {
                let r = try await post(body, format)
                #expect(r.status == status, "\(body): \(r.status) \(r.text)")
                if format == "json" {
                    let e = r.json?.arrayValue?.first?.objectValue
                    #expect(e?["code"]?.integerValue == Int64(status) && e?["description"]?.stringValue?.contains(reason) == true, "\(body): \(r.text)")
                } else {
                    #expect(r.headers["content-type"]?.hasPrefix("text/xml") == true)
                    #expect(r.text.contains("<errors><error><code>\(status)</code><description>") && r.text.contains(HTMLText.escape(reason)), "\(body): \(r.text)")
                }
            }
        }
        let json = try await post("{\"api_key\":\"\(key)\"}", type: "application/json")
        #expect(json.status == 400 && json.text.contains("x-www-form-urlencoded"))
        #expect(try s.count("cases") == before)

        // Reading: parameters checked the same way.
        let reads: [(String, Int, String)] = [
            ("requests.json?status=pending", 400, "status is open, closed"),
            ("requests.json?service_code=potholes", 404, "no service_code"),
            ("requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400, "90 days"),
            ("requests.json?start_date=yesterday", 400, "W3C date-time"),
            ("requests.json?page_size=5000", 400, "page_size is 1 to 1000"),
            ("requests.json?page=9223372036854775807&page_size=1000", 400, "page"),
            ("requests.json?service_request_id=abc", 400, "comma-separated"),
            ("requests.json?colour=red", 400, "unknown parameter colour"),
            ("requests.json?jurisdiction_id=110101", 404, "unknown jurisdiction_id"),
            ("requests/99999999.json", 404, "no service request 99999999"),
            ("requests/abc.xml", 404, "no service request abc"),
            ("tokens/ZZZZ-ZZZZ-ZZZZ.json", 404, "no case"),
            ("services/potholes.json", 404, "no service_code potholes"),
            ("services.csv", 404, "add .json or .xml"),
            ("things.json", 404, "no resource things"),
        ]
        for (path, status, reason) in reads {
            let r = try await s.call("/open311/v2/\(path)")
            #expect(r.status == status && r.text.contains(reason), "\(path): \(r.status) \(r.text)")
        }
        let services = try await s.call("/open311/v2/services.json?jurisdiction_id=\(county)")
        #expect(services.status == 200 && services.headers["content-type"] == "application/json; charset=utf-8")
        let discovery = try await s.call("/open311/discovery.json")
        #expect(discovery.object["endpoints"]?.arrayValue?.first?.objectValue?["url"]?.stringValue == s.base + "/open311/v2")
    }
}
