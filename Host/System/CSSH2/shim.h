#ifndef OG_CSSH2_SHIM_H
#define OG_CSSH2_SHIM_H
/* Thin view of libssh2 for Swift; macros re-exposed as functions where needed. */
#include <libssh2.h>
#include <libssh2_sftp.h>

/* Arithmetic macros do not import into Swift. */
static inline unsigned int og_libssh2_channel_window_default(void) { return LIBSSH2_CHANNEL_WINDOW_DEFAULT; }
static inline unsigned int og_libssh2_channel_packet_default(void) { return LIBSSH2_CHANNEL_PACKET_DEFAULT; }
#endif
