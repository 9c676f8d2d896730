/* Says discover_nodes succeeded but hands back no node list. */
#define FIXTURE_NAME "null-result"
#define FIXTURE_CUSTOM_DISCOVER_NODES
#include "fixture_plugin.h"

static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out) {
    (void)call;
    (void)endpoint;
    *out = NULL;
    return OG_OK;
}
