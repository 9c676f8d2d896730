import Foundation
import OGConnections
import OGInventory
import OGPlugins

/// The one rollback routine, shared by a failing install and by recovery
/// after a crash: put every file the job named back as it was (from the
/// bytes the job read before writing when it still has them, else from the
/// backup beside the file on the endpoint), remove the files the job
/// created, remove the backups, re-activate.
struct InstallRollback {
    let record: EndpointRecord
    let plugin: PluginLibrary
    let session: EndpointSession

    /// What a rollback achieved: files restored, files the install never
    /// changed, files that could not be restored, and whether re-activating
    /// the restored files failed (the files are back either way).
    struct Outcome {
        var restored: [String] = []
        var unchanged: [String] = []
        var unrestored: [String] = []
        var reactivationProblem: String?
    }

    /// Restores `changes`. `previous` holds the bytes an in-process job read
    /// before it wrote (by path); recovery has none and uses the backups.
    /// `attempted`: how many of `changes` a write was started for (the rest
    /// were never touched; nil: all may have been). A file already holding
    /// its old bytes (a write that failed before its rename) or whose backup
    /// is gone (restored by an earlier, interrupted rollback) is left alone.
    /// `reactivate`: re-activate only if the install had activated.
    func restore(_ changes: [InstallJob.JournalPayload.Change], previous: [String: [UInt8]] = [:],
                 attempted: Int? = nil, reactivate: Bool = true) -> Outcome {
        var outcome = Outcome()
        for (index, change) in changes.enumerated() {
            do {
                if let attempted, index >= attempted {
                    // Never written; only its backup may exist.
                    try removeBackup(change)
                    outcome.unchanged.append(change.path)
                    continue
                }
                if change.existed {
                    var old = previous[change.path]
                    if old == nil, let backup = change.backup, try session.connection.stat(backup).type == .regular {
                        old = try session.connection.readFile(backup)
                    }
                    guard let old else {
                        // No backup left: it was restored (or never changed: backups precede every write).
                        outcome.unchanged.append(change.path)
                        continue
                    }
                    if (try? session.connection.readFile(change.path)) == old {
                        outcome.unchanged.append(change.path)
                    } else {
                        try session.connection.writeFileAtomically(change.path, contents: old, mode: change.mode)
                        outcome.restored.append(change.path)
                    }
                    try removeBackup(change)
                } else if try session.connection.stat(change.path).type != .missing {
                    try session.connection.remove(change.path)
                    outcome.restored.append(change.path)
                } else {
                    outcome.unchanged.append(change.path)
                }
            } catch {
                outcome.unrestored.append("\(change.path): \(error)")
            }
        }
        if reactivate, outcome.unrestored.isEmpty, plugin.supports(.activate, for: record.type) {
            do { try plugin.activate(session.endpoint, request: nil, services: session) } catch {
                outcome.reactivationProblem = error.description
            }
        }
        // A temporary left behind may hold a private key: one that cannot be
        // removed keeps the job open, so recovery tries again.
        outcome.unrestored += removeTemporaries(changes).map { "leftover temporary \($0)" }
        return outcome
    }

    private func removeBackup(_ change: InstallJob.JournalPayload.Change) throws {
        if let backup = change.backup, try session.connection.stat(backup).type != .missing {
            try session.connection.remove(backup)
        }
    }

    /// Removes what an atomic write killed midway leaves beside a journalled
    /// file: every writer (local, SFTP, sudo, WinRM) names its temporary
    /// `.<name>.og-tmp-<random>` in the target's directory, and the journal
    /// names every target and backup, so the temporaries of a job are exactly
    /// these (some may hold a private key). Returns what could not be removed.
    func removeTemporaries(_ changes: [InstallJob.JournalPayload.Change]) -> [String] {
        var byDirectory: [String: Set<String>] = [:]
        for path in changes.flatMap({ [$0.path] + ($0.backup.map { [$0] } ?? []) }) {
            guard let (directory, name) = Self.split(path) else { continue }
            byDirectory[directory, default: []].insert(name)
        }
        var problems: [String] = []
        for (directory, names) in byDirectory.sorted(by: { $0.key < $1.key }) {
            let listed: [String]
            do { listed = try session.connection.listDirectory(directory) } catch ConnectionError.notFound {
                continue
            } catch {
                problems.append("\(directory): \(error)")
                continue
            }
            for entry in listed where names.contains(where: { Self.isTemporary(entry, of: $0) }) {
                let path = Self.join(directory, entry)
                do { try session.connection.remove(path) } catch ConnectionError.notFound {
                } catch {
                    problems.append("\(path): \(error)")
                }
            }
        }
        return problems
    }

    /// Whether `entry` is a temporary an atomic write of `name` made: `.` + the
    /// name (SFTP cuts names longer than 200 bytes) + `.og-tmp-` + random characters.
    static func isTemporary(_ entry: String, of name: String) -> Bool {
        guard entry.hasPrefix("."), let marker = entry.range(of: ".og-tmp-", options: .backwards),
              marker.upperBound < entry.endIndex else { return false }
        let stem = entry[entry.index(after: entry.startIndex)..<marker.lowerBound]
        return stem == name || (stem.utf8.count >= 200 && name.hasPrefix(stem))
    }

    /// A file's directory and name in its own syntax (Windows paths keep their backslashes).
    static func split(_ path: String) -> (String, String)? {
        guard let separator = path.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return nil }
        let name = String(path[path.index(after: separator)...])
        let directory = separator == path.startIndex ? String(path[separator]) : String(path[..<separator])
        return name.isEmpty ? nil : (directory, name)
    }

    static func join(_ directory: String, _ name: String) -> String {
        let separator: Character = directory.contains("\\") && !directory.contains("/") ? "\\" : "/"
        return directory.last == separator ? directory + name : directory + String(separator) + name
    }

    /// Removes the backups of a job whose new files stay (it was verified) or
    /// were never written (it was still backing up). Returns what could not be removed.
    func removeBackups(_ changes: [InstallJob.JournalPayload.Change]) -> [String] {
        var problems: [String] = []
        for change in changes {
            guard let backup = change.backup else { continue }
            do {
                try session.connection.remove(backup)
            } catch ConnectionError.notFound {
                // Already gone (a repeated recovery).
            } catch {
                problems.append("\(backup): \(error)")
            }
        }
        return problems
    }
}
