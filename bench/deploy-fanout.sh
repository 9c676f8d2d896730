#!/usr/bin/env bash
# Fan-out of one certificate to 50 PEM endpoints over SSH, all on one private
# sshd on 127.0.0.1 (a directory per endpoint), compared (bench/release-build.sh
# `compare`: hyperfine, or instruction counts with OG_BENCH_CALLGRIND=1):
#   og-host:     `og-host cert deploy site --parallel 10 --force` (release
#                build) — 50 endpoint jobs on at most 10 job workers (child og-hosts
#                running their jobs one after another and keeping their SSH
#                login), each job a full transaction (lease, journal, backup,
#                atomic write and read-back of the certificate and the key,
#                cleanup, audit, an event); --force so every run really writes
#                (a repeat would otherwise be "unchanged" and write nothing);
#   og-host, one job per worker: the same with OG_JOB_WORKER_MAX_JOBS=1, i.e.
#                a fresh child og-host and SSH login per endpoint job, as before
#                job workers (OG_BENCH_PER_JOB=0 leaves it out);
#   shell floor: one multiplexed OpenSSH master connection (ControlMaster) and
#                10 parallel copies (xargs -P 10 scp) of the same two files to
#                the 50 directories: copying with no safety at all;
#   ansible:     a playbook of two `copy` tasks (the same two files) for 50
#                host aliases of the same sshd, forks 10, pipelining on.
# og-host's workers each keep one SSH connection across their jobs; ansible
# multiplexes per alias (all aliases share one ControlPath here, since they
# are one host:port:user).
#
# Needs root (sshd) and the Debian packages openssh-server, openssh-client,
# hyperfine and ansible-core (all in .ci/packages). Usage: bench/deploy-fanout.sh [runs]
# OG_BENCH_ANSIBLE=0 leaves ansible out (a run of it takes minutes on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
tools="/usr/sbin/sshd ssh scp ssh-keygen openssl"
[ "${OG_BENCH_ANSIBLE:-1}" = 0 ] || tools="$tools ansible-playbook"
for tool in $tools; do
    command -v "$tool" >/dev/null || {
        echo "$tool is missing (Debian packages openssh-server, openssh-client, ansible-core)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "run as root: sshd must be started as root" >&2
    exit 1
fi
source bench/release-build.sh
endpoints=50
source bench/pem-ssh-site.sh
port=$sshd_port
for i in $(seq "$endpoints"); do mkdir -p "$work/floor/e$i" "$work/ansible/e$i"; done
echo "og-host: $endpoints endpoints bound; first deploy:"
"$og" cert deploy site --parallel 10 --force | tail -1

# The shell floor: one master connection, 10 copies at a time.
options=$sshd_client_options
cat > "$work/floor.sh" <<SCRIPT
#!/usr/bin/env bash
set -euo pipefail
ssh $options -p $port -o ControlMaster=yes -o ControlPath=$work/master -o ControlPersist=no -N -f root@127.0.0.1
seq $endpoints | xargs -P 10 -I{} scp -q $options -o ControlPath=$work/master -P $port \
    $work/site.pem $work/site.key root@127.0.0.1:$work/floor/e{}/
ssh -o ControlPath=$work/master -O exit -p $port root@127.0.0.1 2>/dev/null
SCRIPT
chmod +x "$work/floor.sh"

# Ansible: 50 host aliases of the one sshd.
{
    echo "[targets]"
    for i in $(seq "$endpoints"); do echo "e$i ansible_host=127.0.0.1 ansible_port=$port dir=$work/ansible/e$i"; done
} > "$work/hosts"
cat > "$work/ansible.cfg" <<CFG
[defaults]
inventory = $work/hosts
forks = 10
host_key_checking = False
gathering = explicit
interpreter_python = /usr/bin/python3
remote_user = root
private_key_file = $work/client_key
[ssh_connection]
pipelining = True
ssh_args = -o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=60s
CFG
cat > "$work/copy.yml" <<PLAY
- hosts: targets
  tasks:
    - copy: {src: $work/site.pem, dest: "{{ dir }}/cert.pem"}
    - copy: {src: $work/site.key, dest: "{{ dir }}/key.pem", mode: "0600"}
PLAY
cat > "$work/ansible.sh" <<SCRIPT
#!/usr/bin/env bash
set -euo pipefail
ANSIBLE_CONFIG=$work/ansible.cfg ansible-playbook "$work/copy.yml" >/dev/null
SCRIPT
chmod +x "$work/ansible.sh"

echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
commands=("og-host cert deploy (50 PEM endpoints over ssh, --parallel 10)" "$og cert deploy site --parallel 10 --force >/dev/null"
          "shell floor (ssh ControlMaster, 10 parallel scp of cert+key)" "$work/floor.sh")
[ "${OG_BENCH_PER_JOB:-1}" = 0 ] ||
    commands+=("og-host cert deploy, one job per worker (a process and login per job)"
               "OG_JOB_WORKER_MAX_JOBS=1 $og cert deploy site --parallel 10 --force >/dev/null")
[ "${OG_BENCH_ANSIBLE:-1}" = 0 ] ||
    commands+=("ansible-playbook copy x2 (50 aliases, forks 10, pipelining)" "$work/ansible.sh")
compare "$runs" "${commands[@]}"
echo "load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
# How many job workers one more deploy starts: each logs in once (sshd's log),
# so this is the pool's size as its growth rule chose it (--parallel is the bound).
logins_before=$(grep -c "Accepted publickey" "$work/sshd.log" || true)
"$og" cert deploy site --parallel 10 --force >/dev/null
echo "job workers started by one more og-host deploy (sshd logins): $(( $(grep -c "Accepted publickey" "$work/sshd.log" || true) - logins_before ))"
for i in 1 "$endpoints"; do
    cmp -s "$work/og/e$i/cert.pem" "$work/ansible/e$i/cert.pem" || echo "note: e$i: og-host's cert.pem differs from the copied file (og-host writes the chain it validated)"
done
