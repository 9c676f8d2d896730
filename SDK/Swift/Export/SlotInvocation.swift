import OGPluginABI

/// What every operation slot does around the plugin's Swift code: decode the
/// endpoint, find the plugin serving its type, lend a HostServices for the
/// call, turn a thrown error into set_error plus a status, and end the
/// HostServices' life when the call returns.
enum SlotInvocation {
    static func run(_ call: OpaquePointer?, _ endpoint: UnsafePointer<og_endpoint>?,
                    _ body: (Operations, Endpoint, HostServices) throws -> Void) -> og_status {
        let registry = PluginRegistry.shared
        // Without a host table (entry never succeeded) or a call there is nowhere to report anything.
        guard let host = registry.host else { return OG_ERR_INTERNAL }
        guard let call else { return OG_ERR_INVALID_ARGUMENT }
        let services = HostServices(host: host, call: call)
        defer { services.invalidate() }
        do {
            let endpoint = try CallInputs.endpoint(endpoint)
            guard let registration = registry.registration(serving: endpoint.type) else {
                let served = registry.servedTypeNames.joined(separator: ", ")
                throw PluginError(status: .invalidArgument, field: "endpoint.type",
                                  message: "'\(endpoint.type)' is not served by this plugin (it serves \(served))")
            }
            try body(registration.operations, endpoint, services)
            return OG_OK
        } catch let error as PluginError {
            if !error.isReportedByHost { report(field: error.field ?? "", message: error.message, to: call, host: host) }
            return error.status.code
        } catch {
            report(field: "", message: "internal error: \(error)", to: call, host: host)
            return OG_ERR_INTERNAL
        }
    }

    /// An out-parameter checked and cleared before the plugin runs, so the
    /// host never sees a stale pointer when the operation fails.
    static func clear<Result>(_ out: UnsafeMutablePointer<UnsafeMutablePointer<Result>?>?) throws
        -> UnsafeMutablePointer<UnsafeMutablePointer<Result>?> {
        guard let out else {
            throw PluginError(status: .invalidArgument, field: "out",
                              message: "is NULL; the operation needs somewhere to put its result")
        }
        out.pointee = nil
        return out
    }

    /// The operation, or `.notSupported` when the plugin does not implement it
    /// (the host called a slot of a type that does not advertise it).
    static func require<Operation>(_ operation: Operation?, _ name: String, for endpoint: Endpoint) throws -> Operation {
        guard let operation else {
            throw PluginError(status: .notSupported, field: nil,
                              message: "endpoint type '\(endpoint.type)' does not support \(name)")
        }
        return operation
    }

    private static func report(field: String, message: String, to call: OpaquePointer, host: HostAPI) {
        guard let setError = host.slot(\.set_error) else { return }
        withBorrowedText(field) { field in
            withBorrowedText(message) { message in setError(call, field, message) }
        }
    }
}
