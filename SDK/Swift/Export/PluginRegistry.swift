import OGPluginABI

/// Every plugin type loaded into this image, and the host table they share.
///
/// C function pointers carry no context, so the operation slots find their
/// plugin through the endpoint's type name, and `describe` (which has no
/// argument at all) through one of a fixed set of slot functions, one per
/// registration. Normally an image holds one plugin type; several are
/// supported so tests, and images that link more than one plugin, work.
final class PluginRegistry: Sendable {
    static let shared = PluginRegistry()

    private struct State {
        var registrations: [PluginRegistration] = []
        /// The services table from the latest successful negotiation. A
        /// process has one host, so every registration shares it.
        var host: HostAPI?
    }

    private let state = Locked(State())

    enum Refusal: Error {
        case problems([String])
        case full
    }

    /// The registration for `candidate`'s type, made on first use and reused after.
    func register(_ candidate: PluginCandidate) -> Result<PluginRegistration, Refusal> {
        state.withLock { state in
            if let existing = state.registrations.first(where: { $0.pluginType == candidate.pluginType }) {
                return .success(existing)
            }
            var problems = candidate.problems
            let taken = Set(state.registrations.flatMap(\.typeNames))
            for type in candidate.descriptor.types where taken.contains(type.name) {
                problems.append("endpoint type '\(type.name)': another plugin in this process already serves it")
            }
            guard problems.isEmpty else { return .failure(.problems(problems)) }
            guard let describe = DescribeSlots.slot(state.registrations.count) else { return .failure(.full) }
            let registration = PluginRegistration(candidate, describe: describe)
            state.registrations.append(registration)
            return .success(registration)
        }
    }

    func adopt(_ host: HostAPI) {
        state.withLock { $0.host = host }
    }

    var host: HostAPI? {
        state.withLock { $0.host }
    }

    func registration(serving typeName: String) -> PluginRegistration? {
        state.withLock { $0.registrations.first { $0.typeNames.contains(typeName) } }
    }

    /// The type names every registration serves, for error messages.
    var servedTypeNames: [String] {
        state.withLock { $0.registrations.flatMap(\.typeNames) }
    }

    func descriptor(slot: Int) -> UnsafePointer<og_plugin_descriptor>? {
        state.withLock { slot < $0.registrations.count ? $0.registrations[slot].descriptor : nil }
    }
}

/// The `describe` functions, one per registration slot.
enum DescribeSlots {
    static func slot(_ index: Int) -> (@convention(c) () -> UnsafePointer<og_plugin_descriptor>?)? {
        switch index {
        case 0: return { PluginRegistry.shared.descriptor(slot: 0) }
        case 1: return { PluginRegistry.shared.descriptor(slot: 1) }
        case 2: return { PluginRegistry.shared.descriptor(slot: 2) }
        case 3: return { PluginRegistry.shared.descriptor(slot: 3) }
        case 4: return { PluginRegistry.shared.descriptor(slot: 4) }
        case 5: return { PluginRegistry.shared.descriptor(slot: 5) }
        case 6: return { PluginRegistry.shared.descriptor(slot: 6) }
        case 7: return { PluginRegistry.shared.descriptor(slot: 7) }
        default: return nil
        }
    }
}
