/*
 * Preloaded (LD_PRELOAD) into a test nginx by NginxServedProofTests. After a
 * reload, nginx's master starts the new workers, pauses 100 ms "to allow new
 * processes to start" (ngx_msleep(100), that is usleep(100000), in
 * src/os/unix/ngx_process_cycle.c) and only then tells the old workers to
 * shut down. This makes that one pause last OG_TEST_MASTER_PAUSE_MS instead,
 * so a test can tell who told the old workers to go without racing 100 ms.
 * The value is read when the library loads, before nginx rewrites its
 * environment and process title.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t pause_microseconds;

__attribute__((constructor)) static void read_pause(void) {
    const char *milliseconds = getenv("OG_TEST_MASTER_PAUSE_MS");
    if (milliseconds != NULL) pause_microseconds = (useconds_t)strtoul(milliseconds, NULL, 10) * 1000;
}

int usleep(useconds_t microseconds) {
    static int (*real_usleep)(useconds_t);
    if (real_usleep == NULL) real_usleep = (int (*)(useconds_t))dlsym(RTLD_NEXT, "usleep");
    if (microseconds == 100000 && pause_microseconds != 0) microseconds = pause_microseconds;
    return real_usleep(microseconds);
}
