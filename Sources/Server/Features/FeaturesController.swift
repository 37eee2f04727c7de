import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird

/// OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference): the
/// landing page, conformance, the API document, collections and their items.
struct FeaturesController {
    let state: ServerState

    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    ] + PlanCollections.conformance
    static let geojson = "application/geo+json"

    func register(on router: Router<WanggeContext>) {
        router.get("/") { request, _ in HTMLPage.wanted(request) ? HTMLPage.landing(collections: infos) : landing(request) }
        router.get("/conformance") { _, _ in JSONResponse.make(.object(JSONObject([("conformsTo", .array(Self.conformance.map { .string($0) }))]))) }
        router.get("/api") { request, _ in
            JSONResponse.make(OpenAPIDocument.make(baseURL: request.baseURL), contentType: "application/vnd.oai.openapi+json;version=3.0")
        }
        router.get("/collections") { request, context in
            let plans = try await plans.drafts(context).map(PlanCollections.info)
            return HTMLPage.wanted(request) ? HTMLPage.collections(infos + plans) : try await collections(request, plans: plans)
        }
        router.get("/collections/{collectionId}") { request, context in
            let id = try context.parameters.require("collectionId")
            let info = try await self.info(id, context)
            return HTMLPage.wanted(request) ? HTMLPage.collection(info) : JSONResponse.make(collectionJSON(info, request.baseURL))
        }
        router.get("/collections/{collectionId}/queryables") { request, context in
            let id = try context.parameters.require("collectionId")
            let info = try await self.info(id, context)
            return JSONResponse.make(queryables(info, request.baseURL), contentType: "application/schema+json")
        }
        router.get("/collections/{collectionId}/items") { request, context in try await items(request, context) }
        router.get("/collections/{collectionId}/items/{featureId}") { request, context in try await item(request, context) }
        // Part 4: draft plans take writes; every other collection is read-only (405).
        router.post("/collections/{collectionId}/items") { request, context in
            try await plans.create(try writable(context), request, context)
        }
        router.put("/collections/{collectionId}/items/{featureId}") { request, context in
            try await plans.replace(try writable(context), try context.parameters.require("featureId"), request, context)
        }
        router.patch("/collections/{collectionId}/items/{featureId}") { request, context in
            try await plans.update(try writable(context), try context.parameters.require("featureId"), request, context)
        }
        router.delete("/collections/{collectionId}/items/{featureId}") { request, context in
            try await plans.delete(try writable(context), try context.parameters.require("featureId"), request, context)
        }
        router.on("/collections/{collectionId}/items", method: .options) { _, context in
            try options(context, PlanCollections.itemsMethods)
        }
        router.on("/collections/{collectionId}/items/{featureId}", method: .options) { _, context in
            try options(context, PlanCollections.itemMethods)
        }
    }

    private var plans: PlanCollections { PlanCollections(state: state) }

    /// A collection's description: the catalog's, or a plan's (for planners and viewers).
    private func info(_ id: String, _ context: WanggeContext) async throws -> CollectionInfo {
        if let plan = PlanCollections.planID(id) { return PlanCollections.info(try await plans.plan(plan, context)) }
        guard let info = state.catalog.info(id) else { throw Self.unknownCollection(id) }
        return info
    }

    /// The plan a write goes to; the map's collections take none.
    private func writable(_ context: WanggeContext) throws -> Int64 {
        let id = try context.parameters.require("collectionId")
        if let plan = PlanCollections.planID(id) { return plan }
        guard state.catalog.info(id) != nil else { throw Self.unknownCollection(id) }
        var p = Problem(.methodNotAllowed, "read-only-collection",
                        "\(id) is read-only: grids change in a draft plan (collection plan-{id}, POST /api/plans) and reach the live layer when it is published")
        p.allow = "GET, HEAD, OPTIONS"
        throw p
    }

    /// `OPTIONS`: the methods the path takes (the API document's); a collection other than a
    /// draft plan's answers a write with 405 and its own `Allow`.
    private func options(_ context: WanggeContext, _ methods: String) throws -> Response {
        let id = try context.parameters.require("collectionId")
        guard PlanCollections.planID(id) != nil || state.catalog.info(id) != nil else { throw Self.unknownCollection(id) }
        return Response(status: .noContent, headers: [.allow: methods])
    }

    /// What a CQL2 `filter` may name, as a JSON Schema (OGC API – Features Part 3's queryables),
    /// typed as the collection's fields are.
    private func queryables(_ info: CollectionInfo, _ base: String) -> JSONValue {
        let fields = Dictionary(state.catalog.fields(info.id).map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        let types = state.catalog.filterTypes(info.id)
        let points = ["cases", "households", "cameras"].contains(info.id)
        func schema(_ name: String) -> JSONValue {
            var o = JSONObject([("title", .string(name))])
            switch types[name] {
            case .geometry?: o["format"] = .string(points ? "geometry-point" : "geometry-any")
            case .timestamp?: o["type"] = "string"; o["format"] = "date-time"
            case .boolean?: o["type"] = "boolean"
            case .number?: o["type"] = fields[name] == .integer ? "integer" : "number"
            default: o["type"] = "string"
            }
            return .object(o)
        }
        let names = ["geometry"] + state.catalog.fields(info.id).map(\.name)
        return .object(JSONObject([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", .string("\(base)/collections/\(info.id)/queryables")),
            ("type", "object"), ("title", .string(info.title)),
            ("properties", .object(JSONObject(names.map { ($0, schema($0)) }))),
            ("additionalProperties", .bool(false)),
        ]))
    }

    private var infos: [CollectionInfo] { MapCatalog.ids.compactMap { state.catalog.info($0) } }

    static func unknownCollection(_ id: String) -> Problem {
        .notFound("no collection \(id); the collections are \(MapCatalog.ids.joined(separator: ", "))")
    }

    private func landing(_ request: Request) -> Response {
        let base = request.baseURL
        return JSONResponse.make(.object(JSONObject([
            ("title", "Wangge 网格 — county grids, cameras and disputes"),
            ("description", "OGC API – Features over the county's boundaries, grids, cameras, households and cases; the dispatch API under /api."),
            ("links", .array([
                Link(href: "\(base)/", rel: "self", type: "application/json", title: "This document"),
                Link(href: "\(base)/api", rel: "service-desc", type: "application/vnd.oai.openapi+json;version=3.0", title: "The API definition"),
                Link(href: "\(base)/conformance", rel: "conformance", type: "application/json", title: "Conformance classes"),
                Link(href: "\(base)/collections", rel: "data", type: "application/json", title: "The collections"),
            ].map(\.json))),
        ])))
    }

    private func collections(_ request: Request, plans: [CollectionInfo]) async throws -> Response {
        let base = request.baseURL
        let catalog = state.catalog
        return JSONResponse.make(.object(JSONObject([
            ("links", .array([Link(href: "\(base)/collections", rel: "self", type: "application/json").json])),
            ("collections", .array((MapCatalog.ids.compactMap { catalog.info($0) } + plans).map { collectionJSON($0, base) })),
        ])))
    }

    private func collectionJSON(_ info: CollectionInfo, _ base: String) -> JSONValue {
        let extent = state.catalog.memory[info.id]?.extent ?? state.catalog.memory["boundaries"]?.extent
        var o = JSONObject([
            ("id", .string(info.id)), ("title", .string(info.title)), ("description", .string(info.description)),
            ("itemType", "feature"),
            ("crs", .array(ItemsQuery.crsList.map { .string($0.uri) })),
            ("storageCrs", .string(CRS.crs84.uri)),
            ("links", .array([
                Link(href: "\(base)/collections/\(info.id)", rel: "self", type: "application/json"),
                Link(href: "\(base)/collections/\(info.id)/items", rel: "items", type: Self.geojson, title: info.title),
                Link(href: "\(base)/collections/\(info.id)/queryables", rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                     type: "application/schema+json", title: "What items filter on"),
            ].map(\.json))),
        ])
        var ext = JSONObject()
        if let e = extent {
            ext["spatial"] = .object(JSONObject([("bbox", .array([.array([.number(e.minLon), .number(e.minLat), .number(e.maxLon), .number(e.maxLat)])])),
                                                 ("crs", .string(CRS.crs84.uri))]))
        }
        if info.temporal { ext["temporal"] = .object(JSONObject([("interval", .array([.array([.null, .null])])), ("trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian")])) }
        o["extent"] = .object(ext)
        return .object(o)
    }

    private func items(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let id = try context.parameters.require("collectionId")
        let catalog = state.catalog
        if let plan = PlanCollections.planID(id) { return try await planItems(plan, request, context) }
        guard let info = catalog.info(id) else { throw Self.unknownCollection(id) }
        let scope = try await state.access(id, context)
        let types = catalog.filterTypes(id)
        var query = try ItemsQuery(request.queryPairs, queryables: info.queryables, filterTypes: types, temporal: info.temporal)
        query.area = scope.area
        let base = "\(request.baseURL)/collections/\(id)/items"
        let html = HTMLPage.wanted(request)
        let page: FeaturePage
        if var memory = catalog.memory[id] {
            let key = "\(catalog.generation)|\(scope.area?.code ?? "")|\(request.baseURL)\(request.uri.path)?\(request.uri.query ?? "")"
            if !html, let cached = state.responses.get(key) { return cached.response(to: request) }
            var query = query
            if id == "grids", let t = query.datetime {
                memory = try await gridsInForce(at: t.upperBound == .distantFuture ? Date() : t.upperBound, catalog)
                query.datetime = nil
            }
            do { page = try memory.page(query, types: types) } catch { throw Problem.badRequest("filter: \(error.reason)", type: "bad-filter") }
            if !html {
                let body = try body(page, query, base: base, request: request)
                state.responses.put(key, body)
                return body.response(to: request)
            }
        } else {
            page = StoredPoints.ids.contains(id) ? try await StoredPoints(readers: state.readers, catalog: catalog).page(id, query, types: types)
                : try await casesPage(query, scope: scope)
        }
        if html { return itemsPage(info, page, query, request) }
        return try body(page, query, base: base, request: request).response(to: request)
    }

    /// The same page for a browser: links as the JSON answer's, in HTML (`f=html`), and the map's
    /// GeoJSON (`f=json`).
    private func itemsPage(_ info: CollectionInfo, _ page: FeaturePage, _ query: ItemsQuery, _ request: Request) -> Response {
        let path = "/collections/\(info.id)/items?"
        var pairs = request.queryPairs.filter { $0.0 != "f" }
        func url(offset: Int, f: String) -> String { path + Self.query(pairs + [("f", f)], offset: offset) }
        let next = query.offset + page.features.count < page.matched ? url(offset: query.offset + page.features.count, f: "html") : nil
        let prev = query.offset > 0 ? url(offset: max(0, query.offset - query.limit), f: "html") : nil
        pairs.removeAll { $0.0 == "crs" }   // the map draws in CRS84
        return HTMLPage.items(info, page, offset: query.offset, json: url(offset: query.offset, f: "json"), next: next, prev: prev)
    }

    private func body(_ page: FeaturePage, _ query: ItemsQuery, base: String, request: Request) throws -> CachedBody {
        var links = [Link(href: base + (request.uri.query.map { "?" + $0 } ?? ""), rel: "self", type: Self.geojson)]
        if query.offset + page.features.count < page.matched {
            links.append(Link(href: base + "?" + Self.query(request.queryPairs, offset: query.offset + page.features.count), rel: "next",
                              type: Self.geojson, title: "next page"))
        }
        if query.offset > 0 {
            links.append(Link(href: base + "?" + Self.query(request.queryPairs, offset: max(0, query.offset - query.limit)), rel: "prev",
                              type: Self.geojson, title: "previous page"))
        }
        links.append(Link(href: String(base.dropLast(6)), rel: "collection", type: "application/json"))
        let bytes = try FeatureEncoder(crs: query.crs).collection(page, links: links)
        return CachedBody(bytes, contentType: Self.geojson, extraHeaders: [(HTTPField.Name("Content-Crs")!, "<\(query.crs.uri)>")])
    }

    /// Grids as they were at a time: the layer version then in force (from the history), or none
    /// before the first.
    private func gridsInForce(at date: Date, _ catalog: MapCatalog) async throws -> MemoryCollection {
        let live = catalog.memory["grids"]!
        let grids = try await state.readers.read { r -> [Grid]? in
            guard let v = try r.grids.version(at: date) else { return [] }
            return v == catalog.layerVersion ? nil : try r.grids.grids(version: v)
        }
        guard let grids else { return live }
        return MemoryCollection(info: live.info, features: MapCatalog.gridFeatures(grids, names: catalog.names))
    }

    /// The same query with another offset (for `next`/`prev` links).
    static func query(_ pairs: [(String, String)], offset: Int) -> String {
        var c = URLComponents()
        c.queryItems = pairs.filter { $0.0 != "offset" }.map { URLQueryItem(name: $0.0, value: $0.1) } + [URLQueryItem(name: "offset", value: String(offset))]
        // `+` would read back as a space.
        return (c.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    private func casesPage(_ q: ItemsQuery, scope: Scope) async throws -> FeaturePage {
        var cq = CaseQuery(limit: q.limit, offset: q.offset)
        cq.bbox = q.bbox
        cq.newestFirst = false
        if let t = q.datetime {
            cq.reportedFrom = t.lowerBound == .distantPast ? nil : t.lowerBound
            cq.reportedTo = t.upperBound == .distantFuture ? nil : t.upperBound
        }
        for (key, value) in q.filters {
            switch key {
            case "status": cq.statuses = try Parameters.statuses(value)
            case "grid_id": cq.gridCodes = [value]
            case "category":
                guard let c = Case.Category(rawValue: value) else { throw Problem.badRequest("unknown category \(value)", type: "bad-parameter") }
                cq.category = c
            case "channel":
                guard let c = Case.Channel(rawValue: value) else { throw Problem.badRequest("unknown channel \(value)", type: "bad-parameter") }
                cq.channel = c
            case "overdue":
                guard value == "true" || value == "false" else { throw Problem.badRequest("overdue is true or false", type: "bad-parameter") }
                cq.overdue = value == "true"
            case "county": cq.county = value
            default: break
            }
        }
        cq.filter = q.filter
        if let box = q.filter?.requiredBox { cq.bbox = cq.bbox.map { $0.intersection(box) } ?? box }
        let query = scope.narrow(cq)
        let (cases, matched) = try await state.readers.read { try $0.cases.page(query) }
        return FeaturePage(features: cases.map(\.mapFeature), matched: matched)
    }

    /// A plan's grids, queried as the live grids are (bbox, filters, CQL2, paging, crs).
    private func planItems(_ id: Int64, _ request: Request, _ context: WanggeContext) async throws -> Response {
        let plan = try await plans.plan(id, context)
        let memory = try await plans.collection(plan)
        let types = state.catalog.filterTypes("grids")
        var query = try ItemsQuery(request.queryPairs, queryables: memory.info.queryables, filterTypes: types, temporal: false)
        query.area = context.identity?.area
        let page: FeaturePage
        do { page = try memory.page(query, types: types) } catch { throw Problem.badRequest("filter: \(error.reason)", type: "bad-filter") }
        if HTMLPage.wanted(request) { return itemsPage(memory.info, page, query, request) }
        var r = try body(page, query, base: "\(request.baseURL)/collections/plan-\(id)/items", request: request).response(to: request)
        r.headers[.allow] = PlanCollections.itemsMethods
        return r
    }

    private func item(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let id = try context.parameters.require("collectionId")
        let fid = try context.parameters.require("featureId")
        if let plan = PlanCollections.planID(id) { return try await plans.item(try await plans.plan(plan, context), fid, request, context) }
        let catalog = state.catalog
        guard let info = catalog.info(id) else { throw Self.unknownCollection(id) }
        let scope = try await state.access(id, context)
        let pairs = request.queryPairs
        let html = HTMLPage.wanted(request)
        // `f` is checked by ItemsQuery, as for items.
        for (k, _) in pairs where !["crs", "zoom", "f"].contains(k) {
            throw Problem.badRequest("unknown parameter \(k); a feature takes crs and zoom", type: "bad-parameter")
        }
        let query = try ItemsQuery(pairs, queryables: [], temporal: info.temporal)
        let feature: MapFeature?
        if let memory = catalog.memory[id] {
            feature = scope.allows(code: fid) ? memory.feature(id: fid, zoom: query.zoom) : nil
        } else if StoredPoints.ids.contains(id) {
            feature = try await StoredPoints(readers: state.readers, catalog: catalog).feature(id, fid, within: scope.area)
        } else if let n = Int64(fid) {
            let c = try await state.readers.read { try $0.cases.find(id: n) }
            feature = c.flatMap { c in scope.allows(c) ? c.mapFeature : nil }
        } else { feature = nil }
        guard let feature else { throw Problem.notFound("no feature \(fid) in \(id)") }
        if html { return HTMLPage.item(info, feature) }
        let base = "\(request.baseURL)/collections/\(id)"
        let bytes = try FeatureEncoder(crs: query.crs).feature(feature, links: [
            Link(href: "\(base)/items/\(fid)", rel: "self", type: Self.geojson),
            Link(href: base, rel: "collection", type: "application/json"),
        ])
        return CachedBody(bytes, contentType: Self.geojson, extraHeaders: [(HTTPField.Name("Content-Crs")!, "<\(query.crs.uri)>")])
            .response(to: request)
    }
}
