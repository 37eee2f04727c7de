import CQREncode

/// A QR code's modules (libqrencode's encoder): `width` × `width`, row by row, true for dark.
/// A value: the C symbol is copied out and freed inside `init`.
public struct QRCode: Sendable, Hashable {
    public let width: Int
    public let modules: [Bool]

    /// Encodes text (a URL, bytes as UTF-8) at error correction level M (15 %: a poster on a
    /// wall survives some dirt), the smallest version that holds it.
    public init(_ text: String) throws(MediaError) {
        guard !text.isEmpty, text.utf8.count <= 2000 else { throw MediaError("a QR code holds 1 to 2000 bytes here, not \(text.utf8.count)") }
        guard let symbol = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { throw MediaError("libqrencode could not encode the text") }
        defer { QRcode_free(symbol) }
        let w = Int(symbol.pointee.width)
        width = w
        // libqrencode's byte per module: bit 0 is dark.
        modules = (0..<(w * w)).map { symbol.pointee.data[$0] & 1 == 1 }
    }

    public subscript(x: Int, y: Int) -> Bool { modules[y * width + x] }
}

/// Why an image or code could not be made.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
