import Glibc
import OGBasics
import OGPlugins

// The og-host executable. It links no Foundation: a process that maps libFoundation (and
// ICU, which it needs) spends longer than 8 ms before main (issue 15), and most of og-host's
// commands need Foundation only because the inventory (GRDB) and the CLI are built on it.
//
// So this front answers `og-host plugins list` itself, with the same library code the full
// command line uses (OGPlugins: search path, trust rules, manifests, the listing's rows and
// text), and for every other command loads the command line as a shared library,
// libog-host-cli.so (Host/CLI), and hands the process over to it. The front answers only when
// it is sure the full command line would print exactly the same; otherwise the full command
// line runs, and its messages and exit codes are the only ones there are.

/// Whether `plugins list`, as typed, is answered here: only the plain words (options, help,
/// JSON and typos go to the full parser) and only in an environment where the full command
/// line cannot fail before listing. The checks mirror, and must follow, what `og-host
/// plugins list` does before it lists: the log settings (OG_LOG_LEVEL, OG_LOG_FORMAT), the
/// job lease setting (OG_JOB_LEASE_SECONDS) and the data directory's resolution
/// (DataDirectory.resolve; only the cases that cannot throw are taken here).
func answersHere(_ words: [String]) -> Bool {
    guard words == ["plugins", "list"] else { return false }
    for name in ["OG_LOG_LEVEL", "OG_LOG_FORMAT", "OG_JOB_LEASE_SECONDS"] where EnvironmentVariable.value(name) != nil {
        return false
    }
    if let dataDirectory = EnvironmentVariable.value("OG_DATA_DIR") { return !dataDirectory.isEmpty }
    if geteuid() == 0 { return true }
    if EnvironmentVariable.value("XDG_STATE_HOME")?.hasPrefix("/") == true { return true }
    return EnvironmentVariable.value("HOME")?.hasPrefix("/") == true
}

/// `og-host plugins list` without Foundation; nil when a library on the search path has no
/// usable manifest (describing it takes a child og-host, which the full command line runs).
func listPlugins() -> String? {
    final class Flag: @unchecked Sendable { var raised = false }
    let needsDescribing = Flag()
    let searchPath = PluginSearchPath.resolve(explicit: [])
    let registry = PluginRegistry(searchPath: searchPath) { path in
        needsDescribing.raised = true
        return .failure(.openFailed(path: path, reason: "not described here"))
    }
    if needsDescribing.raised { return nil }
    return PluginListing.text(PluginListing.rows(registry), searchPath: searchPath)
}

/// Loads libog-host-cli.so from beside this executable (the build tree) or from
/// ../lib/og-host (the installed package) and runs it; never returns.
func runCommandLineLibrary() -> Never {
    let name = "libog-host-cli.so"
    var directory = "."
    if let resolved = realpath("/proc/self/exe", nil) {
        directory = PathComponents.parent(of: String(cString: resolved))
        free(resolved)
    }
    let candidates = [directory + "/" + name, PathComponents.parent(of: directory) + "/lib/og-host/" + name]
    var problems: [String] = []
    for path in candidates where access(path, F_OK) == 0 {
        // RTLD_LAZY: the library's dependencies that bind lazily (Foundation, ICU, the Swift
        // runtime's own) keep doing so, as when the executable linked them; RTLD_NOW would bind
        // every one of their symbols now (21 M instructions more per start, measured).
        guard let handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL) else {
            problems.append(dlerror().map { String(cString: $0) } ?? path)
            continue
        }
        guard let entry = dlsym(handle, "og_host_cli_main") else {
            problems.append("\(path): no og_host_cli_main")
            continue
        }
        unsafeBitCast(entry, to: (@convention(c) () -> Void).self)()
        exit(0)
    }
    StandardStreams.error("og-host: cannot load its command library \(name) (looked in \(candidates.joined(separator: ", ")))"
                          + (problems.isEmpty ? "" : ": " + problems.joined(separator: "; ")) + "; reinstall og-host\n")
    exit(1)
}

StandardStreams.keepOpen()
if answersHere(Array(CommandLine.arguments.dropFirst())), let listing = listPlugins() {
    StandardStreams.output(listing)
    exit(0)
}
runCommandLineLibrary()
