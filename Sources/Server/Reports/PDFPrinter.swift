import Foundation
import Grid

/// Prints an HTML page to PDF with headless Chromium (Debian's `chromium`): a real layout and
/// print engine, CJK fonts from the system. One private profile and folder per print.
public enum PDFPrinter {
    /// `WANGGE_CHROMIUM`, else Debian's binary.
    public static var chromium: String? {
        let candidates = [ProcessInfo.processInfo.environment["WANGGE_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The PDF of `html`; an `.unavailable` error when there is no Chromium or it fails or takes
    /// longer than `timeout` seconds (stopped then).
    public static func pdf(html: String, timeout: TimeInterval = 60) throws -> [UInt8] {
        guard let chromium else { throw StoreError(.unavailable, "printing a PDF needs Chromium (apt-get install chromium), or set WANGGE_CHROMIUM") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wangge-print-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html"), out = dir.appendingPathComponent("report.pdf")
        try Data(html.utf8).write(to: page)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
                       "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--print-to-pdf=\(out.path)", page.absoluteString]
        p.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        p.standardError = errors
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        // Read stderr while it runs (a full pipe would stall Chromium).
        let log = Log()
        DispatchQueue.global().async { log.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            _ = done.wait(timeout: .now() + 5)
            throw StoreError(.unavailable, "Chromium took longer than \(Int(timeout)) s to print the report")
        }
        guard p.terminationStatus == 0, let data = FileManager.default.contents(atPath: out.path), data.starts(with: Array("%PDF-".utf8)) else {
            let tail = String(decoding: log.get().suffix(400), as: UTF8.self)
            throw StoreError(.unavailable, "Chromium could not print the report (status \(p.terminationStatus)): \(tail)")
        }
        return [UInt8](data)
    }
}

/// What a child process wrote to stderr, read on another thread.
private final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}
