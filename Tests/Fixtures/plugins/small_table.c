/* Declares a table of 8 bytes: too small to hold even describe and release. */
#define FIXTURE_NAME "small-table"
#define FIXTURE_TABLE_SIZE 8
#include "fixture_plugin.h"
