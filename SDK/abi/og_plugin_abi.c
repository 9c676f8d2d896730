/* Compile-time checks that keep the ABI honest. This file is the only C
 * source of the OGPluginABI target; it adds no symbols a plugin could link. */
#include "og_plugin.h"
#include "og_plugin_util.h" /* compiled with every build, so the helpers stay warning-free */

_Static_assert(sizeof(og_str) == 2 * sizeof(void *), "og_str is pointer + length");
_Static_assert(sizeof(og_bytes) == 2 * sizeof(void *), "og_bytes is pointer + length");
_Static_assert(offsetof(og_plugin_api, struct_size) == 0, "tables start with struct_size");
_Static_assert(offsetof(og_plugin_api, abi_major) == 4, "major follows struct_size");
_Static_assert(offsetof(og_plugin_api, abi_minor) == 6, "minor follows major");
_Static_assert(offsetof(og_host_api, abi_major) == 4, "major follows struct_size");
_Static_assert(offsetof(og_host_offer, abi_major) == 4, "major follows struct_size");
/* 1.2 appended one host service after the last 1.1 one; nothing before it moved. */
_Static_assert(offsetof(og_host_api, attest_old_configuration_retired) ==
                   offsetof(og_host_api, read_file_certificates) + sizeof(void *),
               "attest_old_configuration_retired (1.2) follows read_file_certificates (1.1)");
