/* Refuses every offer, even the ABI it was built for. */
#define FIXTURE_NAME "refuses-abi"
#define FIXTURE_CUSTOM_ENTRY
#include "fixture_plugin.h"

OG_PLUGIN_EXPORT og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out) {
    (void)offer;
    (void)out;
    return OG_ERR_ABI_MISMATCH;
}
