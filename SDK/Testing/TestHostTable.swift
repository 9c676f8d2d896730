import Foundation
import OGPluginABI
import OGPluginKit

/// The og_host_api table of every PluginTestHost. C callbacks cannot capture,
/// so each finds its call (and through it its host) by the og_call pointer.
enum TestHostTable {
    /// One slot call in flight: its host, what the plugin reported, and the
    /// host results it holds.
    final class Call {
        let host: PluginTestHost
        /// The slot being called ("activate", ...).
        let slot: String
        /// The plugin called attest_old_configuration_retired during this (activate) call.
        var statedOldConfigurationRetired = false
        var messages: [String] = []
        /// Results handed out and not yet released, by their top pointer.
        var outstanding: [UnsafeMutableRawPointer: TestArena] = [:]
        var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }
        var unreleased: Int { outstanding.count }
        init(host: PluginTestHost, slot: String) {
            self.host = host
            self.slot = slot
        }
    }

    /// The calls in flight.
    private static let live = Locked<[OpaquePointer: Call]>([:])
    /// Results by pointer, so host->release finds the call that handed them out.
    private static let owners = Locked<[UnsafeMutableRawPointer: Call]>([:])

    static func begin(_ host: PluginTestHost, slot: String) -> Call {
        let call = Call(host: host, slot: slot)
        live.withLock { $0[call.handle] = call }
        return call
    }

    static func end(_ call: Call) {
        live.withLock { _ = $0.removeValue(forKey: call.handle) }
    }

    static func offer() -> og_host_offer {
        og_host_offer(struct_size: UInt32(MemoryLayout<og_host_offer>.size), abi_major: UInt16(OG_ABI_MAJOR),
                      abi_minor: UInt16(OG_ABI_MINOR), host: UnsafePointer(table))
    }

    private static func lookup(_ handle: OpaquePointer?) -> Call? {
        guard let handle else { return nil }
        return live.withLock { $0[handle] }
    }

    /// Reports a failing service on the call, as og-host does, and returns its status.
    private static func fail(_ call: Call, _ status: og_status, _ message: String) -> og_status {
        call.messages.append(message)
        return status
    }

    private static func hand<Result>(_ call: Call, _ arena: TestArena, _ result: UnsafeMutablePointer<Result>,
                                     to out: UnsafeMutablePointer<UnsafeMutablePointer<Result>?>) -> og_status {
        let raw = UnsafeMutableRawPointer(result)
        call.outstanding[raw] = arena
        owners.withLock { $0[raw] = call }
        out.pointee = result
        return OG_OK
    }

    // nonisolated(unsafe): written once here, read-only afterwards (the table og-host's contract calls immortal).
    nonisolated(unsafe) static let table: UnsafeMutablePointer<og_host_api> = {
        let table = UnsafeMutablePointer<og_host_api>.allocate(capacity: 1)
        table.initialize(to: og_host_api())
        table.pointee.struct_size = UInt32(MemoryLayout<og_host_api>.size)
        table.pointee.abi_major = UInt16(OG_ABI_MAJOR)
        table.pointee.abi_minor = UInt16(OG_ABI_MINOR)
        table.pointee.log = { handle, level, message in
            guard let call = TestHostTable.lookup(handle) else { return }
            call.host.log(level, TestArena.string(message) ?? "<not UTF-8>")
        }
        table.pointee.set_error = { handle, field, message in
            guard let call = TestHostTable.lookup(handle) else { return }
            let field = TestArena.string(field) ?? ""
            let text = TestArena.string(message) ?? "<not UTF-8>"
            call.messages.append(field.isEmpty ? text : "--\(field): \(text)")
        }
        table.pointee.release = { pointer in
            guard let pointer else { return }
            let owner = TestHostTable.owners.withLock { $0.removeValue(forKey: pointer) }
            precondition(owner != nil, "PluginTestHost: the plugin released a pointer the host never returned, or released it twice")
            owner?.outstanding.removeValue(forKey: pointer)
        }
        table.pointee.run_command = { handle, argv, argc, input, timeout, flags, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            out.pointee = nil
            guard let argv, argc > 0 else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "run_command: argv must hold at least one argument") }
            let arguments = (0..<argc).map { TestArena.string(argv[$0]) }
            guard arguments.allSatisfy({ $0 != nil }), let bytes = TestArena.bytes(input) else {
                return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "run_command: an argument is not valid UTF-8, or stdin is NULL with a length")
            }
            let result = call.host.run(arguments.map { $0! }, standardInput: bytes,
                                       privileged: flags & UInt32(OG_RUN_PRIVILEGED) != 0, timeout: timeout)
            let arena = TestArena()
            let value = arena.zeroed(og_command_result.self)
            value.pointee = og_command_result(struct_size: UInt32(MemoryLayout<og_command_result>.size), exit_status: result.exitStatus,
                                              stdout_data: arena.bytes(result.standardOutput), stderr_data: arena.bytes(result.standardError))
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.read_file = { handle, path, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            out.pointee = nil
            guard let path = TestArena.string(path) else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "read_file: path is not valid UTF-8") }
            guard let contents = call.host.files[PluginTestHost.normalized(path)] else {
                return TestHostTable.fail(call, OG_ERR_NOT_FOUND, "\(path): no such file")
            }
            let arena = TestArena()
            let value = arena.zeroed(og_buffer.self)
            value.pointee = og_buffer(struct_size: UInt32(MemoryLayout<og_buffer>.size), data: arena.bytes(contents))
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.stat_file = { handle, path, out in
            guard let call = TestHostTable.lookup(handle), let out, Int(out.pointee.struct_size) >= MemoryLayout<og_file_info>.size else {
                return OG_ERR_INVALID_ARGUMENT
            }
            guard let path = TestArena.string(path) else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "stat_file: path is not valid UTF-8") }
            let type = call.host.fileType(path)
            let size = UInt64(call.host.files[PluginTestHost.normalized(path)]?.count ?? 0)
            out.pointee = og_file_info(struct_size: UInt32(MemoryLayout<og_file_info>.size), type: type.rawValue,
                                       mode: type == .directory ? 0o755 : type == .regular ? 0o644 : 0, size: size,
                                       modified: 0, uid: 0, gid: 0)
            return OG_OK
        }
        table.pointee.list_directory = { handle, path, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            out.pointee = nil
            guard let path = TestArena.string(path) else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "list_directory: path is not valid UTF-8") }
            guard let names = call.host.list(path) else { return TestHostTable.fail(call, OG_ERR_NOT_FOUND, "\(path): no such directory") }
            let arena = TestArena()
            let value = arena.zeroed(og_directory_listing.self)
            value.pointee = og_directory_listing(struct_size: UInt32(MemoryLayout<og_directory_listing>.size),
                                                 names: arena.array(names.map(arena.text)), count: names.count)
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.write_file = { handle, path, contents, _ in
            guard let call = TestHostTable.lookup(handle) else { return OG_ERR_INVALID_ARGUMENT }
            guard let path = TestArena.string(path), path.hasPrefix("/"), let bytes = TestArena.bytes(contents) else {
                return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "write_file: path must be absolute UTF-8 and contents readable")
            }
            let parent = (PluginTestHost.normalized(path) as NSString).deletingLastPathComponent
            guard call.host.fileType(parent) == .directory else { return TestHostTable.fail(call, OG_ERR_NOT_FOUND, "\(parent): no such directory") }
            call.host.files[PluginTestHost.normalized(path)] = bytes
            return OG_OK
        }
        table.pointee.http_request = { handle, _, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            let response = call.host.httpResponse
            let arena = TestArena()
            let value = arena.zeroed(og_http_response.self)
            value.pointee = og_http_response(struct_size: UInt32(MemoryLayout<og_http_response>.size), status: Int32(response.status),
                                             headers: arena.array(response.headers.map { og_http_header(name: arena.text($0.name), value: arena.text($0.value)) }),
                                             header_count: response.headers.count, body: arena.bytes(response.body))
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.read_keystore = { handle, _, _, _, out in
            guard let call = TestHostTable.lookup(handle) else { return OG_ERR_INVALID_ARGUMENT }
            out?.pointee = nil
            return TestHostTable.fail(call, OG_ERR_NOT_SUPPORTED, "read_keystore: the PluginTestHost opens no keystores")
        }
        table.pointee.read_certificates = { handle, data, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            out.pointee = nil
            guard let bytes = TestArena.bytes(data) else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "read_certificates: data is NULL with a length") }
            let certificates: [CertificateInfo]
            do {
                certificates = try call.host.certificateReader(bytes)
            } catch {
                return TestHostTable.fail(call, OG_ERR_PARSE, "no certificate could be read: \(error)")
            }
            let arena = TestArena()
            let value = arena.zeroed(og_certificate_list.self)
            value.pointee = og_certificate_list(struct_size: UInt32(MemoryLayout<og_certificate_list>.size),
                                                certificates: arena.array(certificates.map { Optional(UnsafePointer(arena.certificate($0))) }),
                                                count: certificates.count)
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.read_file_certificates = { handle, path, out in
            guard let call = TestHostTable.lookup(handle), let out else { return OG_ERR_INVALID_ARGUMENT }
            out.pointee = nil
            guard let path = TestArena.string(path) else { return TestHostTable.fail(call, OG_ERR_INVALID_ARGUMENT, "read_file_certificates: path is not valid UTF-8") }
            guard let contents = call.host.files[PluginTestHost.normalized(path)] else {
                return TestHostTable.fail(call, OG_ERR_NOT_FOUND, "\(path): no such file")
            }
            let certificates: [CertificateInfo]
            do {
                certificates = try call.host.certificateReader(contents)
            } catch {
                return TestHostTable.fail(call, OG_ERR_PARSE, "\(path): no certificate could be read: \(error)")
            }
            let arena = TestArena()
            let value = arena.zeroed(og_certificate_list.self)
            value.pointee = og_certificate_list(struct_size: UInt32(MemoryLayout<og_certificate_list>.size),
                                                certificates: arena.array(certificates.map { Optional(UnsafePointer(arena.certificate($0))) }),
                                                count: certificates.count)
            return TestHostTable.hand(call, arena, value, to: out)
        }
        table.pointee.attest_old_configuration_retired = { handle in
            guard let call = TestHostTable.lookup(handle) else { return OG_ERR_INVALID_ARGUMENT }
            guard call.slot == "activate" else {
                return TestHostTable.fail(call, OG_ERR_NOT_SUPPORTED, "attest_old_configuration_retired is offered only during activate")
            }
            call.statedOldConfigurationRetired = true
            return OG_OK
        }
        return table
    }()
}
