import OGPluginABI

/// The C functions behind og_plugin_api's slots. Each is shared by every
/// registered plugin type; `SlotInvocation` finds the plugin by endpoint type.
enum OperationSlots {
    /// The table for one plugin type: a slot is filled only when the plugin implements it.
    static func table(for operations: Operations,
                      describe: @escaping @convention(c) () -> UnsafePointer<og_plugin_descriptor>?,
                      isThreadSafe: Bool, in arena: Arena) -> UnsafePointer<og_plugin_api> {
        let table = arena.zeroed(og_plugin_api.self)
        table.pointee.struct_size = UInt32(MemoryLayout<og_plugin_api>.size)
        table.pointee.abi_major = Negotiation.major
        table.pointee.abi_minor = Negotiation.implementedMinor
        table.pointee.flags = isThreadSafe ? OG_PLUGIN_THREAD_SAFE : 0
        table.pointee.describe = describe
        table.pointee.release = { ResultRegistry.shared.release($0) }
        table.pointee.validate_endpoint = { OperationSlots.validateEndpoint($0, $1) }
        if operations.testConnection != nil { table.pointee.test_connection = { OperationSlots.testConnection($0, $1) } }
        if operations.discoverNodes != nil { table.pointee.discover_nodes = { OperationSlots.discoverNodes($0, $1, $2) } }
        if operations.planInstall != nil { table.pointee.plan_install = { OperationSlots.planInstall($0, $1, $2, $3) } }
        if operations.configTest != nil { table.pointee.config_test = { OperationSlots.configTest($0, $1) } }
        if operations.activate != nil { table.pointee.activate = { OperationSlots.activate($0, $1, $2) } }
        if operations.restart != nil { table.pointee.restart = { OperationSlots.restart($0, $1) } }
        if operations.applyInstall != nil {
            table.pointee.apply_install = { OperationSlots.applyInstall($0, $1, $2, $3) }
            table.pointee.rollback_install = { OperationSlots.rollbackInstall($0, $1, $2) }
        }
        if operations.finishInstall != nil {
            table.pointee.finish_install = { OperationSlots.finishInstall($0, $1, $2) }
        }
        return UnsafePointer(table)
    }

    static func validateEndpoint(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            try operations.validate(endpoint, host)
        }
    }

    static func testConnection(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            try SlotInvocation.require(operations.testConnection, "testing the connection", for: endpoint)(endpoint, host)
        }
    }

    static func discoverNodes(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                              _ out: UnsafeMutablePointer<UnsafeMutablePointer<og_node_list>?>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let out = try SlotInvocation.clear(out)
            let discover = try SlotInvocation.require(operations.discoverNodes, "discovering nodes", for: endpoint)
            out.pointee = try ResultEncoding.nodeList(discover(endpoint, host))
        }
    }

    static func planInstall(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                            _ request: UnsafePointer<og_install_request>?,
                            _ out: UnsafeMutablePointer<UnsafeMutablePointer<og_install_plan>?>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let out = try SlotInvocation.clear(out)
            let plan = try SlotInvocation.require(operations.planInstall, "planning an install", for: endpoint)
            out.pointee = try ResultEncoding.installPlan(plan(try CallInputs.installRequest(request), endpoint, host))
        }
    }

    static func configTest(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            try SlotInvocation.require(operations.configTest, "configuration tests", for: endpoint)(endpoint, host)
        }
    }

    static func activate(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                         _ request: UnsafePointer<og_install_request>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let activate = try SlotInvocation.require(operations.activate, "activation", for: endpoint)
            // NULL is meaningful here: the host re-activates restored files after a rollback.
            try activate(endpoint, try request.map { try CallInputs.installRequest($0) }, host)
        }
    }

    static func restart(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            try SlotInvocation.require(operations.restart, "restarts", for: endpoint)(endpoint, host)
        }
    }

    static func applyInstall(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                             _ request: UnsafePointer<og_install_request>?,
                             _ out: UnsafeMutablePointer<UnsafeMutablePointer<og_undo_token>?>?) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let out = try SlotInvocation.clear(out)
            let apply = try SlotInvocation.require(operations.applyInstall, "applying an install", for: endpoint)
            out.pointee = ResultEncoding.undoToken(try apply(try CallInputs.installRequest(request), endpoint, host))
        }
    }

    static func rollbackInstall(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                                _ undoToken: og_bytes) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let rollback = try SlotInvocation.require(operations.rollbackInstall, "rolling back an install", for: endpoint)
            try rollback(try HostMemory.bytes(undoToken, field: "undo_token"), endpoint, host)
        }
    }

    static func finishInstall(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                              _ undoToken: og_bytes) -> og_status {
        SlotInvocation.run(call, endpoint) { operations, endpoint, host in
            let finish = try SlotInvocation.require(operations.finishInstall, "finishing an install", for: endpoint)
            try finish(try HostMemory.bytes(undoToken, field: "undo_token"), endpoint, host)
        }
    }
}
