/* Ends the whole process from config_test, as a plugin that calls exit() on an
 * error might. A file install (no OG_CAP_APPLY), so `tls install` reaches
 * config_test after the host has written <store_dir>/fullchain.pem: the job's
 * process exits with the endpoint's file changed (PluginSlotWatchTests). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#define FIXTURE_NAME "exits-in-slot"
#define FIXTURE_CUSTOM_CONFIG_TEST
#define FIXTURE_CUSTOM_PLAN_INSTALL
#define FIXTURE_CAPABILITIES (OG_CAP_TEST_CONNECTION | OG_CAP_DISCOVER | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST | OG_CAP_ACTIVATE | \
                              OG_CAP_RESTART)
#include "fixture_plugin.h"

static og_status fixture_plan_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                      og_install_plan **out) {
    (void)request;
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    struct plan { og_install_plan plan; og_file_change change; char path[4200]; } *result = calloc(1, sizeof *result);
    if (result == NULL) return OG_ERR_NO_MEMORY;
    int written = snprintf(result->path, sizeof result->path, "%.*s/fullchain.pem", (int)dir->len, dir->ptr);
    if (written < 0 || (size_t)written >= sizeof result->path) {
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

static og_status fixture_config_test(og_call *call, const og_endpoint *endpoint) {
    (void)call;
    (void)endpoint;
    exit(3);
}
