import Foundation
import Geo
import Testing

/// Headless Chromium driven over W3C WebDriver by Debian's `chromedriver`, one browser per test.
final class Browser: @unchecked Sendable {
    private let driver: Process
    private let endpoint: String
    private let profile = TempDir()
    private(set) var session = ""

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Starts chromedriver on a free port and a headless browser under it.
    /// `mobile`: a phone's screen (390 × 844 CSS px at 3×), touch and a phone's user agent, as
    /// Chromium's device emulation makes them.
    init(width: Int = 1400, height: Int = 900, mobile: Bool = false) async throws {
        var started: (Process, String)?
        for _ in 0..<5 where started == nil {
            let port = Int.random(in: 20_000..<60_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
            p.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            // Off Swift's cooperative threads: Foundation's Process.run() can wait there forever.
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                DispatchQueue.global().async { c.resume(with: Result { try p.run() }) }
            }
            let url = "http://127.0.0.1:\(port)"
            for _ in 0..<100 {
                if let s = try? await Self.request("GET", url + "/status", nil), s["value"]?.objectValue?["ready"] == .bool(true) {
                    started = (p, url)
                    break
                }
                if !p.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            if started == nil { kill(p.processIdentifier, SIGKILL) }
        }
        guard let (p, url) = started else { throw Failure(description: "chromedriver did not start (is chromium-driver installed?)") }
        driver = p
        endpoint = url
        let args: [JSONValue] = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 .string("--window-size=\(width),\(height)"), .string("--user-data-dir=\(profile.url.path)")]
        var options = JSONObject([("binary", "/usr/bin/chromium"), ("args", .array(args))])
        if mobile {
            options["mobileEmulation"] = .object(JSONObject([
                ("deviceMetrics", .object(JSONObject([("width", 390), ("height", 844), ("pixelRatio", 3), ("touch", true)]))),
                ("userAgent", "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36")]))
        }
        let caps = JSONValue.object(JSONObject([("capabilities", .object(JSONObject([("alwaysMatch", .object(JSONObject([
            ("browserName", "chrome"),
            ("goog:chromeOptions", .object(options)),
            ("goog:loggingPrefs", .object(JSONObject([("browser", "ALL")]))),
        ])))])))]))
        let reply = try await Self.request("POST", endpoint + "/session", caps)
        guard let id = reply["value"]?.objectValue?["sessionId"]?.stringValue else {
            kill(driver.processIdentifier, SIGKILL)
            throw Failure(description: "no WebDriver session: \(reply)")
        }
        session = id
    }

    /// Ends the session (which closes the browser), then chromedriver, which does not stop on SIGTERM.
    func close() async {
        _ = try? await Self.request("DELETE", "\(endpoint)/session/\(session)", nil)
        kill(driver.processIdentifier, SIGKILL)
        let d = driver
        await withCheckedContinuation { c in DispatchQueue.global().async { d.waitUntilExit(); c.resume() } }
    }

    /// One WebDriver call, made with curl: chromedriver writes headers without a space after the
    /// colon, which Foundation's URLSession on Linux refuses ("Failed writing header").
    private static func request(_ method: String, _ url: String, _ body: JSONValue?) async throws -> JSONObject {
        var args = ["-s", "--max-time", "60", "-X", method, url]
        var input = ""
        if let body {
            var w = JSONWriter()
            w.value(body)
            input = w.text
            args += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        }
        let stdin = input, arguments = args
        let out: String = try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                c.resume(with: Result {
                    let r = try sh("/usr/bin/curl", arguments, stdin: stdin)
                    guard r.status == 0 else { throw Failure(description: "curl \(method) \(url): exit \(r.status)") }
                    return r.out
                })
            }
        }
        return (try JSONParser.parse(Array(out.utf8))).objectValue ?? JSONObject()
    }

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        // POST needs a JSON object even when there is nothing to say; GET must have no body.
        let payload: JSONValue? = method == "POST" ? (body ?? .object(JSONObject())) : body
        let reply = try await Self.request(method, "\(endpoint)/session/\(session)\(path)", payload)
        let value = reply["value"] ?? .null
        if let error = value.objectValue?["error"]?.stringValue {
            throw Failure(description: "WebDriver \(path): \(error): \(value.objectValue?["message"]?.stringValue ?? "")")
        }
        return value
    }

    func go(_ url: String) async throws { try await command("POST", "/url", .object(JSONObject([("url", .string(url))]))) }

    /// Runs a script in the page and returns its result.
    @discardableResult
    func run(_ script: String) async throws -> JSONValue {
        try await command("POST", "/execute/sync", .object(JSONObject([("script", .string(script)), ("args", .array([]))])))
    }

    /// Polls a script until it returns something other than false/null, or fails after `seconds`.
    @discardableResult
    func wait(for script: String, seconds: Double = 60, _ what: String) async throws -> JSONValue {
        let deadline = Date() + seconds
        while Date() < deadline {
            let v = try await run(script)
            if v != .null && v != .bool(false) { return v }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "timed out waiting for \(what)")
    }

    /// A DevTools command through chromedriver (geolocation, network conditions, permissions).
    @discardableResult
    func devTools(_ cmd: String, _ params: JSONObject = JSONObject()) async throws -> JSONValue {
        try await command("POST", "/goog/cdp/execute", .object(JSONObject([("cmd", .string(cmd)), ("params", .object(params))])))
    }

    /// Where the phone is: the geolocation every page's `watchPosition` then reports.
    func locate(_ p: Position, accuracy: Double = 5) async throws {
        try await devTools("Emulation.setGeolocationOverride", JSONObject([("latitude", .number(p.lat)), ("longitude", .number(p.lon)), ("accuracy", .number(accuracy))]))
    }

    /// Cuts the network (DevTools' offline) or brings it back.
    func offline(_ cut: Bool) async throws {
        try await devTools("Network.enable")
        try await devTools("Network.emulateNetworkConditions", JSONObject([("offline", .bool(cut)), ("latency", 0), ("downloadThroughput", -1), ("uploadThroughput", -1)]))
    }

    func element(_ css: String) async throws -> String {
        let v = try await command("POST", "/element", .object(JSONObject([("using", "css selector"), ("value", .string(css))])))
        guard let id = v.objectValue?.members.first?.value.stringValue else { throw Failure(description: "no element \(css)") }
        return id
    }

    /// Clicks the element, found again when the page redrew it between finding and clicking (a
    /// live list re-rendered by an event).
    func click(_ css: String) async throws {
        for attempt in 1...5 {
            do { try await command("POST", "/element/\(try await element(css))/click"); return } catch let e as Failure
                where attempt < 5 && e.description.contains("stale element") {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func type(_ css: String, _ text: String) async throws {
        try await command("POST", "/element/\(try await element(css))/value", .object(JSONObject([("text", .string(text))])))
    }

    /// A mouse press at (x, y) of the viewport, moved in `steps` to (x + dx, y + dy), released: a
    /// person's drag, through WebDriver's pointer actions. With dx = dy = 0, a click at a point.
    func drag(x: Double, y: Double, dx: Double = 0, dy: Double = 0, steps: Int = 8) async throws {
        func move(_ x: Double, _ y: Double, _ ms: Int) -> JSONValue {
            .object(JSONObject([("type", "pointerMove"), ("duration", .integer(Int64(ms))), ("origin", "viewport"), ("x", .integer(Int64(x.rounded()))), ("y", .integer(Int64(y.rounded())))]))
        }
        var actions: [JSONValue] = [move(x, y, 0), .object(JSONObject([("type", "pointerDown"), ("button", 0)]))]
        if dx != 0 || dy != 0 {
            for k in 1...steps { actions.append(move(x + dx * Double(k) / Double(steps), y + dy * Double(k) / Double(steps), 30)) }
        }
        actions.append(.object(JSONObject([("type", "pointerUp"), ("button", 0)])))
        let pointer = JSONObject([("type", "pointer"), ("id", "mouse"), ("parameters", .object(JSONObject([("pointerType", "mouse")]))), ("actions", .array(actions))])
        try await command("POST", "/actions", .object(JSONObject([("actions", .array([.object(pointer)]))])))
        try await command("DELETE", "/actions")
    }

    /// The browser console since the last call (chromedriver's log endpoint).
    func console() async throws -> [(level: String, message: String)] {
        let v = try await command("POST", "/se/log", .object(JSONObject([("type", "browser")])))
        return (v.arrayValue ?? []).compactMap { e in
            guard let o = e.objectValue else { return nil }
            return (o["level"]?.stringValue ?? "", o["message"]?.stringValue ?? "")
        }
    }

    func screenshot() async throws -> Data {
        let v = try await command("GET", "/screenshot")
        guard let b64 = v.stringValue, let png = Data(base64Encoded: b64) else { throw Failure(description: "no screenshot") }
        return png
    }

    /// Opens `/map` of a server and signs in through the page's form, as a person would.
    func signIn(_ base: String, token: String, path: String = "/map") async throws {
        try await go(base + path)
        try await wait(for: "return !document.getElementById('signin').hidden", "the sign-in form")
        try await type("#token", token)
        try await click("#signin button[type=submit]")
        try await wait(for: "return document.body.dataset.ready === 'true'", seconds: 120, "the map to be drawn")
    }
}
