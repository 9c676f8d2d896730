/* Ends the whole process from config_test, as a plugin that calls exit() on an error might. */
#define FIXTURE_NAME "exits-in-slot"
#define FIXTURE_CUSTOM_CONFIG_TEST
#include "fixture_plugin.h"

static og_status fixture_config_test(og_call *call, const og_endpoint *endpoint) {
    (void)call;
    (void)endpoint;
    exit(3);
}
