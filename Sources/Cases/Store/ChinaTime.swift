import Foundation

/// Timestamps as stored: `YYYY-MM-DDTHH:MM:SS+08:00` (China Standard Time, no daylight saving), which
/// sorts as text and which SQLite's date functions read. Written and read by arithmetic: a case row
/// has eight of them, and the general ISO 8601 parser was most of the cost of reading a case.
public enum ChinaTime {
    static let offset = 8 * 3600

    /// The stored and API form of a time.
    public static func text(_ d: Date) -> String { format(d) }
    /// The start (China midnight) of a day written `YYYY-MM-DD`; nil for anything else, a day
    /// that does not exist (2026-02-30) included.
    public static func day(_ text: String) -> Date? {
        guard text.utf8.count == 10, let d = parse(text + "T00:00:00+08:00"), format(d).hasPrefix(text) else { return nil }
        return d
    }

    /// The China day a time falls in, `YYYY-MM-DD`.
    public static func dayText(_ d: Date) -> String { String(format(d).prefix(10)) }

    /// The start (China midnight) of the day a time falls in.
    public static func startOfDay(_ d: Date) -> Date { day(String(format(d).prefix(10)))! }

    /// A reader of RFC 3339 times as files write them (history, GPX's `xsd:dateTime`): a date, `T`
    /// or a space, a time with or without fractions, `Z` or an offset. Make one per file: its
    /// formatters are dear to make, cheap to use.
    public static func rfc3339Reader() -> (String) -> Date? {
        let whole = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return { text in
            // A space for the T, as databases write it; by bytes (any text may come).
            var bytes = Array(text.utf8)
            if bytes.count > 10, bytes[10] == UInt8(ascii: " ") { bytes[10] = UInt8(ascii: "T") }
            let t = String(decoding: bytes, as: UTF8.self)
            return whole.date(from: t) ?? fractional.date(from: t)
        }
    }

    /// Reads the stored form fast, and any other ISO 8601 time a person gives.
    public static func date(_ text: String) -> Date? { parse(text) ?? (try? style.parse(text)) }

    static let style = Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .standard, timeSeparator: .colon,
                                               timeZoneSeparator: .colon, includingFractionalSeconds: false,
                                               timeZone: TimeZone(secondsFromGMT: offset)!)

    static func format(_ date: Date) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        var days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))+08:00"
    }

    /// The stored form only; nil for anything else.
    static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 25, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58,
              b[19] == 43, b[20] == 48, b[21] == 56, b[22] == 58, b[23] == 48, b[24] == 48 else { return nil }
        func num(_ from: Int, _ n: Int) -> Int? {
            var v = 0
            for k in from..<(from + n) {
                let c = Int(b[k]) - 48
                guard (0...9).contains(c) else { return nil }
                v = v * 10 + c
            }
            return v
        }
        guard let y0 = num(0, 4), let m = num(5, 2), let d = num(8, 2), let hh = num(11, 2), let mm = num(14, 2), let ss = num(17, 2),
              (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61 else { return nil }
        // Days since 1970-01-01 from a civil date (inverse of the above).
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86400 + hh * 3600 + mm * 60 + ss - offset))
    }
}
