/* Redefines "port", an option the host owns for every endpoint type. */
#include "og_plugin.h"

static const og_option_schema fixture_options[] = {
    { sizeof(og_option_schema), "store_dir", OG_OPTION_PATH, OG_OPTION_REQUIRED, 1, 4096, NULL, 0, NULL, "Where." },
    { sizeof(og_option_schema), "port", OG_OPTION_INTEGER, 0, 1, 65535, NULL, 0, "8443", "Which port." },
};
#define FIXTURE_CUSTOM_OPTIONS
#define FIXTURE_NAME "host-option"
#include "fixture_plugin.h"
