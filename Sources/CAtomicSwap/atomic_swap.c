#define _GNU_SOURCE
#include "atomic_swap.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int materia_exchange_paths(const char *first, const char *second) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int materia_free_file_range(int descriptor, long long offset, long long length) {
#if defined(__linux__)
    return fallocate(descriptor, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
#else
    (void)descriptor, (void)offset, (void)length;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int materia_is_on_tmpfs(int descriptor) {
#if defined(__linux__)
    struct statfs system;
    if (fstatfs(descriptor, &system) != 0) return -1;
    return system.f_type == 0x01021994; // TMPFS_MAGIC (linux/magic.h)
#else
    (void)descriptor;
    return 0;
#endif
}
