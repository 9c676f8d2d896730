/* Dies of SIGSEGV in activate, after the host has written the new chain to
 * <store_dir>/fullchain.pem, while <store_dir>/crash-next exists (it removes
 * that file first, so the recovery that follows can re-activate): a job whose
 * process dies with the endpoint's files changed, for crash-isolation tests. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#define FIXTURE_NAME "crash-activate"
#define FIXTURE_CUSTOM_PLAN_INSTALL
#define FIXTURE_CUSTOM_ACTIVATE
/* A file install (no OG_CAP_APPLY): the host writes, then activates. */
#define FIXTURE_CAPABILITIES (OG_CAP_TEST_CONNECTION | OG_CAP_DISCOVER | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST | OG_CAP_ACTIVATE | \
                              OG_CAP_RESTART)
#include "fixture_plugin.h"

/* `<dir>/<name>` into `buffer` (NUL-terminated), or NULL when it does not fit. */
static const char *fixture_join(char *buffer, size_t size, const og_str *dir, const char *name) {
    int written = snprintf(buffer, size, "%.*s/%s", (int)dir->len, dir->ptr, name);
    return written < 0 || (size_t)written >= size ? NULL : buffer;
}

static og_status fixture_plan_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                      og_install_plan **out) {
    (void)request;
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    struct plan { og_install_plan plan; og_file_change change; char path[4200]; } *result = calloc(1, sizeof *result);
    if (result == NULL) return OG_ERR_NO_MEMORY;
    if (fixture_join(result->path, sizeof result->path, dir, "fullchain.pem") == NULL) {
        free(result);
        fixture_error(call, "store_dir", "is too long");
        return OG_ERR_INVALID_ARGUMENT;
    }
    result->change.struct_size = sizeof(og_file_change);
    result->change.path = fixture_text(result->path);
    result->change.content_kind = OG_CONTENT_FULLCHAIN_PEM;
    result->plan.struct_size = sizeof(og_install_plan);
    result->plan.summary = fixture_text("write the full chain to <store_dir>/fullchain.pem");
    result->plan.changes = &result->change;
    result->plan.change_count = 1;
    result->plan.node_id = fixture_text("main");
    *out = &result->plan;
    return OG_OK;
}

static og_status fixture_activate(og_call *call, const og_endpoint *endpoint, const og_install_request *request) {
    (void)request;
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    char marker[4200];
    if (fixture_join(marker, sizeof marker, dir, "crash-next") == NULL) return OG_ERR_INVALID_ARGUMENT;
    og_file_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    og_status status = fixture_host->stat_file(call, fixture_text(marker), &info);
    if (status != OG_OK) return status;
    if (info.type == OG_FILE_TYPE_MISSING) return OG_OK;
    og_str argv[] = { fixture_text("rm"), fixture_text("-f"), fixture_text(marker) };
    og_bytes no_input = { NULL, 0 };
    og_command_result *result = NULL;
    status = fixture_host->run_command(call, argv, 3, no_input, 0, 0, &result);
    if (status != OG_OK) return status;
    fixture_host->release(result);
    /* volatile: the compiler may not see that it is NULL and turn the store into a trap. */
    int *volatile nowhere = NULL;
    *nowhere = 1;
    return OG_OK;
}
