import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host tls add p12|jks|pem` through the real binary and the built keystore
/// plugin, against files made with openssl and keytool: what is accepted, and
/// every refusal naming the option to correct with nothing recorded.
@Suite struct KeystoreAddTests {
    let fixture: GatewayFixture
    let files: KeystoreTestFiles

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        files = try KeystoreTestFiles()
    }

    func add(_ type: String, _ options: [String], name: String = "store1") throws -> ProcessOutput {
        try fixture.run(["tls", "add", type, "--name", name, "--connection_type", "local"] + options,
                        extraEnvironment: files.passwordEnvironment)
    }

    /// A refused add: non-zero exit, `message` on stderr, nothing on stdout, no state written.
    func expectRefused(_ type: String, _ options: [String], message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try GatewayState(fixture)
        let result = try add(type, options)
        #expect(result.exitStatus != 0, "the add was accepted: \(result.standardOutputText)", sourceLocation: sourceLocation)
        #expect(result.standardErrorText.contains(message), "stderr was: \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardOutputText.isEmpty, sourceLocation: sourceLocation)
        #expect(!result.standardErrorText.contains(files.password), "the store password leaked", sourceLocation: sourceLocation)
        let changed = before.changes(comparedWith: try GatewayState(fixture))
        #expect(changed.isEmpty, "a refused add changed \(changed)", sourceLocation: sourceLocation)
    }

    func storeOptions(_ path: String) -> [String] { ["--path", path, "--store_password", "env:STORE_PASS"] }

    // MARK: Accepted

    @Test func pkcs12StoreThatOpensWithItsPasswordIsAddedWithTheDefaultAlias() throws {
        let path = try files.p12("store.p12")
        let result = try add("p12", storeOptions(path))
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(result.standardOutputText.contains("Instance ID: "))

        let shown = try fixture.run(["tls", "show", "store1"])
        #expect(shown.standardOutputText.contains("path: \(path)"))
        #expect(shown.standardOutputText.contains("alias: og-host"))
        #expect(shown.standardOutputText.contains("is_legacy: false"))
        var everything = [result.standardOutputText, result.standardErrorText, shown.standardOutputText]
        everything += fixture.dataDirectoryContents().values.map { String(decoding: $0, as: UTF8.self) }
        for text in everything { #expect(!text.contains(files.password), "the store password is stored or shown in plaintext") }
    }

    @Test func jksStoreMadeByKeytoolIsAdded() throws {
        let path = try files.keytoolStore("store.jks", aliases: ["tomcat", "backup"])
        let result = try add("jks", storeOptions(path) + ["--alias", "tomcat"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
    }

    @Test func pemEndpointAcceptsAnEmptyFileAChainAndASeparateKeyFile() throws {
        let empty = try files.write("empty.pem", [])
        let first = try add("pem", ["--path", empty], name: "empty")
        #expect(first.exitStatus == 0, "an empty file is acceptable: \(first.standardErrorText)")

        let leaf = try files.leaf("pemleaf")
        let chain = try files.write("chain.pem", try files.bytes(leaf.certificate) + files.bytes(files.pki.file("int.pem")))
        let second = try add("pem", ["--path", chain, "--key_path", files.file("new-key.pem")], name: "chain")
        #expect(second.exitStatus == 0, "\(second.standardErrorText)")

        // A combined file (key first) is read for its certificates only.
        let combined = try files.write("combined.pem", try files.bytes(leaf.key) + files.bytes(leaf.certificate), mode: 0o600)
        let third = try add("pem", ["--path", combined], name: "combined")
        #expect(third.exitStatus == 0, "\(third.standardErrorText)")
    }

    @Test func executableScriptsAreAccepted() throws {
        let install = try files.script("install.sh", "exit 0")
        let restart = try files.script("restart.sh", "exit 0", mode: 0o700)
        let result = try add("p12", storeOptions(try files.p12("store.p12"))
                             + ["--install_script", install, "--restart_script", restart])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
    }

    // MARK: The file itself

    @Test(arguments: ["p12", "jks", "pem"])
    func missingFileIsRefusedNamingPath(type: String) throws {
        let missing = files.file("missing.\(type)")
        let options = type == "pem" ? ["--path", missing] : storeOptions(missing)
        try expectRefused(type, options, message: "--path: \(missing) does not exist on the endpoint")
    }

    @Test(arguments: ["p12", "jks", "pem"])
    func directoryIsRefusedNamingPath(type: String) throws {
        let directory = files.file("a-directory")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let options = type == "pem" ? ["--path", directory] : storeOptions(directory)
        try expectRefused(type, options, message: "--path: \(directory) is a directory")
    }

    @Test(arguments: ["p12", "jks", "pem"])
    func symlinkIsRefusedAskingForTheRealPath(type: String) throws {
        let real = type == "p12" ? try files.p12("real.p12")
            : type == "jks" ? try files.keytoolStore("real.jks") : try files.write("real.pem", [])
        let link = files.file("link.\(type)")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let options = type == "pem" ? ["--path", link] : storeOptions(link)
        try expectRefused(type, options, message: "--path: \(link) is a symbolic link; give the real path")
    }

    @Test func relativePathIsRefused() throws {
        try expectRefused("p12", storeOptions("store.p12"), message: "--path: 'store.p12' is not an absolute path")
    }

    // MARK: Opening the keystore

    @Test func wrongStorePasswordIsRefusedNamingStorePassword() throws {
        let p12 = try files.p12("other-password.p12", password: "not-the-configured-one")
        try expectRefused("p12", storeOptions(p12), message: "--store_password: does not open \(p12)")

        let jks = try files.keytoolStore("store.jks")
        let before = try GatewayState(fixture)
        let result = try fixture.run(["tls", "add", "jks", "--name", "store1", "--connection_type", "local",
                                      "--path", jks, "--store_password", "env:WRONG"],
                                     extraEnvironment: ["WRONG": "wrong-\(files.password)"])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("--store_password: does not open \(jks)"), "\(result.standardErrorText)")
        #expect(!result.standardErrorText.contains(files.password))
        #expect(before.changes(comparedWith: try GatewayState(fixture)).isEmpty)
    }

    @Test func damagedKeystoreIsRefusedNamingPath() throws {
        let p12 = try files.p12("whole.p12")
        let truncatedP12 = try files.write("truncated.p12", Array(try files.bytes(p12).prefix(200)))
        try expectRefused("p12", storeOptions(truncatedP12),
                          message: "--path: \(truncatedP12) is not a readable PKCS#12 keystore: the file is damaged")

        let jks = try files.keytoolStore("whole.jks")
        let truncatedJKS = try files.write("truncated.jks", Array(try files.bytes(jks).dropLast(40)))
        try expectRefused("jks", storeOptions(truncatedJKS), message: "--path: \(truncatedJKS) is not a readable JKS keystore")

        let empty = try files.write("empty.p12", [])
        try expectRefused("p12", storeOptions(empty), message: "--path: \(empty) is an empty file, not a PKCS#12 keystore")
    }

    @Test func keystoreOfTheOtherFormatNamesTheRightType() throws {
        // keytool has written PKCS#12 by default since Java 9, even to a file called .jks.
        let defaultStore = try files.keytoolStore("looks-like.jks", storeType: nil)
        try expectRefused("jks", storeOptions(defaultStore), message: "add it with `og-host tls add p12`")

        let jks = try files.keytoolStore("real.jks")
        try expectRefused("p12", storeOptions(jks), message: "it is a JKS keystore; add it with `og-host tls add jks`")
    }

    // MARK: PEM contents

    @Test func pemFileWithoutACertificateIsRefused() throws {
        let leaf = try files.leaf("keyonly")
        let keyOnly = try files.write("key-only.pem", try files.bytes(leaf.key), mode: 0o600)
        try expectRefused("pem", ["--path", keyOnly], message: "--path: \(keyOnly) holds a private key but no certificate")

        let text = try files.write("notes.pem", Array("just some notes\n".utf8))
        try expectRefused("pem", ["--path", text], message: "--path: \(text) holds no PEM certificate")

        let broken = try files.write("broken.pem", Array("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n".utf8))
        try expectRefused("pem", ["--path", broken], message: "--path: \(broken) holds a certificate block that cannot be parsed")
    }

    @Test func keyPathMustBeAnotherFileInAnExistingDirectory() throws {
        let pem = try files.write("cert.pem", [])
        try expectRefused("pem", ["--path", pem, "--key_path", pem], message: "--key_path: is the same file as --path")
        let nowhere = files.file("no-such-dir/key.pem")
        try expectRefused("pem", ["--path", pem, "--key_path", nowhere],
                          message: "--key_path: directory \(files.file("no-such-dir")) does not exist on the endpoint")
        let directory = files.file("keys")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try expectRefused("pem", ["--path", pem, "--key_path", directory], message: "--key_path: \(directory) is a directory")
    }

    // MARK: Scripts and alias

    @Test func scriptsMustExistBeExecutableAndNotWritableByEveryone() throws {
        let store = storeOptions(try files.p12("store.p12"))
        let missing = files.file("missing.sh")
        try expectRefused("p12", store + ["--install_script", missing],
                          message: "--install_script: \(missing) does not exist on the endpoint")
        let plain = try files.script("plain.sh", "exit 0", mode: 0o644)
        try expectRefused("p12", store + ["--restart_script", plain],
                          message: "--restart_script: \(plain) is not executable (mode 0644)")
        let open = try files.script("open.sh", "exit 0", mode: 0o777)
        try expectRefused("p12", store + ["--install_script", open],
                          message: "--install_script: \(open) can be changed by every user (mode 0777)")
    }

    @Test func aliasWithASlashOrAControlCharacterIsRefused() throws {
        let store = storeOptions(try files.p12("store.p12"))
        try expectRefused("p12", store + ["--alias", "web/prod"], message: "--alias: 'web/prod' contains '/'")
        try expectRefused("p12", store + ["--alias", "web\tprod"], message: "--alias: contains a control character")
    }

    // MARK: Help and conformance

    @Test func helpListsEachTypesOwnOptions() throws {
        let p12 = try fixture.run(["tls", "add", "p12", "--help"])
        #expect(p12.exitStatus == 0, "\(p12.standardErrorText)")
        for option in ["--path", "--store_password", "--alias", "--install_script", "--restart_script", "--is_legacy"] {
            #expect(p12.standardOutputText.contains("  \(option) <"), "p12 help lacks \(option)")
        }
        #expect(p12.standardOutputText.contains("The entry alias to add or replace"))
        #expect(p12.standardOutputText.contains("og-host restores the previous keystore"))
        #expect(p12.standardOutputText.contains("Connection types: local, ssh, ssh_windows, winrm_http, winrm_https, winrm_https_insecure"))

        let jks = try fixture.run(["tls", "add", "jks", "--help"])
        #expect(jks.standardOutputText.contains("  --store_password <"))
        #expect(!jks.standardOutputText.contains("--is_legacy"))

        let pem = try fixture.run(["tls", "add", "pem", "--help"])
        #expect(pem.standardOutputText.contains("  --key_path <"))
        #expect(pem.standardOutputText.contains("an empty file is accepted"))
        #expect(!pem.standardOutputText.contains("--store_password"))
        #expect(!pem.standardOutputText.contains("--alias"))
    }

    @Test func pluginPassesTheConformanceSuite() throws {
        let result = try fixture.run(["plugin", "check", "\(fixture.pluginsDirectory)/libog-plugin-keystore.so"])
        #expect(result.exitStatus == 0, "\(result.standardOutputText)\(result.standardErrorText)")
        #expect(result.standardOutputText.contains("0 failed"), "\(result.standardOutputText)")
        #expect(result.standardOutputText.contains("types: p12, jks, pem"))
    }
}
