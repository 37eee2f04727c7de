import Foundation

/// The text encoding of CQL2 (`filter-lang=cql2-text`): Basic CQL2, LIKE, BETWEEN and IN, the
/// spatial functions with WKT and BBOX literals, TIMESTAMP and DATE literals. Keywords are
/// case-insensitive; properties are names or "double-quoted"; text is 'single-quoted' ('' for ').
public enum CQL2Text {
    public static func parse(_ text: String) throws(FilterError) -> Filter {
        guard text.utf8.count <= Filter.maxLength else { throw FilterError("the filter is longer than \(Filter.maxLength) bytes") }
        var p = Parser(tokens: try Lexer.tokens(text))
        let f = try p.expression(depth: 0)
        guard p.peek == .end else { throw FilterError("unexpected \(p.peek) after the end of the filter") }
        return f
    }

    enum Token: Equatable, CustomStringConvertible {
        case word(String)          // a name or keyword, as written
        case quoted(String)        // "a property"
        case text(String)          // 'a literal'
        case number(Double)
        case symbol(String)        // ( ) , = <> < <= > >= -
        case end

        var description: String {
            switch self {
            case .word(let w): w
            case .quoted(let q): "\"\(q)\""
            case .text(let t): "'\(t)'"
            case .number(let n): String(n)
            case .symbol(let s): s
            case .end: "the end"
            }
        }
        func isKeyword(_ k: String) -> Bool { if case .word(let w) = self { w.uppercased() == k } else { false } }
    }

    enum Lexer {
        static func tokens(_ text: String) throws(FilterError) -> [Token] {
            let s = Array(text.unicodeScalars)
            var i = 0, out: [Token] = []
            func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
            func isName(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) || c == "." || c == ":" }
            while i < s.count {
                let c = s[i]
                if c.properties.isWhitespace { i += 1; continue }
                if isNameStart(c) {
                    var j = i
                    while j < s.count, isName(s[j]) { j += 1 }
                    out.append(.word(String(String.UnicodeScalarView(s[i..<j])))); i = j
                } else if c == "\"" || c == "'" {
                    var j = i + 1, v = String.UnicodeScalarView()
                    while true {
                        guard j < s.count else { throw FilterError("unterminated \(c == "'" ? "text" : "name") starting at character \(i + 1)") }
                        if s[j] == c { if j + 1 < s.count, s[j + 1] == c { v.append(c); j += 2; continue }; break }
                        v.append(s[j]); j += 1
                    }
                    out.append(c == "'" ? .text(String(v)) : .quoted(String(v))); i = j + 1
                } else if ("0"..."9").contains(c) || (c == "." && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
                    var j = i
                    while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "." || s[j] == "e" || s[j] == "E"
                            || ((s[j] == "+" || s[j] == "-") && (s[j - 1] == "e" || s[j - 1] == "E")) { j += 1 }
                    let literal = String(String.UnicodeScalarView(s[i..<j]))
                    guard let d = Double(literal), d.isFinite else { throw FilterError("\(literal) is not a number") }
                    out.append(.number(d)); i = j
                } else if c == "<" || c == ">" {
                    if i + 1 < s.count, s[i + 1] == "=" || (c == "<" && s[i + 1] == ">") {
                        out.append(.symbol(String(c) + String(s[i + 1]))); i += 2
                    } else { out.append(.symbol(String(c))); i += 1 }
                } else if "(),=-+".unicodeScalars.contains(c) {
                    out.append(.symbol(String(c))); i += 1
                } else {
                    throw FilterError("unexpected character \(String(c)) at character \(i + 1)")
                }
            }
            out.append(.end)
            return out
        }
    }

    struct Parser {
        let tokens: [Token]
        var k = 0
        var peek: Token { tokens[k] }
        mutating func next() -> Token { defer { k = min(k + 1, tokens.count - 1) }; return tokens[k] }
        mutating func accept(_ keyword: String) -> Bool {
            if peek.isKeyword(keyword) { k += 1; return true }
            return false
        }
        mutating func expect(_ symbol: String) throws(FilterError) {
            guard next() == .symbol(symbol) else { throw FilterError("expected \(symbol) before \(tokens[k - 1 < 0 ? 0 : k - 1])") }
        }
        static func depth(_ d: Int) throws(FilterError) {
            guard d <= Filter.maxDepth else { throw FilterError("the filter nests deeper than \(Filter.maxDepth) levels") }
        }

        mutating func expression(depth: Int) throws(FilterError) -> Filter {
            try Self.depth(depth)
            var terms = [try term(depth: depth)]
            while accept("OR") { terms.append(try term(depth: depth)) }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        mutating func term(depth: Int) throws(FilterError) -> Filter {
            var factors = [try factor(depth: depth)]
            while accept("AND") { factors.append(try factor(depth: depth)) }
            return factors.count == 1 ? factors[0] : .and(factors)
        }

        mutating func factor(depth: Int) throws(FilterError) -> Filter {
            if accept("NOT") {
                try Self.depth(depth + 1)
                return .not(try factor(depth: depth + 1))
            }
            if peek == .symbol("(") {
                // A parenthesised expression or a predicate whose left side is in brackets: only
                // the first is CQL2 (scalars take no parentheses), so this is an expression.
                _ = next()
                let f = try expression(depth: depth + 1)
                try expect(")")
                return f
            }
            if case .word(let w) = peek, tokens[k + 1] == .symbol("("), let rel = Filter.SpatialRelation(rawValue: w.lowercased()) {
                k += 2
                let a = try spatial()
                try expect(",")
                let b = try spatial()
                try expect(")")
                return .spatial(rel, a, b)
            }
            if peek.isKeyword("TRUE") || peek.isKeyword("FALSE"), Self.ends(tokens[k + 1]) {
                return .literal(next().isKeyword("TRUE"))
            }
            return try predicate()
        }

        /// Whether a token ends a boolean primary (so TRUE there is a predicate, not a value).
        static func ends(_ t: Token) -> Bool { t == .end || t == .symbol(")") || t.isKeyword("AND") || t.isKeyword("OR") }

        mutating func predicate() throws(FilterError) -> Filter {
            let a = try scalar()
            let negated = accept("NOT")
            if accept("LIKE") {
                guard case .text(let pattern) = next() else { throw FilterError("LIKE takes a 'quoted' pattern") }
                return negated ? .not(.like(a, pattern: pattern)) : .like(a, pattern: pattern)
            }
            if accept("BETWEEN") {
                let lo = try scalar()
                guard accept("AND") else { throw FilterError("BETWEEN needs AND between its bounds") }
                let hi = try scalar()
                return negated ? .not(.between(a, lo, hi)) : .between(a, lo, hi)
            }
            if accept("IN") {
                try expect("(")
                var list = [try scalar()]
                while peek == .symbol(",") { _ = next(); list.append(try scalar()) }
                try expect(")")
                return negated ? .not(.inList(a, list)) : .inList(a, list)
            }
            if negated { throw FilterError("NOT after \(a.text) must be followed by LIKE, BETWEEN or IN") }
            if accept("IS") {
                let not = accept("NOT")
                guard accept("NULL") else { throw FilterError("IS must be followed by NULL or NOT NULL") }
                return not ? .not(.isNull(a)) : .isNull(a)
            }
            guard case .symbol(let s) = peek, let op = Filter.Comparison(rawValue: s) else {
                throw FilterError("expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) after \(a.text), found \(peek)")
            }
            _ = next()
            return .compare(op, a, try scalar())
        }

        mutating func scalar() throws(FilterError) -> Filter.Scalar {
            switch next() {
            case .quoted(let name): return .property(name)
            case .text(let t): return .text(t)
            case .number(let d): return .number(d)
            case .symbol("-"):
                guard case .number(let d) = next() else { throw FilterError("- must be followed by a number") }
                return .number(-d)
            case .symbol("+"):
                guard case .number(let d) = next() else { throw FilterError("+ must be followed by a number") }
                return .number(d)
            case .word(let w):
                let upper = w.uppercased()
                if upper == "TRUE" || upper == "FALSE" { return .bool(upper == "TRUE") }
                guard peek == .symbol("(") else {
                    if ["AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL"].contains(upper) { throw FilterError("expected a value, found \(w)") }
                    return .property(w)
                }
                _ = next()
                guard upper == "TIMESTAMP" || upper == "DATE" else {
                    throw FilterError("function \(w) is not supported; this server has TIMESTAMP, DATE, S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_OVERLAPS and S_CROSSES")
                }
                guard case .text(let t) = next() else { throw FilterError("\(upper) takes a 'quoted' time") }
                try expect(")")
                guard let d = upper == "DATE" ? FilterTime.date(t) : FilterTime.timestamp(t) else {
                    throw FilterError("\(upper)('\(t)') is not an RFC 3339 \(upper == "DATE" ? "full-date" : "date-time")")
                }
                return .time(d)
            case let t: throw FilterError("expected a property or a value, found \(t)")
            }
        }

        mutating func spatial() throws(FilterError) -> Filter.Spatial {
            switch peek {
            case .quoted(let name): _ = next(); return .property(name)
            case .word(let w):
                let upper = w.uppercased()
                if upper == "BBOX" {
                    _ = next()
                    try expect("(")
                    var v = [try signedNumber()]
                    while peek == .symbol(",") { _ = next(); v.append(try signedNumber()) }
                    try expect(")")
                    return .geometry(try FilterGeometry.box(v))
                }
                if WKTReader.types.contains(upper) {
                    var r = WKTReader(parser: self)
                    let g = try r.geometry()
                    self = r.parser
                    return .geometry(g)
                }
                _ = next()
                if peek == .symbol("(") { throw FilterError("function \(w) is not supported inside a spatial function") }
                return .property(w)
            case let t: throw FilterError("expected a geometry or a property, found \(t)")
            }
        }

        mutating func signedNumber() throws(FilterError) -> Double {
            var sign = 1.0
            if peek == .symbol("-") { _ = next(); sign = -1 } else if peek == .symbol("+") { _ = next() }
            guard case .number(let d) = next() else { throw FilterError("expected a number, found \(tokens[k - 1])") }
            return sign * d
        }
    }

    /// Well-known text of the six simple geometry types (2D; a Z or M is refused).
    struct WKTReader {
        static let types: Set<String> = ["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"]
        var parser: Parser
        var vertices = 0

        mutating func geometry(depth: Int = 0) throws(FilterError) -> Geometry {
            guard case .word(let w) = parser.next() else { throw FilterError("expected a geometry") }
            let type = w.uppercased()
            guard depth < 4 else { throw FilterError("geometry collections nest too deep") }
            if parser.peek.isKeyword("EMPTY") { throw FilterError("\(type) EMPTY is not supported") }
            if parser.peek.isKeyword("Z") || parser.peek.isKeyword("M") || parser.peek.isKeyword("ZM") {
                throw FilterError("\(type) \(parser.peek) is not supported: give 2D coordinates")
            }
            try parser.expect("(")
            let g: Geometry
            switch type {
            case "POINT": g = .point(try position())
            case "LINESTRING": g = .lineString(try positions())
            case "POLYGON": g = .polygon(Polygon(try rings()))
            case "MULTIPOINT":
                // Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)).
                var ps: [Position] = []
                repeat {
                    if parser.peek == .symbol("(") { _ = parser.next(); ps.append(try position()); try parser.expect(")") }
                    else { ps.append(try position()) }
                } while parser.peek == .symbol(",") && { _ = parser.next(); return true }()
                g = .multiPoint(ps)
            case "MULTILINESTRING": g = .multiLineString(try list { (r: inout WKTReader) throws(FilterError) in try r.positions() })
            case "MULTIPOLYGON": g = .multiPolygon(try list { (r: inout WKTReader) throws(FilterError) in Polygon(try r.rings()) })
            default:
                var gs = [try geometry(depth: depth + 1)]
                while parser.peek == .symbol(",") { _ = parser.next(); gs.append(try geometry(depth: depth + 1)) }
                g = .geometryCollection(gs)
            }
            try parser.expect(")")
            try FilterGeometry.validate(g)
            return g
        }

        mutating func position() throws(FilterError) -> Position {
            let x = try parser.signedNumber(), y = try parser.signedNumber()
            if case .number = parser.peek { throw FilterError("coordinates have two numbers (x y): 3D is not supported") }
            vertices += 1
            guard vertices <= Filter.maxVertices else { throw FilterError("a filter's geometries have at most \(Filter.maxVertices) vertices") }
            return Position(x, y)
        }

        /// `x y, x y, …` inside brackets already opened.
        mutating func positions() throws(FilterError) -> [Position] {
            var ps = [try position()]
            while parser.peek == .symbol(",") { _ = parser.next(); ps.append(try position()) }
            return ps
        }

        mutating func rings() throws(FilterError) -> [[Position]] {
            try list { (r: inout WKTReader) throws(FilterError) in try r.positions() }
        }

        /// `(item), (item), …` up to the closing bracket of the enclosing list (not consumed).
        mutating func list<T>(_ item: (inout WKTReader) throws(FilterError) -> T) throws(FilterError) -> [T] {
            var out: [T] = []
            repeat {
                try parser.expect("(")
                out.append(try item(&self))
                try parser.expect(")")
            } while parser.peek == .symbol(",") && { _ = parser.next(); return true }()
            return out
        }
    }
}

/// Literal geometries as a filter takes them: a BBOX as its polygon, and checks that a geometry
/// is one GEOS can test (closed rings of four positions, lines of two).
enum FilterGeometry {
    static func box(_ v: [Double]) throws(FilterError) -> Geometry {
        guard v.count == 4 || v.count == 6, v.allSatisfy(\.isFinite) else { throw FilterError("BBOX takes 4 numbers (or 6, with heights)") }
        let h = v.count / 2
        let (x0, y0, x1, y1) = (v[0], v[1], v[h], v[h + 1])
        guard x0 <= x1, y0 <= y1 else { throw FilterError("BBOX corners are in the wrong order (lower-left first)") }
        return .polygon(Polygon([[Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)]]))
    }

    static func validate(_ g: Geometry) throws(FilterError) {
        switch g {
        case .point(let p): try finite([p])
        case .multiPoint(let ps): try finite(ps)
        case .lineString(let ps): try line(ps)
        case .multiLineString(let ls): for l in ls { try line(l) }
        case .polygon(let p): try polygon(p)
        case .multiPolygon(let ps): for p in ps { try polygon(p) }
        case .geometryCollection(let gs): for g in gs { try validate(g) }
        }
    }
    private static func finite(_ ps: [Position]) throws(FilterError) {
        guard ps.allSatisfy({ $0.lon.isFinite && $0.lat.isFinite }) else { throw FilterError("a coordinate is not a finite number") }
    }
    private static func line(_ ps: [Position]) throws(FilterError) {
        try finite(ps)
        guard ps.count >= 2 else { throw FilterError("a line string needs at least 2 positions") }
    }
    private static func polygon(_ p: Polygon) throws(FilterError) {
        for r in p.rings {
            try finite(r)
            guard r.count >= 4, r.first == r.last else { throw FilterError("a polygon's rings are closed, with at least 4 positions") }
        }
    }
}

/// RFC 3339 times of TIMESTAMP and DATE literals; a DATE is the start of that day in China
/// Standard Time, the day the county's figures count by.
public enum FilterTime {
    public static func timestamp(_ s: String) -> Date? {
        let plain = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let t = s.replacingOccurrences(of: "z", with: "Z").replacingOccurrences(of: "t", with: "T")
        return (try? plain.parse(t)) ?? (try? fractional.parse(t))
    }
    public static func date(_ s: String) -> Date? {
        guard s.utf8.count == 10 else { return nil }
        return timestamp(s + "T00:00:00+08:00")
    }
}
