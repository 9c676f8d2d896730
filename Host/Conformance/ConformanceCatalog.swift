/// A check the suite runs: its stable id, what it establishes, and the checks
/// it builds on.
public struct ConformanceCheckDefinition: Sendable, Equatable {
    public let id: String
    public let summary: String
    /// Checks whose crash or hang makes this one pointless to attempt: it would
    /// only repeat the crash. The runner marks it `skip` when one of them crashes.
    public let dependsOn: [String]
}

/// The ids of the checks, spelled once.
enum CheckID {
    static let entrySymbol = "entry.symbol"
    static let hostLoader = "load.host_loader"
    static let currentMinor = "abi.current_minor"
    static let olderMinor = "abi.older_minor"
    static let newerMinor = "abi.newer_minor"
    static let wrongMajor = "abi.wrong_major"
    static let tableLayout = "table.layout"
    static let releaseNull = "release.null"
    static let descriptorValid = "descriptor.valid"
    static let nameMatchesFile = "descriptor.name_matches_file"
    static let describeStable = "descriptor.stable"
    static let capabilities = "slots.capabilities"
    static let concurrentSlots = "slots.concurrent"
    static let shutdown = "slot.shutdown"

    static func validInput(_ slot: OperationSlot) -> String { "slot.\(slot.rawValue).valid_input" }
    static func hostileInput(_ slot: OperationSlot) -> String { "slot.\(slot.rawValue).hostile_input" }

    /// Checks the runner adds when the child itself misbehaves.
    static let childRun = "runner.child"
    static let childExit = "runner.exit"
}

extension ConformanceSuite {
    /// Every check, in the order it runs.
    public static let catalog: [ConformanceCheckDefinition] = checks.map(\.definition)

    /// The ids that depend, directly or not, on `id`.
    static func dependents(of id: String) -> [String] {
        var found: [String] = []
        var frontier = [id]
        while let current = frontier.popLast() {
            for definition in catalog where definition.dependsOn.contains(current) && !found.contains(definition.id) {
                found.append(definition.id)
                frontier.append(definition.id)
            }
        }
        return catalog.map(\.id).filter(found.contains)
    }
}
