import OGPluginKit

/// Reloads the certificates of TLS connectors without a restart, through the
/// manager webapp's JMX proxy servlet and each connector's
/// reloadSslHostConfigs operation. The ProtocolHandler's object name carries
/// its Engine's name and its address, so it is looked up by port first rather
/// than guessed. curl reads the credentials from standard input (`--config -`),
/// so they never appear in a command line.
struct JMXReload {
    let manager: TomcatEndpoint.Manager
    let host: HostServices

    func reload(ports: [Int]) throws {
        for port in Set(ports).sorted() {
            let names = try protocolHandlers(port: port)
            guard !names.isEmpty else {
                throw PluginError(status: .notFound, field: "manager_url",
                                  message: "the JMX proxy of \(manager.url) knows no ProtocolHandler on port \(port); "
                                      + "check that --manager_url names the manager of this Tomcat instance")
            }
            for name in names {
                let answer = try call("invoke=" + Self.encoded(name) + "&op=reloadSslHostConfigs")
                guard answer.hasPrefix("OK") else {
                    throw PluginError(status: .commandFailed, field: "reload_method",
                                      message: "reloadSslHostConfigs on \(name) was refused: \(Self.excerpt(answer)); "
                                          + "use --reload_method restart if this Tomcat cannot reload its certificates")
                }
            }
        }
        host.log(.info, "Tomcat reloaded the certificates of TLS port(s) "
                     + Set(ports).sorted().map(String.init).joined(separator: ", ") + " through JMX, without a restart")
    }

    /// At add time: the manager must accept --manager_user/--manager_password (HTTP 401/403 refuses
    /// the add with the reason). A manager that cannot be reached now (Tomcat stopped) is only
    /// warned about: the endpoint may be added before Tomcat runs, and the first install tells.
    func checkCredentials() throws {
        do {
            _ = try call("qry=" + Self.encoded("*:type=ProtocolHandler,*"))
        } catch let error as PluginError where error.field == "manager_password" {
            throw error
        } catch let error as PluginError {
            host.log(.warning, "could not check --manager_user and --manager_password now: \(error.message); "
                         + "installs will fail and roll back if the manager refuses them")
        }
    }

    private func protocolHandlers(port: Int) throws -> [String] {
        let answer = try call("qry=" + Self.encoded("*:type=ProtocolHandler,port=\(port),*"))
        guard answer.hasPrefix("OK") else {
            throw PluginError(status: .commandFailed, field: "manager_url",
                              message: "the JMX proxy of \(manager.url) could not list port \(port)'s connector: "
                                  + Self.excerpt(answer))
        }
        // The servlet ends lines with CRLF, which Swift reads as one Character.
        return answer.split(whereSeparator: \.isNewline)
            .filter { $0.hasPrefix("Name: ") }
            .map { String($0.dropFirst("Name: ".count)).trimmingBlanks() }
    }

    /// One GET of the JMX proxy; the answer's text when the servlet answered 200.
    private func call(_ query: String) throws -> String {
        let url = manager.url + "/jmxproxy/?" + query
        let marker = "og-host-http-status:"
        let result = try host.run(["curl", "--silent", "--show-error", "--max-time", "30", "--config", "-",
                                   "--write-out", "\\n" + marker + "%{http_code}", url],
                                  standardInput: Array(manager.curlCredentials.utf8), timeout: .seconds(40))
        guard result.succeeded else {
            throw PluginError(status: .commandFailed, field: "manager_url",
                              message: "curl could not reach \(url): "
                                  + Self.excerpt(result.standardErrorText.isEmpty ? "exit status \(result.exitStatus)"
                                                 : result.standardErrorText))
        }
        // --write-out puts the status on a last line of its own, after whatever
        // the servlet answered; split on the byte so a "\r" before it cannot hide it.
        let output = Array(result.standardOutput)
        let lastBreak = output.lastIndex(of: UInt8(ascii: "\n"))
        let lastLine = String(decoding: output[(lastBreak.map { $0 + 1 } ?? 0)...], as: UTF8.self)
        guard lastLine.hasPrefix(marker) else {
            throw PluginError(status: .commandFailed, field: "manager_url", message: "curl gave no HTTP status for \(url)")
        }
        let status = String(lastLine.dropFirst(marker.count)).trimmingBlanks()
        let body = String(decoding: output[..<(lastBreak ?? 0)], as: UTF8.self)
        switch status {
        case "200":
            return body
        case "401", "403":
            throw PluginError(status: .auth, field: "manager_password",
                              message: "the manager at \(manager.url) refused the credentials (HTTP \(status)); give "
                                  + "--manager_user and --manager_password of a user with the role manager-jmx in "
                                  + "tomcat-users.xml, and check the manager's RemoteAddrValve admits og-host's address")
        default:
            throw PluginError(status: .commandFailed, field: "manager_url",
                              message: "the JMX proxy at \(url) answered HTTP \(status): \(Self.excerpt(body))")
        }
    }

    /// Query strings keep only unreserved characters; everything else is percent-encoded.
    static func encoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
                result.append(character)
            } else {
                result += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return result
    }

    private static func excerpt(_ text: String) -> String {
        let trimmed = text.trimmingBlanks()
        return trimmed.isEmpty ? "(empty answer)" : String(trimmed.prefix(600))
    }
}
