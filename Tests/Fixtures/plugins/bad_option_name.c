/* An option name operators could not type after "--" (uppercase, a dash). */
#include "og_plugin.h"

static const og_option_schema fixture_options[] = {
    { sizeof(og_option_schema), "Store-Dir", OG_OPTION_PATH, OG_OPTION_REQUIRED, 1, 4096, NULL, 0, NULL, "Where." },
};
#define FIXTURE_CUSTOM_OPTIONS
#define FIXTURE_NAME "bad-option-name"
#include "fixture_plugin.h"
