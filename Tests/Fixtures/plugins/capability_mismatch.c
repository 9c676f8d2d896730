/* Implements discover_nodes without advertising the discover capability. */
#define FIXTURE_NAME "capability-mismatch"
#define FIXTURE_CAPABILITIES (OG_CAP_TEST_CONNECTION | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST | OG_CAP_ACTIVATE | \
                              OG_CAP_RESTART | OG_CAP_APPLY)
#include "fixture_plugin.h"
