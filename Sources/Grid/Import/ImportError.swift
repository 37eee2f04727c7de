/// One thing wrong with one input feature.
public struct ImportProblem: Error, CustomStringConvertible, Sendable, Equatable {
    /// Index in the input's `features` array, or nil for the file as a whole.
    public let feature: Int?
    /// How the feature calls itself (e.g. `grid_id 511725001001001`), when it does.
    public let label: String?
    public let reason: String

    public init(feature: Int?, label: String? = nil, reason: String) {
        self.feature = feature
        self.label = label
        self.reason = reason
    }

    public var description: String {
        var place = feature.map { "features[\($0)]" } ?? ""
        if let label { place += place.isEmpty ? label : " (\(label))" }
        return place.isEmpty ? reason : "\(place): \(reason)"
    }
}

/// An import refused, with every problem found (not just the first), so one fix-up pass suffices.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public let problems: [ImportProblem]
    public init(_ problems: [ImportProblem]) { self.problems = problems }
    public init(_ reason: String) { self.problems = [ImportProblem(feature: nil, reason: reason)] }
    /// One problem on one line; several as a count and an indented list.
    public var description: String {
        if problems.count == 1 { return problems[0].description }
        return "\(problems.count) problems, nothing imported:\n" + problems.map { "  \($0.description)" }.joined(separator: "\n")
    }
}
