import Foundation
import Testing
import Geo
import Grid
import TestSupport
@testable import Cases
@testable import Server

/// Committees and departments as units: imported with the `wangge` binary while the server runs
/// (the server takes them from the change feed), a routing rule, a dispatcher handing a case to a
/// committee and calling a department in, each unit's token seeing and moving its own cases, the
/// tracking page naming them, figures by unit. The oracle is what the test itself did (which case
/// it gave to which unit) and the database's rows read with plain SQL.
@Suite struct UnitsTests {
    static func write(_ text: String, _ dir: TempDir, _ name: String) throws -> String {
        let path = dir.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func units(_ county: String) -> String {
        """
        {"units": [
          {"kind": "committee", "area": "\(county)", "key": "labour", "name": "劳动争议人民调解委员会", "categories": ["labour"], "routes": ["labour"]},
          {"kind": "committee", "area": "\(county)", "key": "family", "name": "婚姻家庭纠纷人民调解委员会", "categories": ["family"]},
          {"kind": "department", "area": "\(county)", "key": "hrss", "name": "人力资源和社会保障局", "categories": ["labour"]}
        ]}
        """
    }

    /// A unit's token, made with the CLI.
    static func token(_ s: TestServer, _ unit: String) async throws -> String {
        let r = try await run(wanggePath, ["token", "create", "--db", s.db, "--role", "unit", "--unit", unit, "--name", unit])
        #expect(r.status == 0, "\(r.err)")
        return try #require(r.out.split(separator: "\n").last.map(String.init))
    }

    static func ids(_ reply: TestServer.Reply) -> Set<Int64> {
        Set((reply.object["cases"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"].flatMap { if case .integer(let i) = $0 { i } else { nil } } })
    }

    static func id(_ reply: TestServer.Reply) throws -> Int64 {
        guard case .integer(let i)? = reply.object["id"] else { throw Browser.Failure(description: "no id in \(reply.text)") }
        return i
    }

    @Test(arguments: StoreKind.allCases) func committeesAndDepartmentsTakeTheirCases(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let county = tinyDemo.county.code
        let labour = "committee:\(county):labour", family = "committee:\(county):family", hrss = "department:\(county):hrss"

        // A file with mistakes: every one named, nothing stored.
        let bad = try Self.write("""
            {"units": [{"kind": "board", "area": "999999", "key": "Labour!", "name": "x", "categories": ["labor"]},
                       {"kind": "committee", "area": "\(county)", "key": "a", "name": "A", "categories": ["land"], "routes": ["land"]},
                       {"kind": "committee", "area": "\(county)", "key": "b", "name": "B", "categories": ["land"], "routes": ["land"]}]}
            """, s.dir, "bad.json")
        let refused = try await run(wanggePath, ["units", "import", "--db", s.db, bad])
        #expect(refused.status != 0)
        for reason in ["units[0]: kind must be committee or department", "units[0]: area 999999 is no county", "units[0]: key must be",
                       "units[0]: categories[0]: unknown category labor", "new land cases of \(county) go to committee:\(county):a already"] {
            #expect(refused.err.contains(reason), "\(reason) not in \(refused.err)")
        }
        #expect(try s.count("units") == 0)

        // The good file, while the server runs: it learns of the units from the feed.
        let imported = try await run(wanggePath, ["units", "import", "--db", s.db, try Self.write(Self.units(county), s.dir, "units.json")])
        #expect(imported.status == 0, "\(imported.err)")
        #expect(imported.out.contains("imported 3 units"), "\(imported.out)")
        var listed: [JSONValue] = []
        for _ in 0..<100 {
            listed = try await s.call("/api/units", role: .viewer).object["units"]?.arrayValue ?? []
            if listed.count == 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(listed.compactMap { $0.objectValue?["code"]?.stringValue }.sorted() == [labour, family, hrss].sorted())

        let households = try connect(s.db).grids.households()
        let place = households[households.count / 2].id
        // The routing rule: a new labour dispute goes straight to the labour committee ...
        let routed = try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category": "labour", "description": "欠薪", "household_id": \(place), "parties": [{"name": "张三", "phone": "13800001111"}]}
            """)
        #expect(routed.status == 201, "\(routed.text)")
        let labourCase = try Self.id(routed)
        #expect(try scalar("SELECT unit FROM cases WHERE id = \(labourCase)", on: s.store()) == labour)
        #expect(try scalar("SELECT note FROM case_events WHERE case_id = \(labourCase) AND action = 'assigned'", on: s.store())?
            .contains("(routing rule)") == true, "the rule is recorded in the case's events")
        // ... an urgent one stays with whoever is near (3必到), a family one with the grid.
        let urgent = try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category": "labour", "priority": "urgent", "description": "围堵讨薪", "household_id": \(place)}
            """)
        #expect(urgent.object["assignee"]?.objectValue?["unit"]?.stringValue?.hasPrefix("committee:") == false, "\(urgent.text)")
        let familyCase = try Self.id(try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category": "family", "description": "离婚财产", "household_id": \(place)}
            """))

        // Handing on: a committee that does not take the category is refused, with the reason.
        let wrong = try await s.call("POST", "/api/cases/\(familyCase)/units", role: .dispatcher, json: #"{"unit": "\#(labour)"}"#)
        #expect(wrong.status == 422 && wrong.headers["content-type"] == "application/problem+json", "\(wrong.text)")
        #expect(wrong.text.contains("takes labour, not family"))
        let handed = try await s.call("POST", "/api/cases/\(familyCase)/units", role: .dispatcher, json: #"{"unit": "\#(family)", "note": "转专业调委会"}"#)
        #expect(handed.status == 200, "\(handed.text)")
        #expect(try scalar("SELECT unit FROM cases WHERE id = \(familyCase)", on: s.store()) == family)
        #expect(try scalar("SELECT status FROM cases WHERE id = \(familyCase)", on: s.store()) == "assigned")

        // Calling a department in, twice: one row, one event.
        for _ in 0..<2 {
            let called = try await s.call("POST", "/api/cases/\(labourCase)/units", role: .dispatcher, json: #"{"unit": "\#(hrss)", "role": "assist"}"#)
            #expect(called.status == 200, "\(called.text)")
            #expect(called.object["assisting"]?.arrayValue?.first?.objectValue?["unit"]?.stringValue == hrss, "\(called.text)")
        }
        #expect(try s.count("case_assists") == 1)
        #expect(try s.count("case_events", where: "case_id = \(labourCase) AND action = 'assist'") == 1)

        // Refusals, nothing stored.
        for (body, status) in [(#"{"unit": "committee:\#(county):nope"}"#, 404), (#"{"unit": "\#(hrss)", "role": "helper"}"#, 422),
                               (#"{"role": "assist"}"#, 422), (#"{"unit": "\#(family)", "role": "assist"}"#, 422)] {
            let r = try await s.call("POST", "/api/cases/\(familyCase)/units", role: .dispatcher, json: body)
            #expect(r.status == status && r.headers["content-type"] == "application/problem+json", "\(body): \(r.status) \(r.text)")
        }
        #expect(try await s.call("POST", "/api/cases/\(familyCase)/units", role: .viewer, json: #"{"unit": "\#(hrss)"}"#).status == 403)
        #expect(try await s.call("POST", "/api/cases/999999/units", role: .dispatcher, json: #"{"unit": "\#(hrss)"}"#).status == 404)
        #expect(try s.count("case_assists") == 1)

        // Each unit's token: its own cases (led or assisted), the parties it must meet, and the
        // steps of those it leads.
        let labourToken = try await Self.token(s, labour), hrssToken = try await Self.token(s, hrss), familyToken = try await Self.token(s, family)
        func call(_ token: String, _ path: String, _ method: String = "GET", json: String? = nil) async throws -> TestServer.Reply {
            try await s.call(method, path, json: json, headers: ["Authorization": "Bearer \(token)"])
        }
        #expect(Self.ids(try await call(labourToken, "/api/cases")) == [labourCase])
        #expect(Self.ids(try await call(hrssToken, "/api/cases")) == [labourCase])
        #expect(Self.ids(try await call(familyToken, "/api/cases")) == [familyCase])
        #expect(try await call(labourToken, "/api/cases/\(familyCase)").status == 404)
        let seen = try await call(hrssToken, "/api/cases/\(labourCase)")
        #expect(seen.status == 200 && seen.text.contains("张三") && seen.text.contains("13800001111"), "\(seen.text)")
        let moved = try await call(labourToken, "/api/cases/\(labourCase)/transitions", "POST", json: #"{"to": "accepted"}"#)
        #expect(moved.status == 200, "\(moved.text)")
        let notLead = try await call(hrssToken, "/api/cases/\(labourCase)/transitions", "POST", json: #"{"to": "mediating"}"#)
        #expect(notLead.status == 403 && notLead.text.contains("a unit moves the cases it leads"), "\(notLead.text)")
        #expect(try await call(familyToken, "/api/cases/\(labourCase)/transitions", "POST", json: #"{"to": "mediating"}"#).status == 404)
        #expect(try await call(labourToken, "/api/cases/\(labourCase)/units", "POST", json: #"{"unit": "\#(hrss)"}"#).status == 403)
        #expect(try await call(labourToken, "/api/stats").status == 403)
        #expect(try scalar("SELECT status FROM cases WHERE id = \(labourCase)", on: s.store()) == "accepted")

        // The public tracking page names the unit that leads and the one called in.
        let code = try #require(routed.object["code"]?.stringValue)
        let track = try await s.call("/api/track/\(code)")
        #expect(track.object["handling_unit"]?.stringValue == "劳动争议人民调解委员会", "\(track.text)")
        #expect(track.object["assisting_units"] == .array(["人力资源和社会保障局"]), "\(track.text)")
        let page = try await s.call("/track/\(code)")
        #expect(page.text.contains("劳动争议人民调解委员会") && page.text.contains("人力资源和社会保障局") && !page.text.contains("张三"))

        // Figures by unit: what the test gave each committee.
        let stats = try await s.call("/api/stats?by=unit", role: .viewer)
        let rows = Dictionary((stats.object["figures"]?.arrayValue ?? []).compactMap { v -> (String, JSONObject)? in
            guard let o = v.objectValue, let k = o["key"]?.stringValue else { return nil }
            return (k, o)
        }, uniquingKeysWith: { a, _ in a })
        #expect(rows[labour]?["received"] == .integer(1) && rows[labour]?["name"]?.stringValue == "劳动争议人民调解委员会", "\(stats.text)")
        #expect(rows[family]?["received"] == .integer(1), "\(stats.text)")
        let total = rows.values.reduce(Int64(0)) { n, o in if case .integer(let k)? = o["received"] { n + k } else { n } }
        #expect(total == Int64(try s.count("cases")), "every case counted once, under the unit that has it")
    }
}

/// The routing rules and the file's checks, without a server.
@Suite struct UnitRulesTests {
    @Test func theMostLocalRuleWins() {
        let units = HandlingUnits([
            HandlingUnit(kind: .committee, area: "511725", key: "land", name: "县土地", categories: [.land], routes: [.land]),
            HandlingUnit(kind: .committee, area: "511725001", key: "land", name: "镇土地", categories: [.land], routes: [.land]),
        ])
        #expect(units.route(.land, gridCode: "511725001002003", county: "511725")?.name == "镇土地")
        #expect(units.route(.land, gridCode: "511725002002003", county: "511725")?.name == "县土地")
        #expect(units.route(.land, gridCode: nil, county: "511725")?.name == "县土地")
        #expect(units.route(.family, gridCode: "511725001002003", county: "511725") == nil)
        #expect(units.route(.land, gridCode: "511702001002003", county: "511702") == nil)
    }

    @Test func aFileKeepsOneRulePerAreaAndCategoryWithTheStoredUnits() throws {
        let stored = [HandlingUnit(kind: .committee, area: "511725", key: "land", name: "土地", categories: [.land], routes: [.land])]
        let clash = #"{"units": [{"kind": "department", "area": "511725", "key": "nr", "name": "自然资源", "categories": ["land"], "routes": ["land"]}]}"#
        #expect(throws: ImportError.self) { try UnitsFile.read(Array(clash.utf8), areas: ["511725"], existing: stored) }
        // The same unit again (its rule moving with it) is a replacement, not a clash.
        let again = #"{"units": [{"kind": "committee", "area": "511725", "key": "land", "name": "土地调委会", "categories": ["land"], "routes": ["land"]}]}"#
        #expect(try UnitsFile.read(Array(again.utf8), areas: ["511725"], existing: stored).first?.name == "土地调委会")
        #expect(throws: ImportError.self) { try UnitsFile.read(Array("[1]".utf8), areas: ["511725"]) }
        #expect(throws: ImportError.self) { try UnitsFile.read(Array("{\"units\": [".utf8), areas: ["511725"]) }
    }
}
