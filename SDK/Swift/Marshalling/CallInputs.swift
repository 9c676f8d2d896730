import OGPluginABI

/// Turns the borrowed C inputs of an operation slot into Swift values,
/// copying everything so nothing borrowed outlives the call.
enum CallInputs {
    static func endpoint(_ pointer: UnsafePointer<og_endpoint>?) throws -> Endpoint {
        guard let pointer else {
            throw PluginError(status: .invalidArgument, field: "endpoint", message: "is NULL; every operation needs its endpoint")
        }
        let fields = SizedStruct(pointer)
        let type = try HostMemory.text(fields.require(\.type, named: "endpoint.type"), field: "endpoint.type")
        let connectionBits = fields.read(\.connection_type) ?? 0
        guard connectionBits != 0, connectionBits & (connectionBits - 1) == 0 else {
            throw PluginError(status: .invalidArgument, field: "endpoint.connection_type",
                              message: "is 0x\(String(connectionBits, radix: 16)); it must name exactly one connection type")
        }
        let port = Int(fields.read(\.port) ?? 0)
        var endpoint = Endpoint(
            type: type,
            name: try fields.read(\.name).map { try HostMemory.text($0, field: "endpoint.name") } ?? "",
            connectionType: ConnectionTypes(rawValue: connectionBits),
            platform: Platform(rawValue: fields.read(\.platform) ?? UInt32(OG_PLATFORM_POSIX)),
            host: try fields.read(\.host).map { try HostMemory.text($0, field: "endpoint.host") } ?? "",
            port: port == 0 ? nil : port)
        if let list = fields.read(\.options), let count = fields.read(\.option_count) {
            let options = try HostMemory.elements(list, count: count, field: "endpoint.options")
            for (index, option) in options.enumerated() {
                let name = try HostMemory.text(option.name, field: "endpoint.options[\(index)].name")
                let value = try HostMemory.text(option.value, field: name)
                guard endpoint.options.updateValue(value, forKey: name) == nil else {
                    throw PluginError(status: .invalidArgument, field: name,
                                      message: "is given twice; an endpoint has one value per option")
                }
            }
        }
        return endpoint
    }

    static func installRequest(_ pointer: UnsafePointer<og_install_request>?) throws -> InstallRequest {
        guard let pointer else {
            throw PluginError(status: .invalidArgument, field: "request", message: "is NULL; this operation needs an install request")
        }
        let fields = SizedStruct(pointer)
        let certificate = try fields.require(\.certificate, named: "request.certificate")
        guard let certificate else {
            throw PluginError(status: .invalidArgument, field: "request.certificate",
                              message: "is NULL; an install request names the leaf being installed")
        }
        let nodeID = try fields.read(\.node_id).map { try HostMemory.text($0, field: "request.node_id") } ?? ""
        let alias = try fields.read(\.alias).map { try HostMemory.text($0, field: "request.alias") } ?? ""
        let chainLength = fields.read(\.chain_length) ?? 0
        guard chainLength >= 0, chainLength <= HostMemory.maximumElementCount else {
            throw PluginError(status: .invalidArgument, field: "request.chain_length",
                              message: "is \(UInt(bitPattern: chainLength)), which no certificate chain reaches; the request is corrupt")
        }
        return InstallRequest(
            nodeID: nodeID.isEmpty ? nil : nodeID,
            alias: alias.isEmpty ? nil : alias,
            certificate: try certificateInfo(certificate, field: "request.certificate"),
            chainLength: chainLength,
            isDryRun: (fields.read(\.flags) ?? 0) & OG_INSTALL_DRY_RUN != 0)
    }

    static func certificateInfo(_ pointer: UnsafePointer<og_certificate_info>, field: String) throws -> CertificateInfo {
        let fields = SizedStruct(pointer)
        func text(_ path: KeyPath<og_certificate_info, og_str>, _ name: String) throws -> String {
            try fields.read(path).map { try HostMemory.text($0, field: "\(field).\(name)") } ?? ""
        }
        func texts(_ list: KeyPath<og_certificate_info, UnsafePointer<og_str>?>,
                   _ count: KeyPath<og_certificate_info, Int>, _ name: String) throws -> [String] {
            guard let base = fields.read(list), let count = fields.read(count) else { return [] }
            return try HostMemory.elements(base, count: count, field: "\(field).\(name)").enumerated().map {
                try HostMemory.text($0.element, field: "\(field).\(name)[\($0.offset)]")
            }
        }
        return CertificateInfo(
            subject: try text(\.subject, "subject"),
            commonName: try text(\.common_name, "common_name"),
            dnsNames: try texts(\.dns_names, \.dns_name_count, "dns_names"),
            ipAddresses: try texts(\.ip_addresses, \.ip_address_count, "ip_addresses"),
            serialHex: try text(\.serial_hex, "serial_hex"),
            sha256Fingerprint: try text(\.sha256_fingerprint, "sha256_fingerprint"),
            notBefore: fields.read(\.not_before) ?? 0,
            notAfter: fields.read(\.not_after) ?? 0,
            keyAlgorithm: try text(\.key_algorithm, "key_algorithm"),
            issuer: try text(\.issuer, "issuer"))
    }
}
