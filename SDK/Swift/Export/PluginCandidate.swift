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
        for type in descriptor.types {
            for requirement in Self.requirements
            where type.capabilities.contains(requirement.capability) && !requirement.isImplemented(operations) {
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
    private static let requirements: [(capability: Capabilities, name: String, protocolName: String,
                                       isImplemented: @Sendable (Operations) -> Bool)] = [
        (.testConnection, "testConnection", "ConnectionTesting", { $0.testConnection != nil }),
        (.discover, "discover", "NodeDiscovering", { $0.discoverNodes != nil }),
        (.install, "install", "InstallPlanning", { $0.planInstall != nil }),
        (.configTest, "configTest", "ConfigTesting", { $0.configTest != nil }),
        (.activate, "activate", "Activating", { $0.activate != nil }),
        (.restart, "restart", "Restarting", { $0.restart != nil }),
        (.apply, "apply", "InstallApplying", { $0.applyInstall != nil }),
    ]
}
