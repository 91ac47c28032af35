// The materia binary links jemalloc (Debian's libjemalloc-dev), which reads its settings from this
// symbol when the process starts. MALLOC_CONF in the environment still overrides it.
//
// - dirty_decay_ms:1000: by default jemalloc keeps freed pages for 10 s before it gives them back;
//   a build frees each article's Markdown and the bodies' intermediate strings as it goes, so
//   handing pages back after 1 s keeps the peak resident size of a 10,000-article build near
//   360 MB instead of 410 MB, with no time difference beyond run-to-run noise.
// - thp:always: jemalloc asks the kernel for transparent huge pages (madvise) for its memory,
//   which the kernel grants where THP is "madvise" or "always". A build then takes far fewer page
//   faults (10,000 articles: about 5,000 instead of 86,000; 100,000: 97,000 instead of 770,000)
//   and less system time, for 2-5 % more peak RSS (docs/performance.md, session 16). Where THP is
//   "never" it changes nothing.
#include "malloc_config.h"

const char *malloc_conf = "dirty_decay_ms:1000,thp:always";
