import Foundation
import Testing
@testable import Geo

/// CQL2's two encodings read into one tree, by the grammar of OGC 21-065 (its precedence, its
/// LIKE wildcards, its literals), and evaluated with SQL's three-valued logic.
@Suite struct FilterTests {
    let p = Filter.Scalar.property

    @Test func andBindsTighterThanOrAndNotTighterThanAnd() throws {
        // CQL2: booleanExpression = term {OR term}; term = factor {AND factor}; factor = [NOT] primary.
        let f = try CQL2Text.parse("aa = 1 OR bb = 2 AND NOT cc = 3")
        #expect(f == .or([.compare(.eq, p("aa"), .number(1)), .and([.compare(.eq, p("bb"), .number(2)), .not(.compare(.eq, p("cc"), .number(3)))])]))
        let g = try CQL2Text.parse("(aa = 1 OR bb = 2) and cc <> 'x'")
        #expect(g == .and([.or([.compare(.eq, p("aa"), .number(1)), .compare(.eq, p("bb"), .number(2))]), .compare(.ne, p("cc"), .text("x"))]))
    }

    @Test func textAndJSONReadAlike() throws {
        let pairs: [(String, String)] = [
            ("town = '渠江街道' AND households > 450",
             #"{"op":"and","args":[{"op":"=","args":[{"property":"town"},"渠江街道"]},{"op":">","args":[{"property":"households"},450]}]}"#),
            ("households BETWEEN 300 AND 500", #"{"op":"between","args":[{"property":"households"},300,500]}"#),
            ("households NOT BETWEEN -1.5 AND 2e3", #"{"op":"not","args":[{"op":"between","args":[{"property":"households"},-1.5,2000]}]}"#),
            ("kind IN ('urban', 'rural')", #"{"op":"in","args":[{"property":"kind"},["urban","rural"]]}"#),
            ("name NOT LIKE '%村'", #"{"op":"not","args":[{"op":"like","args":[{"property":"name"},"%村"]}]}"#),
            ("village IS NOT NULL", #"{"op":"not","args":[{"op":"isNull","args":[{"property":"village"}]}]}"#),
            ("\"a b\" >= population", #"{"op":">=","args":[{"property":"a b"},{"property":"population"}]}"#),
            ("reported_at > TIMESTAMP('2026-11-01T00:00:00Z')", #"{"op":">","args":[{"property":"reported_at"},{"timestamp":"2026-11-01T00:00:00Z"}]}"#),
            ("reported_at < DATE('2026-11-01')", #"{"op":"<","args":[{"property":"reported_at"},{"date":"2026-11-01"}]}"#),
            ("S_INTERSECTS(geometry, POINT(106.97 30.84))",
             #"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[106.97,30.84]}]}"#),
            ("s_within(geometry, BBOX(106, 30, 107, 31))", #"{"op":"s_within","args":[{"property":"geometry"},{"bbox":[106,30,107,31]}]}"#),
            ("S_CONTAINS(POLYGON((0 0, 2 0, 2 2, 0 2, 0 0), (0.5 0.5, 1 0.5, 1 1, 0.5 0.5)), geometry)",
             #"{"op":"s_contains","args":[{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[0.5,0.5],[1,0.5],[1,1],[0.5,0.5]]]},{"property":"geometry"}]}"#),
            ("S_CROSSES(geometry, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))",
             #"{"op":"s_crosses","args":[{"property":"geometry"},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}]}"#),
            ("S_DISJOINT(geometry, MULTIPOINT((1 2), (3 4)))", #"{"op":"s_disjoint","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}"#),
            ("TRUE", "true"),
        ]
        for (text, json) in pairs {
            #expect(try CQL2Text.parse(text) == CQL2JSON.parse(json), "\(text)")
        }
        // A DATE is the day's start in China (UTC+8).
        guard case .compare(_, _, .time(let d)) = try CQL2Text.parse("reported_at < DATE('2026-11-01')") else { Issue.record("no time"); return }
        #expect(d == Date(timeIntervalSince1970: 1_793_491_200 - 8 * 3600))
    }

    @Test func likeHasCQL2sWildcards() {
        func like(_ s: String, _ pattern: String) -> Bool { FilterEvaluator.like(Array(s.unicodeScalars), pattern) }
        #expect(like("白丰村第1网格", "%第_网格"))
        #expect(!like("白丰村第12网格", "%第_网格"))
        #expect(like("白丰村第12网格", "%第%网格"))
        #expect(like("100%", "100\\%") && !like("1000", "100\\%"))
        #expect(like("a_b", "a\\_b") && !like("axb", "a\\_b"))
        #expect(like("", "%") && !like("", "_"))
        #expect(!like("Town", "town"), "case-sensitive")
        #expect(like(String(repeating: "a", count: 5000), String(repeating: "%a", count: 200)))
    }

    @Test func unknownIsNeitherTrueNorFalse() throws {
        let types: [String: FilterType] = ["due_at": .timestamp, "households": .number, "geometry": .geometry]
        func meets(_ text: String, _ props: JSONObject) throws -> Bool {
            let f = try CQL2Text.parse(text)
            try f.check(types)
            return try FilterEvaluator(f, types: types).matches(props, geometry: .point(Position(1, 1)), bbox: BoundingBox(minLon: 1, minLat: 1, maxLon: 1, maxLat: 1))
        }
        let none = JSONObject([("due_at", .null), ("households", .integer(3))])
        #expect(try !meets("due_at > TIMESTAMP('2000-01-01T00:00:00Z')", none))
        #expect(try !meets("NOT due_at > TIMESTAMP('2000-01-01T00:00:00Z')", none))
        #expect(try meets("due_at IS NULL", none))
        #expect(try meets("NOT due_at > TIMESTAMP('2000-01-01T00:00:00Z') OR households = 3", none))
        #expect(try !meets("households IN (1, 2)", none) && meets("NOT households IN (1, 2)", none))
        let due = JSONObject([("due_at", .string("2026-11-01T08:00:00+08:00")), ("households", .integer(3))])
        #expect(try meets("due_at = TIMESTAMP('2026-11-01T00:00:00Z')", due), "instants, whatever the offset")
        #expect(try meets("S_INTERSECTS(geometry, BBOX(0, 0, 2, 2)) AND S_DISJOINT(geometry, POINT(5 5))", due))
    }

    @Test func badFiltersSayWhatIsWrong() {
        let types: [String: FilterType] = ["households": .number, "town": .string, "geometry": .geometry]
        let cases: [(String, String)] = [
            ("households >", "expected a property or a value"),
            ("households = = 1", "expected a property or a value"),
            ("town = 'x' AND", "expected a property or a value"),
            ("(town = 'x'", "expected )"),
            ("town = 'x')", "unexpected ) after the end"),
            ("town ~ 'x'", "unexpected character ~"),
            ("town NOT = 'x'", "NOT after town must be followed by LIKE, BETWEEN or IN"),
            ("town IS 'x'", "IS must be followed by NULL"),
            ("upper(town) = 'X'", "function upper is not supported"),
            ("nope = 1", "unknown property nope; the queryables are geometry, households, town"),
            ("households = 'many'", "compares households (number) with 'many' (string)"),
            ("town > 1", "compares town (string) with 1 (number)"),
            ("geometry = 1", "geometry is a geometry"),
            ("S_INTERSECTS(town, POINT(1 2))", "needs geometries, and town is a string"),
            ("S_INTERSECTS(geometry, POINT(1 2 3))", "3D is not supported"),
            ("S_INTERSECTS(geometry, POINT Z(1 2 3))", "Z is not supported"),
            ("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))", "closed, with at least 4 positions"),
            ("S_INTERSECTS(geometry, BBOX(2, 2, 1, 1))", "wrong order"),
            ("S_INTERSECTS(geometry, POINT EMPTY)", "EMPTY is not supported"),
            ("households > 1e999", "is not a number"),
            ("TIMESTAMP('2026-13-45') < TIMESTAMP('2026-01-01T00:00:00Z')", "is not an RFC 3339"),
            (String(repeating: "NOT ", count: 40) + "households > 1", "deeper than 32"),
            (String(repeating: "(", count: 10_000) + "TRUE" + String(repeating: ")", count: 10_000), "longer than"),
            ("households IN (" + (0..<1_200).map(String.init).joined(separator: ",") + ")", "IN lists at most 1000"),
        ]
        for (text, says) in cases {
            do {
                let f = try CQL2Text.parse(text)
                try f.check(types)
                Issue.record("\(text.prefix(60)) was accepted")
            } catch {
                #expect(error.reason.contains(says), "\(text.prefix(60)): \(error.reason)")
            }
        }
        let json: [(String, String)] = [
            (#"{"op":"and","args":[true]}"#, "at least 2"),
            (#"{"op":"between","args":[{"property":"households"},1]}"#, "3 arguments"),
            (#"{"op":"casei","args":[{"property":"town"}]}"#, "operation casei is not supported"),
            (#"{"op":"=","args":[{"op":"+","args":[1,2]},3]}"#, "cannot be a value here"),
            (#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}]}"#, "at least 4"),
            (#"{"op":"=","args":[1]"#, "not JSON"),
            (#"[1, 2]"#, "expected an operation"),
        ]
        for (text, says) in json {
            do {
                _ = try CQL2JSON.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.reason.contains(says), "\(text): \(error.reason)")
            }
        }
    }

    @Test func requiredBoxIsWhereEveryMatchLies() throws {
        let f = try CQL2Text.parse("S_INTERSECTS(geometry, BBOX(0, 0, 10, 10)) AND (S_WITHIN(geometry, BBOX(5, 5, 20, 20)) OR S_EQUALS(geometry, POINT(6 6)))")
        #expect(f.requiredBox == BoundingBox(minLon: 5, minLat: 5, maxLon: 10, maxLat: 10))
        #expect(try CQL2Text.parse("S_DISJOINT(geometry, BBOX(0, 0, 1, 1))").requiredBox == nil)
        #expect(try CQL2Text.parse("S_WITHIN(geometry, BBOX(0, 0, 1, 1)) OR households > 1").requiredBox == nil)
        #expect(try CQL2Text.parse("NOT S_WITHIN(geometry, BBOX(0, 0, 1, 1))").requiredBox == nil)
    }
}
