/* Dies of SIGSEGV in discover_nodes. */
#define FIXTURE_NAME "crash-discover"
#define FIXTURE_CUSTOM_DISCOVER_NODES
#include "fixture_plugin.h"

static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out) {
    (void)call;
    (void)endpoint;
    /* volatile: the compiler may not see that it is NULL and turn the store into a trap. */
    og_node_list *volatile nowhere = NULL;
    nowhere->count = 1;
    *out = nowhere;
    return OG_OK;
}
