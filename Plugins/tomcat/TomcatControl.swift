import OGPluginKit

/// Restarts Tomcat and waits until every TLS connector answers again.
/// Tomcat reads certificates only when a connector starts, so an install is
/// picked up by a restart (unless the operator chose JMXReload instead).
/// With --service_name the service manager restarts it; otherwise
/// catalina.sh stop and start run with the endpoint's CATALINA_HOME,
/// CATALINA_BASE and CATALINA_PID.
struct TomcatControl {
    let target: TomcatEndpoint
    let host: HostServices

    func restart() throws {
        let ports = try ServerXMLReader(target: target, host: host).read().nodes.map { ($0.address, $0.port) }
        if let service = target.serviceName {
            let result = try host.run(["systemctl", "restart", service], timeout: .seconds(Int64(target.startTimeoutSeconds)),
                                      privileged: true)
            try require(result, "systemctl restart \(service)", field: "service_name")
        } else {
            try stop(ports)
            // catalina.sh leaves the JVM running; the host's runner returns when
            // catalina.sh itself exits (og_plugin.h, run_command).
            let result = try host.run(catalina(["start"]), timeout: .seconds(60))
            try require(result, "catalina.sh start", field: "tomcat_dir")
        }
        try waitUntilServing(ports)
        host.log(.info, "Tomcat restarted; TLS ports \(Set(ports.map(\.1)).sorted().map(String.init).joined(separator: ", ")) answer")
    }

    private func stop(_ ports: [(String, Int)]) throws {
        let hasPIDFile = try host.stat(target.pidFile).type == .regular
        let arguments = hasPIDFile ? ["stop", "30", "-force"] : ["stop"]
        let result = try host.run(try catalina(arguments, withPIDFile: hasPIDFile), timeout: .seconds(90))
        // A stop fails when Tomcat is not running; what matters is that the ports are free afterwards.
        for _ in 0..<60 {
            if try ports.allSatisfy({ try !answers($0) }) { return }
            _ = try host.run(["sleep", "1"])
        }
        throw PluginError(status: .commandFailed, field: "catalina_pid",
                          message: "Tomcat still answers after catalina.sh \(arguments.joined(separator: " ")) ("
                              + "\(shown(result))); give the file holding its process id with --catalina_pid, or its "
                              + "service unit with --service_name")
    }

    /// `catalina.sh` with Tomcat's environment, passed through env(1) so no shell string is built.
    private func catalina(_ arguments: [String], withPIDFile: Bool = true) throws -> [String] {
        var environment = ["CATALINA_HOME=\(target.home)", "CATALINA_BASE=\(target.base)"]
        if withPIDFile { environment.append("CATALINA_PID=\(target.pidFile)") }
        return ["env"] + environment + [target.catalinaScript] + arguments
    }

    private func waitUntilServing(_ ports: [(String, Int)]) throws {
        var pending = ports
        for _ in 0..<target.startTimeoutSeconds {
            pending = try pending.filter { try !answers($0) }
            if pending.isEmpty { return }
            _ = try host.run(["sleep", "1"])
        }
        let log = (try? host.readFile(target.base + "/logs/catalina.out")).map { bytes in
            String(decoding: bytes.suffix(1500), as: UTF8.self)
        } ?? "(no catalina.out)"
        throw PluginError(status: .timeout, field: "start_timeout",
                          message: "Tomcat did not answer TLS on port(s) "
                              + pending.map { String($0.1) }.joined(separator: ", ")
                              + " within \(target.startTimeoutSeconds) s of its start; end of catalina.out: \(log)")
    }

    /// A TLS handshake to the connector from the endpoint itself, through openssl s_client.
    private func answers(_ listener: (String, Int)) throws -> Bool {
        let wildcard = ["", "0.0.0.0", "*"]
        var address = wildcard.contains(listener.0) ? "127.0.0.1" : listener.0
        if address == "::" || address == "[::]" { address = "::1" }
        if address.contains(":"), !address.hasPrefix("[") { address = "[\(address)]" }
        let result = try host.run(["openssl", "s_client", "-connect", "\(address):\(listener.1)", "-brief"],
                                  timeout: .seconds(10))
        return result.succeeded
    }

    private func require(_ result: CommandResult, _ command: String, field: String) throws {
        guard result.succeeded else {
            throw PluginError(status: .commandFailed, field: field, message: "\(command) failed: \(shown(result))")
        }
    }

    private func shown(_ result: CommandResult) -> String {
        var text = result.standardErrorText.trimmingBlanks()
        if text.isEmpty { text = result.standardOutputText.trimmingBlanks() }
        if text.isEmpty { return "exit status \(result.exitStatus), no output" }
        return "exit status \(result.exitStatus): " + String(text.suffix(800))
    }
}
