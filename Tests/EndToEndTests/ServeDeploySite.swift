import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Where the daemon's deploy tests start: real nginx instances (endpoints
/// `web1`, `web2`, …) serving beta.example.test, a command issuer `internal`
/// (a Python program signing with the test PKI's intermediate; it backdates
/// the next certificate by 9 of its 10 days while the file `backdate-next`
/// exists, so that version is due at once, and otherwise issues a fresh one),
/// and `site` issued through it, backdated, installed on every nginx and so
/// bound there. A hook appends every event to `events.out`.
struct ServeDeploySite {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: [NginxTestInstance]
    let hook: String
    /// SHA-256 of the first (backdated, due) version of `site`.
    let firstFingerprint: String

    static let signer = """
        import datetime, os, sys
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        pki = sys.argv[1]
        csr = x509.load_pem_x509_csr(sys.stdin.buffer.read())
        intermediate = open(os.path.join(pki, "int.pem"), "rb").read()
        issuer = x509.load_pem_x509_certificate(intermediate)
        key = serialization.load_pem_private_key(open(os.path.join(pki, "int.key"), "rb").read(), None)
        now = datetime.datetime.now(datetime.timezone.utc)
        marker = os.path.join(pki, "backdate-next")
        start = now - datetime.timedelta(minutes=5)
        if os.path.exists(marker):
            os.remove(marker)
            start = now - datetime.timedelta(days=9)
        delay = os.path.join(pki, "sign-delay")
        if os.path.exists(delay):
            # Written whole, then renamed: the test reads it as soon as it exists.
            with open(os.path.join(pki, "signer.pid.tmp"), "w") as out:
                out.write("%d %d" % (os.getpid(), os.getppid()))
            os.replace(os.path.join(pki, "signer.pid.tmp"), os.path.join(pki, "signer.pid"))
            import time
            time.sleep(float(open(delay).read()))
        builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(issuer.subject)
                   .public_key(csr.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=10)))
        for extension in csr.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        leaf = builder.sign(key, hashes.SHA256())
        sys.stdout.buffer.write(leaf.public_bytes(serialization.Encoding.PEM) + intermediate)

        """

    /// `nginxCount` nginx instances, started; `site` issued (backdated) and installed on each.
    init(nginxCount: Int = 2) throws {
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        let instances = try (0..<nginxCount).map { _ in try NginxTestInstance(pki: pki) }
        for instance in instances { try instance.start() }
        let script = pki.file("sign.py")
        try LocalFiles.writeAtomically(script, contents: Array(Self.signer.utf8), mode: 0o755)
        let hook = fixture.root.file("hook.sh")
        try LocalFiles.writeAtomically(hook, contents: Array("#!/bin/sh\ncat >> \(fixture.root.file("events.out"))\necho >> \(fixture.root.file("events.out"))\n".utf8),
                                       mode: 0o755)
        try LocalFiles.writeAtomically(pki.file("backdate-next"), contents: [])
        var commands = [
            ["ca", "add", pki.file("root.pem"), "--name", "test-root"],
            ["issuer", "add", "command", "--name", "internal", "--argv", "/usr/bin/python3", "--argv", script, "--argv", pki.directory.path],
            ["cert", "issue", "site", "--issuer", "internal", "--cn", "beta.example.test"],
        ]
        for (index, instance) in instances.enumerated() {
            commands.insert(["tls", "add", "nginx", "--name", "web\(index + 1)"] + instance.localOptions, at: 0)
            commands.append(["tls", "install", "web\(index + 1)", "--cert-id", "site"])
        }
        for arguments in commands {
            let result = try fixture.run(arguments)
            try #require(result.exitStatus == 0, "\(arguments.prefix(3)): \(result.standardErrorText)")
        }
        let first = try #require(try fixture.certificateDetails("site")["fingerprint"] as? String)
        for instance in instances { #expect(try instance.servedFingerprint("beta.example.test") == first) }
        self.fixture = fixture
        self.pki = pki
        self.nginx = instances
        self.hook = hook
        firstFingerprint = first
    }

    /// The next certificate the issuer signs is backdated (due at once).
    func backdateNext() throws {
        try LocalFiles.writeAtomically(pki.file("backdate-next"), contents: [])
    }

    /// The issuer sleeps `seconds` before signing (nil: signs at once), writing "its PID, og-host's PID" to signer.pid.
    func delaySigning(_ seconds: Double?) throws {
        if let seconds {
            try LocalFiles.writeAtomically(pki.file("sign-delay"), contents: Array(String(seconds).utf8))
        } else {
            try? FileManager.default.removeItem(atPath: pki.file("sign-delay"))
        }
    }

    var currentFingerprint: String {
        get throws { try #require(try fixture.certificateDetails("site")["fingerprint"] as? String) }
    }

    /// What the hook received: one JSON document per event.
    var events: [[String: Any]] {
        let text = (try? String(contentsOfFile: fixture.root.file("events.out"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func events(_ kind: String) -> [[String: Any]] { events.filter { $0["kind"] as? String == kind } }

    /// `og-host serve` on this gateway with the hook for every event; `environment` as NAME=VALUE.
    /// `config` is more of the configuration object, starting with a comma.
    func startDaemon(config: String = "", watchIntervalSeconds: Int = 3600, environment: [String] = [],
                     log: String = "serve.log") throws -> SpawnedDaemon {
        let path = fixture.root.file("serve.json")
        try #"{"hooks": {"*": ["\#(hook)"]}, "watchIntervalSeconds": \#(watchIntervalSeconds), "renewalCheckIntervalSeconds": 1, "recoveryIntervalSeconds": 1\#(config)}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let port = Loopback.freePort()
        return try SpawnedDaemon("/usr/bin/env", [
            "OG_DATA_DIR=\(fixture.dataDirectory)", "OG_PLUGIN_PATH=\(fixture.pluginsDirectory)",
        ] + environment + [BuiltProducts.ogHost, "serve", "--listen", "127.0.0.1:\(port)", "--config", path],
                                 port: port, logPath: fixture.root.file(log))
    }

    func log(_ name: String = "serve.log") -> String {
        (try? String(contentsOfFile: fixture.root.file(name), encoding: .utf8)) ?? ""
    }

    /// `og-host status --output json`.
    func status() throws -> [String: Any] {
        let result = try fixture.run(["status", "--output", "json"])
        try #require(result.exitStatus == 0, "\(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
    }

    /// nginx -t passes, beta serves `fingerprint` (after a reload too), and no backup or temporary is left.
    func expectSound(_ instance: NginxTestInstance, serving fingerprint: String, _ context: String) throws {
        let arguments = ["-p", instance.path, "-c", instance.configFile, "-e", instance.directory.file("logs/error.log")]
        let test = try ProcessRunner.run(NginxTestInstance.binary, ["-t", "-q"] + arguments)
        #expect(test.exitStatus == 0, "\(context): nginx -t: \(test.standardErrorText)")
        #expect(try instance.servedFingerprint("beta.example.test") == fingerprint, "\(context): served")
        let reload = try ProcessRunner.run(NginxTestInstance.binary, ["-s", "reload"] + arguments)
        #expect(reload.exitStatus == 0, "\(context): \(reload.standardErrorText)")
        #expect(eventually(10) { (try? instance.servedFingerprint("beta.example.test")) == fingerprint },
                "\(context): after a reload nginx serves something else")
        let strays = (FileManager.default.enumerator(atPath: instance.path)?.allObjects as? [String] ?? [])
            .filter { $0.contains(".og-tmp-") || $0.contains(".og-backup-") }
        #expect(strays.isEmpty, "\(context): left behind: \(strays)")
    }
}

/// Polls `condition` every 0.2 s until it holds or `timeout` seconds pass.
func eventually(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(200_000)
    }
    return try condition()
}
