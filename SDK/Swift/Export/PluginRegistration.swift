import OGPluginABI

/// One plugin type the host has loaded: its instance's operations and the
/// immortal C descriptor and table built for it.
final class PluginRegistration: @unchecked Sendable {
    // @unchecked is sound: every property is immutable after init, the C
    // memory is never freed, and the operations run concurrently only when
    // the plugin declared itself thread-safe (otherwise the host serialises them).
    let pluginType: ObjectIdentifier
    let typeNames: [String]
    let operations: Operations
    let descriptor: UnsafePointer<og_plugin_descriptor>
    let table: UnsafePointer<og_plugin_api>
    /// Never released: og_plugin.h requires the descriptor and table to live until exit.
    private let arena = Arena()

    init(_ candidate: PluginCandidate, describe: @escaping @convention(c) () -> UnsafePointer<og_plugin_descriptor>?) {
        pluginType = candidate.pluginType
        typeNames = candidate.descriptor.types.map(\.name)
        operations = candidate.operations
        descriptor = DescriptorEncoding.encode(candidate.descriptor, in: arena)
        let current = OperationSlots.table(for: candidate.operations, describe: describe,
                                           isThreadSafe: candidate.isThreadSafe, in: arena)
        table = current
        let arena = self.arena
        olderTables = (0..<Negotiation.implementedMinor).map { minor in
            let copy = arena.zeroed(og_plugin_api.self)
            copy.pointee = current.pointee
            copy.pointee.abi_minor = minor
            return UnsafePointer(copy)
        }
    }

    /// The same slots answered under each minor older than the kit's, for hosts that offer one:
    /// a table never claims a minor above the offer (og_plugin.h, negotiation), and a host of an
    /// older minor reads none of the later fields anyway.
    private let olderTables: [UnsafePointer<og_plugin_api>]

    /// The table to hand a host that offered `minor`.
    func table(answering minor: UInt16) -> UnsafePointer<og_plugin_api> {
        Int(minor) < olderTables.count ? olderTables[Int(minor)] : table
    }
}
