import Foundation
import Testing
import Geo
@testable import Server

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
        var body = "{"
        for k in 0..<130_000 { body += (k == 0 ? "" : ",") + "\"k\(k)\":1" }
        body += "}"
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
        // Half a head, then nothing; and a whole request answered, then nothing.
        for send in [#"b"GET /healthz HTTP/1.1\r\nHost: x\r\n""#, #"b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); time.sleep(0.3); c.recv(65536"#] {
            let script = """
                import socket, time
                c = socket.create_connection(("127.0.0.1", \(s.port)))
                c.sendall(\(send))
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
            #expect(words.first == "closed", "\(send): \(r.out) \(r.err)")
            #expect((Double(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5, "\(r.out)")
        }
        #expect(try await s.call("/healthz").status == 200)
    }
}
