import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A gateway with the stateful ACME simulator (`Tests/Fixtures/acme/acme_simulator.py`)
/// running on a free loopback port and registered as issuer `sim`; the tests
/// steer its replies through `control`. Stopped by PID when released.
final class ACMESimulatorFixture {
    let fixture: GatewayFixture
    /// The simulator's state directory (its log is `simulator.log` here).
    let state: TemporaryDirectory
    let port: UInt16
    private let simulator: SpawnedDaemon

    init(stateDirectoryPrefix: String) throws {
        fixture = try GatewayFixture(plugins: ["hello-swift"])
        state = try TemporaryDirectory(stateDirectoryPrefix)
        port = Loopback.freePort()
        simulator = try SpawnedDaemon("/usr/bin/python3", [
            BuiltProducts.repositoryRoot + "/Tests/Fixtures/acme/acme_simulator.py", String(port), state.path,
        ], port: port, logPath: state.file("simulator.log"))
        let added = try fixture.run(["issuer", "add", "acme", "--name", "sim", "--directory", "http://127.0.0.1:\(port)/dir"])
        try #require(added.exitStatus == 0, "issuer add: \(added.standardErrorText)")
    }

    deinit { simulator.stop() }

    /// Changes how the simulator answers from now on (see its `/control` handler).
    func control(_ change: [String: Any]) throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: change), as: UTF8.self)
        let sent = try ProcessRunner.run("curl", ["-sS", "-X", "POST", "--data-binary", body, "http://127.0.0.1:\(port)/control"])
        try #require(sent.exitStatus == 0, "control: \(sent.standardErrorText)")
    }
}
