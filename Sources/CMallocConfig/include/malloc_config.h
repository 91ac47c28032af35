#ifndef MATERIA_MALLOC_CONFIG_H
#define MATERIA_MALLOC_CONFIG_H
/// Read by jemalloc when the materia binary starts (see malloc_config.c).
extern const char *malloc_conf;
#endif
