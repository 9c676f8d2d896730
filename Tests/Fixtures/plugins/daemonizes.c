/* Its activate runs a command that leaves a process behind — the shape of
 * `haproxy -D` or `catalina.sh start` — with timeout_ms 0 (the host default).
 * The host must return when the shell exits, with the shell's output and
 * status, however long the background process lives. The process it leaves
 * writes its PID to store_dir/left-behind.pid so the test can stop it. */
#define FIXTURE_NAME "daemonizes"
#define FIXTURE_CUSTOM_ACTIVATE
#include "fixture_plugin.h"

static og_status fixture_activate(og_call *call, const og_endpoint *endpoint, const og_install_request *request) {
    (void)request;
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    og_str argv[] = {
        fixture_text("sh"), fixture_text("-c"),
        fixture_text("sleep 120 & echo $! > \"$1/left-behind.pid\"; echo started; exit 3"),
        fixture_text("sh"), *dir,
    };
    og_bytes no_input = { NULL, 0 };
    og_command_result *result = NULL;
    og_status status = fixture_host->run_command(call, argv, 5, no_input, 0, 0, &result);
    if (status != OG_OK) return status;
    int ok = result->exit_status == 3 && result->stdout_data.len == 8 &&
             memcmp(result->stdout_data.ptr, "started\n", 8) == 0;
    fixture_host->release(result);
    if (!ok) {
        fixture_error(call, "", "the command's status or output did not come back as it exited");
        return OG_ERR_COMMAND_FAILED;
    }
    return OG_OK;
}
