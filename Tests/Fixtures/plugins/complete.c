/* Breaks nothing: every slot, thread-safe; must pass every check. */
#define FIXTURE_NAME "complete"
#include "fixture_plugin.h"
