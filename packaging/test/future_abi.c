/* A plugin built for a future plugin ABI, major 2. Per the negotiation rule in
 * og_plugin.h it implements no other major, so it refuses the offer of a host
 * that speaks major 1. The packaging test ships it in a package that depends on
 * og-host-abi-2 to prove both guards: dpkg/apt refuse the package, and a host
 * that finds the library anyway refuses it with the reason. */
#include <og_plugin.h>

#define FUTURE_ABI_MAJOR 2

OG_PLUGIN_EXPORT og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out) {
    if (offer == NULL || out == NULL || offer->abi_major != FUTURE_ABI_MAJOR) return OG_ERR_ABI_MISMATCH;
    /* A real major-2 plugin would hand back its major-2 table here. */
    return OG_ERR_ABI_MISMATCH;
}
