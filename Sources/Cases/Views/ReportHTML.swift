import Foundation
import Geo
import Grid

/// The monthly report as one self-contained HTML page (inline SVG map and charts, print styles
/// for A4), which headless Chromium prints to PDF. Its figures are `/api/stats`'s for the month:
/// the page embeds those answers (`<script type="application/json" id="figures">`) and every
/// number in its tables comes from them.
public struct ReportHTML {
    public let report: MonthlyReport
    public let generatedAt: Date

    public init(_ report: MonthlyReport, generatedAt: Date = Date()) {
        self.report = report
        self.generatedAt = generatedAt
    }

    static func escape(_ s: String) -> String { HTMLText.escape(s) }

    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
    static func decimal(_ x: Double?, _ places: Int = 2) -> String { x.map { String(format: "%.\(places)f", $0) } ?? "–" }

    /// The embedded answers of `/api/stats` for the month, by county, town and village.
    public func statistics() throws -> String {
        var w = JSONWriter()
        let encoder = JSONValueEncoder()
        w.raw("{")
        for (k, s) in report.statistics.enumerated() {
            if k > 0 { w.raw(",") }
            w.string(s.by.rawValue)
            w.raw(":")
            w.value(try encoder.encode(StatsView(from: report.month.start, to: report.month.end, by: s.by, figures: s.figures, residents: report.residents)))
        }
        w.raw("}")
        // Inside <script>: "</" would end it.
        return w.text.replacingOccurrences(of: "</", with: "<\\/")
    }

    static let columns = ["受理 received", "化解 resolved", "化解率 success", "万人诉讼率 court/10k", "万人信访率 petitions/10k",
                          "按时受理 accepted on time", "3必到 urgent on time", "按时办结 on time", "重开 reopened", "满意度 satisfaction"]

    /// A unit's row: `/api/stats`'s figures (rounded as it rounds them), formatted.
    func cells(_ u: MonthlyReport.Unit) -> [String] {
        let v = FiguresView(u.figures, residents: u.residents)
        return [String(v.received), String(v.resolved), Self.percent(v.success_rate), Self.decimal(v.court_per_10k),
                Self.decimal(v.petitions_per_10k), Self.percent(v.accepted_on_time_rate), Self.percent(v.urgent_arrival_rate),
                Self.percent(v.on_time_rate), Self.percent(v.reopened_share), Self.decimal(v.satisfaction)]
    }

    func table(_ units: [MonthlyReport.Unit], first: String, rank: Bool = false) -> String {
        var h = "<table><thead><tr>" + (rank ? "<th>名次 rank</th>" : "") + "<th class=\"name\">\(first)</th>"
        h += Self.columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for (k, u) in units.enumerated() {
            h += "<tr data-code=\"\(u.code)\">" + (rank ? "<td>\(k + 1)</td>" : "") + "<td class=\"name\">\(Self.escape(u.name))</td>"
            h += cells(u).map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return h + "</tbody></table>"
    }

    // MARK: the map

    static let successClasses: [(Double, String, String)] = [(0.9, "#1a9850", "≥ 90%"), (0.8, "#91cf60", "80–90%"), (0.7, "#fee08b", "70–80%"),
                                                             (0.6, "#fc8d59", "60–70%"), (0, "#d73027", "< 60%")]

    static func successColour(_ x: Double?) -> String {
        guard let x else { return "#eeeeee" }
        return successClasses.first { x >= $0.0 }?.1 ?? "#d73027"
    }

    func map() -> String {
        let all = report.countyArea.flatMap(\.exterior)
        guard let minLon = all.map(\.lon).min(), let maxLon = all.map(\.lon).max(),
              let minLat = all.map(\.lat).min(), let maxLat = all.map(\.lat).max() else { return "" }
        let kx = cos((minLat + maxLat) / 2 * .pi / 180)
        let width = 500.0
        let scale = width / max((maxLon - minLon) * kx, 1e-9)
        let height = (maxLat - minLat) * scale
        func path(_ polygons: [Polygon]) -> String {
            polygons.flatMap(\.rings).map { ring in
                "M" + ring.map { String(format: "%.1f,%.1f", ($0.lon - minLon) * kx * scale, (maxLat - $0.lat) * scale) }.joined(separator: "L") + "Z"
            }.joined()
        }
        var svg = String(format: "<svg class=\"map\" viewBox=\"-4 -4 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\">", width + 8, height + 8, width + 8, height + 8)
        let success = Dictionary(report.towns.map { ($0.code, $0.figures.successRate) }, uniquingKeysWith: { a, _ in a })
        for (code, area) in report.townAreas.sorted(by: { $0.key < $1.key }) {
            svg += "<path class=\"town\" data-code=\"\(code)\" d=\"\(path(area))\" fill=\"\(Self.successColour(success[code] ?? nil))\" stroke=\"#555\" stroke-width=\"0.6\"/>"
        }
        for (g, pattern) in report.hotGrids {
            svg += "<path class=\"hot\" data-grid=\"\(g.code)\" data-pattern=\"\(pattern.rawValue)\" d=\"\(path([g.polygon]))\" fill=\"#67001f\" fill-opacity=\"0.55\" stroke=\"#67001f\" stroke-width=\"1\"/>"
        }
        svg += "<path d=\"\(path(report.countyArea))\" fill=\"none\" stroke=\"#111\" stroke-width=\"1.6\"/></svg>"
        var legend = "<div class=\"legend\">化解率 success rate: "
        legend += Self.successClasses.map { "<span><i style=\"background:\($0.1)\"></i>\($0.2)</span>" }.joined()
        legend += "<span><i style=\"background:#eeeeee\"></i>无案件 none</span><span><i style=\"background:#67001f;opacity:.55\"></i>热点网格 hot spot grids (\(report.hotGrids.count))</span></div>"
        return svg + legend
    }

    // MARK: the trend

    func chart(_ title: String, _ values: [Double?], max top: Double, bars: Bool, format: (Double) -> String) -> String {
        let w = 520.0, h = 120.0, left = 30.0, bottom = 18.0
        let n = Double(values.count)
        let step = (w - left) / n
        var svg = "<figure><figcaption>\(title)</figcaption><svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\">"
        svg += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w)\" y2=\"\(h - bottom)\" stroke=\"#888\"/>"
        func y(_ v: Double) -> Double { (h - bottom) - (h - bottom - 10) * (top > 0 ? min(v / top, 1) : 0) }
        var points: [String] = []
        for (k, v) in values.enumerated() {
            let x = left + step * (Double(k) + 0.5)
            let m = report.trend[k].month
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%d/%02d</text>", x, h - 4, m.year % 100, m.month)
            guard let v else { continue }
            if bars {
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a78a8\"/>", x - step * 0.35, y(v), step * 0.7, (h - bottom) - y(v))
            } else {
                points.append(String(format: "%.1f,%.1f", x, y(v)))
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#c0392b\"/>", x, y(v))
            }
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"value\">%@</text>", x, y(v) - 3, format(v))
        }
        if !points.isEmpty { svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>" }
        return svg + "</svg></figure>"
    }

    // MARK: the page

    public func html() throws -> String {
        let r = report
        let title = "\(Self.escape(r.county.name)) 矛盾纠纷多元化解月度分析报告"
        let c = r.county
        let summary: [(String, String)] = zip(Self.columns, cells(c)).map { ($0, $1) }
        let received = r.trend.map { Double($0.figures.received) }
        var page = """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>\(title) \(r.month.label)</title>
            <style>
            @page { size: A4; margin: 14mm 12mm; }
            body { font: 9.5pt/1.45 "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", sans-serif; color: #1d2733; margin: 0; }
            h1 { font-size: 17pt; margin: 0 0 2px; } h2 { font-size: 12pt; margin: 14px 0 6px; border-bottom: 2px solid #10263f; break-after: avoid; }
            h3 { font-size: 10pt; margin: 10px 0 4px; break-after: avoid; }
            .sub { color: #555; margin: 0 0 10px; }
            .summary { display: grid; grid-template-columns: repeat(5, 1fr); gap: 6px; }
            .summary div { border: 1px solid #cfd6de; padding: 4px 6px; } .summary b { display: block; font-size: 13pt; }
            table { border-collapse: collapse; width: 100%; font-size: 8pt; break-inside: auto; }
            th, td { border: 1px solid #b8c0c8; padding: 1px 4px; text-align: right; } th { background: #eef1f4; font-weight: 600; }
            td.name, th.name { text-align: left; } tr { break-inside: avoid; }
            .legend span { margin-right: 10px; white-space: nowrap; } .legend i { display: inline-block; width: 10px; height: 10px; border: 1px solid #555; margin-right: 3px; }
            figure { margin: 4px 0; break-inside: avoid; } figcaption { font-weight: 600; }
            .tick { font-size: 8px; text-anchor: middle; fill: #555; } .value { font-size: 7.5px; text-anchor: middle; fill: #222; }
            .note { color: #555; font-size: 8pt; }
            </style></head><body>
            <h1>\(title)</h1>
            <p class="sub">\(r.month.label) (\(ChinaTime.text(r.month.start).prefix(10)) – \(ChinaTime.text(r.month.end - 1).prefix(10)), 北京时间) · 生成于 \(ChinaTime.text(generatedAt)) · 常住人口 residents \(c.residents.map(String.init) ?? "–")</p>
            <section id="summary"><h2>全县概况 The county</h2><div class="summary">
            """
        page += summary.map { "<div>\($0.0)<b>\($0.1)</b></div>" }.joined()
        page += "</div></section>"
        page += "<section id=\"map\"><h2>各乡镇化解率与热点网格 Success rate by town, and hot spots (52 weeks)</h2>\(map())</section>"
        page += "<section id=\"trend\"><h2>月度趋势 Twelve months</h2>"
        page += chart("受理 cases received", received, max: received.compactMap { $0 }.max() ?? 0, bars: true) { String(Int($0)) }
        page += chart("化解率 success rate", r.trend.map { $0.figures.successRate }, max: 1, bars: false) { String(format: "%.0f%%", $0 * 100) }
        page += chart("满意度 satisfaction (1–5)", r.trend.map { $0.figures.satisfaction }, max: 5, bars: false) { String(format: "%.2f", $0) }
        page += "</section>"
        page += "<section id=\"ranking\"><h2>乡镇满意度逆排名 Towns from the lowest satisfaction</h2>"
        page += "<p class=\"note\">受理不少于\(MonthlyReport.rankingFloor)件的乡镇参与排名 (towns with fewer than \(MonthlyReport.rankingFloor) cases are not ranked); 未评价者排后.</p>"
        page += table(r.ranking, first: "乡镇 town", rank: true) + "</section>"
        page += "<section id=\"towns\"><h2>各乡镇 Towns</h2>" + table(r.towns, first: "乡镇 town") + "</section>"
        page += "<section id=\"villages\"><h2>各村(社区) Villages and communities</h2>"
        for t in r.towns {
            guard let vs = r.villages[t.code], !vs.isEmpty else { continue }
            page += "<h3>\(Self.escape(t.name))</h3>" + table(vs, first: "村/社区 village")
        }
        page += "</section>"
        page += """
            <p class="note">口径 Definitions: 化解率 = 化解 / 办结 (resolved / resolved or closed); 万人诉讼率 = 进入诉讼的案件 / 常住人口 × 10,000;
            万人信访率 = 信访渠道案件 / 常住人口 × 10,000; 按时受理 = 在受理时限内受理 / 受理; 3必到 = 紧急案件在到场时限内受理 / 紧急案件;
            按时办结 = 期限内办结 / 办结; 重开 = 化解后重回调解 / 受理; 满意度 = 评价均值 (1–5). 常住人口为各网格人口之和.</p>
            <script type="application/json" id="figures">\(try statistics())</script>
            </body></html>
            """
        return page
    }
}
