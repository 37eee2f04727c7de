import Foundation
import Testing
import Geo
@testable import Server
@testable import Grid

/// What a hostile or careless client sends must not crash, stall or hold the server.
@Suite struct HardeningTests {
    /// `offset + limit` once overflowed and killed the process (SIGILL) from one viewer's GET.
    @Test(arguments: StoreKind.allCases) func hugeOffsetsAreProblemsNotCrashes(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        for id in MapCatalog.ids {
            let r = try await s.call("/collections/\(id)/items?offset=9223372036854775807", role: .viewer)
            #expect(r.status == 400 && r.headers["content-type"] == "application/problem+json", "\(id): \(r.status) \(r.text)")
            #expect(r.object["detail"]?.stringValue?.contains("offset") == true)
            let far = try await s.call("/collections/\(id)/items?offset=\(ItemsQuery.maxOffset)&limit=9223372036854775807", role: .viewer)
            #expect(far.status == 200 && far.object["features"]?.arrayValue?.isEmpty == true, "\(id): \(far.status)")
        }
        let cases = try await s.call("/api/cases?offset=9223372036854775807", role: .dispatcher)
        #expect(cases.status == 400, "\(cases.text)")
        #expect(try await s.call("/healthz").status == 200)
    }

    /// 130,000 distinct names in one object took 18 s of CPU to check for duplicates; sign-in
    /// (no token needed) now takes a few KB at most, and the server goes on answering.
    @Test func aHugeSignInBodyIsRefusedAtOnce() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let body = try await offPool { "{" + (0..<130_000).map { "\"k\($0)\":1" }.joined(separator: ",") + "}" }
        let r = try await s.call("POST", "/api/session", json: body)
        #expect(r.status == 413, "\(r.status) \(r.text)")
        let small = try await s.call("POST", "/api/session", json: #"{"token":"nope","x":1}"#)
        #expect(small.status == 400 || small.status == 422, "\(small.status) \(small.text)")
        #expect(try await s.call("/healthz").status == 200)
    }

    /// A client that sends part of a request head and then nothing is cut off after the idle
    /// timeout (slowloris), by a raw socket from Debian's Python.
    @Test func aStalledRequestHeadIsClosed() async throws {
        let s = try await TestServer(idleTimeout: .seconds(1))
        defer { s.stop() }
        // Half a head, then nothing; and a whole request answered (read to its end), then nothing.
        for whole in [false, true] {
            let script = """
                import socket, time
                c = socket.create_connection(("127.0.0.1", \(s.port)))
                c.settimeout(120)   # the answer may wait behind the CPU-heavy tests beside this one
                if \(whole ? "True" : "False"):
                    c.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                    r = b""
                    while not r.endswith(b"}"):
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        r += chunk
                else:
                    c.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n")
                c.settimeout(10)
                t = time.time()
                try:
                    data = c.recv(100)
                except socket.timeout:
                    data = None
                print("closed" if data == b"" else "open", round(time.time() - t, 1))
                """
            let r = try await run("/usr/bin/python3", ["-c", script])
            let words = r.out.split(separator: " ")
            #expect(words.first == "closed", "whole request \(whole): \(r.out) \(r.err)")
            #expect((Double(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5, "\(r.out)")
        }
        #expect(try await s.call("/healthz").status == 200)
    }

    /// One client address cannot hold more connections than allowed (here 5): the next is closed
    /// as it opens; once one of the five goes, a new one is answered.
    @Test func connectionsPerClientAreCapped() async throws {
        let s = try await TestServer(connectionsPerClient: 5)
        defer { s.stop() }
        let script = """
            import socket
            def get(c):
                c.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                r = b""
                while b"}" not in r:
                    chunk = c.recv(65536)
                    if not chunk:
                        return "closed"
                    r += chunk
                return r.split(b" ")[1].decode()
            held = [socket.create_connection(("127.0.0.1", \(s.port))) for _ in range(5)]
            for c in held:
                c.settimeout(120)
            print("held", *[get(c) for c in held])
            extra = socket.create_connection(("127.0.0.1", \(s.port)))
            extra.settimeout(120)
            try:
                print("sixth", get(extra))
            except (ConnectionResetError, BrokenPipeError):
                print("sixth closed")
            held.pop().close()
            again = None
            import time
            for _ in range(100):   # the server notices the close a moment later
                c = socket.create_connection(("127.0.0.1", \(s.port)))
                c.settimeout(120)
                try:
                    again = get(c)
                except (ConnectionResetError, BrokenPipeError):
                    again = "closed"
                if again != "closed":
                    break
                time.sleep(0.05)
            print("after", again)
            """
        let r = try await run("/usr/bin/python3", ["-c", script])
        #expect(r.out.contains("held 200 200 200 200 200"), "\(r.out) \(r.err)")
        #expect(r.out.contains("sixth closed"), "\(r.out)")
        #expect(r.out.contains("after 200"), "\(r.out)")
    }

    /// Text and values outside their bounds are refused (422/400) and store nothing: NUL in text,
    /// too many or too long parties, a note of 2,001 characters, a rating on another step, an alert
    /// in year 1, a Web Mercator box of ±1e20, a household figure of 2^62.
    @Test(arguments: StoreKind.allCases) func valuesWithoutBoundsAreRefused(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let h = tinyDemo.result.households[3]
        let before = try s.count("cases", where: "description = 'bounds'")   // other tests share this server
        func intake(description: String = "bounds", parties: String = "[]") async throws -> Int {
            try await s.call("POST", "/api/cases", role: .dispatcher, json: #"{"category":"land","description":"\#(description)","household_id":\#(h.id),"parties":\#(parties)}"#).status
        }
        #expect(try await intake(description: "a\\u0000b") == 422)
        #expect(try await intake(parties: "[" + (0..<51).map { _ in #"{"name":"甲"}"# }.joined(separator: ",") + "]") == 422)
        #expect(try await intake(parties: #"[{"name":"\#(String(repeating: "名", count: 101))"}]"#) == 422)
        #expect(try await intake(parties: #"[{"name":"甲","phone":"\#(String(repeating: "1", count: 33))"}]"#) == 422)
        #expect(try s.count("cases", where: "description = 'bounds'") == before)

        let made = try await s.call("POST", "/api/cases", role: .dispatcher, json: #"{"category":"land","description":"bounds","household_id":\#(h.id)}"#)
        let id = try #require(made.object["id"]?.integerValue)
        let long = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher,
                                    json: #"{"to":"accepted","note":"\#(String(repeating: "x", count: 2_001))"}"#)
        #expect(long.status == 422 && long.object["detail"]?.stringValue?.contains("note") == true, "\(long.text)")
        let rated = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"accepted","rating":5}"#)
        #expect(rated.status == 422, "\(rated.text)")
        let shown = try await s.call("/api/cases/\(id)", role: .dispatcher).object
        #expect(shown["status"]?.stringValue == "assigned" && shown["events"]?.arrayValue?.count == 2)

        let camera = tinyDemo.result.cameras[0].id
        let old = try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(camera)","type":"fire_smoke","at":"0001-01-01T00:00:00Z"}"#)
        #expect(old.status == 422 || old.status == 400, "\(old.text)")
        let box = try await s.call("/collections/grids/items?bbox=-1e20,-1e20,1e20,1e20&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", role: .viewer)
        #expect(box.status == 400, "\(box.text)")

        let plan = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"bounds"}"#)
        let planID = try #require(plan.object["id"]?.integerValue)
        let grid = tinyDemo.result.grids[0].code
        let huge = try await s.call("POST", "/api/plans/\(planID)/operations", role: .planner,
                                    json: #"{"op":"override","grid_id":"\#(grid)","households":4611686018427387904}"#)
        #expect(huge.status == 422, "\(huge.text)")
    }

    /// A second server started by mistake on a busy port leaves the running server's tile cache on
    /// disk as it was (it emptied the folder first, once, before binding).
    @Test func aSecondServerOnABusyPortLeavesTheCacheAlone() async throws {
        let s = try await TestServer()
        defer { s.stop() }
        let t = WebMercator.tile(containing: tinyDemo.result.households[0].position, zoom: 14)
        #expect(try await s.call("/tiles/grids/14/\(t.x)/\(t.y).mvt", role: .viewer).status == 200)
        let tiles = s.dir.path("tiles")
        let files = { ((FileManager.default.enumerator(atPath: tiles)?.allObjects as? [String]) ?? []).filter { $0.hasSuffix(".mvt") }.sorted() }
        for _ in 0..<250 where files().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        let before = files()
        #expect(!before.isEmpty)
        var settings = ServerSettings(backend: backend(s.db))
        settings.port = s.port
        settings.tileCacheDirectory = tiles
        settings.logLevel = .critical
        let app = try await WanggeServer.application(settings)
        // It cannot bind; however long it takes to give up, it must not have touched the folder.
        let second = Task { try await app.runService(gracefulShutdownSignals: []) }
        try await Task.sleep(for: .seconds(3))
        second.cancel()
        _ = await second.result
        #expect(files() == before)
        #expect(try await s.call("/healthz").status == 200)
    }

    /// A method a path does not take is 405 with `Allow`; malformed chunked framing is 400, not 500.
    @Test func wrongMethodsAndMalformedFramingAreTheClients() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let del = try await s.call("DELETE", "/collections/grids", role: .viewer)
        #expect(del.status == 405 && del.headers["allow"] == "GET, HEAD", "\(del.status) \(del.headers)")
        let put = try await s.call("PUT", "/api/cases", role: .dispatcher)
        #expect(put.status == 405 && put.headers["allow"] == "GET, HEAD, POST", "\(put.status) \(put.headers)")
        #expect(try await s.call("/nowhere", role: .viewer).status == 404)
        let script = """
            import socket
            c = socket.create_connection(("127.0.0.1", \(s.port)))
            c.sendall(b"POST /api/session HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\nContent-Type: application/json\\r\\n\\r\\nZZZ\\r\\nabc\\r\\n0\\r\\n\\r\\n")
            c.settimeout(10)
            print(c.recv(200).split(b"\\r\\n")[0].decode())
            """
        let r = try await run("/usr/bin/python3", ["-c", script])
        #expect(r.out.hasPrefix("HTTP/1.1 400"), "\(r.out) \(r.err)")
    }

    /// A write carried only by the session cookie must come from the server's own origin (CSRF):
    /// another site's Origin or `Sec-Fetch-Site: cross-site` is 403 and writes nothing.
    @Test func crossSiteWritesWithTheCookieAreRefused() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let cookie = try await s.signIn(.dispatcher)
        let h = tinyDemo.result.households[5]
        let body = #"{"category":"land","description":"csrf","household_id":\#(h.id)}"#
        let before = try s.count("cases", where: "description = 'csrf'")
        for headers in [["Origin": "https://evil.example"], ["Sec-Fetch-Site": "cross-site"], ["Origin": "http://127.0.0.1:1"]] {
            let r = try await s.call("POST", "/api/cases", json: body, headers: headers.merging(["Cookie": cookie]) { a, _ in a })
            #expect(r.status == 403, "\(headers): \(r.status) \(r.text)")
        }
        #expect(try s.count("cases", where: "description = 'csrf'") == before)
        let own = try await s.call("POST", "/api/cases", json: body, headers: ["Cookie": cookie, "Origin": s.base, "Sec-Fetch-Site": "same-origin"])
        #expect(own.status == 201, "\(own.text)")
        // A bearer token is not sent by browsers on their own: no origin check.
        let bearer = try await s.call("POST", "/api/cases", role: .dispatcher, json: body, headers: ["Origin": "https://evil.example"])
        #expect(bearer.status == 201)
    }

    /// The map page may not be framed by another site, and runs only the server's own scripts.
    @Test func theMapPageSaysWhereItsScriptsComeFrom() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let page = try await s.call("/map")
        #expect(page.status == 200)
        #expect(page.headers["x-frame-options"] == "DENY")
        let csp = page.headers["content-security-policy"] ?? ""
        #expect(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "\(csp)")
    }
}
