import Cases
import Geo

/// The OpenAPI 3.0 document served at `/api`: every route the server has, with its parameters.
/// A test calls each path listed here against the running server.
enum OpenAPIDocument {
    private static func param(_ name: String, _ place: String = "query", _ type: String = "string", _ description: String, required: Bool = false,
                              style: String? = nil, array: Bool = false, schema given: JSONValue? = nil) -> JSONValue {
        var schema: JSONValue = .object(JSONObject([("type", .string(type))]))
        if array { schema = .object(JSONObject([("type", "array"), ("items", .object(JSONObject([("type", .string(type))])))])) }
        if let given { schema = given }
        var o = JSONObject([("name", .string(name)), ("in", .string(place)), ("description", .string(description)),
                            ("required", .bool(required || place == "path")), ("schema", schema)])
        if let style { o["style"] = .string(style); o["explode"] = false }
        return .object(o)
    }

    /// A response body: its media type and schema (a view's, by reference, where there is one).
    struct Body {
        let type: String
        let schema: JSONValue
        /// Other media types of the same answer (negotiated by the path, as a report's .pdf or .html).
        var also: [String] = []
        static func json(_ name: String) -> Body { Body(type: "application/json", schema: ref(name)) }
        static func json(arrayOf name: String) -> Body {
            Body(type: "application/json", schema: .object(JSONObject([("type", "array"), ("items", ref(name))])))
        }
        /// An OGC, TileJSON or other standard document: described by its standard, an object here.
        static let document = Body(type: "application/json", schema: .object(JSONObject([("type", "object")])))
        static let featureCollection = Body(type: "application/geo+json", schema: ref("FeatureCollection"))
        static let feature = Body(type: "application/geo+json", schema: ref("Feature"))
        static func other(_ type: String, also: [String] = []) -> Body { Body(type: type, schema: .object(JSONObject([("type", "string")])), also: also) }
        /// A JSON Schema document (queryables).
        static let jsonSchema = Body(type: "application/schema+json", schema: .object(JSONObject([("type", "object")])))
        static func ref(_ name: String) -> JSONValue { .object(JSONObject([("$ref", .string("#/components/schemas/\(name)"))])) }
    }

    /// The schemas of the domain API's answers, inferred from their view types.
    static let schemas: [(String, JSONValue)] = [
        ("Case", CaseView.schema), ("CaseList", CaseListView.schema), ("Alert", AlertView.schema), ("Track", TrackView.schema), ("UnitList", UnitListView.schema), ("ReportReceipt", ReportReceiptView.schema), ("Photo", PhotoView.schema),
        ("Stats", StatsView.schema), ("Placement", PlacementView.schema), ("Duty", DutyView.schema), ("Plan", PlanView.schema),
        ("PlanOperation", PlanOperationView.schema), ("Published", PublishedView.schema), ("LayerVersion", LayerVersionView.schema),
        ("Session", SessionView.schema), ("Health", HealthView.schema), ("Problem", ProblemView.schema), ("HotSpots", HotSpotsView.schema),
        ("Warnings", WarningsView.schema), ("TrackImport", TrackImportView.schema), ("Patrol", PatrolView.schema), ("Position", PositionView.schema), ("Nearest", NearestView.schema), ("KeyHouseholds", KeyHouseholdsView.schema),
        // GeoJSON (RFC 7946): what every collection's answer has.
        ("FeatureCollection", .object(JSONObject([("type", "object"), ("required", .array(["type", "features"])), ("properties", .object(JSONObject([
            ("type", .object(JSONObject([("type", "string"), ("enum", .array(["FeatureCollection"]))]))),
            ("features", .object(JSONObject([("type", "array"), ("items", Body.ref("Feature"))])))])))]))),
        ("Feature", .object(JSONObject([("type", "object"), ("required", .array(["type", "geometry", "properties"])), ("properties", .object(JSONObject([
            ("type", .object(JSONObject([("type", "string"), ("enum", .array(["Feature"]))]))),
            ("geometry", .object(JSONObject([("type", "object"), ("nullable", true)]))),
            ("properties", .object(JSONObject([("type", "object"), ("nullable", true)])))])))]))),
        // RFC 7396 over a Feature: any of its members, null to remove one.
        ("FeaturePatch", .object(JSONObject([("type", "object"), ("properties", .object(JSONObject([
            ("geometry", .object(JSONObject([("type", "object")]))),
            ("properties", .object(JSONObject([("type", "object")])))])))]))),
    ]

    /// - Parameter refusals: problems this operation has beyond the common ones (400, 404, 503; 401,
    ///   403 and 429 when secured; 409, 413, 415 and 422 with a body).
    private static func op(_ summary: String, _ tag: String, params: [JSONValue] = [], body: RequestShape? = nil, upload: String? = nil,
                           feature: String? = nil, responses: [(String, String, Body)], secured: Bool = true, refusals: [(String, String)] = []) -> JSONValue {
        var o = JSONObject([("summary", .string(summary)), ("tags", .array([.string(tag)])), ("parameters", .array(params))])
        // A GeoJSON feature written (OGC API – Features Part 4), or a merge patch of one.
        if let feature {
            o["requestBody"] = .object(JSONObject([("required", true), ("content", .object(JSONObject([
                (feature, .object(JSONObject([("schema", Body.ref(feature == "application/merge-patch+json" ? "FeaturePatch" : "Feature"))])))])))]))
        }
        if let body {
            o["requestBody"] = .object(JSONObject([("required", true), ("content", .object(JSONObject([
                ("application/json", .object(JSONObject([("schema", body.schema)])))])))]))
        }
        // A document uploaded as it is (a GPX track).
        if let upload {
            o["requestBody"] = .object(JSONObject([("required", true), ("content", .object(JSONObject([
                (upload, .object(JSONObject([("schema", .object(JSONObject([("type", "string"), ("format", "binary")])))])))])))]))
        }
        var rs = JSONObject()
        for (code, description, body) in responses {
            // A 204 has no body, so no media type.
            rs[code] = code == "204" ? .object(JSONObject([("description", .string(description))]))
                : .object(JSONObject([("description", .string(description)),
                                      ("content", .object(JSONObject(([body.type] + body.also).map { ($0, .object(JSONObject([("schema", body.schema)]))) })))]))
        }
        let writes = body != nil || upload != nil || feature != nil ? [("409", "Conflict: an illegal change of state, or it exists already"), ("413", "Body too large"),
                             ("415", "Not sent as JSON"), ("422", "Refused: well-formed, but not acceptable")] : []
        for (code, description) in [("400", "Bad request"), ("404", "Not found"), ("503", "The database is busy or unavailable: retry after Retry-After seconds")]
            + (secured ? [("401", "No or a bad token"), ("403", "Role not allowed, or outside the token's area"),
                          ("429", "Too many wrong tokens from this client: retry after Retry-After seconds")] : []) + writes + refusals {
            rs[code] = .object(JSONObject([("description", .string(description)), ("content", .object(JSONObject([
                ("application/problem+json", .object(JSONObject([("schema", .object(JSONObject([("$ref", "#/components/schemas/Problem")])))])))])))]))
        }
        o["responses"] = .object(rs)
        if !secured { o["security"] = .array([]) }
        return .object(o)
    }

    static let paths: [(String, [(String, JSONValue)])] = {
        let collectionId = param("collectionId", "path", "string", "boundaries, grids, cameras, camera_views, cases, households, or a draft plan's plan-{id} (planners)")
        let ifMatch = param("If-Match", "header", "string", "The item's ETag as read: the write is refused (412) when the item changed since")
        let writeRefusals = [("405", "A read-only collection (every one but a draft plan's)"), ("412", "The item changed since the If-Match ETag")]
        let itemsParams = [
            collectionId,
            .object(JSONObject([("name", "limit"), ("in", "query"), ("description", "Features per page, 1 to 10,000 (default 100)."),
                                ("required", false), ("style", "form"), ("explode", false),
                                ("schema", .object(JSONObject([("type", "integer"), ("minimum", 1), ("maximum", 10000), ("default", 100)])))])),
            param("offset", "query", "integer", "Features to skip (the next links use it)."),
            param("bbox", "query", "number", "min x, min y, max x, max y in bbox-crs (default CRS84).", style: "form", array: true),
            param("bbox-crs", "query", "string", "CRS of bbox (CRS84, EPSG:4326, EPSG:4490, EPSG:3857, GCJ-02)."),
            param("crs", "query", "string", "Output CRS (CRS84, EPSG:4326, EPSG:4490, EPSG:3857, GCJ-02)."),
            param("datetime", "query", "string", "RFC 3339 instant or interval (cases: reported time; grids: the layer version in force at its end)."),
            param("zoom", "query", "integer", "Simplify for a web-map zoom (0–22); neighbouring polygons keep meeting."),
            param("filter", "query", "string", "A CQL2 filter (OGC API – Features Part 3) on the collection's queryables: comparisons, LIKE, BETWEEN, IN, IS NULL, AND/OR/NOT, the S_ spatial functions on geometry, TIMESTAMP and DATE literals. At most 16,384 bytes, 32 levels deep, 1,000 terms, 10,000 vertices."),
            .object(JSONObject([("name", "filter-lang"), ("in", "query"), ("description", "The filter's encoding (default cql2-text)."),
                                ("required", false), ("schema", .object(JSONObject([("type", "string"), ("enum", ["cql2-text", "cql2-json"]), ("default", "cql2-text")])))])),
            param("filter-crs", "query", "string", "CRS of the filter's geometries (CRS84 by default; EPSG:4326 and EPSG:4490 latitude first)."),
        ]
        return [
            ("/", [("get", op("Landing page", "OGC API – Features", responses: [("200", "Links to the API, conformance and collections", .document)], secured: false))]),
            ("/conformance", [("get", op("Conformance classes", "OGC API – Features", responses: [("200", "The classes", .document)], secured: false))]),
            ("/api", [("get", op("This document", "OGC API – Features", responses: [("200", "OpenAPI 3.0", Body(type: "application/vnd.oai.openapi+json;version=3.0", schema: .object(JSONObject([("type", "object")]))))], secured: false))]),
            ("/collections", [("get", op("The collections", "OGC API – Features", responses: [("200", "Collections", .document)], secured: false))]),
            ("/collections/{collectionId}", [("get", op("One collection", "OGC API – Features", params: [collectionId], responses: [("200", "Collection", .document)], secured: false))]),
            ("/collections/{collectionId}/queryables", [("get", op("The properties items filter on, as JSON Schema (OGC API – Features Part 3)", "OGC API – Features",
                params: [collectionId], responses: [("200", "JSON Schema", .jsonSchema)], secured: false))]),
            ("/collections/{collectionId}/items", [("get", op("Features (a token unless the collection is public)", "OGC API – Features", params: itemsParams,
                                                              responses: [("200", "A FeatureCollection with numberMatched, numberReturned and links", .featureCollection)])),
                ("post", op("Add a grid to a draft plan (collection plan-{id}; planner): its grid_id from the feature's id or properties, else the next of the village its polygon is in (OGC API – Features Part 4); the other collections are read-only (405)", "OGC API – Features",
                    params: [collectionId], feature: "application/geo+json",
                    responses: [("201", "Created (Location, ETag): the plan's problems", .featureCollection)], refusals: writeRefusals)),
                ("options", op("The methods the collection's items take", "OGC API – Features", params: [collectionId],
                    responses: [("204", "Allow lists them", .document)], secured: false)),
            ]),
            ("/collections/{collectionId}/items/{featureId}", [("get", op("One feature", "OGC API – Features",
                params: [collectionId, param("featureId", "path", "string", "The feature's id"), param("crs", "query", "string", "Output CRS"),
                         param("zoom", "query", "integer", "Simplify for a zoom")], responses: [("200", "A Feature", .feature)])),
                ("put", op("Replace a grid of a draft plan (collection plan-{id}; planner): the polygon as sent, in CRS84, inside its village; the plan's validation in the answer (OGC API – Features Part 4)", "OGC API – Features",
                    params: [collectionId, param("featureId", "path", "string", "The grid_id"), ifMatch], feature: "application/geo+json",
                    responses: [("200", "Replaced: the plan's problems, the item's new ETag", .featureCollection)], refusals: writeRefusals)),
                ("patch", op("Update a grid of a draft plan by a JSON merge patch (RFC 7396) of its feature (planner)", "OGC API – Features",
                    params: [collectionId, param("featureId", "path", "string", "The grid_id"), ifMatch], feature: "application/merge-patch+json",
                    responses: [("200", "Updated: the plan's problems, the item's new ETag", .featureCollection)], refusals: writeRefusals)),
                ("delete", op("Take a grid out of a draft plan (planner)", "OGC API – Features",
                    params: [collectionId, param("featureId", "path", "string", "The grid_id"), ifMatch],
                    responses: [("200", "Deleted: the plan's problems", .featureCollection)], refusals: writeRefusals)),
                ("options", op("The methods the item takes", "OGC API – Features", params: [collectionId, param("featureId", "path", "string", "The feature's id")],
                    responses: [("204", "Allow lists them", .document)], secured: false)),
            ]),
            ("/api/cases", [
                ("post", op("Take a dispute: located, coded, assigned (dispatcher, worker)", "Cases", params: [
                    param("Idempotency-Key", "header", "string", "1 to 255 visible ASCII characters: a retry with the same key (and the same body) answers the case the first attempt made; the same key with another body is 422",
                          schema: .object(JSONObject([("type", "string"), ("pattern", "^[!-~]{1,255}$")])))],
                            body: .intake, responses: [("201", "The case: id, code, grid_id, assignee, status, due_at", .json("Case"))])),
                ("get", op("List cases (dispatcher, viewer, worker: own grids, unit: those it leads or assists)", "Cases", params: [
                    param("status", "query", "string", "Comma-separated states", style: "form",
                          schema: .object(JSONObject([("type", "array"), ("items", RequestShape.oneOf(Case.Status.allCases.map(\.rawValue)))]))),
                    param("grid_id", "query", "string", "A grid's 15-digit code", schema: .object(JSONObject([("type", "string"), ("pattern", "^[0-9]{15}$")]))),
                    param("overdue", "query", "boolean", "Only overdue (true) or not (false)"),
                    param("limit", "query", "integer", "1 to 1000", schema: RequestShape.whole(1...1000)),
                    param("offset", "query", "integer", "Cases to skip", schema: RequestShape.whole(0...Int64(ItemsQuery.maxOffset)))],
                           responses: [("200", "number_matched and cases", .json("CaseList"))])),
            ]),
            ("/api/cases/{id}", [("get", op("A case with its events (parties for dispatchers and workers)", "Cases",
                                            params: [param("id", "path", "integer", "Case id")], responses: [("200", "The case", .json("Case"))]))]),
            ("/api/cases/{id}/transitions", [("post", op("Move a case: to, note, target (escalation or worker:ID), rating", "Cases",
                                                         params: [param("id", "path", "integer", "Case id"),
                    param("Idempotency-Key", "header", "string", "1 to 255 visible ASCII characters: a retry with the same key (and the same body) answers the case as it stands, without a second step; the same key with another body is 422",
                          schema: .object(JSONObject([("type", "string"), ("pattern", "^[!-~]{1,255}$")])))], body: .transition,
                                                         responses: [("200", "The case after the change", .json("Case"))]))]),
            ("/api/cases/{id}/units", [("post", op("Hand a case to a committee or department (role lead: it has the case from now on) or call one in to assist (role assist); recorded in the case's events (dispatcher)", "Cases",
                params: [param("id", "path", "integer", "Case id", required: true, schema: RequestShape.whole(1...Int64.max))], body: .hand,
                responses: [("200", "The case, with the units assisting", .json("Case"))]))]),
            ("/api/units", [("get", op("The committees and departments: the categories each takes and routes (any token)", "Cases",
                responses: [("200", "The units", .json("UnitList"))]))]),
            ("/api/alerts", [("post", op("A camera alert: camera_id, type, at, snapshot_url, bearing (a PTZ camera's direction, degrees; dispatcher)", "Cases", body: .alert,
                                         responses: [("201", "A new case", .json("Alert")), ("200", "Merged into the open case", .json("Alert"))]))]),
            ("/api/track/{code}", [("get", op("Public tracking by code: status, timeline, handling unit", "Public",
                                              params: [param("code", "path", "string", "Tracking code")], responses: [("200", "The public view", .json("Track"))], secured: false))]),
            ("/api/reports", [("post", op("A resident's report without an account (扫码反映; channel qr): category, what happened, where (lon/lat, or the unit of the QR code), an optional phone; the /report page sends it as multipart/form-data with an optional photo (JPEG, PNG or HEIC, at most 10 MB, re-encoded without EXIF). At most 5 an hour and 20 a day per address and per phone number", "Public",
                body: .report, responses: [("201", "The tracking code, the page to follow it and the one-time rating link", .json("ReportReceipt"))], secured: false,
                refusals: [("429", "Too many reports from this address or phone number: retry after Retry-After seconds")]))]),
            ("/api/track/{code}/rating", [("post", op("The party rates a closed case (1–5, once) with the key of the link given at reporting", "Public",
                params: [param("code", "path", "string", "Tracking code", required: true)], body: .rating,
                responses: [("200", "The public view, rated", .json("Track"))], secured: false,
                refusals: [("403", "Not the key given with the case")]))]),
            ("/api/cases/{id}/photos", [("post", op("Adds a photo from the field (the body is the image: JPEG, PNG or HEIC, at most 10 MB), re-encoded without metadata; Idempotency-Key as on steps (dispatcher, or the case's worker)", "Cases",
                params: [param("id", "path", "integer", "Case id", required: true, schema: RequestShape.whole(1...Int64.max)),
                         param("Idempotency-Key", "header", "string", "A retry with the same key adds nothing", schema: RequestShape.text(max: 255))],
                upload: "image/jpeg", responses: [("201", "Added", .json("Photo"))]))]),
            ("/api/cases/{id}/photos/{n}", [("get", op("A photo sent with the case, as the server re-encoded it (JPEG, no metadata); 1 the first (dispatcher, or the case's worker)", "Cases",
                params: [param("id", "path", "integer", "Case id", required: true, schema: RequestShape.whole(1...Int64.max)),
                         param("n", "path", "integer", "Photo number", required: true, schema: RequestShape.whole(1...100))],
                responses: [("200", "The photo", .other("image/jpeg"))]))]),
            ("/api/qr/{file}", [("get", op("The report code (扫码反映) of a village, community or grid to print: its QR code (the link to this server's /report?unit=CODE) with the unit's name under it, as CODE.svg or CODE.png (viewer, dispatcher, planner)", "Public",
                params: [param("file", "path", "string", "A 12- or 15-digit unit code with .svg or .png", required: true)],
                responses: [("200", "The card", .other("image/svg+xml", also: ["image/png"]))]))]),
            ("/api/stats", [("get", op("Figures by period and grouping (viewer, dispatcher, planner)", "Cases", params: [
                param("from", "query", "string", "RFC 3339 (default a year before to)", schema: RequestShape.time),
                param("to", "query", "string", "RFC 3339 (default now), after from", schema: RequestShape.time),
                param("by", "query", "string", "The grouping", schema: RequestShape.oneOf(CaseGrouping.allCases.map(\.rawValue)))],
                responses: [("200", "Figures", .json("Stats"))]))]),
            ("/api/hotspots", [("get", op("Emerging hot spots of the live grids (viewer, dispatcher, planner; within the token's area): per bin Gi* z, p and hot (Benjamini–Hochberg at 0.05), per grid the Mann–Kendall trend of z and the pattern", "Analysis", params: [
                param("from", "query", "string", "The first bin's start: a date (its start in China time) or RFC 3339", required: true, schema: RequestShape.time),
                param("to", "query", "string", "The end: bins that would end after it are dropped; at most 400 bins", required: true, schema: RequestShape.time),
                param("bin", "query", "string", "The length of a bin (default week)", schema: RequestShape.oneOf(TimeBin.allCases.map(\.rawValue))),
                param("category", "query", "string", "Cases of one category", schema: RequestShape.oneOf(Case.Category.allCases.map(\.rawValue)))],
                responses: [("200", "A FeatureCollection of grids, with the bins", Body(type: "application/geo+json", schema: Body.ref("HotSpots")))]))]),
            ("/api/warnings", [("get", op("Early warnings (预测预警; viewer, dispatcher, planner; within the token's area): grids whose weekly new cases rise (Mann–Kendall p < 0.05 over 12 weeks), new or intensifying hot spots (52 weekly bins), open clusters near a group dispute; and every grid's pattern", "Analysis",
                responses: [("200", "The warnings", .json("Warnings"))]))]),
            ("/api/reports/{name}", [("get", op("The monthly analysis report of the county (viewer, dispatcher, planner; a county's token or one for the whole database): YYYY-MM.pdf (printed by headless Chromium) or YYYY-MM.html; its figures are /api/stats's for the month", "Analysis", params: [
                param("name", "path", "string", "The month and the format, as 2026-11.pdf or 2026-11.html", required: true,
                      schema: .object(JSONObject([("type", "string"), ("pattern", "^[0-9]{4}-[0-9]{2}\\.(pdf|html)$")])))],
                responses: [("200", "The report (PDF, or the page for .html)", .other("application/pdf", also: ["text/html"]))],
                refusals: [("404", "Not a report's name")]))]),
            ("/api/workers/{id}/tracks", [
                ("post", op("Upload a worker's GPX 1.0/1.1 track (the worker's own token, or a dispatcher's of the worker's area); fixes over 150 km/h from the last kept one, or repeating a time, are dropped and counted; at most 20 MiB", "Field work",
                            params: [param("id", "path", "integer", "Worker id", required: true, schema: RequestShape.whole(1...Int64.max)),
                                     param("crs", "query", "string", "The track's coordinates: wgs84 (default) or gcj02", schema: RequestShape.oneOf(["wgs84", "gcj02"]))],
                            upload: "application/gpx+xml", responses: [("201", "What was kept", .json("TrackImport"))])),
                ("get", op("A worker's track of one China-time day as GeoJSON (the worker, or a dispatcher of the worker's area)", "Field work",
                           params: [param("id", "path", "integer", "Worker id", required: true, schema: RequestShape.whole(1...Int64.max)),
                                    param("date", "query", "string", "The day, as 2026-11-23 (default today)", schema: .object(JSONObject([("type", "string"), ("format", "date")]))),
                                    param("crs", "query", "string", "The answer's coordinates: CRS84 (default) or GCJ-02", schema: RequestShape.oneOf([CRS.crs84.uri, CRS.gcj02.uri]))],
                           responses: [("200", "A FeatureCollection: one LineString of the day's fixes, or none", .featureCollection)])),
            ]),
            ("/api/cases/{id}/nearest", [("get", op("The workers on duty in the case's town by distance, with their last-seen times, and whom an urgent case would go to now (the grid's worker when seen in 15 min and within 3 km, else the nearest seen) and why (dispatchers)", "Cases",
                params: [param("id", "path", "integer", "Case id", required: true, schema: RequestShape.whole(1...Int64.max))],
                responses: [("200", "The candidates and the choice", .json("Nearest"))]))]),
            ("/api/workers/{id}/position", [("post", op("A worker's phone reports where it is (the worker's own token, or a dispatcher's of the worker's area); the newest per worker is kept, sent to dispatch screens as `position` events on /api/events, fresh for 15 minutes", "Field work",
                params: [param("id", "path", "integer", "Worker id", required: true, schema: RequestShape.whole(1...Int64.max))],
                body: .position, responses: [("200", "The position as kept (WGS84)", .json("Position"))]))]),
            ("/api/workers/{id}/households", [("get", op("The key households (重点家庭/特殊群体) of the worker's grids with their last visit in the 90 days kept, visits this month and whether two are still due (the worker, or a dispatcher of the worker's area)", "Field work",
                params: [param("id", "path", "integer", "Worker id", required: true, schema: RequestShape.whole(1...Int64.max)),
                         param("crs", "query", "string", "The answer's coordinates: CRS84 (default) or GCJ-02", schema: RequestShape.oneOf([CRS.crs84.uri, CRS.gcj02.uri]))],
                responses: [("200", "The households", .json("KeyHouseholds"))]))]),
            ("/api/workers/positions", [("get", op("The last positions of the workers posted in the dispatcher's area, with whether each is fresh (dispatchers only: staff's personal data)", "Field work",
                params: [param("crs", "query", "string", "The answer's coordinates: CRS84 (default) or GCJ-02", schema: RequestShape.oneOf([CRS.crs84.uri, CRS.gcj02.uri]))],
                responses: [("200", "A FeatureCollection of points", .featureCollection)]))]),
            ("/api/patrol", [("get", op("A China-time day's patrol figures (半日1巡 passes, coverage, visits, weekly reports, key households) by grid, worker or town, with the flags; dispatchers of their area, workers their own grids and row, viewers and planners by grid or town without workers, pass times or key households", "Field work",
                params: [param("date", "query", "string", "The day, as 2026-11-23 (default today)", schema: .object(JSONObject([("type", "string"), ("format", "date")]))),
                         param("by", "query", "string", "grid (default), worker or town", schema: RequestShape.oneOf(PatrolView.By.allCases.map(\.rawValue)))],
                responses: [("200", "One list of rows, with the rules applied", .json("Patrol"))]))]),
            ("/api/assign", [("get", op("The grid at a place and who is on duty", "Cases", params: [
                param("lon", "query", "number", "Longitude (in China)", required: true, schema: RequestShape.number(72.004...137.8347)),
                param("lat", "query", "number", "Latitude (in China)", required: true, schema: RequestShape.number(0.8293...55.8271)),
                param("crs", "query", "string", "EPSG:4326 (default) or GCJ-02", schema: RequestShape.oneOf(["EPSG:4326", "GCJ-02"]))],
                responses: [("200", "Grid, on duty, leader, unit", .json("Placement"))], refusals: [("422", "The place is outside China")]))]),
            ("/api/events", [("get", op("Live case changes (Server-Sent Events; Last-Event-ID resumes; viewer, dispatcher, planner, worker: own grids)", "Cases",
                                        responses: [("200", "An event stream", .other("text/event-stream"))]))]),
            ("/api/plans", [
                ("get", op("Plans (planner, viewer)", "Planning", responses: [("200", "Plans", .json(arrayOf: "Plan"))])),
                ("post", op("Start a plan: name, from_version (planner)", "Planning", body: .newPlan, responses: [("201", "The plan", .json("Plan"))])),
            ]),
            ("/api/plans/{id}", [("get", op("A plan", "Planning", params: [param("id", "path", "integer", "Plan id")], responses: [("200", "The plan", .json("Plan"))]))]),
            ("/api/plans/{id}/grids", [("get", op("A plan's grids", "Planning", params: [param("id", "path", "integer", "Plan id"), param("crs", "query", "string", "CRS84 (default), EPSG:4326 or GCJ-02")], responses: [("200", "Grids", .featureCollection)]))]),
            ("/api/plans/{id}/operations", [("post", op("split, merge, reshape, override, partition; move, insert or remove a vertex of every grid holding it; restore (undo, redo) (planner)", "Planning",
                                                        params: [param("id", "path", "integer", "Plan id")], body: .operation,
                                                        responses: [("200", "What changed and the plan's problems", .json("PlanOperation"))]))]),
            ("/api/plans/{id}/validation", [("get", op("A plan's problems, located", "Planning", params: [param("id", "path", "integer", "Plan id")],
                                                       responses: [("200", "Problems as GeoJSON", .featureCollection)]))]),
            ("/api/plans/{id}/diff", [("get", op("What publishing would change and move", "Planning", params: [param("id", "path", "integer", "Plan id")],
                                                 responses: [("200", "The diff", .document)]))]),
            ("/api/plans/{id}/publish", [("post", op("Publish a plan (planner); refused with problems", "Planning", params: [param("id", "path", "integer", "Plan id")],
                                                     body: .publish, responses: [("200", "The new version and its moves", .json("Published"))]))]),
            ("/api/grids/validation", [("get", op("The live layer's problems", "Planning", responses: [("200", "Problems as GeoJSON", .featureCollection)]))]),
            ("/api/grids/history", [("get", op("Published versions", "Planning", responses: [("200", "Versions", .json(arrayOf: "LayerVersion"))]))]),
            ("/api/grids/rollback", [("post", op("Publish an earlier version again: version (planner)", "Planning", body: .rollback,
                                                 responses: [("200", "The new version", .json("Published"))]))]),
            ("/api/grids/{code}/duty", [("get", op("Who is on duty in a grid", "Planning", params: [param("code", "path", "string", "Grid code",
                schema: .object(JSONObject([("type", "string"), ("pattern", "^[0-9]{15}$")]))),
                                                                                                     param("at", "query", "string", "RFC 3339 (default now)", schema: RequestShape.time)],
                                                   responses: [("200", "The worker on duty", .json("Duty"))]))]),
            // The tile sets' metadata is open, as the collections' is; the tiles need a token.
            ("/tiles", [("get", op("The vector tile sets, one per layer", "Tiles", responses: [("200", "Tile sets", .document)], secured: false))]),
            ("/tiles/{layer}.json", [("get", op("A layer's TileJSON 3.0 document", "Tiles",
                params: [param("layer", "path", "string", "boundaries, grids, cameras, cases or households")], responses: [("200", "TileJSON", .document)], secured: false))]),
            ("/tiles/{layer}/metadata.json", [("get", op("tippecanoe's metadata.json (fields and types for GDAL's MVT driver)", "Tiles",
                params: [param("layer", "path", "string", "boundaries, grids, cameras, cases or households")], responses: [("200", "Metadata", .document)], secured: false))]),
            ("/tiles/{layer}/{z}/{x}/{y}.mvt", [("get", op("A Mapbox Vector Tile 2.1 (XYZ scheme, EPSG:3857); 204 when empty", "Tiles",
                params: [param("layer", "path", "string", "boundaries, grids, cameras, cases or households"), param("z", "path", "integer", "Zoom"),
                         param("x", "path", "integer", "Column"), param("y", "path", "integer", "Row from the north")],
                responses: [("200", "The tile", .other("application/vnd.mapbox-vector-tile")), ("204", "No features here", .other("application/vnd.mapbox-vector-tile"))]))]),
            ("/map", [("get", op("The one-screen map (一屏观城乡): a web page", "Map", responses: [("200", "The page", .other("text/html"))], secured: false))]),
            ("/map/config.json", [("get", op("The map page's settings: basemap, CRS, extent", "Map", responses: [("200", "Settings", .document)], secured: false))]),
            ("/api/session", [
                ("get", op("Who the map page is signed in as (role null when nobody)", "Map", responses: [("200", "name, role, worker_id", .json("Session"))], secured: false)),
                ("post", op("Sign the page in: token; sets an HttpOnly SameSite=Strict cookie", "Map", body: .signIn,
                            responses: [("200", "name, role, worker_id", .json("Session"))], secured: false,
                            refusals: [("401", "Not a token"), ("429", "Too many wrong tokens from this client")])),
                ("delete", op("Sign out", "Map", responses: [("204", "Signed out", .other("text/plain"))], secured: false)),
            ]),
            ("/healthz", [("get", op("Liveness and the database", "Operations", responses: [("200", "ok", .json("Health"))], secured: false))]),
            ("/metrics", [("get", op("Prometheus metrics", "Operations", responses: [("200", "Prometheus text", .other("text/plain"))], secured: false))]),
        ]
    }()

    static func make(baseURL: String) -> JSONValue {
        .object(JSONObject([
            ("openapi", "3.0.3"),
            ("info", .object(JSONObject([("title", "Wangge 网格"), ("version", "1.0.0"),
                                         ("description", "County grids, cameras and disputes: OGC API – Features and the dispatch API. Errors are RFC 9457 problem+json.")]))),
            ("servers", .array([.object(JSONObject([("url", .string(baseURL))]))])),
            // Either scheme: Basic carries the token as its password (for QGIS and GDAL).
            ("security", .array([.object(JSONObject([("bearer", .array([]))])), .object(JSONObject([("basic", .array([]))]))])),
            ("paths", .object(JSONObject(paths.map { path, ops in (path, .object(JSONObject(ops.map { ($0.0, $0.1) }))) }))),
            ("components", .object(JSONObject([
                ("securitySchemes", .object(JSONObject([
                    ("bearer", .object(JSONObject([("type", "http"), ("scheme", "bearer")]))),
                    ("basic", .object(JSONObject([("type", "http"), ("scheme", "basic"),
                                                  ("description", "any user name; the token as the password")]))),
                ]))),
                ("schemas", .object(JSONObject(schemas))),
            ]))),
        ]))
    }
}
