/* Accepts ABI 1 but hands back a table that says major 2. */
#define FIXTURE_NAME "wrong-major"
#define FIXTURE_TABLE_MAJOR 2
#include "fixture_plugin.h"
