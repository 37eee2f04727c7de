import Testing
@testable import Geo

@Suite struct GeoJSONTests {
    let reader = GeoJSONReader()

    static let sample = """
        {"type":"FeatureCollection","name":"sample","features":[
          {"type":"Feature","id":"g1","geometry":{"type":"Polygon","coordinates":[
            [[106.1,30.1],[106.2,30.1],[106.2,30.2],[106.1,30.2],[106.1,30.1]],
            [[106.12,30.12],[106.12,30.18],[106.18,30.18],[106.18,30.12],[106.12,30.12]]]},
           "properties":{"grid_id":"511725001001001","name":"渠江镇 \\"一\\" 网格","households":420,"ratio":0.5,
                         "tags":["a",null,true],"nested":{"x":-1.25e-3}}},
          {"type":"Feature","id":7,"geometry":null,"properties":null},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[106.5,30.5,312.5]},"properties":{}},
          {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[106.5,30.5],[106.6,30.6]]},"properties":{}},
          {"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.5,30.5],[106.6,30.6]]},"properties":{}},
          {"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.5,30.5],[106.6,30.6]],[[107,31],[107.1,31.1]]]},"properties":{}},
          {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]},"properties":{}},
          {"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]},"properties":{}}
        ]}
        """

    @Test func roundTripIsLossless() throws {
        let doc = try reader.read(Self.sample)
        guard case .featureCollection(let fc) = doc else { Issue.record("not a collection"); return }
        #expect(fc.features.count == 8)
        #expect(fc.foreignMembers["name"] == "sample")
        #expect(fc.features[0][property: "households"] == .integer(420))
        #expect(fc.features[0][property: "name"] == .string("渠江镇 \"一\" 网格"))
        #expect(fc.features[1].id == .number(7))
        #expect(fc.features[2].geometry == .point(Position(106.5, 30.5, alt: 312.5)))
        // Exact writer: read(write(x)) == x.
        let exact = GeoJSONWriter(precision: nil).string(doc)
        #expect(try reader.read(exact) == doc)
        // Default 7 decimals: the input already has at most 7, so nothing changes either.
        #expect(try reader.read(GeoJSONWriter().string(doc)) == doc)
        // And writing again gives the same text.
        #expect(GeoJSONWriter().string(try reader.read(GeoJSONWriter().string(doc))) == GeoJSONWriter().string(doc))
    }

    @Test func precisionRoundsCoordinates() throws {
        let g = Geometry.point(Position(106.123456789, 30.987654321))
        let text = GeoJSONWriter(precision: 7).string(.geometry(g))
        #expect(text == #"{"type":"Point","coordinates":[106.1234568,30.9876543]}"#)
        #expect(GeoJSONWriter(precision: 3).string(.geometry(g)) == #"{"type":"Point","coordinates":[106.123,30.988]}"#)
    }

    @Test func writerAppliesRightHandRuleAndBBox() throws {
        // Clockwise exterior and counter-clockwise hole on input: both flipped on output.
        let cw: [Position] = [.init(0, 0), .init(0, 2), .init(2, 2), .init(2, 0), .init(0, 0)]
        let ccwHole: [Position] = [.init(0.5, 0.5), .init(1.5, 0.5), .init(1.5, 1.5), .init(0.5, 1.5), .init(0.5, 0.5)]
        let f = Feature(geometry: .polygon(Polygon([cw, ccwHole])), properties: JSONObject())
        let text = GeoJSONWriter(includeBBox: true).string(.feature(f))
        guard case .feature(let back) = try reader.read(text), case .polygon(let p)? = back.geometry else {
            Issue.record("bad output \(text)"); return
        }
        #expect(RingMath.isCounterClockwise(p.rings[0]))
        #expect(!RingMath.isCounterClockwise(p.rings[1]))
        #expect(text.contains(#""bbox":[0,0,2,2]"#))
    }

    @Test(arguments: [
        (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#, "coordinates[0]: ring not closed"),
        (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#, "coordinates[0]: ring has 3 positions, at least 4 are required"),
        (#"{"type":"Point","coordinates":[181,0]}"#, "coordinates: longitude 181 out of range"),
        (#"{"type":"Point","coordinates":[10,-91.5]}"#, "coordinates: latitude -91.5 out of range"),
        (#"{"type":"Point","coordinates":[10]}"#, "coordinates: position must have 2 or 3 numbers, found 1"),
        (#"{"type":"Point","coordinates":[10,"20"]}"#, "coordinates[1]: must be a number, found string"),
        (#"{"type":"LineString","coordinates":[[0,0]]}"#, "coordinates: line has 1 positions"),
        (#"{"type":"Pointy","coordinates":[0,0]}"#, "type: unknown geometry type \"Pointy\""),
        (#"{"coordinates":[0,0]}"#, "type: missing"),
        (#"{"type":"Polygon"}"#, "coordinates: missing"),
        (#"{"type":"Polygon","coordinates":[]}"#, "coordinates: polygon has no rings"),
        (#"{"type":"MultiPolygon","coordinates":{"a":1}}"#, "coordinates: must be an array, found object"),
        (#"{"type":"Feature","properties":{}}"#, "geometry: missing"),
        (#"{"type":"Feature","geometry":null,"properties":5}"#, "properties: must be an object or null, found number"),
        (#"{"type":"Feature","geometry":null}"#, "properties: missing"),
        (#"{"type":"Feature","id":[1],"geometry":null,"properties":{}}"#, "id: must be a string or a number"),
        (#"{"type":"FeatureCollection","features":{}}"#, "features: must be an array, found object"),
        (#"{"type":"FeatureCollection"}"#, "features: missing"),
        (#"[1,2]"#, "must be a JSON object, found array"),
        (#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}"#,
         "crs: coordinates must be WGS84 lon/lat (RFC 7946); this file declares EPSG:3857"),
    ])
    func errorsNameThePlace(input: String, expected: String) {
        #expect(throws: GeoJSONError.self) { try reader.read(input) }
        do { _ = try reader.read(input) } catch {
            #expect(error.description.hasPrefix(expected) || error.description.contains(expected), "got: \(error.description)")
        }
    }

    @Test func errorsInsideCollectionsCarryTheFeatureIndex() {
        var features = (0..<12).map { _ in #"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{}}"# }
        features.append(#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]},"properties":{}}"#)
        let text = #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}"
        #expect(throws: GeoJSONError(path: "features[12].geometry.coordinates[0]", reason: "ring not closed")) {
            try reader.read(text)
        }
    }

    @Test(arguments: [
        ("", "empty document"),
        ("{\"type\": \"Point\",\n \"coordinates\": [1, 2,]}", "line 2, column 23"),
        (#"{"type":"Point" "coordinates":[1,2]}"#, "expected ',' or '}'"),
        (#"{"a":1,"a":2}"#, "duplicate member 'a'"),
        (#"{"a":01}"#, "leading zero"),
        (#"{"a":"\x"}"#, "invalid escape"),
        (#"{"a":1} x"#, "unexpected data after the JSON value"),
        (#"{"a":1e999}"#, "number out of range"),
        (#"{"a":"unterminated}"#, "unterminated string"),
    ])
    func malformedJSONIsReportedWithItsPosition(input: String, expected: String) {
        do {
            _ = try JSONParser.parse(input)
            Issue.record("accepted malformed JSON \(input)")
        } catch {
            #expect(error.description.contains(expected), "got: \(error.description)")
        }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func jsonStringsRoundTripEscapesAndUnicode() throws {
        let v: JSONValue = ["s": "tab\t quote\" back\\ nl\n ctrl\u{01} 网格 😀", "n": -0.1, "i": 9007199254740993, "f": 420.0]
        var w = JSONWriter()
        w.value(v)
        #expect(try JSONParser.parse(w.text) == v)
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }
}

/// The parser's bounds on objects: duplicates found however many members precede them, and no
/// more than `maxMembers` members in one object.
@Suite struct JSONObjectBoundsTests {
    @Test func duplicatesAndTooManyMembers() throws {
        let many = "{" + (0..<JSONParser.maxMembers).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        let o = try JSONParser.parse(many).objectValue
        #expect(o?.members.count == JSONParser.maxMembers && o?["k9999"] == .integer(9999))
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(String(many.dropLast()) + ",\"one more\":1}") }
        let late = "{" + (0..<100).map { "\"k\($0)\":1" }.joined(separator: ",") + ",\"k3\":2}"
        do { _ = try JSONParser.parse(late); Issue.record("a duplicate after 100 members was accepted") } catch {
            #expect(error.reason == "duplicate member 'k3'")
        }
        let early = #"{"a":1,"b":2,"a":3}"#
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(early) }
    }
}
