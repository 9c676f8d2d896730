/// One check of the conformance suite and its outcome.
public struct ConformanceCheck: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case pass, fail, skip }
    public var id: String
    public var outcome: Outcome
    public var detail: String

    public init(id: String, outcome: Outcome, detail: String) {
        self.id = id
        self.outcome = outcome
        self.detail = detail
    }
}
