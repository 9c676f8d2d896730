import Foundation
import OGBasics
import OGPluginABI
@testable import OGPluginKit

/// A host services table backed by this machine's files and processes,
/// standing in for og-host so tests can drive plugin tables directly.
///
/// C callbacks cannot capture, so each finds its `FakeCall` through the
/// og_call pointer in a registry; results it hands out are tracked until the
/// plugin releases them, so a test can assert nothing leaked.
final class FakeHost: @unchecked Sendable {
    // @unchecked is sound: `table` is written once in init and then only
    // read; the registries are behind their locks.
    static let shared = FakeHost()

    let table: UnsafeMutablePointer<og_host_api>
    private let calls = OGBasics.Locked<[UInt: FakeCall]>([:])
    private let outstanding = OGBasics.Locked<[UInt: (arena: Arena, call: UInt)]>([:])
    private let tokens = OGBasics.Locked<UInt>(0)

    private init() {
        table = .allocate(capacity: 1)
        table.initialize(to: og_host_api())
        table.pointee.struct_size = UInt32(MemoryLayout<og_host_api>.size)
        table.pointee.abi_major = UInt16(OG_ABI_MAJOR)
        table.pointee.abi_minor = UInt16(OG_ABI_MINOR)
        table.pointee.attest_old_configuration_retired = { call in
            FakeHost.shared.with(call) { call in
                call.state.withLock { $0.retirementStatements += 1 }
                return OG_OK
            }
        }
        table.pointee.log = { call, level, message in
            FakeHost.shared.with(call) { call in
                let text = (try? HostMemory.text(message, field: "log")) ?? "<invalid>"
                call.state.withLock { $0.logs.append((level, text)) }
            }
        }
        table.pointee.set_error = { call, field, message in
            FakeHost.shared.with(call) { call in
                let field = (try? HostMemory.text(field, field: "field")) ?? "<invalid>"
                let message = (try? HostMemory.text(message, field: "message")) ?? "<invalid>"
                call.state.withLock { $0.errors.append(.init(field: field, message: message)) }
            }
        }
        table.pointee.release = { FakeHost.shared.releaseResult($0) }
        table.pointee.run_command = { call, argv, argc, input, timeout, flags, out in
            FakeHost.shared.serve(call, "run_command", out) { call, arena in
                let argv = try HostMemory.elements(argv, count: argc, field: "argv").map { try HostMemory.text($0, field: "argv") }
                let input = try HostMemory.bytes(input, field: "stdin")
                call.state.withLock { $0.commands.append((argv, input, flags, timeout)) }
                let output = try ProcessRunner.run(argv[0], Array(argv.dropFirst()), standardInput: input,
                                                   timeout: .milliseconds(timeout == 0 ? 60_000 : Int(timeout)))
                let result = arena.zeroed(og_command_result.self)
                result.pointee.struct_size = UInt32(MemoryLayout<og_command_result>.size)
                result.pointee.exit_status = output.exitStatus
                result.pointee.stdout_data = arena.bytes(output.standardOutput)
                result.pointee.stderr_data = arena.bytes(output.standardError)
                return result
            }
        }
        table.pointee.read_file = { call, path, out in
            FakeHost.shared.serve(call, "read_file", out) { call, arena in
                let path = try HostMemory.text(path, field: "path")
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw FakeServiceFailure(OG_ERR_NOT_FOUND, field: "path", "\(path) does not exist")
                }
                let buffer = arena.zeroed(og_buffer.self)
                buffer.pointee.struct_size = UInt32(MemoryLayout<og_buffer>.size)
                buffer.pointee.data = arena.bytes(Array(contents))
                return buffer
            }
        }
        table.pointee.stat_file = { call, path, out in
            FakeHost.shared.with(call) { call in
                FakeHost.shared.failing(call, "stat_file") {
                    let path = try HostMemory.text(path, field: "path")
                    guard let out else { throw FakeServiceFailure(OG_ERR_INVALID_ARGUMENT, field: "out", "is NULL") }
                    var info = stat()
                    guard lstat(path, &info) == 0 else {
                        out.pointee.type = UInt32(OG_FILE_TYPE_MISSING)
                        return
                    }
                    let kind = info.st_mode & S_IFMT
                    out.pointee.type = UInt32(kind == S_IFREG ? OG_FILE_TYPE_REGULAR : kind == S_IFDIR ? OG_FILE_TYPE_DIRECTORY
                        : kind == S_IFLNK ? OG_FILE_TYPE_SYMLINK : OG_FILE_TYPE_OTHER)
                    out.pointee.mode = UInt32(info.st_mode & 0o7777)
                    out.pointee.size = UInt64(info.st_size)
                    out.pointee.modified = Int64(info.st_mtim.tv_sec)
                    out.pointee.uid = info.st_uid
                    out.pointee.gid = info.st_gid
                }
            }
        }
        table.pointee.list_directory = { call, path, out in
            FakeHost.shared.serve(call, "list_directory", out) { call, arena in
                let path = try HostMemory.text(path, field: "path")
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                    throw FakeServiceFailure(OG_ERR_NOT_FOUND, field: "path", "\(path) is not a readable directory")
                }
                let listing = arena.zeroed(og_directory_listing.self)
                listing.pointee.struct_size = UInt32(MemoryLayout<og_directory_listing>.size)
                listing.pointee.names = arena.array(names.sorted().map(arena.text))
                listing.pointee.count = names.count
                return listing
            }
        }
        table.pointee.http_request = { call, request, out in
            FakeHost.shared.serve(call, "http_request", out) { call, arena in
                guard let request else { throw FakeServiceFailure(OG_ERR_INVALID_ARGUMENT, field: "request", "is NULL") }
                let headers = try HostMemory.elements(request.pointee.headers, count: request.pointee.header_count, field: "headers")
                call.state.withLock {
                    $0.httpRequests.append(HTTPRequest(
                        method: (try? HostMemory.text(request.pointee.method, field: "method")) ?? "",
                        path: (try? HostMemory.text(request.pointee.path, field: "path")) ?? "",
                        headers: headers.map { HTTPHeader((try? HostMemory.text($0.name, field: "name")) ?? "",
                                                          (try? HostMemory.text($0.value, field: "value")) ?? "") },
                        body: (try? HostMemory.bytes(request.pointee.body, field: "body")) ?? [],
                        timeout: request.pointee.timeout_ms == 0 ? nil : .milliseconds(Int(request.pointee.timeout_ms))))
                }
                let response = arena.zeroed(og_http_response.self)
                response.pointee.struct_size = UInt32(MemoryLayout<og_http_response>.size)
                response.pointee.status = Int32(call.httpResponse.status)
                response.pointee.headers = arena.array(call.httpResponse.headers.map {
                    og_http_header(name: arena.text($0.name), value: arena.text($0.value))
                })
                response.pointee.header_count = call.httpResponse.headers.count
                response.pointee.body = arena.bytes(call.httpResponse.body)
                return response
            }
        }
        table.pointee.read_keystore = { call, format, data, passwordOption, out in
            FakeHost.shared.serve(call, "read_keystore", out) { call, arena in
                let option = try HostMemory.text(passwordOption, field: "password_option")
                let bytes = try HostMemory.bytes(data, field: "data")
                call.state.withLock { $0.keystoreRequests.append((format, bytes, option)) }
                let listing = arena.zeroed(og_keystore_listing.self)
                listing.pointee.struct_size = UInt32(MemoryLayout<og_keystore_listing>.size)
                listing.pointee.entries = arena.array(call.keystoreEntries.map { entry in
                    og_keystore_entry(struct_size: UInt32(MemoryLayout<og_keystore_entry>.size),
                                      alias: arena.text(entry.alias), has_private_key: entry.hasPrivateKey ? 1 : 0,
                                      chain_length: entry.chainLength,
                                      certificate: entry.certificate.map { UnsafePointer(FakeHost.encode($0, in: arena)) },
                                      certificate_der: og_bytes(ptr: nil, len: 0))
                })
                listing.pointee.count = call.keystoreEntries.count
                return listing
            }
        }
        table.pointee.read_certificates = { call, data, out in
            FakeHost.shared.serve(call, "read_certificates", out) { call, arena in
                let certificates = try CertificateReader.read(try HostMemory.bytes(data, field: "data"))
                let list = arena.zeroed(og_certificate_list.self)
                list.pointee.struct_size = UInt32(MemoryLayout<og_certificate_list>.size)
                list.pointee.certificates = arena.array(certificates.map { Optional(UnsafePointer(FakeHost.encode($0, in: arena))) })
                list.pointee.count = certificates.count
                return list
            }
        }
        table.pointee.write_file = { call, path, contents, mode in
            FakeHost.shared.with(call) { call in
                FakeHost.shared.failing(call, "write_file") {
                    try LocalFiles.writeAtomically(try HostMemory.text(path, field: "path"),
                                                   contents: try HostMemory.bytes(contents, field: "contents"),
                                                   mode: mode_t(mode == 0 ? 0o644 : mode))
                }
            }
        }
    }

    /// An offer of this host's table, as og-host makes it at load time.
    func offer(major: UInt16 = UInt16(OG_ABI_MAJOR), minor: UInt16 = UInt16(OG_ABI_MINOR)) -> og_host_offer {
        og_host_offer(struct_size: UInt32(MemoryLayout<og_host_offer>.size), abi_major: major, abi_minor: minor,
                      host: UnsafePointer(table))
    }

    /// Host results handed out during `call` and not yet released.
    func outstandingResults(of call: FakeCall) -> Int {
        let identity = UInt(bitPattern: ObjectIdentifier(call))
        return outstanding.withLock { $0.values.filter { $0.call == identity }.count }
    }

    // MARK: - Call registry

    func register(_ call: FakeCall) -> OpaquePointer {
        // A fresh token per registration: a stale og_call from an earlier operation never finds a live call.
        let token = tokens.withLock { value -> UInt in
            value += 1
            return value
        }
        calls.withLock { $0[token] = call }
        return OpaquePointer(bitPattern: token)!
    }

    func unregister(_ pointer: OpaquePointer) {
        _ = calls.withLock { $0.removeValue(forKey: UInt(bitPattern: pointer)) }
    }

    private func with<Result>(_ pointer: OpaquePointer?, _ body: (FakeCall) -> Result) -> Result {
        guard let pointer, let call = calls.withLock({ $0[UInt(bitPattern: pointer)] }) else {
            // A plugin used an og_call outside its operation: exactly what the contract forbids.
            fatalError("fake host: a service was called with an og_call that is not live")
        }
        return body(call)
    }

    /// Runs a service that fills caller-owned memory; failures set an error first, as og-host does.
    private func failing(_ call: FakeCall, _ service: String, _ body: () throws -> Void) -> og_status {
        do {
            if let forced = call.forcedFailures[service] {
                throw FakeServiceFailure(forced, field: service, "forced failure of \(service)")
            }
            try body()
            return OG_OK
        } catch let failure as FakeServiceFailure {
            call.state.withLock { $0.errors.append(.init(field: failure.field, message: failure.message)) }
            return failure.status
        } catch {
            call.state.withLock { $0.errors.append(.init(field: service, message: "\(error)")) }
            return OG_ERR_IO
        }
    }

    /// Runs a service that returns a host-owned result through `out`.
    private func serve<Result>(_ pointer: OpaquePointer?, _ service: String,
                               _ out: UnsafeMutablePointer<UnsafeMutablePointer<Result>?>?,
                               _ body: (FakeCall, Arena) throws -> UnsafeMutablePointer<Result>) -> og_status {
        with(pointer) { call in
            failing(call, service) {
                guard let out else { throw FakeServiceFailure(OG_ERR_INVALID_ARGUMENT, field: "out", "is NULL") }
                let arena = Arena()
                let result = try body(call, arena)
                let identity = UInt(bitPattern: ObjectIdentifier(call))
                outstanding.withLock { $0[UInt(bitPattern: result)] = (arena, identity) }
                out.pointee = result
            }
        }
    }

    private func releaseResult(_ result: UnsafeMutableRawPointer?) {
        guard let result else { return }
        let released = outstanding.withLock { $0.removeValue(forKey: UInt(bitPattern: result)) }
        precondition(released != nil, "fake host: the plugin released a pointer the host never returned (or twice)")
    }

    static func encode(_ certificate: CertificateInfo, in arena: Arena) -> UnsafeMutablePointer<og_certificate_info> {
        let encoded = arena.zeroed(og_certificate_info.self)
        encoded.pointee.struct_size = UInt32(MemoryLayout<og_certificate_info>.size)
        encoded.pointee.subject = arena.text(certificate.subject)
        encoded.pointee.common_name = arena.text(certificate.commonName)
        encoded.pointee.dns_names = arena.array(certificate.dnsNames.map(arena.text))
        encoded.pointee.dns_name_count = certificate.dnsNames.count
        encoded.pointee.ip_addresses = arena.array(certificate.ipAddresses.map(arena.text))
        encoded.pointee.ip_address_count = certificate.ipAddresses.count
        encoded.pointee.serial_hex = arena.text(certificate.serialHex)
        encoded.pointee.sha256_fingerprint = arena.text(certificate.sha256Fingerprint)
        encoded.pointee.not_before = certificate.notBefore
        encoded.pointee.not_after = certificate.notAfter
        encoded.pointee.key_algorithm = arena.text(certificate.keyAlgorithm)
        encoded.pointee.issuer = arena.text(certificate.issuer)
        return encoded
    }
}

struct FakeServiceFailure: Error {
    let status: og_status
    let field: String
    let message: String
    init(_ status: og_status, field: String, _ message: String) {
        self.status = status
        self.field = field
        self.message = message
    }
}
