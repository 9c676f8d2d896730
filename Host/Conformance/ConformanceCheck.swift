/// One check of the conformance suite and its outcome.
public struct ConformanceCheck: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case pass, fail, skip }
    /// Stable identifier, e.g. `abi.wrong_major` or `slot.discover_nodes.hostile_input`.
    public var id: String
    public var outcome: Outcome
    /// What was observed; for a failure, what is wrong and how to fix it.
    public var detail: String

    public init(id: String, outcome: Outcome, detail: String) {
        self.id = id
        self.outcome = outcome
        self.detail = detail
    }

    static func pass(_ id: String, _ detail: String) -> ConformanceCheck { .init(id: id, outcome: .pass, detail: detail) }
    static func fail(_ id: String, _ detail: String) -> ConformanceCheck { .init(id: id, outcome: .fail, detail: detail) }
    static func skip(_ id: String, _ detail: String) -> ConformanceCheck { .init(id: id, outcome: .skip, detail: detail) }
}
