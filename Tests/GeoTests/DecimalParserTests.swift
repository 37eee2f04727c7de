import Foundation
import Testing
@testable import Geo

/// The decimal parser against the C library's correctly rounded `strtod` (Swift's `Double(String)`),
/// and against the doubles themselves through their shortest round-trip text.
@Suite struct DecimalParserTests {
    let parser = DecimalParser.shared

    func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        return b.withUnsafeBufferPointer { parser.parse($0.baseAddress!, 0, $0.count) }
    }

    /// Same value and same sign (so -0.0 and 0.0 differ).
    func same(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.bitPattern == b.bitPattern
    }

    @Test func randomDoublesRoundTripThroughTheirShortestText() {
        var rng = SeededRandom(seed: 21)
        var wrong: [String] = []
        for k in 0..<200_000 {
            // Every third from the whole finite range (bit patterns), the rest where coordinates lie.
            let d: Double
            if k % 3 == 0 {
                let bits = rng.next() & ~(UInt64(0x7FF) << 52) | (UInt64.random(in: 1...2046, using: &rng) << 52)
                d = Double(bitPattern: bits)
            } else {
                d = (rng.unit() * 2 - 1) * (k % 3 == 1 ? 180 : 90)
            }
            let text = "\(d)"
            if !same(parse(text), d) { wrong.append(text) }
        }
        #expect(wrong.isEmpty, "\(wrong.count) wrong, e.g. \(wrong.prefix(5))")
    }

    @Test func agreesWithStrtodOnEveryFormCSVFilesHold() {
        var rng = SeededRandom(seed: 22)
        var wrong: [String] = [], checked = 0
        func check(_ s: String) {
            checked += 1
            if !same(parse(s), Double(s)) { wrong.append(s) }
        }
        for _ in 0..<30_000 {
            let lon = 73 + rng.unit() * 62, lat = 3 + rng.unit() * 50
            for f in ["%.17g", "%.16g", "%.15g", "%.6f", "%.7f", "%.15e", "%+.12f", "%.17E"] {
                check(String(format: f, lon)); check(String(format: f, -lat))
            }
            // 1 to 19 random digits with a decimal point anywhere and an exponent from -40 to 40.
            let n = Int.random(in: 1...19, using: &rng)
            var digits = (0..<n).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            let dot = Int.random(in: 0...n, using: &rng)
            digits.insert(".", at: digits.index(digits.startIndex, offsetBy: dot))
            check(digits + "e\(Int.random(in: -40...40, using: &rng))")
            check(digits)
        }
        #expect(checked > 500_000)
        #expect(wrong.isEmpty, "\(wrong.count) wrong, e.g. \(wrong.prefix(5))")
    }

    /// Between 2^53 and 2^64 the half-way points between doubles are integers: exact ties go to the
    /// even significand, one above or below goes to the nearer.
    @Test func tiesRoundToEven() {
        var rng = SeededRandom(seed: 23)
        for _ in 0..<20_000 {
            let e = Int.random(in: 53..<63, using: &rng)
            let d = Double(sign: .plus, exponent: e, significand: 1 + Double(rng.next() >> 12) * 0x1p-52)
            let ulp = UInt64(d.ulp)
            let mid = UInt64(d) + ulp / 2
            for v in [mid - 1, mid, mid + 1] {
                let s = String(v)
                #expect(same(parse(s), Double(s)), "\(s)")
            }
        }
        #expect(parse("9007199254740993") == 9007199254740992)
        #expect(parse("9007199254740995") == 9007199254740996)
    }

    @Test func signsExponentsSpacesAndHardCases() {
        for s in ["1e23", "1E23", "8.98846567431158e307", "2.2250738585072014e-308", "4.9e-324", "0.1", "+3.5", "-0",
                  "1.0719e2", "1.0719E+2", "107.19094350741713", "31.098872496883427", ".5", "5.", "000123.4500",
                  "12345678901234567890.5", "0.000000000000000000001", "123456789012345678901234567890",
                  "1e-400", "17976931348623157e292"] {
            #expect(same(parse(s), Double(s)), "\(s)")
        }
        #expect(parse("  106.25 ") == 106.25)
        #expect(parse("-0")!.sign == .minus)
        for junk in ["", " ", "1.2.3", "abc", "1-", "nan", "inf", "0x1p3", "1e", "1e+", "+", "-.", ".", "1e400", "1,5", "1 2"] {
            #expect(parse(junk) == nil, "\(junk)")
        }
    }

    /// `scan` stops where the number does: that is how CSV fields are read without a second pass.
    @Test func scanStopsAtTheFirstByteThatIsNotPartOfTheNumber() {
        let b = Array("107.25,31.5\r".utf8)
        b.withUnsafeBufferPointer { p in
            let first = parser.scan(p.baseAddress!, 0, p.count)
            #expect(first?.value == 107.25 && first?.next == 6)
            let second = parser.scan(p.baseAddress!, 7, p.count)
            #expect(second?.value == 31.5 && second?.next == 11)
            #expect(parser.scan(p.baseAddress!, 6, p.count) == nil)
        }
        // Digits past `end` are loaded eight at a time but never used.
        let c = Array("12345678901234567890".utf8)
        c.withUnsafeBufferPointer { p in
            for end in 1...19 {
                let r = parser.scan(p.baseAddress!, 0, end, readable: p.count)
                #expect(r?.value == Double(String(decoding: c[..<end], as: UTF8.self)) && r?.next == end, "\(end)")
            }
        }
    }
}
