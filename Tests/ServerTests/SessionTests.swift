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

    @Test(arguments: StoreKind.allCases) func signingInSetsAnHttpOnlyCookieThatActsAsTheToken(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let bad = try await curl(s, ["-H", "Content-Type: application/json", "--data", #"{"token":"wg_nope"}"#, "\(s.base)/api/session"])
        #expect(bad.headers.hasPrefix("HTTP/1.1 401") && !bad.headers.lowercased().contains("set-cookie"))

        let good = try await curl(s, ["-H", "Content-Type: application/json", "--data", #"{"token":"\#(s.tokens[.viewer]!)"}"#, "\(s.base)/api/session"])
        let cookieLine = try #require(good.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(cookieLine.contains("HttpOnly") && cookieLine.contains("SameSite=Strict") && cookieLine.contains("Path=/"))
        #expect(try JSONParser.parse(Array(good.body.utf8)).objectValue?["role"] == "viewer")
        let cookie = "wangge_token=\(s.tokens[.viewer]!)"

        // The cookie is the token: who am I, the collections, the feed's access.
        let me = try await curl(s, ["-H", "Cookie: \(cookie)", "\(s.base)/api/session"])
        #expect(try JSONParser.parse(Array(me.body.utf8)).objectValue?["role"] == "viewer")
        let items = try await curl(s, ["-H", "Cookie: \(cookie)", "\(s.base)/collections/grids/items?limit=1"])
        #expect(items.headers.hasPrefix("HTTP/1.1 200"))
        // A viewer's cookie cannot do a dispatcher's work.
        let post = try await curl(s, ["-H", "Cookie: \(cookie)", "-H", "Content-Type: application/json", "--data",
                                      #"{"category":"land","description":"x","household_id":1}"#, "\(s.base)/api/cases"])
        #expect(post.headers.hasPrefix("HTTP/1.1 403"))

        // A stale cookie (revoked or unknown token): the page still loads, as to nobody, and the
        // cookie is dropped so that it asks to sign in again.
        let stale = try await curl(s, ["-H", "Cookie: wangge_token=wg_revoked", "\(s.base)/map"])
        #expect(stale.headers.hasPrefix("HTTP/1.1 200") && stale.body.contains("<title>"))
        #expect(stale.headers.contains("Max-Age=0"))
        let nobody = try await curl(s, ["-H", "Cookie: wangge_token=wg_revoked", "\(s.base)/api/session"])
        #expect(try JSONParser.parse(Array(nobody.body.utf8)).objectValue?["role"] == .null)

        let out = try await curl(s, ["-X", "DELETE", "\(s.base)/api/session"])
        #expect(out.headers.hasPrefix("HTTP/1.1 204") && out.headers.contains("Max-Age=0"))
    }
}
