# Sourced by the bench scripts that need an SSH server: starts a private sshd
# on a free port of 127.0.0.1 that accepts only root with a fresh ed25519 key.
#
# start_loopback_sshd DIR [EXTRA sshd_config LINES...]
#   writes DIR/host_key, DIR/client_key (+ .pub), DIR/authorized_keys,
#   DIR/sshd_config and DIR/sshd.log, and sets:
#     $sshd_port            the port it listens on
#     $sshd_pid             its process ID (stop_loopback_sshd kills it)
#     $sshd_fingerprint     its host key's SHA256 fingerprint
#     $sshd_client_options  ssh/scp options for logging in with the client key
#   Needs root (sshd refuses to run otherwise) and openssh-server/-client.
# OG_BENCH_SSHD_LOG=DEBUG3 (or any LogLevel) makes sshd log at that level, and
# OG_BENCH_SFTP_LOG=DEBUG1 its SFTP server (each request).
start_loopback_sshd() {
    local dir=$1; shift
    [ "$(id -u)" -eq 0 ] || { echo "run as root: sshd must be started as root" >&2; exit 1; }
    while :; do
        sshd_port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null || break
    done
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
    cp "$dir/client_key.pub" "$dir/authorized_keys"
    mkdir -p /run/sshd
    {
        cat <<CONFIG
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile none
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers root
Subsystem sftp internal-sftp ${OG_BENCH_SFTP_LOG:+-l $OG_BENCH_SFTP_LOG}
MaxStartups 200
MaxSessions 100
LogLevel ${OG_BENCH_SSHD_LOG:-INFO}
CONFIG
        local line
        for line in "$@"; do echo "$line"; done
    } > "$dir/sshd_config"
    /usr/sbin/sshd -D -e -f "$dir/sshd_config" </dev/null >/dev/null 2>"$dir/sshd.log" &
    sshd_pid=$!
    local _
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && break; sleep 0.1; done
    sshd_fingerprint=$(ssh-keygen -lf "$dir/host_key.pub" -E sha256 | awk '{print $2}')
    sshd_client_options="-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $dir/client_key"
}

stop_loopback_sshd() {
    if [ -n "${sshd_pid:-}" ]; then
        kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
        sshd_pid=
    fi
    return 0
}
