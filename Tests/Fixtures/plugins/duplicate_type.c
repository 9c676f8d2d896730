/* Serves the same endpoint type twice. */
#include "og_plugin.h"

static const og_option_schema fixture_options[] = {
    { sizeof(og_option_schema), "store_dir", OG_OPTION_PATH, OG_OPTION_REQUIRED, 1, 4096, NULL, 0, NULL, "Where." },
};
#define FIXTURE_ALL_CAPABILITIES (OG_CAP_TEST_CONNECTION | OG_CAP_DISCOVER | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST | \
                                  OG_CAP_ACTIVATE | OG_CAP_RESTART | OG_CAP_APPLY)
static const og_endpoint_type fixture_types[] = {
    { sizeof(og_endpoint_type), "fixture_store", "First.", OG_CONN_LOCAL, FIXTURE_ALL_CAPABILITIES, fixture_options, 1 },
    { sizeof(og_endpoint_type), "fixture_store", "Second.", OG_CONN_SSH, FIXTURE_ALL_CAPABILITIES, fixture_options, 1 },
};
#define FIXTURE_CUSTOM_OPTIONS
#define FIXTURE_CUSTOM_TYPES
#define FIXTURE_NAME "duplicate-type"
#include "fixture_plugin.h"
