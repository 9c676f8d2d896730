/// A plugin type about to be registered: its descriptor, a fresh instance's
/// operations, and every reason the host must not load it.
struct PluginCandidate {
    let pluginType: ObjectIdentifier
    let descriptor: PluginDescriptor
    let operations: Operations
    let isThreadSafe: Bool

    init<Plugin: EndpointPlugin>(_ type: Plugin.Type) {
        pluginType = ObjectIdentifier(type)
        descriptor = Plugin.descriptor
        operations = Operations(Plugin())
        isThreadSafe = Plugin.isThreadSafe
    }

    var problems: [String] {
        var problems = descriptor.problems
        let implemented = operations.implemented
        for type in descriptor.types {
            let missing = type.capabilities.subtracting(implemented)
            for requirement in Self.requirements where missing.contains(requirement.capability) {
                problems.append("endpoint type '\(type.name)': advertises \(requirement.name) but the plugin "
                                + "does not conform to \(requirement.protocolName); conform or drop the capability")
            }
            let known = Self.requirements.reduce(Capabilities.verifyServed) { $0.union($1.capability) }
            let unknown = type.capabilities.rawValue & ~known.rawValue
            if unknown != 0 {
                problems.append("endpoint type '\(type.name)': advertises unknown capability bits 0x"
                                + String(unknown, radix: 16) + "; this SDK cannot serve them")
            }
        }
        return problems
    }

    /// Which protocol serves each capability that needs a slot.
    private static let requirements: [(capability: Capabilities, name: String, protocolName: String)] = [
        (.testConnection, "testConnection", "ConnectionTesting"),
        (.discover, "discover", "NodeDiscovering"),
        (.install, "install", "InstallPlanning"),
        (.configTest, "configTest", "ConfigTesting"),
        (.activate, "activate", "Activating"),
        (.restart, "restart", "Restarting"),
        (.apply, "apply", "InstallApplying"),
    ]
}
