/* Returns a different (equal) descriptor on every other call. */
#include <stdatomic.h>

#define FIXTURE_NAME "unstable-describe"
#define FIXTURE_CUSTOM_DESCRIBE
#include "fixture_plugin.h"

static const og_plugin_descriptor *fixture_describe(void) {
    static og_plugin_descriptor copy;
    static atomic_uint calls;
    copy = fixture_descriptor;
    return atomic_fetch_add(&calls, 1) % 2 == 0 ? &fixture_descriptor : &copy;
}
