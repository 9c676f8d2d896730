/* Reads through host services in discover_nodes and never releases what they return. */
#define FIXTURE_NAME "leaks-host-results"
#define FIXTURE_CUSTOM_DISCOVER_NODES
#include "fixture_plugin.h"

static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out) {
    og_str dir = fixture_text("/srv/og-fixture");
    og_buffer *file = NULL;
    og_directory_listing *listing = NULL;
    (void)fixture_host->read_file(call, fixture_text("/srv/og-fixture/store.p12"), &file);
    og_status status = fixture_host->list_directory(call, dir, &listing);
    (void)endpoint;
    if (status != OG_OK) return status;
    og_node_list *empty = calloc(1, sizeof *empty);
    if (empty == NULL) return OG_ERR_NO_MEMORY;
    empty->struct_size = sizeof *empty;
    *out = empty;
    return OG_OK;
}
