import ArgumentParser
import Foundation

import OGHost

private let secretHelp = "Give - to read it from standard input or env:NAME to read a variable; a literal value shows in `ps`."

struct CredstoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credstore",
        abstract: "Manage credential stores: local encrypted stores, HashiCorp Vault, CyberArk CCP.",
        discussion: """
        Endpoints added with --store S --store_cred_id ID read their login from store S when a job runs;
        nothing from an external store is copied into the inventory. Tokens, secret IDs and certificate
        passwords of external stores are kept in the default local store, encrypted.
        """,
        subcommands: [Add.self, Update.self, List.self, Remove.self, Credentials.self, RotateMasterKey.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a credential store.",
                                                        subcommands: [AddLocal.self, AddHashicorp.self, AddCyberArk.self])
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", 
            abstract: "Change an external credential store; options not given keep their values.",
            subcommands: [UpdateHashicorp.self, UpdateCyberArk.self])
    }

    struct AddLocal: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "local", abstract: "Add a local encrypted credential store.")
        @Option(name: .customLong("storename"), help: "Name of the new store.") var storeName: String

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).addLocal(name: storeName)
                printOut("Credential store '\(storeName)' added (local). Add credentials with `og-host credstore credentials add --storename \(storeName) ...`.\n")
            }
        }
    }

    struct VaultOptions: ParsableArguments {
        @Option(name: .customLong("storename"), help: "Name of the store.") var storeName: String
        @Option(name: .customLong("vaulturl"), help: "Vault address, e.g. https://vault.example:8200.") var url: String?
        @Option(name: .customLong("authtype"), help: "Token, AppRoleSecret or AppRoleFile.") var authType: String?
        @Option(name: .customLong("token"), help: "The Vault token (Token). \(secretHelp)") var token: String?
        @Option(name: .customLong("roleid"), help: "The AppRole role ID (AppRoleSecret, AppRoleFile).") var roleID: String?
        @Option(name: .customLong("secretid"), help: "The AppRole secret ID (AppRoleSecret). \(secretHelp)") var secretID: String?
        @Option(name: .customLong("secretfile"), help: "File holding the AppRole secret ID, read at each login (AppRoleFile).") var secretFile: String?
        @Option(name: .customLong("appwrapped"), help: "Yes when the secret ID is a response-wrapping token (default No).") var appWrapped: String?
        @Option(name: .customLong("rootpath"), help: "Path, starting with the KV mount, that credential IDs are relative to.") var rootPath: String?
        @Option(name: .customLong("namespace"), help: "Vault namespace (sent as X-Vault-Namespace).") var namespace: String?
        @Option(name: .customLong("verify"), help: "A secret path to fetch once; the command fails if it cannot.") var verify: String?

        var options: VaultStoreOptions {
            VaultStoreOptions(url: url, authType: authType, token: token, roleID: roleID, secretID: secretID, secretFile: secretFile,
                              appWrapped: appWrapped, rootPath: rootPath, namespace: namespace, verify: verify)
        }
    }

    struct CyberArkOptions: ParsableArguments {
        @Option(name: .customLong("storename"), help: "Name of the store.") var storeName: String
        @Option(name: .customLong("appid"), help: "The application ID the CCP knows og-host by.") var appID: String?
        @Option(name: .customLong("ccpurl"), help: "Central Credential Provider address, e.g. https://ccp.example.") var ccpURL: String?
        @Option(name: .customLong("authcert"), help: "PKCS#12 file with the client certificate and key (omit for machine-address authentication; '' on update removes it).") var authCert: String?
        @Option(name: .customLong("certpass"), help: "Password of the --authcert file. \(secretHelp)") var certPass: String?
        @Option(name: .customLong("verify"), help: "A query (Safe=S;Object=O) to fetch once; the command fails if it cannot.") var verify: String?

        var options: CyberArkStoreOptions {
            CyberArkStoreOptions(appID: appID, ccpURL: ccpURL, authCert: authCert, certPass: certPass, verify: verify)
        }
    }

    struct AddHashicorp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hashicorp", abstract: "Add a HashiCorp Vault store (KV version 1 or 2).")
        @OptionGroup var vault: VaultOptions

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).addHashicorp(name: vault.storeName, options: vault.options)
                printOut("Credential store '\(vault.storeName)' added (hashicorp)\(vault.verify == nil ? "" : "; verified").\n")
            }
        }
    }

    struct UpdateHashicorp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hashicorp", abstract: "Update a HashiCorp Vault store.")
        @OptionGroup var vault: VaultOptions

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).updateHashicorp(name: vault.storeName, options: vault.options)
                printOut("Credential store '\(vault.storeName)' updated\(vault.verify == nil ? "" : "; verified").\n")
            }
        }
    }

    struct AddCyberArk: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cyberark", abstract: "Add a CyberArk Central Credential Provider store.")
        @OptionGroup var cyberArk: CyberArkOptions

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).addCyberArk(name: cyberArk.storeName, options: cyberArk.options)
                printOut("Credential store '\(cyberArk.storeName)' added (cyberark)\(cyberArk.verify == nil ? "" : "; verified").\n")
            }
        }
    }

    struct UpdateCyberArk: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cyberark", abstract: "Update a CyberArk store.")
        @OptionGroup var cyberArk: CyberArkOptions

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).updateCyberArk(name: cyberArk.storeName, options: cyberArk.options)
                printOut("Credential store '\(cyberArk.storeName)' updated\(cyberArk.verify == nil ? "" : "; verified").\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List credential stores.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let stores = try CredentialStoreCatalog(gateway: openGateway()).list()
                if output == .json {
                    printOut(try JSONOutput.render(stores))
                } else {
                    printOut(Table.render(header: ["NAME", "KIND", "SETTINGS"], rows: stores.map { [$0.name, $0.kind, $0.detailText] }))
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", 
            abstract: "Remove a credential store; refused for the default store and for stores endpoints use.")
        @Option(name: .customLong("storename"), help: "Name of the store.") var storeName: String

        func run() throws {
            try runReportingErrors {
                try CredentialStoreCatalog(gateway: openGateway()).remove(name: storeName)
                printOut("Credential store '\(storeName)' removed.\n")
            }
        }
    }

    struct RotateMasterKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master-key",
            abstract: "Re-encrypt every local credential store (and so the certificate key vault) under a new master key.",
            discussion: """
            The new key is written first, every store is re-sealed into a temporary file, the temporaries
            replace the stores, and the new key replaces the old one last; an interrupted rotation is
            finished on the next use. Back up the data directory's credentials/ folder before rotating.
            """)

        func run() throws {
            try runReportingErrors {
                let stores = try CredentialStoreCatalog(gateway: openGateway()).rotateMasterKey()
                printOut("Master key rotated; \(stores.count) local store(s) re-sealed: \(stores.joined(separator: ", ")).\n")
            }
        }
    }
}
