import Foundation
import OGBasics
import OGInventory
import OGTestSupport
import Testing

@Suite struct DataDirectoryTests {
    private let environment: Environment = ["HOME": "/home/alice", "XDG_STATE_HOME": "/home/alice/.state", "OG_DATA_DIR": "/srv/og"]

    @Test func optionWinsOverEnvironmentAndDefaults() throws {
        let resolved = try DataDirectory.resolve(option: "/opt/og/", environment: environment, effectiveUserID: 1000)
        #expect(resolved.path == "/opt/og")
    }

    @Test func environmentVariableWinsOverDefaults() throws {
        #expect(try DataDirectory.resolve(option: nil, environment: environment, effectiveUserID: 0).path == "/srv/og")
    }

    @Test func rootUsesVarLib() throws {
        #expect(try DataDirectory.resolve(option: nil, environment: ["HOME": "/root"], effectiveUserID: 0).path
                == "/var/lib/og-host")
    }

    @Test func userUsesXDGStateHomeThenHome() throws {
        #expect(try DataDirectory.resolve(option: nil, environment: ["HOME": "/home/alice", "XDG_STATE_HOME": "/x/state"],
                                          effectiveUserID: 1000).path == "/x/state/og-host")
        #expect(try DataDirectory.resolve(option: nil, environment: ["HOME": "/home/alice", "XDG_STATE_HOME": "relative"],
                                          effectiveUserID: 1000).path == "/home/alice/.local/state/og-host")
        #expect(try DataDirectory.resolve(option: nil, environment: ["HOME": "/home/alice"], effectiveUserID: 1000).path
                == "/home/alice/.local/state/og-host")
    }

    @Test func relativeOptionIsMadeAbsoluteAndEmptyIsRefused() throws {
        #expect(try DataDirectory.resolve(option: "state/../og", environment: [:], effectiveUserID: 1000,
                                          currentDirectory: "/work").path == "/work/og")
        let error = #expect(throws: InventoryError.self) {
            try DataDirectory.resolve(option: "", environment: [:], effectiveUserID: 1000)
        }
        #expect(error?.description.hasPrefix("field `data-dir`:") == true)
    }

    @Test func prepareCreatesPrivateFoldersForInventoryCredentialsAndKeys() throws {
        let temporary = try TemporaryDirectory("og-datadir")
        let directory = DataDirectory(path: temporary.file("state/og-host"))
        try directory.prepare()
        for path in [directory.path, directory.credentialsPath, directory.keysPath] {
            var info = stat()
            #expect(stat(path, &info) == 0, "\(path) was not created")
            #expect(info.st_mode & 0o777 == 0o700, "\(path) has mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        #expect(directory.inventoryPath == "\(directory.path)/inventory.sqlite")
        _ = try SQLiteInventory(dataDirectory: directory)
        #expect(FileManager.default.fileExists(atPath: directory.inventoryPath))
    }

    @Test func prepareRefusesAFileWhereTheDirectoryShouldBe() throws {
        let temporary = try TemporaryDirectory("og-datadir")
        #expect(FileManager.default.createFile(atPath: temporary.file("og"), contents: Data()))
        let error = #expect(throws: InventoryError.self) { try DataDirectory(path: temporary.file("og")).prepare() }
        #expect(error == .notADirectory(path: temporary.file("og")))
    }
}
