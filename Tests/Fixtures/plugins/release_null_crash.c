/* Its release slot dereferences the pointer before checking it for NULL. */
#define FIXTURE_NAME "release-null-crash"
#define FIXTURE_CUSTOM_RELEASE
#include "fixture_plugin.h"

static void fixture_release(void *result) {
    const uint32_t *struct_size = result;
    if (*struct_size > 0) free(result);
}
