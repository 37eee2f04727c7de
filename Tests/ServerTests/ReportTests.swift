import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// The monthly report over HTTP and from the CLI: its figures are `/api/stats`'s for the month,
/// the PDF is a real one (read back by pypdf), and bad months are refused.
@Suite struct ReportTests {
    static let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path
    static var month: String { String(ChinaTime.text(Date()).prefix(7)) }

    /// The text of a PDF's pages, by pypdf.
    static func text(ofPDF path: String) throws -> (pages: Int, text: String) {
        let r = try sh(python, ["-c", """
            import sys, json
            from pypdf import PdfReader
            r = PdfReader(sys.argv[1])
            print(json.dumps({"pages": len(r.pages), "text": "\\n".join(p.extract_text() for p in r.pages)}))
            """, path])
        let o = try JSONParser.parse(r.out).objectValue
        return (Int(o?["pages"]?.integerValue ?? 0), o?["text"]?.stringValue ?? r.err)
    }

    @Test(arguments: StoreKind.allCases) func theReportsFiguresAreTheStatisticsOfTheMonth(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let m = try #require(ReportMonth(Self.month))
        let html = try await s.call("/api/reports/\(m).html", role: .viewer)
        #expect(html.status == 200 && html.headers["content-type"]?.hasPrefix("text/html") == true)
        // The embedded figures are /api/stats's answers for the month, by county, town and village.
        let page = html.text
        let start = try #require(page.range(of: "<script type=\"application/json\" id=\"figures\">")?.upperBound)
        let end = try #require(page.range(of: "</script>", range: start..<page.endIndex)?.lowerBound)
        let embedded = try #require(try JSONParser.parse(String(page[start..<end]).replacingOccurrences(of: "<\\/", with: "</")).objectValue)
        let from = ChinaTime.text(m.start), to = ChinaTime.text(m.end)
        for by in ["county", "town", "village"] {
            let q = "from=\(from.replacingOccurrences(of: "+", with: "%2B"))&to=\(to.replacingOccurrences(of: "+", with: "%2B"))&by=\(by)"
            let stats = try await s.call("/api/stats?\(q)", role: .viewer).json
            #expect(embedded[by] == stats, "\(by)")
        }
        // The county's row as the page prints it.
        let county = try #require(embedded["county"]?.objectValue?["figures"]?.arrayValue?.first?.objectValue)
        let received = try #require(county["received"]?.integerValue)
        #expect(received == Int64(try s.count("cases", where: "reported_at >= '\(from)' AND reported_at < '\(to)'")))
        #expect(page.contains("<div>受理 received<b>\(received)</b></div>"))
        // Towns ranked from the lowest satisfaction, those with fewer than 5 cases left out.
        let towns = embedded["town"]?.objectValue?["figures"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let ranked = towns.filter { ($0["received"]?.integerValue ?? 0) >= 5 && $0["key"]?.stringValue?.count == 9 }
        let rankSection = String(page[try #require(page.range(of: "id=\"ranking\"")).lowerBound..<(try #require(page.range(of: "id=\"towns\"")).lowerBound)])
        let order = ranked.sorted { ($0["satisfaction"]?.doubleValue ?? 6, $0["key"]?.stringValue ?? "") < ($1["satisfaction"]?.doubleValue ?? 6, $1["key"]?.stringValue ?? "") }
            .compactMap { $0["key"]?.stringValue }
        let printed = rankSection.components(separatedBy: "<tr data-code=\"").dropFirst().map { String($0.prefix(9)) }
        #expect(Array(printed.prefix(order.count)) == order)

        // The PDF: printed by Chromium, read back by pypdf.
        let pdf = try await s.call("/api/reports/\(m).pdf", role: .viewer)
        #expect(pdf.status == 200 && pdf.headers["content-type"] == "application/pdf" && pdf.body.starts(with: Array("%PDF-".utf8)))
        let file = s.dir.path("report.pdf")
        try pdf.body.write(to: URL(fileURLWithPath: file))
        let read = try Self.text(ofPDF: file)
        #expect(read.pages >= 2 && read.text.contains(m.label) && read.text.contains("全县概况") && read.text.contains(String(received)), "\(read.text.prefix(300))")

        // Refused: not a month, a month to come, another format, an area below a county, no token.
        for (name, status) in [("2026-13.pdf", 400), ("26-11.pdf", 400), ("2099-01.html", 400), ("\(m).doc", 404), ("\(m)", 404)] {
            let r = try await s.call("/api/reports/\(name)", role: .viewer)
            #expect(r.status == status && r.headers["content-type"] == "application/problem+json", "\(name): \(r.status) \(r.text)")
        }
        #expect(try await s.call("/api/reports/\(m).html").status == 401)
        #expect(try await s.call("/api/reports/\(m).html", role: .worker).status == 403)
        let grid = try s.store().grids.grids()[0].code
        let town = try Tokens.create(in: try s.store(), name: "town", role: .viewer, area: String(grid.prefix(9))).token
        #expect(try await s.call("/api/reports/\(m).html", headers: ["Authorization": "Bearer \(town)"]).status == 403)
    }
}
