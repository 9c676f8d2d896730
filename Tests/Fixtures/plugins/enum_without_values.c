/* An enumeration option that allows no value at all. */
#include "og_plugin.h"

static const og_option_schema fixture_options[] = {
    { sizeof(og_option_schema), "store_dir", OG_OPTION_PATH, OG_OPTION_REQUIRED, 1, 4096, NULL, 0, NULL, "Where." },
    { sizeof(og_option_schema), "flavour", OG_OPTION_ENUM, 0, 0, 0, NULL, 0, NULL, "Which flavour." },
};
#define FIXTURE_CUSTOM_OPTIONS
#define FIXTURE_NAME "enum-without-values"
#include "fixture_plugin.h"
