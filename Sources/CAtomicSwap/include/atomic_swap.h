#ifndef MATERIA_ATOMIC_SWAP_H
#define MATERIA_ATOMIC_SWAP_H

/// Exchanges two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE): at every
/// moment each path names either the old or the new folder, never nothing.
/// Returns 0, or -1 with errno set (e.g. EINVAL or ENOSYS where the file system cannot).
int materia_exchange_paths(const char *first, const char *second);

#endif
