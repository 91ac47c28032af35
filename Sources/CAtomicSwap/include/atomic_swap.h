#ifndef MATERIA_ATOMIC_SWAP_H
#define MATERIA_ATOMIC_SWAP_H

/// Exchanges two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE): at every
/// moment each path names either the old or the new folder, never nothing.
/// Returns 0, or -1 with errno set (e.g. EINVAL or ENOSYS where the file system cannot).
int materia_exchange_paths(const char *first, const char *second);

/// Frees the file system's pages behind `length` bytes of an open file from `offset` (Linux
/// fallocate with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): the file keeps its size and reads
/// zeros there. Returns 0, or -1 with errno set (EOPNOTSUPP where the file system cannot).
int materia_free_file_range(int descriptor, long long offset, long long length);

/// 1 when an open file is on tmpfs (its pages are memory, not a disk's cache), 0 when not, -1
/// when fstatfs fails.
int materia_is_on_tmpfs(int descriptor);

#endif
