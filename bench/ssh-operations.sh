#!/usr/bin/env bash
# Connect + 10 operations against a private sshd on 127.0.0.1, done by the
# OpenSSH command-line tools, timed with hyperfine. The same 10 operations are
# what og-host's SSHConnection does over one libssh2 session:
#   run `true`, run `uname -a`, run `cat` with 1 KiB on stdin, write a 4 KiB
#   file, overwrite it, read it back, stat it, list its directory, make a
#   directory, remove the file.
# Two CLI variants: one ssh/scp process (and connection) per operation, the way
# a script usually drives OpenSSH, and one multiplexed master connection
# (ControlMaster) that the ten operations share.
#
# Needs root (sshd needs it), and the Debian packages openssh-server,
# openssh-client and hyperfine. Usage: bench/ssh-operations.sh [runs]
set -euo pipefail

runs=${1:-20}
for tool in /usr/sbin/sshd ssh scp ssh-keygen hyperfine; do
    if ! command -v "$tool" >/dev/null; then
        case $tool in
            /usr/sbin/sshd) package=openssh-server ;;
            hyperfine) package=hyperfine ;;
            *) package=openssh-client ;;
        esac
        echo "$tool is missing: install the Debian package $package" >&2
        exit 1
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "run as root: sshd must be started as root" >&2
    exit 1
fi

work=$(mktemp -d /tmp/og-bench-ssh-XXXXXX)
source "$(dirname "$0")/loopback-sshd.sh"
cleanup() {
    [ -n "${port:-}" ] && ssh -O exit -o ControlPath="$work/master" -p "$port" root@127.0.0.1 2>/dev/null || true
    stop_loopback_sshd
    rm -rf "$work"
}
trap cleanup EXIT
start_loopback_sshd "$work"
port=$sshd_port
mkdir -p "$work/remote"
head -c 4096 /dev/urandom > "$work/payload"
head -c 1024 /dev/urandom > "$work/stdin"
options=$sshd_client_options
remote="$work/remote"

# Ten operations, each its own ssh/scp process; $1 adds options (e.g. a control path).
cat > "$work/ten-operations.sh" <<SCRIPT
#!/usr/bin/env bash
set -euo pipefail
extra=\${1:-}
ssh="ssh $options \$extra -p $port root@127.0.0.1"
scp="scp -q $options \$extra -P $port"
\$ssh true
\$ssh uname -a >/dev/null
\$ssh cat <"$work/stdin" >/dev/null
\$scp "$work/payload" "root@127.0.0.1:$remote/file"
\$scp "$work/payload" "root@127.0.0.1:$remote/file"
\$scp "root@127.0.0.1:$remote/file" "$work/downloaded"
\$ssh stat "$remote/file" >/dev/null
\$ssh ls "$remote" >/dev/null
\$ssh mkdir -p "$remote/dir"
\$ssh rm "$remote/file"
SCRIPT
chmod +x "$work/ten-operations.sh"

multiplexed="ssh $options -p $port -o ControlMaster=yes -o ControlPath=$work/master -o ControlPersist=no -N -f root@127.0.0.1 \
 && $work/ten-operations.sh '-o ControlPath=$work/master' \
 && ssh -o ControlPath=$work/master -O exit -p $port root@127.0.0.1 2>/dev/null"

hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/results.md" \
    --command-name "ssh/scp: connect per operation (10 operations)" "$work/ten-operations.sh" \
    --command-name "ssh/scp: one multiplexed connection + 10 operations" "$multiplexed"
cat "$work/results.md"
