import Foundation
import Testing
import Geo
@testable import Server

/// The map page's sign-in cookie, with curl (no shared cookie jar between tests).
@Suite struct SessionTests {
    func curl(_ s: TestServer, _ args: [String]) async throws -> (headers: String, body: String) {
        let dir = TempDir()
        let headers = dir.path("headers.txt")
        let r = try await run("/usr/bin/curl", ["-s", "-D", headers] + args)
        return ((try? String(contentsOfFile: headers, encoding: .utf8)) ?? "", r.out)
    }

    @Test(arguments: StoreKind.allCases) func signingInSetsAnHttpOnlyCookieOfItsOwn(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let tokens = try connect(s.db).tokens.list().count
        let bad = try await curl(s, ["-H", "Content-Type: application/json", "--data", #"{"token":"wg_nope"}"#, "\(s.base)/api/session"])
        #expect(bad.headers.hasPrefix("HTTP/1.1 401") && !bad.headers.lowercased().contains("set-cookie"))

        let good = try await curl(s, ["-H", "Content-Type: application/json", "--data", #"{"token":"\#(s.tokens[.viewer]!)"}"#, "\(s.base)/api/session"])
        let cookieLine = try #require(good.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(cookieLine.contains("HttpOnly") && cookieLine.contains("SameSite=Strict") && cookieLine.contains("Path=/"))
        #expect(!cookieLine.contains("Secure"), "plain HTTP on loopback: a Secure cookie would never come back")
        #expect(try JSONParser.parse(Array(good.body.utf8)).objectValue?["role"] == "viewer")
        let cookie = try #require(cookieLine.dropFirst("set-cookie:".count).split(separator: ";").first).trimmingCharacters(in: .whitespaces)
        // The cookie holds a session of its own, not the token.
        #expect(cookie.hasPrefix("wangge_session=") && !cookie.contains(s.tokens[.viewer]!))

        // The session acts as the token: who am I, the collections, the feed's access.
        let me = try await curl(s, ["-H", "Cookie: \(cookie)", "\(s.base)/api/session"])
        #expect(try JSONParser.parse(Array(me.body.utf8)).objectValue?["role"] == "viewer")
        let items = try await curl(s, ["-H", "Cookie: \(cookie)", "\(s.base)/collections/grids/items?limit=1"])
        #expect(items.headers.hasPrefix("HTTP/1.1 200"))
        // A viewer's cookie cannot do a dispatcher's work.
        let post = try await curl(s, ["-H", "Cookie: \(cookie)", "-H", "Content-Type: application/json", "--data",
                                      #"{"category":"land","description":"x","household_id":1}"#, "\(s.base)/api/cases"])
        #expect(post.headers.hasPrefix("HTTP/1.1 403"))
        // A token is not a session: a cookie holding the token itself is a stale cookie, and a
        // session is not a bearer token.
        let raw = try await curl(s, ["-H", "Cookie: wangge_session=\(s.tokens[.viewer]!)", "\(s.base)/api/session"])
        #expect(try JSONParser.parse(Array(raw.body.utf8)).objectValue?["role"] == .null && raw.headers.contains("Max-Age=0"))
        let secret = String(cookie.dropFirst("wangge_session=".count))
        #expect(try await s.call("/api/stats", headers: ["Authorization": "Bearer \(secret)"]).status == 401)

        // Behind a TLS proxy that says so, the cookie is Secure.
        let proxied = try await curl(s, ["-H", "X-Forwarded-Proto: https", "-H", "Content-Type: application/json", "--data",
                                         #"{"token":"\#(s.tokens[.viewer]!)"}"#, "\(s.base)/api/session"])
        #expect(proxied.headers.contains("; Secure"))

        // A stale cookie (ended or unknown session): the page still loads, as to nobody, and the
        // cookie is dropped so that it asks to sign in again.
        let stale = try await curl(s, ["-H", "Cookie: wangge_session=wg_revoked", "\(s.base)/map"])
        #expect(stale.headers.hasPrefix("HTTP/1.1 200") && stale.body.contains("<title>"))
        #expect(stale.headers.contains("Max-Age=0"))

        // Signing out ends the session for good: the same value no longer works.
        let out = try await curl(s, ["-X", "DELETE", "-H", "Cookie: \(cookie)", "\(s.base)/api/session"])
        #expect(out.headers.hasPrefix("HTTP/1.1 204") && out.headers.contains("Max-Age=0"))
        let after = try await curl(s, ["-H", "Cookie: \(cookie)", "\(s.base)/collections/grids/items?limit=1"])
        #expect(after.headers.hasPrefix("HTTP/1.1 401"), "\(after.headers)")
        // Revoking the token ends its sessions.
        let second = try await s.signIn(.dispatcher)
        #expect(try await curl(s, ["-H", "Cookie: \(second)", "\(s.base)/api/cases?limit=1"]).headers.hasPrefix("HTTP/1.1 200"))
        let id = try #require(try connect(s.db).tokens.list().first { $0.role == .dispatcher }?.id)
        #expect(try await run(wanggePath, ["token", "revoke", "--db", s.db, String(id)]).status == 0)
        var ended = false
        for _ in 0..<600 where !ended {
            ended = try await curl(s, ["-H", "Cookie: \(second)", "\(s.base)/api/cases?limit=1"]).headers.hasPrefix("HTTP/1.1 401")
            if !ended { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(ended, "a revoked token's session still works")
        #expect(try connect(s.db).tokens.list().count == tokens, "sessions are not listed as tokens")
    }

    /// Wrong tokens are answered 429 with Retry-After once a client has sent too many in a minute
    /// (here a server that allows 5), for sign-in and for bearer tokens alike; right ones then too.
    @Test func guessingTokensIsLimited() async throws {
        let s = try await TestServer(kind: .spatialite, failedAuthPerMinute: 5)
        defer { s.stop() }
        // Within one minute: the count starts again when it changes. Under a full run on two cores
        // the calls can straddle a minute's end; then the round is tried again, a minute later.
        func minute() -> Int { Int(Date().timeIntervalSince1970) / 60 }
        var round: (limited: TestServer.Reply, signIn: TestServer.Reply, first: [Int])?
        for _ in 0..<3 {
            while Int(Date().timeIntervalSince1970) % 60 > 45 { try await Task.sleep(for: .seconds(1)) }
            let start = minute()
            var first: [Int] = []
            for _ in 0..<5 { first.append(try await s.call("/api/stats", headers: ["Authorization": "Bearer wg_guess"]).status) }
            let limited = try await s.call("/api/stats", headers: ["Authorization": "Bearer wg_guess"])
            let signIn = try await s.call("POST", "/api/session", json: #"{"token":"wg_guess"}"#)
            if minute() == start { round = (limited, signIn, first); break }
            // The calls of this round that fell in the new minute count there: wait for a fresh one.
            let ended = minute()
            while minute() == ended { try await Task.sleep(for: .seconds(1)) }
        }
        let r = try #require(round, "three rounds straddled a minute")
        #expect(r.first == [401, 401, 401, 401, 401], "\(r.first)")
        #expect(r.limited.status == 429 && Int(r.limited.headers["retry-after"] ?? "") != nil, "\(r.limited.status) \(r.limited.text)")
        #expect(r.limited.headers["content-type"] == "application/problem+json")
        #expect(r.signIn.status == 429)
        // No credentials: nothing to limit (the public's tracking goes on).
        #expect(try await s.call("/healthz").status == 200)
    }
}
