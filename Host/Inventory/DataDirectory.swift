import Foundation
import OGBasics

/// Where og-host keeps its state on the gateway: the inventory database, the
/// local credential stores and generated keys.
///
/// Resolution order, first match wins:
/// 1. the `--data-dir` option;
/// 2. the `OG_DATA_DIR` environment variable;
/// 3. `/var/lib/og-host` when running as root;
/// 4. otherwise `$XDG_STATE_HOME/og-host`, or `~/.local/state/og-host` when
///    `XDG_STATE_HOME` is unset or not an absolute path (as the XDG spec says).
public struct DataDirectory: Sendable, Equatable {
    /// Absolute path of the directory itself.
    public let path: String

    public var inventoryPath: String { "\(path)/inventory.sqlite" }
    /// Holds the encrypted local credential stores and, by default, their master key.
    public var credentialsPath: String { "\(path)/credentials" }
    /// Holds private keys generated on the gateway.
    public var keysPath: String { "\(path)/keys" }

    public init(path: String) {
        self.path = path
    }

    /// Resolves the directory without touching the file system.
    /// - Parameters:
    ///   - option: the value of `--data-dir`, if given.
    ///   - effectiveUserID: decides between the system and the per-user location.
    ///   - currentDirectory: makes a relative `--data-dir` or `OG_DATA_DIR` absolute.
    public static func resolve(
        option: String?,
        environment: Environment = .process,
        effectiveUserID: uid_t = geteuid(),
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> DataDirectory {
        if let option {
            return DataDirectory(path: try absolute(option, field: "field `data-dir`", currentDirectory: currentDirectory))
        }
        if let fromEnvironment = environment["OG_DATA_DIR"] {
            return DataDirectory(path: try absolute(fromEnvironment, field: "OG_DATA_DIR",
                                                    currentDirectory: currentDirectory))
        }
        if effectiveUserID == 0 {
            return DataDirectory(path: "/var/lib/og-host")
        }
        if let stateHome = environment["XDG_STATE_HOME"], stateHome.hasPrefix("/") {
            return DataDirectory(path: "\(trimmingTrailingSlashes(stateHome))/og-host")
        }
        guard let home = environment["HOME"].flatMap({ $0.hasPrefix("/") ? $0 : nil })
                ?? UserAccount(uid: effectiveUserID).flatMap({ $0.homeDirectory.hasPrefix("/") ? $0.homeDirectory : nil })
        else {
            throw InventoryError.noDataDirectory(uid: effectiveUserID)
        }
        return DataDirectory(path: "\(trimmingTrailingSlashes(home))/.local/state/og-host")
    }

    /// Creates the directory and its `credentials/` and `keys/` subfolders with
    /// mode 0700 where missing. Existing folders keep the mode an operator gave them.
    public func prepare() throws {
        for directory in [path, credentialsPath, keysPath] {
            var info = stat()
            if stat(directory, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw InventoryError.notADirectory(path: directory)
                }
                continue
            }
            try LocalFiles.makeDirectory(directory, mode: 0o700)
        }
    }

    private static func absolute(_ value: String, field: String, currentDirectory: String) throws -> String {
        guard !value.isEmpty else {
            throw InventoryError.invalidValue(field: field, value: value,
                                              problem: "is empty; give a directory path")
        }
        let joined = value.hasPrefix("/") ? value : "\(currentDirectory)/\(value)"
        return trimmingTrailingSlashes((joined as NSString).standardizingPath)
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
