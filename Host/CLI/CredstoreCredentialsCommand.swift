import ArgumentParser
import Foundation

import OGHost

extension CredstoreCommand {
    struct Credentials: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "credentials", 
            abstract: "Manage the credentials of local stores; read one from any store.",
            subcommands: [Add.self, Update.self, Remove.self, List.self, Get.self])

        struct LoginOptions: ParsableArguments {
            @Option(name: .customLong("storename"), help: "Name of a local store.") var storeName: String
            @Option(name: .customLong("id"), help: "ID of the credential.") var id: String
            @Option(name: .customLong("username"), help: "Login name.") var username: String?
            @Option(name: .customLong("password"), help: "Password (not with --privatekeypath). - reads standard input, env:NAME a variable.") var password: String?
            @Option(name: .customLong("privatekeypath"), help: "Absolute path of a private key file on the gateway (not with --password).") var privateKeyPath: String?
            @Option(name: .customLong("passphrase"), help: "Passphrase of the private key. - reads standard input, env:NAME a variable.") var passphrase: String?

            var options: LocalStoreCredentials.Options {
                .init(username: username, password: password, privateKeyPath: privateKeyPath, passphrase: passphrase)
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a credential to a local store.")
            @OptionGroup var login: LoginOptions

            func run() throws {
                try runReportingErrors {
                    try LocalStoreCredentials(gateway: openGateway(), storeName: login.storeName).add(id: login.id, login.options)
                    printOut("Credential '\(login.id)' added to store '\(login.storeName)'.\n")
                }
            }
        }

        struct Update: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a credential in a local store; what is not given stays.")
            @OptionGroup var login: LoginOptions

            func run() throws {
                try runReportingErrors {
                    try LocalStoreCredentials(gateway: openGateway(), storeName: login.storeName).update(id: login.id, login.options)
                    printOut("Credential '\(login.id)' in store '\(login.storeName)' updated.\n")
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a credential from a local store.")
            @Option(name: .customLong("storename"), help: "Name of a local store.") var storeName: String
            @Option(name: .customLong("id"), help: "ID of the credential.") var id: String

            func run() throws {
                try runReportingErrors {
                    try LocalStoreCredentials(gateway: openGateway(), storeName: storeName).remove(id: id)
                    printOut("Credential '\(id)' removed from store '\(storeName)'.\n")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the credentials of a local store (secrets masked).")
            @Option(name: .customLong("storename"), help: "Name of a local store.") var storeName: String
            @Option(name: .long, help: "text or json") var output: OutputFormat = .text

            func run() throws {
                try runReportingErrors {
                    let summaries = try LocalStoreCredentials(gateway: openGateway(), storeName: storeName).list()
                    let rows = summaries.map(CredentialView.init)
                    if output == .json {
                        printOut(try JSONOutput.render(rows))
                    } else {
                        printOut(Table.render(header: ["ID", "USERNAME", "KIND", "SECRET"], rows: rows.map { [$0.id, $0.username, $0.kind, $0.secretText] }))
                    }
                }
            }
        }

        struct Get: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "get", 
                abstract: "Fetch one credential from any store: a local ID, a Vault path under the root path, or a CyberArk query Safe=S;Object=O.")
            @Option(name: .customLong("storename"), help: "Name of the store.") var storeName: String
            @Option(name: .customLong("id"), help: "ID of the credential.") var id: String
            @Flag(name: .customLong("show-secret"), help: "Print the password or passphrase instead of masking it.") var showSecret = false
            @Option(name: .long, help: "text or json") var output: OutputFormat = .text

            func run() throws {
                try runReportingErrors {
                    let catalog = CredentialStoreCatalog(gateway: try openGateway())
                    let credential = showSecret ? try catalog.revealCredential(store: storeName, id: id)
                        : try catalog.credential(store: storeName, id: id)
                    let view = CredentialView(id: id, credential: credential, showSecret: showSecret)
                    if output == .json {
                        printOut(try JSONOutput.render(view))
                    } else {
                        var lines = [("id", view.id), ("username", view.username), ("kind", view.kind)]
                        if let path = view.privateKeyPath { lines.append(("private key path", path)) }
                        if let secret = view.secret { lines.append((view.kind == "password" ? "password" : "passphrase", secret)) }
                        printOut(lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n")
                    }
                }
            }
        }
    }
}

/// A credential as the CLI shows it: the secret masked unless asked for.
struct CredentialView: Encodable {
    var id: String
    var username: String
    var kind: String
    var privateKeyPath: String?
    var secret: String?

    init(id: String, credential: Credential, showSecret: Bool) {
        self.id = id
        username = credential.username
        switch credential.secret {
        case .password(let password):
            kind = "password"
            secret = showSecret ? password.exposedString() : Secret.mask
        case .privateKey(let path, let passphrase):
            kind = "private key"
            privateKeyPath = path
            secret = passphrase.map { showSecret ? $0.exposedString() : Secret.mask }
        }
    }

    init(_ summary: CredentialSummary) {
        id = summary.id
        username = summary.username
        switch summary.kind {
        case .password:
            kind = "password"
            secret = Secret.mask
        case .privateKey(let path, let hasPassphrase):
            kind = "private key"
            privateKeyPath = path
            secret = hasPassphrase ? Secret.mask : nil
        }
    }

    var secretText: String {
        [privateKeyPath, secret.map { kind == "password" ? $0 : "passphrase \($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}
