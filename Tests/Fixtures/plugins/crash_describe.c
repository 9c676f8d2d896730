/* Dies of SIGSEGV in describe(), so merely loading it would kill the host. */
#define FIXTURE_NAME "crash-describe"
#define FIXTURE_CUSTOM_DESCRIBE
#include "fixture_plugin.h"

static const og_plugin_descriptor *fixture_describe(void) {
    /* volatile: the compiler may not see that it is NULL and turn the store into a trap. */
    int *volatile nowhere = NULL;
    *nowhere = 1;
    return &fixture_descriptor;
}
