import Foundation
import Testing
import Geo
import TestSupport
@testable import Server

/// The report codes (扫码反映) to print: read back by zbar (Debian's zbarimg, a decoder that shares
/// nothing with libqrencode), from the server and from `wangge qr`, with the unit's name on the card.
@Suite struct ReportCodeTests {
    /// What zbarimg reads in an image file (PNG, or SVG through ImageMagick).
    static func decode(_ path: String) throws -> String {
        let r = try sh("/usr/bin/zbarimg", ["--raw", "-q", path])
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theServerDrawsAUnitsCodeWithItsName() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let store = try s.store()
        let grid = try #require(try scalar("SELECT grid_id FROM grids ORDER BY grid_id LIMIT 1", on: store))
        let village = String(grid.prefix(12))
        let villageName = try #require(try scalar("SELECT name FROM boundaries WHERE code = '\(village)'", on: store))
        let gridName = try #require(try scalar("SELECT name FROM grids WHERE grid_id = '\(grid)'", on: store))
        for (code, name) in [(village, villageName), (grid, gridName)] {
            for kind in ["svg", "png"] {
                let r = try await s.call("/api/qr/\(code).\(kind)", role: .viewer)
                #expect(r.status == 200 && r.headers["content-type"] == (kind == "svg" ? "image/svg+xml" : "image/png"), "\(code).\(kind) \(r.status)")
                let file = s.dir.path("\(code).\(kind)")
                try r.body.write(to: URL(fileURLWithPath: file))
                #expect(try Self.decode(file) == "\(s.base)/report?unit=\(code)", "\(code).\(kind)")
                if kind == "svg" { #expect(r.text.contains(name) && r.text.contains("单位码 \(code)")) }
                else { #expect(r.body.starts(with: [0x89, 0x50, 0x4E, 0x47])) }
            }
        }
        let png = try await s.call("/api/qr/\(village).png", role: .dispatcher)
        try MapPageTests.keep(png.body, "report-code-village.png")

        for (path, status) in [("/api/qr/511725999999.svg", 404), ("/api/qr/\(grid).gif", 404), ("/api/qr/12.svg", 404)] {
            let r = try await s.call(path, role: .viewer)
            #expect(r.status == status && r.headers["content-type"] == "application/problem+json", "\(path) \(r.status)")
        }
        #expect(try await s.call("/api/qr/\(grid).svg").status == 401)
        #expect(try await s.call("/api/qr/\(grid).svg", role: .worker).status == 403)
    }

    @Test func theCLIWritesOneCodePerUnitForPrinting() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let store = try s.store()
        let grids = Int(try #require(try scalar("SELECT count(*) FROM grids", on: store)).flatMap { Int($0) } ?? 0)
        let villages = Int(try #require(try scalar("SELECT count(DISTINCT substr(grid_id, 1, 12)) FROM grids", on: store)).flatMap { Int($0) } ?? 0)
        let dir = s.dir.path("codes")
        let all = try await run(wanggePath, ["qr", "--db", s.db, "--all", "--out", dir, "--format", "png", "--base-url", "https://wangge.example.cn/"])
        #expect(all.status == 0, "\(all.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files.count == grids + villages && files.allSatisfy { $0.hasSuffix(".png") })
        for f in [files.first, files.last].compactMap({ $0 }) {
            let code = String(f.dropLast(4))
            #expect(try Self.decode("\(dir)/\(f)") == "https://wangge.example.cn/report?unit=\(code)")
        }
        let one = s.dir.path("one.svg")
        let grid = String(files.last!.dropLast(4))
        let r = try await run(wanggePath, ["qr", "--db", s.db, "--unit", grid, "--out", one])
        #expect(r.status == 0 && r.out.contains("http://127.0.0.1:8080/report?unit=\(grid)"), "\(r.out) \(r.err)")
        #expect(try Self.decode(one) == "http://127.0.0.1:8080/report?unit=\(grid)")

        for (args, reason) in [(["--unit", "511725999999", "--out", s.dir.path("x.svg")], "no such village, community or grid"),
                               (["--unit", grid, "--out", s.dir.path("x.jpg")], "must end in .svg or .png"),
                               (["--unit", grid, "--all", "--out", dir], "not both"),
                               (["--out", dir], "give --unit CODE or --all"),
                               (["--all", "--out", dir, "--format", "gif"], "--format is svg or png")] {
            let bad = try await run(wanggePath, ["qr", "--db", s.db] + args)
            #expect(bad.status != 0 && bad.err.contains(reason), "\(args): \(bad.err)")
        }
    }
}
