/*
 * rest_probe: a test plugin for REST appliances. Adding an endpoint (and
 * testing its connection) sends GET /echo through the host's http service and
 * succeeds only on HTTP 200, so an end-to-end test can watch og-host's REST
 * connection, trust anchors and outbound proxy at work.
 */
#include <stdlib.h>
#include <string.h>

#include "og_plugin.h"

/* Kept from negotiation; written before any slot runs, read-only afterwards. */
static const og_host_api *probe_host;

static og_str probe_text(const char *text) {
    og_str result = { text, strlen(text) };
    return result;
}

static og_status probe_echo(og_call *call, const og_endpoint *endpoint) {
    (void)endpoint;
    og_http_request request;
    memset(&request, 0, sizeof request);
    request.struct_size = sizeof request;
    request.method = probe_text("GET");
    request.path = probe_text("/echo");
    og_http_response *response = NULL;
    og_status status = probe_host->http_request(call, &request, &response);
    if (status != OG_OK) return status;
    int32_t code = response->status;
    probe_host->release(response);
    if (code != 200) {
        probe_host->set_error(call, probe_text(""), probe_text("GET /echo did not answer 200"));
        return OG_ERR_IO;
    }
    return OG_OK;
}

static const og_endpoint_type probe_types[] = {
    { sizeof(og_endpoint_type), "rest_probe", "An appliance answering GET /echo.", OG_CONN_REST | OG_CONN_REST_INSECURE,
      OG_CAP_TEST_CONNECTION, NULL, 0 },
};

static const og_plugin_descriptor probe_descriptor = {
    sizeof(og_plugin_descriptor), "rest-probe", "1.0.0", "Apache-2.0", "Test plugin: probes a REST appliance.",
    OG_ABI_MAJOR, OG_ABI_MINOR, probe_types, 1,
};

static const og_plugin_descriptor *probe_describe(void) { return &probe_descriptor; }

static void probe_release(void *result) { free(result); }

static const og_plugin_api probe_table = {
    .struct_size = sizeof(og_plugin_api),
    .abi_major = OG_ABI_MAJOR,
    .abi_minor = OG_ABI_MINOR,
    .flags = OG_PLUGIN_THREAD_SAFE,
    .describe = probe_describe,
    .release = probe_release,
    .validate_endpoint = probe_echo,
    .test_connection = probe_echo,
};

OG_PLUGIN_EXPORT og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out) {
    if (offer == NULL || out == NULL || offer->abi_major != OG_ABI_MAJOR) return OG_ERR_ABI_MISMATCH;
    probe_host = offer->host;
    *out = &probe_table;
    return OG_OK;
}
