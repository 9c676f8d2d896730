#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import OGPluginKit

/// Proof, seen on the endpoint, that after a reload no nginx worker of the old
/// configuration accepts new connections (og_plugin.h,
/// attest_old_configuration_retired).
///
/// What nginx does on `nginx -s reload` (SIGHUP to the master; src/os/unix/
/// ngx_process_cycle.c, checked against nginx 1.22 as Debian ships it): the
/// master reads the configuration, starts the new workers, sleeps 100 ms "to
/// allow new processes to start", and only then sends the old workers the
/// graceful-shutdown signal. Until then old and new workers accept on the same
/// listening sockets, so a new connection can still get the old certificate
/// (issue 17's race). An old worker handles the signal in its cycle by setting
/// its title to "worker process is shutting down" and, without accepting
/// again, closing its listening sockets (`ngx_setproctitle` right before
/// `ngx_close_listening_sockets`); it exits once its open connections finish.
/// So a worker titled that way, or gone, accepts no new connection.
///
/// The proof: before the reload, the master's workers titled exactly "nginx:
/// worker process" (with their start times, against PID reuse); after it,
/// every one of them gone, a zombie, titled "... is shutting down", or its PID
/// now another process. Read through the host: the listing is the first half
/// of the reload's own command (a shell that lists, then execs the reload: no
/// extra process start, and a later node's activation of the same job, whose
/// commands the host answers from the first node's record, gets the same
/// listing), the polls are file reads of /proc afterwards, over the endpoint's
/// connection, local or SSH. The wait need not be the master's 100 ms: once
/// the new workers run, the plugin sends the old ones nginx's graceful
/// shutdown itself (`newGenerationStarted`, `askToShutDown`); the proof is the
/// same observation either way.
/// Anything unexpected (no `pid` directive, no /proc or its children file, a
/// stale pid file, unreadable processes, the wait running out) means no proof:
/// the plugin then says nothing and the host keeps its settle window.
struct WorkerRetirement {
    struct Worker: Equatable {
        var pid: Int
        /// Field 22 of /proc/PID/stat: clock ticks after boot.
        var startTime: String
    }

    /// The master's process number, from the pid file.
    let master: Int
    /// The master's accepting workers before the reload.
    let workers: [Worker]

    static let acceptingTitle = "nginx: worker process"
    static let retiringTitle = "nginx: worker process is shutting down"

    /// How long activate waits for the old workers; nginx itself waits 100 ms before signalling them.
    static let waitLimit: Duration = .seconds(5)
    static let pollInterval: useconds_t = 2_000
    /// Polls in a row a worker's /proc files may fail to read (while it exits) before the proof is given up.
    static let readFailureLimit = 25

    /// Output lines of the listing start with this, so they are told apart from the reload's own output.
    static let marker = "og-nginx-listing"

    /// Lists the master's children with start time and title (shell builtins only, in a subshell
    /// whose failure never stops the reload), then execs the reload command given after the pid
    /// file. A listing that cannot be made prints "<marker> none <reason>": 3 the pid file names
    /// no process number, 4 no /proc children file. (/proc/PID/task/PID/children may miss a child
    /// that exits while it is read; before the reload the master's workers are not changing.)
    static let listingScript = [
        #"p=$1; shift; ("#,
        #"m=; read -r m < "$p" || [ -n "$m" ]; case $m in ''|*[!0-9]*) echo "\#(marker) none 3"; exit;; esac;"#,
        #"f=/proc/$m/task/$m/children; [ -r "$f" ] || { echo "\#(marker) none 4"; exit; };"#,
        #"t=; read -r t < "/proc/$m/cmdline"; printf '\#(marker) master %s %s\n' "$m" "$t"; k=; read -r k < "$f";"#,
        #"for c in $k; do t=; read -r t < "/proc/$c/cmdline"; s=; read -r s < "/proc/$c/stat" || [ -n "$s" ] || continue;"#,
        #"set -- ${s##*) }; [ $# -ge 20 ] || continue; shift 19; printf '\#(marker) %s %s %s\n' "$c" "$1" "$t"; done"#,
        #") 2>/dev/null; exec "$@""#,
    ].joined(separator: " ")

    /// `reload` (argv) run after listing the workers of the master in `pidFile`, as one command.
    static func listingThenReloading(pidFile: String, _ reload: [String]) -> [String] {
        ["/bin/sh", "-c", listingScript, "sh", pidFile] + reload
    }

    /// The reload command's output without the listing's lines.
    static func withoutListing(_ result: CommandResult) -> CommandResult {
        CommandResult(exitStatus: result.exitStatus,
                      standardOutput: Array(result.standardOutputText.split(separator: "\n", omittingEmptySubsequences: false)
                          .filter { !$0.hasPrefix(marker) }.joined(separator: "\n").utf8),
                      standardError: result.standardError)
    }

    /// The pid file nginx and `nginx -s reload` use: the main context's `pid`, resolved against
    /// the prefix when relative. Nil when the configuration has none (nginx would use its
    /// compiled-in default, which the plugin does not guess) or a relative one without a prefix.
    static func pidFile(_ tree: [ConfigDirective], target: NginxEndpoint) -> String? {
        guard let directive = tree.last(where: { $0.name == "pid" }), directive.arguments.count == 1,
              let value = directive.arguments.first?.text, !value.isEmpty, !value.contains("$"), value != "off" else { return nil }
        if value.hasPrefix("/") { return value }
        return target.prefix.map { PathText.join($0, value) }
    }

    /// The accepting workers the listing in the reload command's `output` found; nil (with the
    /// reason logged) when there is nothing to prove with.
    static func listed(in output: CommandResult, pidFile: String, host: HostServices) -> WorkerRetirement? {
        let lines = output.standardOutputText.split(separator: "\n").filter { $0.hasPrefix(marker + " ") }
            .map { $0.dropFirst(marker.count + 1) }
        guard let first = lines.first else {
            host.log(.debug, "no proof that old workers retire: the worker listing printed nothing")
            return nil
        }
        if first.hasPrefix("none ") {
            let reason = first.hasSuffix("3") ? "\(pidFile) names no process" : "/proc has no children file for the master"
            host.log(.debug, "no proof that old workers retire: \(reason)")
            return nil
        }
        guard first.hasPrefix("master "), first.contains("nginx: master process"),
              let master = first.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            host.log(.debug, "no proof that old workers retire: the process in \(pidFile) is not an nginx master")
            return nil
        }
        var workers: [Worker] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, let pid = Int(fields[0]), fields[2] == acceptingTitle else { continue }
            workers.append(Worker(pid: pid, startTime: String(fields[1])))
        }
        guard !workers.isEmpty else {
            host.log(.debug, "no proof that old workers retire: the master in \(pidFile) shows no accepting worker")
            return nil
        }
        return WorkerRetirement(master: master, workers: workers)
    }

    /// After the reload: waits until every old worker stopped accepting. True when seen.
    /// Once the new generation of workers is running (`newGenerationStarted`), it tells the old
    /// workers still accepting to shut down gracefully (`askToShutDown`) instead of waiting out the
    /// master's 100 ms; the proof is the same either way: every old worker seen gone or shutting down.
    func awaitRetirement(host: HostServices) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.waitLimit
        var waiting = workers
        var asked = false
        /// Consecutive polls on which a worker's /proc files could not be read although its directory was there.
        var failures: [Int: Int] = [:]
        while true {
            var still: [Worker] = []
            for worker in waiting {
                do {
                    if try !Self.hasRetired(worker, host: host) { still.append(worker) }
                    failures[worker.pid] = nil
                } catch {
                    // A worker that is exiting can fail a read of its cmdline for a moment; one whose
                    // files stay unreadable (permissions, hidepid) gives no proof.
                    failures[worker.pid, default: 0] += 1
                    guard failures[worker.pid]! < Self.readFailureLimit else {
                        host.log(.debug, "no proof that old workers retire: reading /proc/\(worker.pid) failed: \(error)")
                        return false
                    }
                    still.append(worker)
                }
            }
            waiting = still
            if waiting.isEmpty { return true }
            if clock.now >= deadline {
                host.log(.debug, "no proof that old workers retire: worker(s) \(waiting.map { String($0.pid) }.joined(separator: ", ")) "
                             + "still accept after \(Self.waitLimit)")
                return false
            }
            if !asked, let started = newGenerationStarted(host: host) {
                asked = true
                Self.askToShutDown(waiting, newWorkers: started, host: host)
                continue
            }
            usleep(Self.pollInterval)
        }
    }

    /// The master's children that were not among its workers before the reload and have finished
    /// starting (titled "nginx: worker process"), once there are at least as many of them as there
    /// were accepting workers before; nil until then, and whenever they cannot be read.
    ///
    /// Why this is the moment the old workers may go (ngx_process_cycle.c): a reload the master
    /// rejects starts no worker; one it takes forks the new workers and then, without waiting for
    /// any signal in between, sleeps 100 ms and tells every worker not just started to shut down,
    /// so the old workers are leaving anyway. A new worker sets its title only after its
    /// initialisation (user, modules, the listening sockets in its event loop) succeeded, so one
    /// that failed to start is never counted, and connections arriving meanwhile wait in the
    /// listening sockets' queue, which the new workers hold too. Counting up to the old number
    /// keeps a single old worker restarted after a crash from passing for a new generation.
    func newGenerationStarted(host: HostServices) -> [Int]? {
        guard let children = try? host.readFile("/proc/\(master)/task/\(master)/children") else { return nil }
        let old = Set(workers.map(\.pid))
        var started: [Int] = []
        for pid in String(decoding: children, as: UTF8.self).split(separator: " ").compactMap({ Int($0) }) where !old.contains(pid) {
            guard let cmdline = try? host.readFile("/proc/\(pid)/cmdline") else { continue }
            if Self.title(cmdline) == Self.acceptingTitle { started.append(pid) }
        }
        return started.count >= workers.count ? started : nil
    }

    /// Sends SIGQUIT, nginx's graceful shutdown (nginx.org, "Controlling nginx": individual worker
    /// processes may be signalled), to each of `old` still titled "nginx: worker process" with the
    /// start time listed before the reload, checked in the same shell right before the signal, so
    /// a PID that meanwhile belongs to another process is never signalled. Privileged like every
    /// nginx step. The master's own signal later is harmless: a worker already shutting down
    /// ignores a second one, and the master marks it exiting either way, so it is not respawned.
    /// A failure only means the master's signal does it, 100 ms after the reload.
    static func askToShutDown(_ old: [Worker], newWorkers: [Int], host: HostServices) {
        let argv = ["/bin/sh", "-c", quitScript, "sh"] + old.map { "\($0.pid):\($0.startTime)" }
        do {
            let result = try host.run(argv, timeout: .seconds(10), privileged: true)
            let signalled = result.standardOutputText.split(separator: " ").map(String.init)
            host.log(.debug, "the new workers (\(newWorkers.map(String.init).joined(separator: ", "))) are running; "
                         + (signalled.isEmpty ? "no old worker was still accepting to ask to shut down"
                                              : "asked the old worker(s) \(signalled.joined(separator: ", ")) to shut down gracefully")
                         + (result.succeeded ? "" : " (exit \(result.exitStatus): \(result.standardErrorText))"))
        } catch {
            host.log(.debug, "could not ask the old workers to shut down (the master will): \(error)")
        }
    }

    /// Arguments PID:STARTTIME; signals those still accepting with that start time, prints their PIDs.
    static let quitScript = [
        #"q=; for w; do p=${w%%:*}; e=${w#*:}; t=; read -r t < "/proc/$p/cmdline"; [ "$t" = "\#(acceptingTitle)" ] || continue;"#,
        #"s=; read -r s < "/proc/$p/stat" || [ -n "$s" ] || continue; set -- ${s##*) }; [ $# -ge 20 ] || continue; shift 19;"#,
        #"[ "$1" = "$e" ] && q="$q $p"; done 2>/dev/null; [ -n "$q" ] || exit 0; printf %s "${q# }"; kill -QUIT $q"#,
    ].joined(separator: " ")

    /// Whether `worker` is gone, a zombie, titled as shutting down, or its PID is another process now.
    static func hasRetired(_ worker: Worker, host: HostServices) throws -> Bool {
        let directory = "/proc/\(worker.pid)"
        guard try host.stat(directory).type != .missing else { return true }
        let title: String
        do {
            title = Self.title(try host.readFile("\(directory)/cmdline"))
        } catch {
            // Gone between the stat and the read: retired. Otherwise the caller decides.
            if try host.stat(directory).type == .missing { return true }
            throw error
        }
        if title.isEmpty || title == retiringTitle { return true }
        guard title == acceptingTitle else { return true }
        let stat: [UInt8]
        do {
            stat = try host.readFile("\(directory)/stat")
        } catch {
            if try host.stat(directory).type == .missing { return true }
            throw error
        }
        return startTime(ofStat: stat) != worker.startTime
    }

    /// A process title from /proc/PID/cmdline: nginx writes it over argv and pads it with NULs.
    static func title(_ cmdline: [UInt8]) -> String {
        String(decoding: cmdline.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Field 22 of /proc/PID/stat (the second field is the command in parentheses, which may hold spaces).
    static func startTime(ofStat stat: [UInt8]) -> String? {
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count >= 20 ? String(fields[19]) : nil
    }
}
