/// The PowerShell scripts behind `WinRMConnection`'s file operations.
///
/// Each starts with the marker line `# og-host winrm <operation>` followed by
/// its inputs as `$name = '<verbatim string>'` lines, so that the test server
/// (Tests/Fixtures/winrm/winrm_server.py), which cannot run PowerShell, can
/// recognise the operation and perform it with the same meaning. Paths are
/// passed to .NET's `[IO.File]`/`[IO.Directory]` methods, which take them
/// literally (no wildcards, no provider paths).
/// A missing path makes a script print `og-host: not found` on stderr and exit 3.
enum WinRMFileScripts {
    static let notFoundExitStatus: Int32 = 3

    static func read(_ path: String) -> String {
        script("read", ["path": path], """
            if (-not [IO.File]::Exists($path)) { [Console]::Error.WriteLine('og-host: not found'); exit 3 }
            [Console]::Out.Write([Convert]::ToBase64String([IO.File]::ReadAllBytes($path)))
            """)
    }

    /// Writes the base64 text on stdin to `path`, replacing (`create`) or extending (`append`) it.
    static func append(_ path: String, create: Bool) -> String {
        script("append", ["path": path, "mode": create ? "create" : "append"], """
            $bytes = [Convert]::FromBase64String([Console]::In.ReadToEnd())
            $fileMode = if ($mode -eq 'append') { [IO.FileMode]::Append } else { [IO.FileMode]::Create }
            $stream = [IO.File]::Open($path, $fileMode, [IO.FileAccess]::Write)
            try { $stream.Write($bytes, 0, $bytes.Length) } finally { $stream.Close() }
            """)
    }

    /// Moves `temporary` over `path` in one step: File.Replace keeps the target's ACL.
    static func commit(_ temporary: String, to path: String) -> String {
        script("commit", ["temporary": temporary, "path": path], """
            if ([IO.File]::Exists($path)) { [IO.File]::Replace($temporary, $path, $null) } else { [IO.File]::Move($temporary, $path) }
            """)
    }

    /// Prints `missing`, or `<file|directory|symlink> <size> <mtime seconds since 1970>`.
    static func stat(_ path: String) -> String {
        script("stat", ["path": path], """
            $item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
            if ($null -eq $item) { 'missing'; exit 0 }
            $modified = [DateTimeOffset]::new($item.LastWriteTimeUtc).ToUnixTimeSeconds()
            if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { "symlink 0 $modified" }
            elseif ($item.PSIsContainer) { "directory 0 $modified" }
            else { "file $($item.Length) $modified" }
            """)
    }

    /// One line per entry: the name's UTF-8 bytes in base64, so any name survives the console.
    static func list(_ path: String) -> String {
        script("list", ["path": path], """
            if (-not [IO.Directory]::Exists($path)) { [Console]::Error.WriteLine('og-host: not found'); exit 3 }
            foreach ($entry in [IO.Directory]::EnumerateFileSystemEntries($path)) {
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([IO.Path]::GetFileName($entry)))
            }
            """)
    }

    static func makeDirectory(_ path: String) -> String {
        script("mkdir", ["path": path], "[void][IO.Directory]::CreateDirectory($path)")
    }

    static func remove(_ path: String) -> String {
        script("remove", ["path": path], """
            if ([IO.Directory]::Exists($path)) { [IO.Directory]::Delete($path) }
            elseif ([IO.File]::Exists($path)) { [IO.File]::Delete($path) }
            else { [Console]::Error.WriteLine('og-host: not found'); exit 3 }
            """)
    }

    private static func script(_ operation: String, _ variables: [String: String], _ body: String) -> String {
        var lines = ["# og-host winrm \(operation)"]
        for name in variables.keys.sorted() {
            lines.append("$\(name) = \(ShellQuoting.powerShell.quote(variables[name]!))")
        }
        lines.append("$ErrorActionPreference = 'Stop'")
        return (lines + [body]).joined(separator: "\n")
    }
}
