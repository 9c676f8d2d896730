import OGPluginABI

// Raw access for the conformance kit (OGConformance). The kit calls plugins
// the way a careless or hostile host might, which the typed API deliberately
// cannot express, and checks results with exactly the rules the host applies.

extension PluginLibrary {
    /// The og_host_api table the loader offers every plugin; immortal.
    public static var hostServicesTable: UnsafePointer<og_host_api> { HostServicesTable.shared }
}

extension PluginCall {
    /// The og_call handle for a raw slot call; host services accept it only while `body` runs.
    public func withRawHandle<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        try withHandle(body)
    }
}

extension PluginInfo {
    /// Reads and validates a descriptor exactly as the loader does.
    public static func read(descriptor: UnsafePointer<og_plugin_descriptor>) throws(DescriptorProblem) -> PluginInfo {
        try read(descriptor)
    }
}

/// The loader's rules for plugin-owned results, for callers that made the slot call themselves.
public enum PluginResultRules {
    /// The nodes of an og_node_list, or why the host would refuse it.
    public static func nodes(_ list: UnsafeMutablePointer<og_node_list>?, slot: String) throws(PluginCallFailure) -> [NodeInfo] {
        try ResultReader.nodes(list, slot: slot)
    }

    /// The content of an og_install_plan, or why the host would refuse it.
    public static func plan(_ plan: UnsafeMutablePointer<og_install_plan>?, slot: String) throws(PluginCallFailure) -> InstallPlanInfo {
        try ResultReader.plan(plan, slot: slot)
    }
}
