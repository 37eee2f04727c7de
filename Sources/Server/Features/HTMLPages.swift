import Foundation
import Geo
import HTTPTypes
import Hummingbird
import NIOCore

/// The OGC API pages for people with a browser (as pygeoapi and pg_featureserv answer): the landing
/// page, the collections, one collection and a page of items with a small map and a table, in
/// Chinese and English. Plain server-made HTML; the only script is the items map's own file, under
/// the same Content-Security-Policy as `/map`.
enum HTMLPage {
    /// Whether a request wants HTML: `f=html`, or (no `f`) a browser's `Accept` naming text/html.
    static func wanted(_ request: Request) -> Bool {
        if let f = request.query("f") { return f.lowercased() == "html" }
        return (request.headers[.accept] ?? "").contains("text/html")
    }

    static func escape(_ s: String) -> String { HTMLText.escape(s) }

    /// A whole page: `title` in both languages, `body` already escaped HTML.
    static func response(title: String, body: String, map: Bool = false) -> Response {
        let head = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>\(escape(title)) — Wangge 网格</title>
            \(map ? #"<link rel="stylesheet" href="/vendor/leaflet/leaflet.css">"# : "")
            <link rel="stylesheet" href="/map/pages.css">
            </head><body>
            <header><a href="/">Wangge 网格</a> · <a href="/collections">数据集 Collections</a> · <a href="/map">地图 Map</a> · <a href="/api">API</a></header>
            <main><h1>\(escape(title))</h1>
            """
        let tail = map ? #"</main><script src="/vendor/leaflet/leaflet.min.js"></script><script src="/map/items.js"></script></body></html>"#
            : "</main></body></html>"
        var r = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: head + body + tail)))
        r.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        r.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        r.headers[.vary] = "Accept"
        return r
    }

    /// A 401 for a browser: why, and where to sign in (the map page's form makes the session).
    static func signInNeeded(_ detail: String) -> Response {
        var r = response(title: "需要登录 Sign in first", body: """
            <p>\(escape(detail))</p>
            <p>\(link("/map", "在地图页登录 — sign in on the map page")), 然后回到本页 — then come back to this page.</p>
            """)
        r.status = .unauthorized
        return r
    }

    static func link(_ href: String, _ text: String) -> String { "<a href=\"\(escape(href))\">\(escape(text))</a>" }

    static func landing(collections: [CollectionInfo]) -> Response {
        response(title: "网格综治数据服务 Wangge OGC API", body: """
            <p>县、乡镇、村三级网格、摄像头和矛盾纠纷 — county grids, cameras and disputes over OGC API – Features.</p>
            <ul>
            <li>\(link("/map", "一屏观城乡地图 — the one-screen map"))</li>
            <li>\(link("/api", "API 文档 (OpenAPI 3.0) — the API definition"))</li>
            <li>\(link("/conformance", "符合性 — conformance classes"))</li>
            <li>\(link("/collections?f=html", "数据集 — the collections"))</li>
            </ul>
            <h2>数据集 Collections</h2>
            \(collectionList(collections))
            """)
    }

    static func collections(_ list: [CollectionInfo]) -> Response {
        response(title: "数据集 Collections", body: collectionList(list))
    }

    private static func collectionList(_ list: [CollectionInfo]) -> String {
        "<ul>" + list.map { "<li>\(link("/collections/\($0.id)?f=html", $0.title)) — \(escape($0.description))</li>" }.joined() + "</ul>"
    }

    static func collection(_ info: CollectionInfo) -> Response {
        response(title: info.title, body: """
            <p>\(escape(info.description))</p>
            <ul>
            <li>\(link("/collections/\(info.id)/items?f=html", "要素 — items"))</li>
            <li>\(link("/collections/\(info.id)/items?f=json", "GeoJSON"))</li>
            <li>\(link("/collections/\(info.id)?f=json", "元数据 JSON — metadata"))</li>
            </ul>
            <p>可筛选属性 Queryables: \(info.queryables.map { "<code>\(escape($0))</code>" }.joined(separator: ", "))</p>
            """)
    }

    /// One feature: its place on the small map and its properties.
    static func item(_ info: CollectionInfo, _ f: MapFeature) -> Response {
        let json = "/collections/\(info.id)/items/\(f.id)?f=json"
        let rows = f.properties.members.map { "<tr><th>\(escape($0.key))</th><td>\(cell($0.value))</td></tr>" }.joined(separator: "\n")
        return response(title: "\(info.title) — \(f.id)", body: """
            <p>\(link("/collections/\(info.id)/items?f=html", "← 全部要素 all items")) · \(link(json, "GeoJSON"))</p>
            <div id="items-map" data-geojson="\(escape(json))"></div>
            <table><tbody>
            \(rows)
            </tbody></table>
            """, map: true)
    }

    static func cell(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return escape(s)
        case .integer(let n)?: return String(n)
        case .number(let d)?: return String(d)
        case .bool(let b)?: return b ? "true" : "false"
        case nil, .null?: return ""
        default: return escape(String(describing: v!))
        }
    }

    /// A page of items: the map draws the same page as GeoJSON (`json`), the table lists the
    /// properties; `next`/`prev` are the JSON answer's links, as HTML.
    static func items(_ info: CollectionInfo, _ page: FeaturePage, offset: Int, json: String, next: String?, prev: String?) -> Response {
        let keys = page.features.reduce(into: [String]()) { keys, f in
            for (k, _) in f.properties.members where !keys.contains(k) { keys.append(k) }
        }
        let rows = page.features.map { f in
            "<tr><td>\(link("/collections/\(info.id)/items/\(f.id)?f=html", f.id))</td>" + keys.map { "<td>\(cell(f.properties[$0]))</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        let nav = [prev.map { link($0, "← 上一页 previous") }, next.map { link($0, "下一页 next →") }].compactMap { $0 }.joined(separator: " · ")
        let shown = page.features.isEmpty ? "0" : "\(offset + 1)–\(offset + page.features.count)"
        return response(title: "\(info.title) — 要素 items", body: """
            <p>共 \(page.matched) 个，显示 \(shown) — \(page.matched) matched, showing \(shown). \(link(json, "GeoJSON"))</p>
            <div id="items-map" data-geojson="\(escape(json))"></div>
            <nav>\(nav)</nav>
            <table><thead><tr><th>id</th>\(keys.map { "<th>\(escape($0))</th>" }.joined())</tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            <nav>\(nav)</nav>
            """, map: true)
    }
}
