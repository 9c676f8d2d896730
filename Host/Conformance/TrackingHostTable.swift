import Foundation
import OGBasics
import OGPlugins
import OGPluginABI

/// The host-services table the kit offers plugins: the loader's own services,
/// with every result-producing service and `release` wrapped so each host
/// result is attributed to the og_call that obtained it.
///
/// ReleaseRouter.outstanding counts results process-wide, so a test process
/// running other plugins at the same time would blur it; per-call attribution
/// cannot be blurred.
enum TrackingHostTable {
    // nonisolated(unsafe): written once by this initialiser, read-only afterwards, immortal.
    nonisolated(unsafe) static let shared: UnsafePointer<og_host_api> = {
        var table = PluginLibrary.hostServicesTable.pointee
        table.release = { pointer in
            guard let pointer else { return }
            HostResultTracker.shared.released(pointer)
            PluginLibrary.hostServicesTable.pointee.release?(pointer)
        }
        table.run_command = { call, argv, argc, input, timeout, flags, out in
            let status = PluginLibrary.hostServicesTable.pointee.run_command!(call, argv, argc, input, timeout, flags, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "run_command")
            return status
        }
        table.read_file = { call, path, out in
            let status = PluginLibrary.hostServicesTable.pointee.read_file!(call, path, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "read_file")
            return status
        }
        table.list_directory = { call, path, out in
            let status = PluginLibrary.hostServicesTable.pointee.list_directory!(call, path, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "list_directory")
            return status
        }
        table.http_request = { call, request, out in
            let status = PluginLibrary.hostServicesTable.pointee.http_request!(call, request, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "http_request")
            return status
        }
        table.read_keystore = { call, format, data, passwordOption, out in
            let status = PluginLibrary.hostServicesTable.pointee.read_keystore!(call, format, data, passwordOption, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "read_keystore")
            return status
        }
        table.read_certificates = { call, data, out in
            let status = PluginLibrary.hostServicesTable.pointee.read_certificates!(call, data, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "read_certificates")
            return status
        }
        table.read_file_certificates = { call, path, out in
            let status = PluginLibrary.hostServicesTable.pointee.read_file_certificates!(call, path, out)
            HostResultTracker.shared.produced(out?.pointee, status: status, call: call, service: "read_file_certificates")
            return status
        }
        let pointer = UnsafeMutablePointer<og_host_api>.allocate(capacity: 1)
        pointer.initialize(to: table)
        return UnsafePointer(pointer)
    }()
}

/// Host results handed out through the tracking table and not yet released,
/// by the call that obtained them.
final class HostResultTracker: @unchecked Sendable {
    static let shared = HostResultTracker()

    /// What one call left behind.
    struct Audit {
        /// The service that produced each result still unreleased when the slot returned.
        var unreleased: [String] = []
        /// host->release calls with a pointer that was not a live host result (released twice, or never handed out).
        var unknownReleases = 0
    }

    // Guarded by `lock`: plugins release results from any thread.
    private var live: [UnsafeMutableRawPointer: (call: OpaquePointer, service: String)] = [:]
    private var open: [OpaquePointer: Audit] = [:]
    private var callOnThread: [pthread_t: OpaquePointer] = [:]
    private let lock = Locked()

    /// Starts attributing results to `call`, which runs on the current thread.
    func begin(_ call: OpaquePointer) {
        lock.withLock {
            open[call] = Audit()
            callOnThread[pthread_self()] = call
        }
    }

    /// Stops attributing to `call` and says what it left behind. Forgets its
    /// unreleased results, so a late release counts as an unknown one.
    func end(_ call: OpaquePointer) -> Audit {
        lock.withLock {
            var audit = open.removeValue(forKey: call) ?? Audit()
            callOnThread.removeValue(forKey: pthread_self())
            for (pointer, owner) in live where owner.call == call {
                audit.unreleased.append(owner.service)
                live.removeValue(forKey: pointer)
            }
            audit.unreleased.sort()
            return audit
        }
    }

    func produced(_ result: UnsafeMutableRawPointer?, status: og_status, call: OpaquePointer?, service: String) {
        guard status == OG_OK, let result, let call else { return }
        lock.withLock {
            guard open[call] != nil else { return }
            live[result] = (call, service)
        }
    }

    func released(_ pointer: UnsafeMutableRawPointer) {
        lock.withLock {
            if live.removeValue(forKey: pointer) != nil { return }
            if let call = callOnThread[pthread_self()], open[call] != nil { open[call]!.unknownReleases += 1 }
        }
    }
}
