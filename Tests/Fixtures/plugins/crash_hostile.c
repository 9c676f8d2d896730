/* Treats og_str as a C string: fine for what the host sends, fatal for a NULL pointer. */
#define FIXTURE_NAME "crash-hostile"
#define FIXTURE_CUSTOM_TEST_CONNECTION
#include "fixture_plugin.h"

static og_status fixture_test_connection(og_call *call, const og_endpoint *endpoint) {
    if (strlen(endpoint->name.ptr) > 64) {
        fixture_error(call, "name", "is longer than 64 characters");
        return OG_ERR_INVALID_ARGUMENT;
    }
    return OG_OK;
}
