import Foundation
import Testing

/// The OpenAPI document against the server it describes, by schemathesis (PyPI, in the test
/// venv) with a dispatcher's token: requests made from the document's schemas (valid ones and
/// ones that break them), checked for server errors, undocumented status codes and media types,
/// answers that do not match their schemas, and invalid input that is not refused. A server of
/// its own: the run writes cases. The live feed is left out (a stream never ends), and so is
/// "schema-valid input is accepted": the lifecycle, a rating only with the step to rated, a
/// `from` before `to` are rules of the domain, not of a schema.
@Suite struct SchemathesisTests {
    @Test func theAPIDocumentHoldsUnderSchemathesis() async throws {
        let st = repoRoot.appendingPathComponent(".build/venv-test/bin/schemathesis").path
        #expect(FileManager.default.isExecutableFile(atPath: st), "no \(st): `make test` makes it")
        let s = try await TestServer()
        // The document read here: under a full run schemathesis's own fetch of it can time out.
        let dir = TempDir()
        let document = dir.path("api.json")
        try Data(try await s.call("/api").text.utf8).write(to: URL(fileURLWithPath: document))
        let r = try await run(st, ["run", document, "--url", s.base, "-H", "Authorization: Bearer \(s.tokens[.dispatcher]!)",
                                   "--exclude-path", "/api/events", "--exclude-checks", "positive_data_acceptance",
                                   "--max-examples", "30", "--seed", "1", "--workers", "1", "--request-timeout", "120", "--no-color"])
        #expect(r.status == 0, "\(r.out.suffix(6000))\(r.err.suffix(2000))")
        #expect(r.out.contains(" passed"), "\(r.out.suffix(2000))")
    }
}
