import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The Vault test server answers hvac, the public Python Vault client, the
/// way a real Vault does for every call og-host relies on; otherwise the
/// Vault tests would only prove og-host agrees with its own simulator.
@Suite struct VaultSimulatorFaithfulnessTests {
    @Test func hvacDrivesEveryCallOGHostMakes() throws {
        let python = try VaultSimulatorFixture.python()
        if try ProcessRunner.run(python, ["-c", "import hvac"]).exitStatus != 0 {
            let install = try ProcessRunner.run(python, ["-m", "pip", "install", "--quiet", "hvac"], timeout: .seconds(300))
            try #require(install.exitStatus == 0,
                         "the Python package hvac is missing and `python3 -m pip install hvac` failed (needs python3-pip and PyPI): \(install.standardErrorText)")
        }
        let vault = try VaultSimulatorFixture.standard(namespace: "team-a", secrets: VaultClientTests.secrets)
        let wrapped = try vault.wrap(VaultTestValues.secretID)
        let check = try ProcessRunner.run(python, [BuiltProducts.repositoryRoot + "/Tests/Fixtures/vault/hvac_check.py", vault.url, "team-a"],
                                      environment: EnvironmentVariable.all().merging(
                                          ["VAULT_TOKEN": VaultTestValues.token, "ROLE_ID": VaultTestValues.roleID,
                                           "SECRET_ID": VaultTestValues.secretID, "WRAPPING_TOKEN": wrapped]) { $1 })
        #expect(check.exitStatus == 0, "\(check.standardErrorText)")
        #expect(check.standardOutputText.contains("hvac check passed"))
    }
}
