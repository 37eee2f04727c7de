/// The card printed for a village, community or grid (纳安解纷码 style): the QR code of its report
/// page, the unit's name under it and how to use it. SVG, which prints sharp at any size; `Raster`
/// makes the PNG from the same drawing.
public struct ReportCodeCard: Sendable {
    public let code: QRCode
    public let title: String
    public let subtitle: String
    /// Pixels per module.
    static let module = 8
    /// The quiet zone the standard asks for: four modules each side.
    static let margin = 4

    public init(url: String, title: String, subtitle: String) throws(MediaError) {
        code = try QRCode(url)
        self.title = title
        self.subtitle = subtitle
    }

    public var svg: String {
        let m = Self.module, side = (code.width + 2 * Self.margin) * m
        let height = side + 72
        // Dark modules as one path of runs per row: small, and no hairlines between squares.
        var path = ""
        for y in 0..<code.width {
            var x = 0
            while x < code.width {
                guard code[x, y] else { x += 1; continue }
                let start = x
                while x < code.width && code[x, y] { x += 1 }
                path += "M\((start + Self.margin) * m) \((y + Self.margin) * m)h\((x - start) * m)v\(m)h-\((x - start) * m)z"
            }
        }
        let font = "'WenQuanYi Micro Hei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(height)" viewBox="0 0 \(side) \(height)">
            <rect width="\(side)" height="\(height)" fill="#fff"/>
            <path d="\(path)" fill="#000"/>
            <text x="\(side / 2)" y="\(side + 22)" font-family="\(font)" font-size="22" text-anchor="middle" fill="#000">\(Self.escape(title))</text>
            <text x="\(side / 2)" y="\(side + 52)" font-family="\(font)" font-size="15" text-anchor="middle" fill="#333">\(Self.escape(subtitle))</text>
            </svg>
            """
    }

    public func png() throws(MediaError) -> [UInt8] { try Raster.png(fromSVG: svg) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
