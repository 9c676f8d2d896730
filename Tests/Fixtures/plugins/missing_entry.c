/* Exports its entry point under the wrong name, so og_plugin_entry is missing. */
#define FIXTURE_NAME "missing-entry"
#define FIXTURE_CUSTOM_ENTRY
#include "fixture_plugin.h"

OG_PLUGIN_EXPORT og_status og_plugin_init(const og_host_offer *offer, const og_plugin_api **out);

OG_PLUGIN_EXPORT og_status og_plugin_init(const og_host_offer *offer, const og_plugin_api **out) {
    fixture_host = offer->host;
    *out = &fixture_table;
    return OG_OK;
}
