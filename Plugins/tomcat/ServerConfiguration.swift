import OGPluginKit

/// The TLS side of a Tomcat server.xml: every connector with SSLEnabled="true"
/// and, inside it, every SSLHostConfig and Certificate, with the paths
/// resolved the way Tomcat resolves them (relative to CATALINA_BASE).
///
/// Values the parser cannot pin down — a ${property} other than
/// catalina.base/catalina.home, a port that is not a number, old and new
/// attributes mixed on one connector — fail with the file and line rather
/// than being guessed.
struct ServerConfiguration {
    struct TLSNode {
        /// Stable id: "<port>/<hostName>", plus "/<type>" when one host config has several certificates.
        var id: String
        /// The SSLHostConfig's hostName, lowercased as Tomcat matches it; "_default_" when unnamed.
        let hostName: String
        let isDefaultHostConfig: Bool
        /// The configured address; empty means every address.
        let address: String
        let port: Int
        let serviceName: String
        let line: Int
        let certificate: CertificateSettings
    }

    let document: XMLDocument
    let catalinaBase: String
    let catalinaHome: String
    private(set) var nodes: [TLSNode] = []
    /// Every port of a TLS connector, for waiting on Tomcat after a restart.
    var tlsPorts: [Int] { Array(Set(nodes.map(\.port))).sorted() }

    init(document: XMLDocument, catalinaBase: String, catalinaHome: String) throws {
        self.document = document
        self.catalinaBase = catalinaBase
        self.catalinaHome = catalinaHome
        let server = document.root
        guard server.name == "Server" else {
            throw problem(server.line, "the root element is <\(server.name)>; a Tomcat server.xml starts with <Server>")
        }
        let offset = try server.attribute("portOffset").map { try integer($0, in: server) } ?? 0
        for service in server.children(named: "Service") {
            for connector in service.children(named: "Connector") {
                try read(connector: connector, service: service["name"] ?? "", portOffset: offset)
            }
        }
        var seen: [String: Int] = [:]
        for node in nodes {
            if let earlier = seen[node.id] {
                throw problem(node.line, "a second TLS host config with id \(node.id) (the first is on line \(earlier)); "
                                  + "Tomcat refuses duplicate host names on one port, so correct server.xml")
            }
            seen[node.id] = node.line
        }
    }

    private mutating func read(connector: XMLDocument.Element, service: String, portOffset: Int) throws {
        guard let enabled = connector.attribute("SSLEnabled"), try resolved(enabled, in: connector).lowercased() == "true" else {
            return
        }
        guard let portAttribute = connector.attribute("port") else {
            throw problem(connector.line, "the TLS <Connector> has no port attribute")
        }
        let port = try integer(portAttribute, in: connector) + portOffset
        guard (1...65535).contains(port) else {
            throw problem(portAttribute.line, "port \(port) is not between 1 and 65535")
        }
        let address = try connector.attribute("address").map { try resolved($0, in: connector) } ?? ""
        let defaultName = (try connector.attribute("defaultSSLHostConfigName").map { try resolved($0, in: connector) }
                           ?? "_default_").lowercased()
        let hostConfigs = connector.children(named: "SSLHostConfig")
        let legacy = AttributeNames.legacyConnector.all.filter { connector.attribute($0) != nil }
        if hostConfigs.isEmpty {
            guard !legacy.isEmpty else {
                throw problem(connector.line, "the TLS <Connector> on port \(port) configures no certificate "
                                  + "(neither an <SSLHostConfig> nor keystoreFile/SSLCertificateFile)")
            }
            let settings = try certificateSettings(connector, names: .legacyConnector, keyType: "UNDEFINED")
            nodes.append(TLSNode(id: "\(port)/\(defaultName)", hostName: defaultName, isDefaultHostConfig: true,
                                 address: address, port: port, serviceName: service, line: connector.line,
                                 certificate: settings))
            return
        }
        guard legacy.isEmpty else {
            throw problem(connector.line, "the <Connector> on port \(port) has both <SSLHostConfig> elements and the "
                              + "older attribute(s) \(legacy.joined(separator: ", ")); move them into the "
                              + "<SSLHostConfig> so there is one place for each certificate")
        }
        for hostConfig in hostConfigs {
            let hostName = (try hostConfig.attribute("hostName").map { try resolved($0, in: hostConfig) } ?? "_default_").lowercased()
            var certificates = hostConfig.children(named: "Certificate")
                .map { ($0, AttributeNames.certificate) }
            if certificates.isEmpty {
                guard AttributeNames.certificate.all.contains(where: { hostConfig.attribute($0) != nil }) else {
                    throw problem(hostConfig.line, "<SSLHostConfig hostName=\"\(hostName)\"> holds no <Certificate>")
                }
                certificates = [(hostConfig, AttributeNames.certificate)]
            }
            for (element, names) in certificates {
                let keyType = (try element.attribute("type").map { try resolved($0, in: element) } ?? "UNDEFINED").uppercased()
                let settings = try certificateSettings(element, names: names, keyType: keyType)
                let suffix = certificates.count > 1 ? "/\(keyType.lowercased())" : ""
                nodes.append(TLSNode(id: "\(port)/\(hostName)\(suffix)", hostName: hostName,
                                     isDefaultHostConfig: hostName == defaultName, address: address, port: port,
                                     serviceName: service, line: element.line, certificate: settings))
            }
        }
    }

    private func certificateSettings(_ element: XMLDocument.Element, names: AttributeNames,
                                     keyType: String) throws -> CertificateSettings {
        func value(_ name: String) throws -> String? {
            try element.attribute(name).map { try resolved($0, in: element) }
        }
        if let certificateFile = try value(names.certificateFile) {
            let pem = CertificateSettings.PEM(
                certificatePath: try path(certificateFile, attribute: names.certificateFile, in: element),
                keyPath: try value(names.certificateKeyFile).map { try path($0, attribute: names.certificateKeyFile, in: element) },
                chainPath: try value(names.certificateChainFile).map { try path($0, attribute: names.certificateChainFile, in: element) },
                keyPassword: try value(names.pemKeyPassword))
            return CertificateSettings(element: element, names: names, keyType: keyType, source: .pem(pem))
        }
        guard let keystoreFile = try value(names.keystoreFile) else {
            throw problem(element.line, "<\(element.name)> names neither \(names.keystoreFile) nor \(names.certificateFile); "
                              + "Tomcat would read ~/.keystore of the user it runs as, which og-host cannot locate. "
                              + "Give the keystore path explicitly")
        }
        let keystore = CertificateSettings.Keystore(
            path: try path(keystoreFile, attribute: names.keystoreFile, in: element),
            password: try value(names.keystorePassword) ?? "changeit",
            type: try value(names.keystoreType),
            alias: try value(names.keyAlias),
            keyPassword: try value(names.keyPassword),
            usesPasswordFile: names.keystorePasswordFile.map { element.attribute($0) != nil } ?? false)
        return CertificateSettings(element: element, names: names, keyType: keyType, source: .keystore(keystore))
    }

    /// A file attribute as an absolute path: Tomcat reads relative paths from CATALINA_BASE.
    private func path(_ value: String, attribute: String, in element: XMLDocument.Element) throws -> String {
        var text = value
        if text.hasPrefix("file:") { text = String(text.dropFirst(5)) }
        guard !text.isEmpty, !text.contains("://"), !text.hasPrefix("classpath:") else {
            throw problem(element.attribute(attribute)?.line ?? element.line,
                          "\(attribute)=\"\(value)\" is not a file path og-host can follow; give an absolute path or "
                              + "one relative to CATALINA_BASE")
        }
        if text.hasPrefix("/") { return text }
        return catalinaBase + "/" + text
    }

    /// An attribute's value with ${catalina.base} and ${catalina.home} substituted; any other property is refused.
    private func resolved(_ attribute: XMLDocument.Attribute, in element: XMLDocument.Element) throws -> String {
        var text = attribute.value
        text = text.replacingEvery("${catalina.base}", with: catalinaBase)
        text = text.replacingEvery("${catalina.home}", with: catalinaHome)
        if text.contains("${") {
            throw problem(attribute.line, "\(attribute.name)=\"\(Excerpt.quote(attribute.value))\" on <\(element.name)> uses a property "
                              + "set outside server.xml (catalina.properties or -D); og-host cannot see its value, so "
                              + "write the value itself")
        }
        return text
    }

    private func integer(_ attribute: XMLDocument.Attribute, in element: XMLDocument.Element) throws -> Int {
        let text = try resolved(attribute, in: element)
        guard let value = Int(text) else {
            throw problem(attribute.line, "\(attribute.name)=\"\(Excerpt.quote(text))\" on <\(element.name)> is not a whole number")
        }
        return value
    }

    private func problem(_ line: Int, _ message: String) -> PluginError {
        PluginError(status: .parse, field: "tomcat_base", message: "\(document.path):\(line): \(message)")
    }
}

extension String {
    /// Every occurrence of `target` replaced, without Foundation (the plugin does not link it).
    func replacingEvery(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func trimmingBlanks() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
