#ifndef MATERIA_MALLOC_CONFIG_H
#define MATERIA_MALLOC_CONFIG_H
/// The jemalloc settings the materia binary starts with (see malloc_config.c).
const char *materia_malloc_config(void);
#endif
