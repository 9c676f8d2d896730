/* Never returns from test_connection. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#define FIXTURE_NAME "hangs"
#define FIXTURE_CUSTOM_TEST_CONNECTION
#include "fixture_plugin.h"

static og_status fixture_test_connection(og_call *call, const og_endpoint *endpoint) {
    (void)call;
    (void)endpoint;
    for (;;) pause();
    return OG_OK;
}
