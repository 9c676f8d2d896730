/* Built as libog-plugin-name-mismatch.so but calls itself something else. */
#define FIXTURE_NAME "renamed"
#include "fixture_plugin.h"
