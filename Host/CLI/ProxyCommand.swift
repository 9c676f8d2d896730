import ArgumentParser
import OGHost

struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Set or show the HTTP proxy og-host's outbound HTTPS connections go through.",
        subcommands: [Set.self, Get.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", 
            abstract: "Set the outbound proxy; without options, clear it.",
            discussion: "The password is stored sealed in the local credential store. Give it as - to read one line "
                + "from standard input or env:NAME to read an environment variable, so it stays out of argv.")
        @Option(name: .long, help: "Proxy host name or IP address.") var host: String?
        @Option(name: .long, help: "Proxy port (1-65535).") var port: Int?
        @Option(name: .long, help: "User for proxy authentication (Basic).") var user: String?
        @Option(name: .long, help: "Proxy password: -, env:NAME, or the value.") var password: String?
        @Option(name: .customLong("pacurl"), help: "URL of a PAC file (not supported by this og-host).") var pacURL: String?
        @Flag(name: .long, help: "Reach localhost, 127.0.0.0/8 and ::1 directly, not through the proxy.")
        var bypassLoopback = false

        func run() throws {
            try runReportingErrors {
                printOut(try ProxyCommands.set(host: host, port: port, user: user, password: password, pacURL: pacURL,
                                               bypassLoopback: bypassLoopback, gateway: openGateway()))
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show the outbound proxy; the password is masked.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let listing = try ProxyCommands.get(gateway: openGateway())
                if output == .json {
                    printOut(try JSONOutput.render(listing))
                } else {
                    printOut("Outbound proxy: \(listing.summary)\n")
                }
            }
        }
    }
}
