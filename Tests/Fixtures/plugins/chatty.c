/* Writes to standard output from describe and from a slot, as a careless plugin
 * might; the kit's child protocol must not be disturbed by it. */
#include <stdio.h>

#define FIXTURE_NAME "chatty"
#define FIXTURE_CUSTOM_DESCRIBE
#define FIXTURE_CUSTOM_TEST_CONNECTION
#include "fixture_plugin.h"

static const og_plugin_descriptor *fixture_describe(void) {
    printf("{\"event\":\"done\"}\n");
    fflush(stdout);
    return &fixture_descriptor;
}

static og_status fixture_test_connection(og_call *call, const og_endpoint *endpoint) {
    (void)endpoint;
    printf("testing the connection\n");
    fflush(stdout);
    fixture_error(call, "store_dir", "cannot be reached from the fixture");
    return OG_ERR_CONNECT;
}
