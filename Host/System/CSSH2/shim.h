#ifndef OG_CSSH2_SHIM_H
#define OG_CSSH2_SHIM_H
/* Thin view of libssh2 for Swift; macros re-exposed as functions where needed. */
#include <libssh2.h>
#include <libssh2_sftp.h>
#endif
