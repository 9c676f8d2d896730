import OGPluginABI
import Glibc

/// The og_host_api table every plugin receives: C entry points that find the
/// PluginCall behind the og_call handle and forward to its PluginHostServices.
///
/// Results go out as one arena per result, registered under the top pointer so
/// host->release needs only that pointer.
enum HostServicesTable {
    /// Immortal, like the contract requires of both tables.
    nonisolated(unsafe) static let shared: UnsafePointer<og_host_api> = {
        // nonisolated(unsafe): written once here, read-only afterwards.
        let table = UnsafeMutablePointer<og_host_api>.allocate(capacity: 1)
        table.initialize(to: og_host_api(
            struct_size: UInt32(MemoryLayout<og_host_api>.size),
            abi_major: UInt16(OG_ABI_MAJOR),
            abi_minor: UInt16(OG_ABI_MINOR),
            log: { handle, level, message in
                guard let call = PluginCall.from(handle), let text = CText.string(message) else { return }
                call.record(PluginLogLevel(rawValue: level) ?? .info, text)
            },
            set_error: { handle, field, message in
                guard let call = PluginCall.from(handle) else { return }
                call.report(field: CText.string(field) ?? "", message: CText.string(message) ?? "(message was not UTF-8)")
            },
            release: { pointer in
                guard let pointer else { return }
                _ = ReleaseRouter.release(pointer)
            },
            run_command: { handle, argv, argc, stdinData, timeout, flags, out in
                HostServicesTable.serve(handle, out) { call, services, arena in
                    guard argc > 0, argc <= 4096, let argv else {
                        throw ServiceFailure(.invalidArgument, "run_command: argv must hold 1 to 4096 arguments")
                    }
                    var arguments: [String] = []
                    for index in 0..<argc {
                        guard let argument = CText.string(argv[index]) else {
                            throw ServiceFailure(.invalidArgument, "run_command: argument #\(index) is not valid UTF-8")
                        }
                        arguments.append(argument)
                    }
                    guard let input = CText.bytes(stdinData) else {
                        throw ServiceFailure(.invalidArgument, "run_command: stdin_data is NULL with a length")
                    }
                    let output = try services.run(arguments, standardInput: input, timeoutMilliseconds: timeout,
                                                  privileged: flags & UInt32(OG_RUN_PRIVILEGED) != 0)
                    return UnsafeMutableRawPointer(arena.value(og_command_result(
                        struct_size: UInt32(MemoryLayout<og_command_result>.size), exit_status: output.exitStatus,
                        stdout_data: arena.bytes(output.standardOutput), stderr_data: arena.bytes(output.standardError))))
                }
            },
            read_file: { handle, path, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    let bytes = try services.readFile(try HostServicesTable.text(path, "read_file: path"))
                    return UnsafeMutableRawPointer(arena.value(og_buffer(
                        struct_size: UInt32(MemoryLayout<og_buffer>.size), data: arena.bytes(bytes))))
                }
            },
            stat_file: { handle, path, out in
                guard let out, Int(out.pointee.struct_size) >= MemoryLayout<og_file_info>.size else {
                    PluginCall.from(handle)?.report(field: "", message: "stat_file: out is NULL or its struct_size is too small")
                    return OG_ERR_INVALID_ARGUMENT
                }
                var result: og_file_info? = nil
                let status = HostServicesTable.perform(handle) { _, services in
                    let info = try services.stat(try HostServicesTable.text(path, "stat_file: path"))
                    result = og_file_info(struct_size: UInt32(MemoryLayout<og_file_info>.size), type: info.kind.rawValue,
                                          mode: info.mode, size: info.size, modified: info.modified, uid: info.uid, gid: info.gid)
                }
                if let result { out.pointee = result }
                return status
            },
            list_directory: { handle, path, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    let names = try services.listDirectory(try HostServicesTable.text(path, "list_directory: path"))
                    let strings = names.map { arena.str($0) }
                    return UnsafeMutableRawPointer(arena.value(og_directory_listing(
                        struct_size: UInt32(MemoryLayout<og_directory_listing>.size),
                        names: UnsafePointer(arena.array(strings)), count: strings.count)))
                }
            },
            http_request: { handle, request, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    let response = try services.http(try HostServicesTable.httpRequest(request, "http_request"))
                    return HostServicesTable.httpResponse(response, arena)
                }
            },
            read_keystore: { handle, format, data, passwordOption, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    guard let keystoreFormat = KeystoreFormat(rawValue: format) else {
                        throw ServiceFailure(.invalidArgument, "read_keystore: format \(format) is not OG_KEYSTORE_PKCS12 or OG_KEYSTORE_JKS")
                    }
                    guard let bytes = CText.bytes(data) else {
                        throw ServiceFailure(.invalidArgument, "read_keystore: data is NULL with a length")
                    }
                    let entries = try services.readKeystore(format: keystoreFormat, data: bytes,
                                                            passwordOption: try HostServicesTable.text(passwordOption, "read_keystore: password_option"))
                    let cEntries = entries.map { entry in
                        og_keystore_entry(struct_size: UInt32(MemoryLayout<og_keystore_entry>.size),
                                          alias: arena.str(entry.alias), has_private_key: entry.hasPrivateKey ? 1 : 0,
                                          chain_length: entry.chainLength,
                                          certificate: entry.certificate.map { UnsafePointer(arena.certificateInfo($0)) },
                                          certificate_der: arena.bytes(entry.certificateDER))
                    }
                    return UnsafeMutableRawPointer(arena.value(og_keystore_listing(
                        struct_size: UInt32(MemoryLayout<og_keystore_listing>.size),
                        entries: UnsafePointer(arena.array(cEntries)), count: cEntries.count)))
                }
            },
            read_certificates: { handle, data, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    guard let bytes = CText.bytes(data) else {
                        throw ServiceFailure(.invalidArgument, "read_certificates: data is NULL with a length")
                    }
                    let certificates = try services.readCertificates(bytes)
                    let pointers: [UnsafePointer<og_certificate_info>?] = certificates.map { UnsafePointer(arena.certificateInfo($0)) }
                    return UnsafeMutableRawPointer(arena.value(og_certificate_list(
                        struct_size: UInt32(MemoryLayout<og_certificate_list>.size),
                        certificates: UnsafePointer(arena.array(pointers)), count: pointers.count)))
                }
            },
            write_file: { handle, path, contents, mode in
                HostServicesTable.perform(handle) { _, services in
                    guard let bytes = CText.bytes(contents) else {
                        throw ServiceFailure(.invalidArgument, "write_file: contents is NULL with a length")
                    }
                    try services.writeFile(try HostServicesTable.text(path, "write_file: path"), contents: bytes, mode: mode)
                }
            },
            upload_content: { handle, request, contentKind, chunkSize, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    let info = try HostServicesTable.httpRequest(request, "upload_content")
                    guard info.body.isEmpty, info.bodyKind == .literal else {
                        throw ServiceFailure(.invalidArgument, "upload_content: the request must have no body of its own; the host renders it")
                    }
                    guard let content = UploadContentKind(rawValue: contentKind) else {
                        throw ServiceFailure(.invalidArgument, "upload_content: content kind \(contentKind) is not CERTIFICATE_PEM, CHAIN_PEM, "
                                             + "FULLCHAIN_PEM, PRIVATE_KEY_PEM or PKCS12")
                    }
                    let response = try services.upload(content, request: info, chunkSize: chunkSize == 0 ? 512 * 1024 : Int(chunkSize))
                    return HostServicesTable.httpResponse(response, arena)
                }
            },
            journal_undo_token: { handle, token in
                HostServicesTable.perform(handle) { _, services in
                    guard let bytes = CText.bytes(token), !bytes.isEmpty, bytes.count <= 1 << 20 else {
                        throw ServiceFailure(.invalidArgument, "journal_undo_token: the token is empty, NULL with a length, or over 1 MiB")
                    }
                    try services.journalUndoToken(bytes)
                }
            },
            read_file_certificates: { handle, path, out in
                HostServicesTable.serve(handle, out) { _, services, arena in
                    // Read and parsed here: the file may hold a private key, which must not reach the plugin.
                    let path = try HostServicesTable.text(path, "read_file_certificates: path")
                    let certificates = try services.readCertificates(try services.readFile(path))
                    let pointers: [UnsafePointer<og_certificate_info>?] = certificates.map { UnsafePointer(arena.certificateInfo($0)) }
                    return UnsafeMutableRawPointer(arena.value(og_certificate_list(
                        struct_size: UInt32(MemoryLayout<og_certificate_list>.size),
                        certificates: UnsafePointer(arena.array(pointers)), count: pointers.count)))
                }
            },
            attest_old_configuration_retired: { handle in
                guard let call = PluginCall.from(handle) else { return OG_ERR_INVALID_ARGUMENT }
                guard call.stateOldConfigurationRetired() else {
                    call.report(field: "", message: "attest_old_configuration_retired is offered only during activate "
                                + "(this is \(call.slot.isEmpty ? "another slot" : call.slot))")
                    return OG_ERR_NOT_SUPPORTED
                }
                return OG_OK
            }
        ))
        return UnsafePointer(table)
    }()

    /// Reads an og_http_request; a 1.0 plugin's (struct_size ending before body_kind) is a literal body.
    static func httpRequest(_ request: UnsafePointer<og_http_request>?, _ service: String) throws(ServiceFailure) -> HTTPRequestInfo {
        let bodyKindOffset = MemoryLayout<og_http_request>.offset(of: \og_http_request.body_kind)!
        guard let request, Int(request.pointee.struct_size) >= bodyKindOffset else {
            throw ServiceFailure(.invalidArgument, "\(service): request is NULL or its struct_size is too small")
        }
        let size = Int(request.pointee.struct_size)
        let raw = request.pointee
        var headers: [(String, String)] = []
        if raw.header_count > 0 {
            guard raw.header_count <= 256, let list = raw.headers else {
                throw ServiceFailure(.invalidArgument, "\(service): headers are malformed")
            }
            for index in 0..<raw.header_count {
                headers.append((try text(list[index].name, "\(service): header name"),
                                try text(list[index].value, "\(service): header value")))
            }
        }
        guard let body = CText.bytes(raw.body) else {
            throw ServiceFailure(.invalidArgument, "\(service): body is NULL with a length")
        }
        var bodyKind = HTTPBodyKindInfo.literal
        if size >= bodyKindOffset + MemoryLayout<UInt32>.size {
            guard let kind = HTTPBodyKindInfo(rawValue: raw.body_kind) else {
                throw ServiceFailure(.invalidArgument, "\(service): body_kind \(raw.body_kind) is not OG_BODY_LITERAL or OG_BODY_TEMPLATE")
            }
            bodyKind = kind
        }
        return HTTPRequestInfo(method: try text(raw.method, "\(service): method"), path: try text(raw.path, "\(service): path"),
                               headers: headers, body: body, timeoutMilliseconds: raw.timeout_ms, bodyKind: bodyKind)
    }

    static func httpResponse(_ response: HTTPResponseInfo, _ arena: CArena) -> UnsafeMutableRawPointer {
        let outHeaders = response.headers.map { og_http_header(name: arena.str($0.0), value: arena.str($0.1)) }
        return UnsafeMutableRawPointer(arena.value(og_http_response(
            struct_size: UInt32(MemoryLayout<og_http_response>.size), status: response.status,
            headers: UnsafePointer(arena.array(outHeaders)), header_count: outHeaders.count,
            body: arena.bytes(response.body))))
    }

    static func text(_ value: og_str, _ what: String) throws(ServiceFailure) -> String {
        guard let text = CText.string(value) else {
            throw ServiceFailure(.invalidArgument, "\(what) is not valid UTF-8 (or NULL with a length)")
        }
        return text
    }

    /// Runs a service that has no result object.
    static func perform(_ handle: OpaquePointer?, _ body: (PluginCall, PluginHostServices) throws -> Void) -> og_status {
        guard let call = PluginCall.from(handle) else { return OG_ERR_INVALID_ARGUMENT }
        guard let services = call.services else {
            call.report(field: "", message: "this call has no endpoint connection; host services are unavailable")
            return OG_ERR_NOT_SUPPORTED
        }
        do {
            try body(call, services)
            return OG_OK
        } catch let failure as ServiceFailure {
            call.report(field: "", message: failure.message)
            return failure.status.code
        } catch {
            call.report(field: "", message: "\(error)")
            return OG_ERR_INTERNAL
        }
    }

    /// Runs a service whose result is a host-owned object returned through `out`.
    static func serve<Result>(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<Result>?>?,
                              _ body: (PluginCall, PluginHostServices, CArena) throws -> UnsafeMutableRawPointer) -> og_status {
        guard let out else {
            PluginCall.from(handle)?.report(field: "", message: "out parameter is NULL")
            return OG_ERR_INVALID_ARGUMENT
        }
        out.pointee = nil
        let arena = CArena()
        var produced: UnsafeMutableRawPointer? = nil
        let status = perform(handle) { call, services in
            let pointer = try body(call, services, arena)
            ReleaseRouter.register(arena, pointer: pointer)
            produced = pointer
        }
        if let produced { out.pointee = produced.assumingMemoryBound(to: Result.self) }
        return status
    }
}

/// Host results outlive the call that produced them until the plugin releases
/// them, so they are tracked process-wide rather than per call.
public enum ReleaseRouter {
    static let registry = ResultRegistry()
    static func register(_ arena: CArena, pointer: UnsafeMutableRawPointer) { registry.retain(arena, for: pointer) }
    @discardableResult
    static func release(_ pointer: UnsafeMutableRawPointer) -> Bool { registry.release(pointer) }
    /// Host results not yet released by plugins; the conformance kit checks it returns to zero.
    public static var outstanding: Int { registry.liveCount }
}

extension CArena {
    func certificateInfo(_ certificate: CertificateSummary) -> UnsafeMutablePointer<og_certificate_info> {
        let dns = certificate.dnsNames.map { str($0) }
        let ips = certificate.ipAddresses.map { str($0) }
        return value(og_certificate_info(
            struct_size: UInt32(MemoryLayout<og_certificate_info>.size),
            subject: str(certificate.subject), common_name: str(certificate.commonName),
            dns_names: UnsafePointer(array(dns)), dns_name_count: dns.count,
            ip_addresses: UnsafePointer(array(ips)), ip_address_count: ips.count,
            serial_hex: str(certificate.serialHex), sha256_fingerprint: str(certificate.sha256Fingerprint),
            not_before: certificate.notBefore, not_after: certificate.notAfter,
            key_algorithm: str(certificate.keyAlgorithm), issuer: str(certificate.issuer)))
    }
}
