/*
 * fixture_plugin.h: a small, well-behaved og-host plugin that each fixture in
 * this folder breaks in exactly one way, so the conformance kit can be shown
 * to flag that one way with its specific reason.
 *
 * A fixture defines FIXTURE_NAME, then for the part it breaks a FIXTURE_*
 * setting or a FIXTURE_CUSTOM_* switch, includes this file, and (for a custom
 * part) defines that part itself after the include. Arrays a fixture replaces
 * (FIXTURE_CUSTOM_OPTIONS, FIXTURE_CUSTOM_TYPES) are defined before the include.
 * complete.c breaks nothing and must pass every check.
 *
 * This is test scaffolding, not an example: SDK/examples/hello-c is the plugin
 * to learn from.
 */
#ifndef FIXTURE_PLUGIN_H
#define FIXTURE_PLUGIN_H

#include <stdlib.h>
#include <string.h>

#include "og_plugin.h"

#ifndef FIXTURE_NAME
#error "define FIXTURE_NAME before including fixture_plugin.h"
#endif
#ifndef FIXTURE_TABLE_SIZE
#define FIXTURE_TABLE_SIZE sizeof(og_plugin_api)
#endif
#ifndef FIXTURE_TABLE_MAJOR
#define FIXTURE_TABLE_MAJOR OG_ABI_MAJOR
#endif
#ifndef FIXTURE_FLAGS
#define FIXTURE_FLAGS OG_PLUGIN_THREAD_SAFE
#endif
#ifndef FIXTURE_CAPABILITIES
#define FIXTURE_CAPABILITIES (OG_CAP_TEST_CONNECTION | OG_CAP_DISCOVER | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST | \
                              OG_CAP_ACTIVATE | OG_CAP_RESTART | OG_CAP_APPLY | OG_CAP_VERIFY_SERVED)
#endif

/* Kept from negotiation; written before any slot runs, read-only afterwards. */
static const og_host_api *fixture_host;

static const og_plugin_descriptor *fixture_describe(void);
static void fixture_release(void *result);
static og_status fixture_validate_endpoint(og_call *call, const og_endpoint *endpoint);
static og_status fixture_test_connection(og_call *call, const og_endpoint *endpoint);
static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out);
static og_status fixture_plan_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                      og_install_plan **out);
static og_status fixture_config_test(og_call *call, const og_endpoint *endpoint);
static og_status fixture_activate(og_call *call, const og_endpoint *endpoint, const og_install_request *request);
static og_status fixture_restart(og_call *call, const og_endpoint *endpoint);
static og_status fixture_apply_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                       og_undo_token **out);
static og_status fixture_rollback_install(og_call *call, const og_endpoint *endpoint, og_bytes undo_token);
static void fixture_shutdown(void);

static og_str fixture_text(const char *text) {
    og_str result = { text, strlen(text) };
    return result;
}

static void fixture_error(og_call *call, const char *field, const char *message) {
    fixture_host->set_error(call, fixture_text(field), fixture_text(message));
}

/* The value of option `name`, or NULL when the endpoint does not carry it. */
static const og_str *fixture_option(const og_endpoint *endpoint, const char *name) {
    size_t length = strlen(name);
    for (size_t i = 0; endpoint->options != NULL && i < endpoint->option_count; i++) {
        const og_str *option = &endpoint->options[i].name;
        if (option->ptr != NULL && option->len == length && memcmp(option->ptr, name, length) == 0) {
            return &endpoint->options[i].value;
        }
    }
    return NULL;
}

static const og_str *fixture_store_dir(og_call *call, const og_endpoint *endpoint) {
    const og_str *dir = fixture_option(endpoint, "store_dir");
    if (dir == NULL || dir->ptr == NULL || dir->len == 0 || dir->ptr[0] != '/') {
        fixture_error(call, "store_dir", "must be an absolute path; give --store_dir /path/to/store");
        return NULL;
    }
    return dir;
}

#ifndef FIXTURE_CUSTOM_OPTIONS
static const char *const fixture_flavours[] = { "plain", "fancy" };
static const og_option_schema fixture_options[] = {
    { sizeof(og_option_schema), "store_dir", OG_OPTION_PATH, OG_OPTION_REQUIRED, 1, 4096, NULL, 0, NULL,
      "Directory holding the store." },
    { sizeof(og_option_schema), "flavour", OG_OPTION_ENUM, 0, 0, 0, fixture_flavours, 2, "plain",
      "Which flavour of store." },
    { sizeof(og_option_schema), "retries", OG_OPTION_INTEGER, 0, 0, 10, NULL, 0, "3", "How often to retry." },
    { sizeof(og_option_schema), "store_password", OG_OPTION_STRING, OG_OPTION_SECRET, 0, 128, NULL, 0, NULL,
      "Password of the store." },
};
#endif

#ifndef FIXTURE_CUSTOM_TYPES
static const og_endpoint_type fixture_types[] = {
    { sizeof(og_endpoint_type), "fixture_store", "A store the fixture pretends to manage.", OG_CONN_LOCAL | OG_CONN_SSH,
      FIXTURE_CAPABILITIES, fixture_options, sizeof fixture_options / sizeof fixture_options[0] },
};
#endif

static const og_plugin_descriptor fixture_descriptor = {
    sizeof(og_plugin_descriptor), FIXTURE_NAME, "1.0.0", "Apache-2.0", "A conformance-kit fixture.",
    OG_ABI_MAJOR, OG_ABI_MINOR, fixture_types, sizeof fixture_types / sizeof fixture_types[0],
};

static const og_plugin_api fixture_table = {
    .struct_size = FIXTURE_TABLE_SIZE,
    .abi_major = FIXTURE_TABLE_MAJOR,
    .abi_minor = OG_ABI_MINOR,
    .flags = FIXTURE_FLAGS,
    .describe = fixture_describe,
    .release = fixture_release,
    .validate_endpoint = fixture_validate_endpoint,
    .test_connection = fixture_test_connection,
    .discover_nodes = fixture_discover_nodes,
    .plan_install = fixture_plan_install,
    .config_test = fixture_config_test,
    .activate = fixture_activate,
    .restart = fixture_restart,
    .apply_install = fixture_apply_install,
    .rollback_install = fixture_rollback_install,
    .shutdown = fixture_shutdown,
};

#ifndef FIXTURE_CUSTOM_ENTRY
OG_PLUGIN_EXPORT og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out) {
    if (offer == NULL || out == NULL || offer->abi_major != OG_ABI_MAJOR) return OG_ERR_ABI_MISMATCH;
    fixture_host = offer->host;
    *out = &fixture_table;
#if OG_ABI_MINOR > 0
    /* Never claim a minor above the offer: the fixtures use nothing past 1.0. */
    static og_plugin_api older_minor_table;
    if (offer->abi_minor < OG_ABI_MINOR) {
        older_minor_table = fixture_table;
        older_minor_table.abi_minor = offer->abi_minor;
        *out = &older_minor_table;
    }
#endif
    return OG_OK;
}
#endif

#ifndef FIXTURE_CUSTOM_DESCRIBE
static const og_plugin_descriptor *fixture_describe(void) { return &fixture_descriptor; }
#endif

#ifndef FIXTURE_CUSTOM_RELEASE
/* Every result is one malloc block whose first member is the result struct. */
static void fixture_release(void *result) { free(result); }
#endif

static og_status fixture_validate_endpoint(og_call *call, const og_endpoint *endpoint) {
    return fixture_store_dir(call, endpoint) == NULL ? OG_ERR_INVALID_ARGUMENT : OG_OK;
}

#ifndef FIXTURE_CUSTOM_TEST_CONNECTION
static og_status fixture_test_connection(og_call *call, const og_endpoint *endpoint) {
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    og_file_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    og_status status = fixture_host->stat_file(call, *dir, &info);
    if (status != OG_OK) return status;
    if (info.type != OG_FILE_TYPE_DIRECTORY) {
        fixture_error(call, "store_dir", "is not a directory on the endpoint; create it or correct --store_dir");
        return OG_ERR_NOT_FOUND;
    }
    return OG_OK;
}
#endif

#ifndef FIXTURE_CUSTOM_DISCOVER_NODES
static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out) {
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    og_directory_listing *listing = NULL;
    og_status status = fixture_host->list_directory(call, *dir, &listing);
    if (status != OG_OK) return status;
    fixture_host->release(listing);

    struct nodes { og_node_list list; og_node node; } *result = calloc(1, sizeof *result);
    if (result == NULL) return OG_ERR_NO_MEMORY;
    result->node.struct_size = sizeof(og_node);
    result->node.id = fixture_text("main");
    result->node.name = fixture_text("main");
    result->node.protocol = fixture_text("keystore");
    result->list.struct_size = sizeof(og_node_list);
    result->list.nodes = &result->node;
    result->list.count = 1;
    *out = &result->list;
    return OG_OK;
}
#endif

#ifndef FIXTURE_CUSTOM_PLAN_INSTALL
static og_status fixture_plan_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                      og_install_plan **out) {
    (void)request;
    if (fixture_store_dir(call, endpoint) == NULL) return OG_ERR_INVALID_ARGUMENT;
    struct plan { og_install_plan plan; og_file_change change; og_verify_target target; } *result = calloc(1, sizeof *result);
    if (result == NULL) return OG_ERR_NO_MEMORY;
    result->change.struct_size = sizeof(og_file_change);
    result->change.path = fixture_text("/srv/og-fixture/fullchain.pem");
    result->change.content_kind = OG_CONTENT_FULLCHAIN_PEM;
    result->target.struct_size = sizeof(og_verify_target);
    result->target.host = fixture_text("127.0.0.1");
    result->target.port = 8443;
    result->plan.struct_size = sizeof(og_install_plan);
    result->plan.summary = fixture_text("write the full chain to /srv/og-fixture/fullchain.pem");
    result->plan.changes = &result->change;
    result->plan.change_count = 1;
    result->plan.verify = &result->target;
    result->plan.verify_count = 1;
    result->plan.node_id = fixture_text("main");
    *out = &result->plan;
    return OG_OK;
}
#endif

#ifndef FIXTURE_CUSTOM_CONFIG_TEST
static og_status fixture_config_test(og_call *call, const og_endpoint *endpoint) {
    return fixture_store_dir(call, endpoint) == NULL ? OG_ERR_INVALID_ARGUMENT : OG_OK;
}
#endif

#ifndef FIXTURE_CUSTOM_ACTIVATE
static og_status fixture_activate(og_call *call, const og_endpoint *endpoint, const og_install_request *request) {
    (void)endpoint;
    (void)request;
    og_str argv[] = { fixture_text("true") };
    og_bytes no_input = { NULL, 0 };
    og_command_result *result = NULL;
    og_status status = fixture_host->run_command(call, argv, 1, no_input, 0, 0, &result);
    if (status != OG_OK) return status;
    int32_t exit_status = result->exit_status;
    fixture_host->release(result);
    if (exit_status != 0) {
        fixture_error(call, "", "the reload command failed on the endpoint");
        return OG_ERR_COMMAND_FAILED;
    }
#if OG_ABI_MINOR >= 2
    /* The fixture's "reload" leaves nothing running an old configuration, so it says so where the
     * host takes it (1.2); built against an older header, or offered an older host table, it cannot. */
    if (OG_HAS_FIELD(fixture_host, og_host_api, attest_old_configuration_retired) &&
        fixture_host->attest_old_configuration_retired != NULL) {
        status = fixture_host->attest_old_configuration_retired(call);
        if (status != OG_OK) return status;
    }
#endif
    return OG_OK;
}
#endif

static og_status fixture_restart(og_call *call, const og_endpoint *endpoint) {
    (void)call;
    (void)endpoint;
    return OG_OK;
}

static og_status fixture_apply_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                                       og_undo_token **out) {
    (void)request;
    if (fixture_store_dir(call, endpoint) == NULL) return OG_ERR_INVALID_ARGUMENT;
    static const char undo[] = "fixture-undo";
    struct token { og_undo_token token; uint8_t data[sizeof undo]; } *result = calloc(1, sizeof *result);
    if (result == NULL) return OG_ERR_NO_MEMORY;
    memcpy(result->data, undo, sizeof undo);
    result->token.struct_size = sizeof(og_undo_token);
    result->token.data.ptr = result->data;
    result->token.data.len = sizeof undo - 1;
    *out = &result->token;
    return OG_OK;
}

/* Idempotent by construction: there is nothing to undo twice. */
static og_status fixture_rollback_install(og_call *call, const og_endpoint *endpoint, og_bytes undo_token) {
    (void)call;
    (void)endpoint;
    (void)undo_token;
    return OG_OK;
}

static void fixture_shutdown(void) {}

#endif /* FIXTURE_PLUGIN_H */
