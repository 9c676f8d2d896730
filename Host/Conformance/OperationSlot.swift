import OGPlugins
import OGPluginABI

/// The operation slots of og_plugin_api, with what the kit needs to call each
/// one by hand: its capability, what it returns, and its raw function pointer.
enum OperationSlot: String, CaseIterable, Sendable {
    case validateEndpoint = "validate_endpoint"
    case testConnection = "test_connection"
    case discoverNodes = "discover_nodes"
    case planInstall = "plan_install"
    case configTest = "config_test"
    case activate
    case restart
    case applyInstall = "apply_install"
    case rollbackInstall = "rollback_install"

    /// What a plugin-owned result of this slot is, if it has one.
    enum Result { case none, nodeList, installPlan, undoToken }

    /// The capability a type must advertise before the host calls the slot; nil = always callable.
    var capability: Capability? {
        switch self {
        case .validateEndpoint: return nil
        case .testConnection: return .testConnection
        case .discoverNodes: return .discover
        case .planInstall: return .install
        case .configTest: return .configTest
        case .activate: return .activate
        case .restart: return .restart
        case .applyInstall, .rollbackInstall: return .apply
        }
    }

    var result: Result {
        switch self {
        case .discoverNodes: return .nodeList
        case .planInstall: return .installPlan
        case .applyInstall: return .undoToken
        default: return .none
        }
    }

    var takesRequest: Bool { self == .planInstall || self == .activate || self == .applyInstall }

    var offset: Int {
        switch self {
        case .validateEndpoint: return MemoryLayout<og_plugin_api>.offset(of: \.validate_endpoint)!
        case .testConnection: return MemoryLayout<og_plugin_api>.offset(of: \.test_connection)!
        case .discoverNodes: return MemoryLayout<og_plugin_api>.offset(of: \.discover_nodes)!
        case .planInstall: return MemoryLayout<og_plugin_api>.offset(of: \.plan_install)!
        case .configTest: return MemoryLayout<og_plugin_api>.offset(of: \.config_test)!
        case .activate: return MemoryLayout<og_plugin_api>.offset(of: \.activate)!
        case .restart: return MemoryLayout<og_plugin_api>.offset(of: \.restart)!
        case .applyInstall: return MemoryLayout<og_plugin_api>.offset(of: \.apply_install)!
        case .rollbackInstall: return MemoryLayout<og_plugin_api>.offset(of: \.rollback_install)!
        }
    }

    /// Arguments of one raw call. `request` may be NULL only for activate.
    struct Input {
        var endpoint: UnsafePointer<og_endpoint>
        var request: UnsafePointer<og_install_request>?
        var undoToken: og_bytes
    }

    /// Calls the slot; returns its status and the plugin-owned result it set, if any.
    /// The caller has checked that the slot is present.
    func invoke(_ table: NegotiatedTable, call: OpaquePointer, _ input: Input) -> (status: og_status, result: UnsafeMutableRawPointer?) {
        switch self {
        case .validateEndpoint:
            return (table.slot(offset, as: EndpointSlotFunction.self)!(call, input.endpoint), nil)
        case .testConnection, .configTest, .restart:
            return (table.slot(offset, as: EndpointSlotFunction.self)!(call, input.endpoint), nil)
        case .activate:
            return (table.slot(offset, as: ActivateSlotFunction.self)!(call, input.endpoint, input.request), nil)
        case .rollbackInstall:
            return (table.slot(offset, as: RollbackSlotFunction.self)!(call, input.endpoint, input.undoToken), nil)
        case .discoverNodes:
            var list: UnsafeMutablePointer<og_node_list>? = nil
            let status = table.slot(offset, as: DiscoverSlotFunction.self)!(call, input.endpoint, &list)
            return (status, list.map(UnsafeMutableRawPointer.init))
        case .planInstall:
            var plan: UnsafeMutablePointer<og_install_plan>? = nil
            let status = table.slot(offset, as: PlanSlotFunction.self)!(call, input.endpoint, input.request, &plan)
            return (status, plan.map(UnsafeMutableRawPointer.init))
        case .applyInstall:
            var token: UnsafeMutablePointer<og_undo_token>? = nil
            let status = table.slot(offset, as: ApplySlotFunction.self)!(call, input.endpoint, input.request, &token)
            return (status, token.map(UnsafeMutableRawPointer.init))
        }
    }
}

// The C types of the slots, spelled once so raw loads read clearly.
typealias EndpointSlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?) -> og_status
typealias ActivateSlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?, UnsafePointer<og_install_request>?) -> og_status
typealias RollbackSlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?, og_bytes) -> og_status
typealias DiscoverSlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?,
                                             UnsafeMutablePointer<UnsafeMutablePointer<og_node_list>?>?) -> og_status
typealias PlanSlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?, UnsafePointer<og_install_request>?,
                                         UnsafeMutablePointer<UnsafeMutablePointer<og_install_plan>?>?) -> og_status
typealias ApplySlotFunction = @convention(c) (OpaquePointer?, UnsafePointer<og_endpoint>?, UnsafePointer<og_install_request>?,
                                          UnsafeMutablePointer<UnsafeMutablePointer<og_undo_token>?>?) -> og_status
